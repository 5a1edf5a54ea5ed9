"""The :class:`~tron_staking.chain.ports.ChainClient` over tronpy's ``AsyncTron``.

Built by the composition root with :meth:`TronChainClient.from_settings`; used by the
reconciler (observe) and the executor (build, sign, broadcast, look up).

tronpy supplies the HTTP provider that :class:`~tron_staking.chain.transport.NodeTransport`
extends (budget, timeout, API key, counting), the witness and receipt look-ups, and the
signature recovery. Account reads, node-side builders and broadcasts go through the
provider directly: tronpy's helpers turn java-tron's ``{}`` answers into exceptions, lose the
response code of most broadcast failures and report a duplicate as an unknown error, while
:mod:`~tron_staking.chain.snapshot` and :mod:`~tron_staking.chain.outcomes` need the answers
as the node gave them.

Reads — everything but a broadcast — are retried with jittered exponential backoff
(``stamina``) on transient errors, honouring a 429's ``Retry-After``. A broadcast is sent once:
the executor owns re-sends, which must carry the same signed bytes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

import stamina
from tronpy import AsyncTron
from tronpy import exceptions as tronpy_errors

from tron_staking.chain import outcomes, transactions
from tron_staking.chain.observation import Observer
from tron_staking.chain.outcomes import BroadcastOutcome
from tron_staking.chain.ports import Inclusion, ReadCache, TransactionSigner, Witness
from tron_staking.chain.transactions import (
    BlockRef,
    Json,
    SignedTransaction,
    TxKind,
    UnsignedTransaction,
)
from tron_staking.chain.transport import NodeTransport, RequestCounter
from tron_staking.domain import addresses
from tron_staking.domain.addresses import Address
from tron_staking.domain.enums import StakingOperationType
from tron_staking.domain.ids import TxId
from tron_staking.domain.snapshot import AccountSnapshot
from tron_staking.errors import (
    ChainAmbiguousError,
    ChainProtocolError,
    ChainUnavailableError,
    ConfigurationError,
    RateLimitedError,
    TransientError,
    ValidationError,
)
from tron_staking.settings import ChainSettings

T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class ReadRetry:
    """How reads are retried: at most ``attempts`` tries within ``timeout_s``, backoff from
    ``wait_initial_s`` doubling up to ``wait_max_s`` plus up to ``wait_jitter_s`` of jitter."""

    attempts: int = 4
    timeout_s: float = 30.0
    wait_initial_s: float = 0.1
    wait_max_s: float = 3.0
    wait_jitter_s: float = 0.5


def _retry_hook(exc: Exception) -> bool | float:
    """stamina's backoff hook: retry transient errors; a 429 waits its Retry-After."""
    if isinstance(exc, RateLimitedError):
        return exc.retry_after_s
    return isinstance(exc, TransientError)


