"""The chain's history: its blocks, the state at the solid block and at the head, and one diff
per non-solid block between them.

A block's diff is the overlay its transactions and production wrote (``state.Tables``); it is
merged into the head state when the block is appended and into the solid state when the block
becomes solid (``solid_lag`` blocks later), after which it is forgotten. Keeping the non-solid
diffs is what lets the chain answer reads "as of" any block from the solid one to the head (the
``lag`` fault) and replace the newest blocks (``reorg``): the state at block ``n`` is the solid
state under the diffs up to ``n``. Diffs are never mutated once their block is appended, since
records are copied on write (see ``state``). Used only by ``engine.chain.Chain``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from tron_devnet import state
from tron_devnet.actuators import Receipt
from tron_devnet.state import Store, Tables
from tron_devnet.types import Block, Transaction

TAPOS_WINDOW = 65_536  # java-tron's recent-block table: ref_block_bytes are 2 bytes of number


@dataclass(slots=True)
class TxRecord:
    """A transaction the chain accepted: its receipt and, once packed, its block."""

    tx: Transaction
    receipt: Receipt
    block_num: int | None = None
    block_time_ms: int = 0


class Ledger:
    """Blocks (genesis first), head/solid states, per-block diffs and the TaPoS table."""

    def __init__(self, genesis_block: Block, genesis_state: Tables, solid_lag: int) -> None:
        self.solid_lag = solid_lag
        self.blocks: list[Block] = [genesis_block]
        self.head_state = genesis_state
        self.solid_state = state.copy_tables(genesis_state)
        self.diffs: deque[tuple[int, Tables]] = deque()
        self.recent: dict[bytes, bytes] = {}
        self._remember(genesis_block)

    @classmethod
    def restore(
        cls,
        blocks: list[Block],
        solid_state: Tables,
        diffs: list[tuple[int, Tables]],
        solid_lag: int,
    ) -> Ledger:
        """A ledger rebuilt from its parts (a snapshot): the head state is recomputed."""
        ledger = cls(blocks[0], state.new_tables(), solid_lag)
        ledger.blocks = list(blocks)
        ledger.recent = {}
        for block in ledger.blocks[-TAPOS_WINDOW:]:
            ledger._remember(block)
        ledger.solid_state = solid_state
        ledger.diffs = deque(diffs)
        ledger.head_state = ledger._rebuilt_head()
        return ledger

    @property
    def head(self) -> Block:
        return self.blocks[-1]

    @property
    def solid_number(self) -> int:
        return max(0, self.head.number - self.solid_lag)

    @property
    def solid(self) -> Block:
        return self.blocks[self.solid_number]

    def block(self, number: int) -> Block | None:
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def append(self, block: Block, diff: Tables) -> None:
        """Add the next block with its diff; merge diffs that became solid."""
        state.apply_to_base(self.head_state, diff)
        self.diffs.append((block.number, diff))
        self.blocks.append(block)
        self._remember(block)
        solid_number = self.solid_number
        while self.diffs and self.diffs[0][0] <= solid_number:
            state.apply_to_base(self.solid_state, self.diffs.popleft()[1])

    def store_at(self, number: int) -> Store:
        """A read-only view of the state after block ``number`` (solid ≤ number ≤ head)."""
        if number >= self.head.number:
            return Store(self.head_state)
        layers = [diff for block_number, diff in self.diffs if block_number <= number]
        layers.reverse()
        return Store(*layers, self.solid_state)

    def rollback(self, depth: int) -> list[Block]:
        """Remove the newest ``depth`` blocks (all above the solid block) and return them.

        The caller has checked ``1 <= depth <= head - solid``; the head state becomes the state
        after the new head, the TaPoS table forgets the removed blocks.
        """
        removed = self.blocks[-depth:]
        del self.blocks[-depth:]
        for _ in range(depth):
            self.diffs.pop()
        for block in removed:
            key = self._tapos_key(block.number)
            older = self.block(block.number - TAPOS_WINDOW)
            if older is None:
                self.recent.pop(key, None)
            else:
                self.recent[key] = older.block_id[8:16]
        self.head_state = self._rebuilt_head()
        return removed

    def _rebuilt_head(self) -> Tables:
        head = state.copy_tables(self.solid_state)
        for _, diff in self.diffs:
            state.apply_to_base(head, diff)
        return head

    @staticmethod
    def _tapos_key(number: int) -> bytes:
        return (number & 0xFFFF).to_bytes(2, "big")

    def _remember(self, block: Block) -> None:
        self.recent[self._tapos_key(block.number)] = block.block_id[8:16]
