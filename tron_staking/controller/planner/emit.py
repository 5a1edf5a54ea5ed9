"""Adding one action to the plan: back-off check, payment, ledger effect, positions' progress.

Every rule ends in ``emit``: it computes the action's ``basis``, refuses while a rejection
of the same decision backs off, charges the ledger for the bandwidth or fee and the amount,
applies the action's effect to the ledger and to the named positions' expected location,
and records the action. A transaction the balance cannot pay is not planned; its positions
get ``InsufficientBalance``.
"""

from __future__ import annotations

from collections.abc import Mapping

from tron_staking.controller.planner import gate
from tron_staking.controller.planner.ledger import amount_of, size_of
from tron_staking.controller.planner.model import Action
from tron_staking.controller.planner.work import Round, Work
from tron_staking.domain.enums import StakingOperationType
from tron_staking.domain.ids import PositionId
from tron_staking.domain.operation import JsonValue
from tron_staking.domain.votes import WitnessVote

Kind = StakingOperationType

_OWNER_CHORES = frozenset({Kind.CLAIM_REWARDS})
"""Kinds that serve the owner, not a position: they never mark positions as progressing."""


def emit(
    rnd: Round,
    kind: StakingOperationType,
    key: str,
    params: dict[str, JsonValue],
    works: list[Work],
    reason: str,
    *,
    facts: Mapping[str, JsonValue] | None = None,
    position_votes: Mapping[PositionId, tuple[WitnessVote, ...]] | None = None,
    reserve_sizes: tuple[int, ...] = (),
    amount_sun: int | None = None,
    progressing: list[Work] | None = None,
) -> bool:
    """Plan one transaction; False (nothing planned) when backed off or unaffordable.

    ``reserve_sizes``: the sizes of follow-up transactions this one makes necessary (a
    freeze's vote and delegate); the balance must also cover their fees. ``amount_sun``: what
    the action moves when its parameters do not say (a withdrawal, a claim).
    ``progressing``: the named works the action changes (all of ``works`` when None); only
    they are reported as progressing (a vote names every voter but may change few).
    """
    basis = gate.basis_of(kind, params, works, facts or {})
    if gate.held_back(rnd, key, basis, works):
        return False
    size = size_of(kind, params)
    ledger = rnd.ledger
    amount = amount_of(params) if kind is Kind.FREEZE else 0
    needed = amount + ledger.fees_for((size, *reserve_sizes))
    if needed > ledger.balance_sun:
        rnd.stall_all(
            works,
            "InsufficientBalance",
            f"{kind.value} needs {needed} sun (amount and bandwidth fees); the balance left "
            f"is {ledger.balance_sun} sun",
            until_ms=rnd.balance_frees_at(needed),
        )
        return False
    fee = ledger.pay_bandwidth(size)
    ledger.apply(kind, params, sure=False)
    rnd.actions.append(
        Action(
            kind=kind,
            intent_key=key,
            params=params,
            position_ids=tuple(sorted({w.id for w in works})),
            reason=reason,
            amount_sun=amount_of(params) if amount_sun is None else amount_sun,
            estimated_bytes=size,
            fee_sun=fee,
            position_votes=dict(position_votes or {}),
            basis=basis,
        )
    )
    changed = {w.id for w in (works if progressing is None else progressing)}
    for w in works:
        w.move(kind)
        if kind not in _OWNER_CHORES and w.id in changed:
            w.progress.append(f"{kind.value} planned")
    if fee:
        rnd.warn(
            "BandwidthFee",
            f"{kind.value} will burn about {fee} sun: no free or staked bandwidth is left",
            works,
        )
    return True
