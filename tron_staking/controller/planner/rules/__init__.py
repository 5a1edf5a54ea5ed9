"""One rule module per action kind; each plans through the gate and ``emit``.

The order in which the rules decide (``planner.plan``: undelegate, unfreeze, withdraw, claim,
freeze, vote, delegate) differs from the order the transactions are sent (``SEND_ORDER``):
rules that free resources decide first so the ledger knows what is left, and the vote decides
once every freeze and unfreeze of the round is known, while java-tron applies a block's
transactions in the order they were sent, so a re-vote goes out after the freeze that gives
it tron power and before the unfreeze it prepares, and a delegate goes out after the freeze
or undelegate that fills the pool.
"""

from __future__ import annotations

from tron_staking.domain.enums import StakingOperationType

Kind = StakingOperationType

SEND_ORDER: dict[StakingOperationType, int] = {
    Kind.UNDELEGATE: 0,
    Kind.WITHDRAW_EXPIRE_UNFREEZE: 1,
    Kind.CLAIM_REWARDS: 2,
    Kind.FREEZE: 3,
    Kind.VOTE: 4,
    Kind.UNFREEZE: 5,
    Kind.DELEGATE: 6,
}
