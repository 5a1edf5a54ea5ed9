"""VoteWitness: one vote list for the whole account, cast when the managed votes differ.

Who is in the list:

* **voters** — positions whose spec has votes, whose stake is (or will be this reconcile) in
  the pool or delegated out (delegated stake keeps its tron power), with valid witnesses;
* **fixed** — positions that keep exactly what they cast: unstaking ones whose unfreeze cannot
  go yet (their votes leave with the unfreeze, never earlier), and ones whose spec names
  a non-witness (``Stalled``/``UnknownWitness``; nothing else is touched);
* **leaving** — positions whose votes go: their unfreeze is planned or in flight (or held
  back until this re-vote is visible, see ``check_rescale``), or their spec has no votes any
  more. java-tron refuses an empty vote list, so when nothing would be
  left to cast the last votes stay and stay managed (``VotesCannotBeCleared``); an unfreeze
  of all the stake removes them.

The list is sized to the tron power after every freeze and unfreeze of the round, and sent
between them (``SEND_ORDER``), so the unfreeze never rescales it. ``check_rescale`` holds an
unfreeze back until its re-vote is visible when a lost re-vote would let java-tron's rescale
cut anyone else's votes.
"""

from __future__ import annotations

from tron_staking.controller.planner import gate
from tron_staking.controller.planner.emit import emit
from tron_staking.controller.planner.ledger import resource_of
from tron_staking.controller.planner.model import intent_key
from tron_staking.controller.planner.work import Location, Round, Work
from tron_staking.domain import amounts, votes
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType
from tron_staking.domain.ids import PositionId
from tron_staking.domain.votes import WitnessVote

Kind = StakingOperationType

_VOTE_WARNINGS = {
    votes.VoteWarning.MANAGED_SCALED_DOWN: (
        "the positions' votes exceed the account's tron power and were scaled down"
    ),
    votes.VoteWarning.UNMANAGED_SCALED_DOWN: (
        "votes cast outside the service were scaled down to fit the tron power"
    ),
    votes.VoteWarning.UNMANAGED_DROPPED: (
        "votes cast outside the service were dropped (30-witness limit or tron power)"
    ),
}


def _sort(rnd: Round) -> tuple[list[Work], dict[PositionId, tuple[WitnessVote, ...]], list[Work]]:
    """Voters, fixed allocations, and leaving positions (see the module docstring)."""
    witnesses = rnd.observed.witnesses
    voters: list[Work] = []
    fixed: dict[PositionId, tuple[WitnessVote, ...]] = {}
    leaving: list[Work] = []
    for w in rnd.works.values():
        spec = w.position.spec
        if w.unstaking:
            if w.votes_cast and _unfreezing(rnd, w):
                leaving.append(w)
            elif w.votes_cast:
                fixed[w.id] = w.votes_cast
            continue
        unknown = [v.witness for v in spec.votes if witnesses and v.witness not in witnesses]
        if unknown:
            w.stall("UnknownWitness", f"not a witness: {', '.join(unknown)}")
            if w.votes_cast:
                fixed[w.id] = w.votes_cast
        elif spec.votes and w.location is not Location.NONE:
            voters.append(w)
        elif w.votes_cast:
            leaving.append(w)
    return voters, fixed, leaving


def _unfreezing(rnd: Round, w: Work) -> bool:
    """Its unfreeze is planned or in flight, or held back until this re-vote is visible."""
    if w.location is Location.NONE:
        return True
    return w.location is Location.POOL and w.resource in rnd.held_unfreezes


