"""An in-memory KeyVault for the keystore's unit tests (the Mongo one has its own contract
tests in tests/integration/store/test_signing_keys.py)."""

from __future__ import annotations

from tron_staking.errors import DuplicateKeyError
from tron_staking.signer.ports import RawSigningKey


class MemoryVault:
    """Keeps the raw records in a dict keyed by address; refuses a second key per address."""

    def __init__(self) -> None:
        self.records: dict[str, RawSigningKey] = {}

    async def put(self, raw: RawSigningKey) -> None:
        if raw["address"] in self.records:
            raise DuplicateKeyError(
                f"duplicate key for unique index on ['address']: {raw['address']}"
            )
        self.records[raw["address"]] = raw

    async def get(self, address: str) -> RawSigningKey | None:
        return self.records.get(address)

    async def delete(self, address: str) -> bool:
        return self.records.pop(address, None) is not None

    async def addresses(self) -> list[str]:
        return sorted(self.records)