class TronChainClient:
    """The tronpy adapter (see the module docstring)."""

    def __init__(
        self,
        transport: NodeTransport,
        *,
        expiration_window_s: float,
        cache: ReadCache | None = None,
        read_retry: ReadRetry | None = None,
    ) -> None:
        window_ms = _window_ms(expiration_window_s)
        self._transport = transport
        self._tron = AsyncTron(provider=transport)
        self._window_ms = window_ms
        self._retry = read_retry or ReadRetry()
        self._observer = Observer(self._read, cache)

    @classmethod
    def from_settings(
        cls,
        settings: ChainSettings,
        *,
        expiration_window_s: float,
        cache: ReadCache | None = None,
        counter: RequestCounter | None = None,
    ) -> TronChainClient:
        """A client of ``settings.http_endpoint`` (which must be set) with its budget,
        timeout and API key; nothing connects yet. Close it with :meth:`aclose`."""
        if settings.http_endpoint is None:
            raise ConfigurationError("invalid TRON_HTTP_ENDPOINT: a node URL is required")
        _window_ms(expiration_window_s)
        api_key = settings.api_key.get_secret_value() if settings.api_key else None
        transport = NodeTransport(
            settings.http_endpoint,
            qps=settings.qps,
            timeout_s=settings.timeout_s,
            api_key=api_key,
            counter=counter,
        )
        return cls(transport, expiration_window_s=expiration_window_s, cache=cache)

    @property
    def counter(self) -> RequestCounter:
        """Node requests made so far, by endpoint and outcome."""
        counter: RequestCounter = self._transport.counter
        return counter

    # -- reads ----------------------------------------------------------------------------------

    async def _retried(self, call: Callable[[], Awaitable[T]]) -> T:
        retry = self._retry
        async for attempt in stamina.retry_context(
            on=_retry_hook,
            attempts=retry.attempts,
            timeout=retry.timeout_s,
            wait_initial=retry.wait_initial_s,
            wait_max=retry.wait_max_s,
            wait_jitter=retry.wait_jitter_s,
        ):
            with attempt:
                result = await call()
        return result

    async def _read(
        self, path: str, body: dict[str, Json], *, expect: str | None = None
    ) -> dict[str, Json]:
        async def call() -> dict[str, Json]:
            answer: dict[str, Json] = await self._transport.make_request(path, body)
            if expect is not None and expect not in answer:
                raise ChainUnavailableError(f"{path} answered without {expect!r}: {answer!r}")
            return answer

        return await self._retried(call)

    async def observe(self, owner: Address, receivers: Collection[Address]) -> AccountSnapshot:
        return await self._observer.observe(owner, receivers)

    async def observe_solid(
        self, owner: Address, receivers: Collection[Address]
    ) -> AccountSnapshot:
        return await self._observer.observe_solid(owner, receivers)

    async def head(self) -> BlockRef:
        return await self._observer.head()

    async def solid_head(self) -> BlockRef:
        return await self._observer.solid_head()

    async def list_witnesses(self) -> tuple[Witness, ...]:
        entries: list[dict[str, Any]] = await self._retried(self._tron.list_witnesses)
        try:
            return tuple(
                Witness(
                    address=addresses.parse_address(entry.get("address"), field="address"),
                    vote_count=int(entry.get("voteCount", 0)),
                    url=str(entry.get("url", "")),
                )
                for entry in entries
            )
        except (ValidationError, TypeError, ValueError) as exc:
            raise ChainUnavailableError(f"listwitnesses answered an unusable entry: {exc}") from exc

    async def transaction_info(self, txid: TxId) -> Inclusion | None:
        return await self._inclusion(txid, self._tron.get_transaction_info)

    async def solid_transaction_info(self, txid: TxId) -> Inclusion | None:
        return await self._inclusion(txid, self._tron.get_solid_transaction_info)

    async def _inclusion(
        self, txid: TxId, lookup: Callable[[str], Awaitable[dict[str, Any]]]
    ) -> Inclusion | None:
        async def call() -> dict[str, Any] | None:
            try:
                return await lookup(txid)
            except tronpy_errors.TransactionNotFound:
                return None

        info = await self._retried(call)
        return None if info is None else inclusion(txid, info)

    # -- transactions ---------------------------------------------------------------------------

    async def build(
        self,
        owner: Address,
        kind: StakingOperationType | TxKind,
        params: Mapping[str, Json],
        head: BlockRef,
        *,
        reference: BlockRef | None = None,
    ) -> UnsignedTransaction:
        tx_kind = TxKind.of(kind)
        requested = transactions.contract_value(owner, tx_kind, params)
        answer = await self._read(tx_kind.builder_path, {**requested, "visible": False})
        try:
            return transactions.anchor(
                owner=owner,
                kind=tx_kind,
                node_answer=answer,
                requested=requested,
                head=head,
                reference=reference or head,
                window_ms=self._window_ms,
            )
        except ValueError as exc:
            raise ChainProtocolError(str(exc)) from exc

    def attach_signature(
        self, unsigned: UnsignedTransaction, signature_hex: str
    ) -> SignedTransaction:
        return transactions.attach_signature(unsigned, signature_hex)

    async def sign(
        self, unsigned: UnsignedTransaction, signer: TransactionSigner
    ) -> SignedTransaction:
        signature = await signer.sign(unsigned.owner, unsigned.txid)
        return transactions.attach_signature(unsigned, signature)

    async def broadcast(self, signed: SignedTransaction) -> BroadcastOutcome:
        txid = signed.txid
        try:
            payload = await self._transport.make_request(
                "wallet/broadcasttransaction", signed.to_json()
            )
        except RateLimitedError as exc:
            return outcomes.Transient(txid, str(exc), exc.retry_after_s, ambiguous=False)
        except ChainAmbiguousError as exc:
            return outcomes.Transient(txid, str(exc), exc.retry_after_s, ambiguous=True)
        except ChainUnavailableError as exc:
            return outcomes.Transient(txid, str(exc), exc.retry_after_s, ambiguous=False)
        return outcomes.classify_broadcast(txid, payload)

    async def aclose(self) -> None:
        await self._tron.close()


def _window_ms(expiration_window_s: float) -> int:
    window_ms = round(expiration_window_s * 1000)
    if not (
        transactions.MIN_EXPIRATION_WINDOW_MS <= window_ms <= transactions.MAX_EXPIRATION_WINDOW_MS
    ):
        raise ConfigurationError(
            f"invalid STAKING_TX_EXPIRATION_S: {expiration_window_s} s is outside "
            "TRON's 3 s .. 24 h"
        )
    return window_ms


def inclusion(txid: TxId, info: Mapping[str, Any]) -> Inclusion | None:
    """The ``Inclusion`` in a ``gettransactioninfobyid`` answer; None without a block number
    (``{}``: unknown or still pending). ChainUnavailableError when the answer is for another
    transaction or its numbers are unreadable."""
    number = info.get("blockNumber")
    if number is None:
        return None
    if str(info.get("id", txid)).lower() != txid:
        raise ChainUnavailableError(f"asked for {txid}, the node answered {info.get('id')}")
    fee = info.get("fee", 0)
    when = info.get("blockTimeStamp", 0)
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (number, fee, when)):
        raise ChainUnavailableError(f"unreadable receipt for {txid}: {dict(info)!r}")
    return Inclusion(
        txid=txid, block_number=number, block_time_ms=when, fee_sun=fee, receipt=dict(info)
    )