def plan_vote(rnd: Round) -> None:
    voters, fixed, leaving = _sort(rnd)
    if not voters and not leaving:
        return
    allocations = {
        w.id: votes.allocate_position_votes(w.amount_sun, w.position.spec.votes) for w in voters
    }
    cast = votes.add(*(votes.by_witness(w.votes_cast) for w in rnd.works.values()))
    witnesses = rnd.observed.witnesses
    unmanaged: dict[Address, int] = {}
    if rnd.policy.keep_unmanaged_votes:
        unmanaged = {
            witness: count - cast.get(witness, 0)
            for witness, count in rnd.observed.votes_by_witness.items()
            if count > cast.get(witness, 0) and (not witnesses or witness in witnesses)
        }
    limit = max(rnd.ledger.tron_power_sun // amounts.SUN_PER_TRX, 0)
    account = votes.allocate_account_votes(
        {**allocations, **fixed}, unmanaged, limit, max_witnesses=rnd.policy.max_vote_witnesses
    )
    if account.refused:
        for w in voters:
            w.stall("TooManyWitnesses", account.refused)
        rnd.warn("TooManyWitnesses", account.refused, voters)
        return
    for warning in account.warnings:
        rnd.warn(str(warning), _VOTE_WARNINGS[warning], voters)
    if votes.VoteWarning.MANAGED_SCALED_DOWN in account.warnings:
        for w in voters:
            w.stall(
                "TronPowerInsufficient",
                f"the account's tron power ({limit}) does not cover the positions' votes",
            )
    differs = votes.by_witness(account.votes) != votes.by_witness(rnd.ledger.votes)
    stale = any(w.votes_cast != account.per_position.get(w.id, ()) for w in voters)
    if not (differs or stale or leaving):
        return
    if not account.votes:
        _cannot_clear(rnd, leaving)
        return
    named = [*voters, *leaving, *(w for w in rnd.works.values() if w.id in fixed)]
    key = intent_key(Kind.VOTE, rnd.owner)
    # While a vote is in flight, only the positions whose votes would change wait for it: the
    # others hold their votes whatever becomes of it (``status.recasts_ready_votes``).
    changing = [w for w in named if account.per_position.get(w.id, ()) != w.votes_cast]
    if not gate.admit(rnd, Kind.VOTE, key, changing or named, "vote"):
        return
    emit(
        rnd,
        Kind.VOTE,
        key,
        {
            "owner_address": rnd.owner,
            "votes": [
                {"vote_address": vote.witness, "vote_count": vote.count} for vote in account.votes
            ],
        },
        named,
        f"cast {votes.total(account.votes)} votes for {len(account.votes)} witnesses "
        f"({len(voters)} positions voting, {len(leaving)} leaving)",
        facts={"tron_power": limit, "witnesses": sorted(witnesses)},
        position_votes={pid: v for pid, v in account.per_position.items() if v},
        progressing=changing or named,
    )


def _cannot_clear(rnd: Round, leaving: list[Work]) -> None:
    """No vote list is left to cast: the leaving positions keep their (managed) votes, unless
    their unfreeze takes them off the chain anyway."""
    staying = [w for w in leaving if not w.unstaking]
    message = (
        "TRON cannot clear a vote list (VoteWitness needs at least one vote): the votes stay "
        "until another vote replaces them or the stake is unfrozen"
    )
    for w in staying:
        w.stall("VotesCannotBeCleared", message)
    if staying:
        rnd.warn("VotesCannotBeCleared", message, staying)


def check_rescale(rnd: Round) -> None:
    """After the vote rule: were the round's unfreezes to land without a re-vote (none could
    be sent, or it is dropped) and without the freezes not yet visible (they may be dropped
    too), java-tron would rescale the votes visible on the head. If that cuts votes that are
    not the leaving positions' own — other positions' or, when kept, the owner's unmanaged
    ones — the unfreezes are held back until a re-vote without the leaving positions is
    visible, or until the pending freezes have landed (``Round.held_unfreezes``; the vote
    rule then treats those positions as leaving). When even that could not keep them (they
    need the tron power that leaves), waiting would never end: the reduction is only
    reported."""
    unfreezes = rnd.planned(Kind.UNFREEZE)
    if not unfreezes:
        return
    visible = rnd.observed.votes
    before = votes.by_witness(visible)
    sure_power = rnd.ledger.tron_power_sure_sun
    rescaled = votes.predict_unfreeze_rescale(visible, sure_power)
    after = votes.by_witness(rescaled)
    if after == before:
        return
    leaving = {pid for action in unfreezes for pid in action.position_ids}
    protected = _protected(rnd, before, leaving)
    pending_freezes = sure_power < rnd.ledger.tron_power_sun
    fits = sum(protected.values()) * amounts.SUN_PER_TRX <= sure_power
    cuts = any(after.get(witness, 0) < count for witness, count in protected.items())
    if cuts and (fits or pending_freezes):
        for action in unfreezes:
            resource = resource_of(action.params)
            if resource is not None:
                rnd.held_unfreezes.add(resource)
        return
    rnd.warn(
        "VoteReduction",
        f"the unfreeze lowers tron power to {sure_power // amounts.SUN_PER_TRX}: "
        f"java-tron rescales the votes from {votes.total(visible)} to {votes.total(rescaled)}",
    )


def _protected(
    rnd: Round, before: dict[Address, int], leaving: set[PositionId]
) -> dict[Address, int]:
    """The visible votes an unfreeze of the ``leaving`` positions must not cut."""
    if rnd.policy.keep_unmanaged_votes:
        leaving_cast = votes.add(
            *(votes.by_witness(w.votes_cast) for w in rnd.works.values() if w.id in leaving)
        )
        return {w: c - leaving_cast.get(w, 0) for w, c in before.items()}
    others = [w for w in rnd.works.values() if w.id not in leaving]
    return votes.add(*(votes.by_witness(w.votes_cast) for w in others))
