"""The broadcast pipeline: java-tron's checks in the order of reference §2, then execution.

``process`` validates one transaction against a state (the pending state when broadcasting,
the new head state when a reorg re-pushes a transaction) inside a throw-away layer and returns
the receipt and that layer; the caller merges the layer on success. Any ``RejectedError``
leaves no trace, fees included. Called by ``engine.chain.Chain``.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Final

from tron_devnet import actuators, params, resources
from tron_devnet.actuators import Actuators, Context, ContractValidateError, Receipt
from tron_devnet.engine.permissions import RejectedError, check_signature
from tron_devnet.state import Store, Tables
from tron_devnet.types import ContractValue, ResponseCode, Transaction, TransferContract

CONTRACT_VALIDATE_PREFIX: Final = "Contract validate error : "


@dataclass(frozen=True, slots=True)
class Rules:
    """What every validation needs besides the state: parameters, actuators, guards."""

    cfg: Mapping[str, int]
    actuators: Actuators
    guards: frozenset[bytes]  # genesis witnesses ("guard representatives")

    def context(self, store: Store, now_ms: int, *, creating: bool = False) -> Context:
        return Context(self.cfg, store, now_ms, resources.slot_of(now_ms), self.guards, creating)


def process(
    rules: Rules,
    tx: Transaction,
    base: Store,
    *,
    head_ms: int,
    recent: Mapping[bytes, bytes],
    known_txids: Container[bytes],
) -> tuple[Receipt, Tables]:
    """Check and execute ``tx`` over ``base`` (head time ``head_ms``, TaPoS table ``recent``).

    Returns the receipt and the layer holding every change; raises ``RejectedError``.
    """
    raw = tx.raw
    contracts = raw.contracts
    value = contracts[0].value if contracts else None
    if value is None:
        raise RejectedError(
            ResponseCode.CONTRACT_VALIDATE_ERROR, CONTRACT_VALIDATE_PREFIX + "No contract!"
        )
    if raw.expiration < head_ms + params.BLOCK_INTERVAL_MS:
        raise RejectedError(ResponseCode.TRANSACTION_EXPIRATION_ERROR, "Transaction expired")
    check_signature(tx, value.owner_address)
    txid_hex = tx.txid.hex()
    if len(contracts) != 1:
        raise RejectedError(
            ResponseCode.CONTRACT_VALIDATE_ERROR,
            f"{CONTRACT_VALIDATE_PREFIX}tx {txid_hex} contract size should be exactly 1, "
            f"this is extend feature ,actual :{len(contracts)}",
        )
    if recent.get(raw.ref_block_bytes) != raw.ref_block_hash:
        raise RejectedError(ResponseCode.TAPOS_ERROR, "Tapos check error.")
    size = tx.signed_size + 2 * params.MAX_RESULT_SIZE_IN_TX
    if size > params.TRANSACTION_MAX_BYTE_SIZE:
        raise RejectedError(
            ResponseCode.TOO_BIG_TRANSACTION_ERROR,
            f"Too big transaction with result, TxId {txid_hex}, the size is {size} bytes, "
            f"maxTxSize {params.TRANSACTION_MAX_BYTE_SIZE}",
        )
    if (
        raw.expiration <= head_ms
        or raw.expiration > head_ms + params.MAXIMUM_TIME_UNTIL_EXPIRATION_MS
    ):
        raise RejectedError(ResponseCode.TRANSACTION_EXPIRATION_ERROR, "Transaction expired")
    if tx.txid in known_txids:
        raise RejectedError(ResponseCode.DUP_TRANSACTION_ERROR, "Dup transaction.")
    store, layer = base.child()
    ctx = rules.context(store, head_ms)
    receipt = _charge(ctx, tx, value, txid_hex)
    try:
        actuators.validate(rules.actuators, ctx, value)
    except ContractValidateError as exc:
        raise RejectedError(
            ResponseCode.CONTRACT_VALIDATE_ERROR, CONTRACT_VALIDATE_PREFIX + exc.message
        ) from exc
    actuators.execute(rules.actuators, ctx, value, receipt)
    return receipt, layer


def _charge(ctx: Context, tx: Transaction, value: ContractValue, txid_hex: str) -> Receipt:
    """Bandwidth, then the multi-signature and memo fees (MGR ``processTransaction``)."""
    owner = value.owner_address
    creates = isinstance(value, TransferContract) and ctx.store.account(value.to_address) is None
    try:
        bill = resources.consume_bandwidth(
            ctx.cfg,
            ctx.store,
            owner,
            net_bytes=tx.signed_size + params.MAX_RESULT_SIZE_IN_TX,
            creates_account=creates,
            create_account_size=tx.signed_size - params.SIGNATURE_SIZE * len(tx.signatures),
            now_slot=ctx.now_slot,
            head_time_ms=ctx.now_ms,
            txid_hex=txid_hex,
        )
    except resources.BandwidthValidateError as exc:
        raise RejectedError(
            ResponseCode.CONTRACT_VALIDATE_ERROR, CONTRACT_VALIDATE_PREFIX + str(exc)
        ) from exc
    except resources.TooBigTransactionError as exc:
        raise RejectedError(ResponseCode.TOO_BIG_TRANSACTION_ERROR, str(exc)) from exc
    except resources.ResourceInsufficientError as exc:
        raise RejectedError(
            ResponseCode.BANDWITH_ERROR, "Account resource insufficient error."
        ) from exc
    receipt = Receipt(net_usage=bill.net_usage, net_fee=bill.net_fee)
    if len(tx.signatures) > 1:
        receipt.multi_sign_fee = _burn(ctx.store, owner, ctx.cfg["getMultiSignFee"])
    if tx.raw.data and ctx.cfg["getMemoFee"]:
        receipt.memo_fee = _burn(ctx.store, owner, ctx.cfg["getMemoFee"])
    return receipt


def _burn(store: Store, owner: bytes, fee: int) -> int:
    account = store.account_for_write(owner)
    if account is not None:
        if account.balance < fee:
            raise RejectedError(ResponseCode.BANDWITH_ERROR, "Account resource insufficient error.")
        account.balance -= fee
    return fee
