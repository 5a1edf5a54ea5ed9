"""The genesis of a devnet: funded accounts, witnesses, chain parameters and start time.

``default_genesis`` derives everything from a seed (the CLI's ``--accounts``/``--seed``);
``load_genesis`` reads the ``--genesis`` JSON file described in the devnet contract. Both
return a ``Genesis`` that ``chain.Chain`` is built from. Genesis witnesses are the chain's
"guard representatives": java-tron does not let them withdraw rewards.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tron_devnet import crypto, params
from tron_devnet.clock import Clock, SystemClock

DEFAULT_ACCOUNT_BALANCE_SUN = 1_000_000 * params.TRX_PRECISION
DEFAULT_WITNESS_COUNT = 30
# Genesis votes (whole TRX) of witness i: distinct, descending, so the ranking is stable.
DEFAULT_TOP_WITNESS_VOTES = 1_000_000
DEFAULT_WITNESS_VOTE_STEP = 10_000


class GenesisError(ValueError):
    """A genesis file or value is unusable; the message is one line naming the problem."""


@dataclass
class GenesisAccount:
    address: bytes
    balance_sun: int
    private_key: bytes | None = None


@dataclass
class GenesisWitness:
    address: bytes
    url: str
    vote_count: int
    brokerage: int = params.DEFAULT_BROKERAGE
    private_key: bytes | None = None


@dataclass
class Genesis:
    accounts: list[GenesisAccount]
    witnesses: list[GenesisWitness]
    chain_parameters: dict[str, int] = field(default_factory=dict)
    genesis_time_ms: int = 0


def _now_slot_aligned_ms(clock: Clock | None) -> int:
    now_ms = (SystemClock() if clock is None else clock).now_ms()
    return now_ms - now_ms % params.BLOCK_INTERVAL_MS


def default_genesis(
    accounts: int = 10,
    seed: str = "tron-devnet",
    genesis_time_ms: int | None = None,
    *,
    clock: Clock | None = None,
) -> Genesis:
    """``accounts`` accounts of 1,000,000 TRX and 30 funded witnesses, all keyed from ``seed``.

    Account ``i`` has key ``derive_private_key(seed, i)``; witness ``i`` has key
    ``derive_private_key(seed, i, "witness")`` and ``1,000,000 − 10,000·i`` genesis votes,
    so the first 27 are the active SRs. The start time defaults to the wall clock (``clock``,
    the system's by default) rounded down to a 3-second slot.
    """
    if accounts < 0:
        raise GenesisError(f"accounts must be >= 0, got {accounts}")
    genesis_accounts = []
    for index in range(accounts):
        key = crypto.derive_private_key(seed, index)
        genesis_accounts.append(
            GenesisAccount(crypto.private_key_to_address(key), DEFAULT_ACCOUNT_BALANCE_SUN, key)
        )
    witnesses = []
    for index in range(DEFAULT_WITNESS_COUNT):
        key = crypto.derive_private_key(seed, index, "witness")
        address = crypto.private_key_to_address(key)
        witnesses.append(
            GenesisWitness(
                address=address,
                url=f"http://sr-{index + 1:02d}.devnet",
                vote_count=DEFAULT_TOP_WITNESS_VOTES - DEFAULT_WITNESS_VOTE_STEP * index,
                private_key=key,
            )
        )
        genesis_accounts.append(GenesisAccount(address, DEFAULT_ACCOUNT_BALANCE_SUN, key))
    return Genesis(
        accounts=genesis_accounts,
        witnesses=witnesses,
        chain_parameters=params.chain_parameters(),
        genesis_time_ms=(
            _now_slot_aligned_ms(clock) if genesis_time_ms is None else genesis_time_ms
        ),
    )


def load_genesis(path: str | Path, *, clock: Clock | None = None) -> Genesis:
    """Read a genesis JSON file (devnet contract, ``--genesis``).

    Raises ``GenesisError`` with a one-line explanation for unreadable files, bad JSON,
    invalid addresses or keys, unknown chain parameters and missing witnesses.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise GenesisError(f"cannot read genesis file {path}: {exc.strerror or exc}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GenesisError(f"genesis file {path} is not valid JSON: {exc}") from exc
    return genesis_from_json(document, clock=clock)


def genesis_from_json(document: Any, *, clock: Clock | None = None) -> Genesis:
    """Build a ``Genesis`` from the decoded JSON of a genesis file; see ``load_genesis``.

    A missing ``genesis_time_ms`` is the wall clock (``clock``) rounded down to a slot.
    """
    if not isinstance(document, dict):
        raise GenesisError("genesis must be a JSON object")
    unknown = set(document) - {"accounts", "witnesses", "chain_parameters", "genesis_time_ms"}
    if unknown:
        raise GenesisError(f"unknown genesis key(s): {', '.join(sorted(unknown))}")
    accounts = [_account(entry, index) for index, entry in enumerate(_list(document, "accounts"))]
    witnesses = [_witness(entry, index) for index, entry in enumerate(_list(document, "witnesses"))]
    if not witnesses:
        raise GenesisError("genesis needs at least one witness to produce blocks")
    seen: set[bytes] = set()
    for witness in witnesses:
        if witness.address in seen:
            raise GenesisError(f"witness {crypto.address_to_base58(witness.address)} repeated")
        seen.add(witness.address)
    seen = set()
    for account in accounts:
        if account.address in seen:
            raise GenesisError(f"account {crypto.address_to_base58(account.address)} repeated")
        seen.add(account.address)
    raw_params = document.get("chain_parameters", {})
    if not isinstance(raw_params, Mapping):
        raise GenesisError("chain_parameters must be an object")
    try:
        chain_parameters = params.chain_parameters(raw_params)
    except params.UnknownParameterError as exc:
        raise GenesisError(f"unknown chain parameter {exc.args[0]!r}") from exc
    except TypeError as exc:
        raise GenesisError(str(exc)) from exc
    genesis_time_ms = document.get("genesis_time_ms")
    if genesis_time_ms is None:
        genesis_time_ms = _now_slot_aligned_ms(clock)
    elif not _is_int(genesis_time_ms) or genesis_time_ms < 0:
        raise GenesisError(f"genesis_time_ms must be a non-negative integer: {genesis_time_ms!r}")
    return Genesis(accounts, witnesses, chain_parameters, genesis_time_ms)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise GenesisError(f"{key} must be a list")
    return value


def _address(entry: Mapping[str, Any], where: str) -> bytes:
    text = entry.get("address")
    if not isinstance(text, str):
        raise GenesisError(f"{where}: address missing")
    try:
        return crypto.parse_address(text)
    except crypto.AddressError as exc:
        raise GenesisError(f"{where}: {exc}") from exc


def _private_key(entry: Mapping[str, Any], address: bytes, where: str) -> bytes | None:
    text = entry.get("private_key")
    if text is None:
        return None
    try:
        key = bytes.fromhex(text) if isinstance(text, str) else b""
        derived = crypto.private_key_to_address(key)
    except ValueError as exc:
        raise GenesisError(f"{where}: private_key is not a 32-byte hex secp256k1 key") from exc
    if derived != address:
        raise GenesisError(f"{where}: private_key does not belong to the address")
    return key


def _account(entry: Any, index: int) -> GenesisAccount:
    where = f"accounts[{index}]"
    if not isinstance(entry, dict):
        raise GenesisError(f"{where} must be an object")
    address = _address(entry, where)
    balance = entry.get("balance_sun", 0)
    if not _is_int(balance) or balance < 0:
        raise GenesisError(f"{where}: balance_sun must be a non-negative integer")
    return GenesisAccount(address, balance, _private_key(entry, address, where))


def _witness(entry: Any, index: int) -> GenesisWitness:
    where = f"witnesses[{index}]"
    if not isinstance(entry, dict):
        raise GenesisError(f"{where} must be an object")
    address = _address(entry, where)
    url = entry.get("url", "")
    if not isinstance(url, str):
        raise GenesisError(f"{where}: url must be a string")
    votes = entry.get("vote_count", 0)
    if not _is_int(votes) or votes < 0:
        raise GenesisError(f"{where}: vote_count must be a non-negative integer")
    brokerage = entry.get("brokerage", params.DEFAULT_BROKERAGE)
    if not _is_int(brokerage) or not 0 <= brokerage <= 100:
        raise GenesisError(f"{where}: brokerage must be an integer in 0..100")
    return GenesisWitness(address, url, votes, brokerage, _private_key(entry, address, where))
