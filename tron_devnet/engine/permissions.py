"""Signatures against account permissions (``TransactionCapsule.validatePubSignature`` /
``checkWeight``) and the ``wallet/getsignweight`` answer.

Accounts on the devnet only ever have the default permissions: owner (id 0) and active (id 2),
each with the account's own key at weight 1 and threshold 1. Called by the broadcast pipeline
and by ``Chain.sign_weight_json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from tron_devnet import crypto, params
from tron_devnet.engine import views
from tron_devnet.state import Store
from tron_devnet.types import Contract, ResponseCode, Transaction

OWNER_PERMISSION: Final = 0
ACTIVE_PERMISSION: Final = 2
SIGNATURE_PREFIX: Final = "Validate signature error: "
_TX_PERMISSION_MESSAGES: Final = ("Permission type is error", "Permission denied")
_WEIGHT_PERMISSION_MESSAGES: Final = ("Permission type is wrong!", "Permission denied!")


class RejectedError(Exception):
    """A broadcast is refused with ``code`` and java-tron's exact ``message``."""

    def __init__(self, code: ResponseCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SignatureFormatError(Exception):
    pass


class ComputeAddressError(Exception):
    pass


class PermissionDeniedError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Permission:
    """A ``protocol.Permission``; accounts only ever have the default owner and active ones."""

    type: int  # 0 Owner, 1 Witness, 2 Active
    threshold: int
    keys: tuple[tuple[bytes, int], ...]
    operations: bytes = b""

    def weight_of(self, address: bytes) -> int:
        for key, weight in self.keys:
            if key == address:
                return weight
        return 0

    def allows(self, contract_type: int) -> bool:
        index = contract_type // 8
        if index >= len(self.operations):
            return False
        return bool(self.operations[index] & (1 << (contract_type % 8)))

    def to_json(self) -> dict[str, Any]:
        if self.type == ACTIVE_PERMISSION:
            return views.active_permission_json(self.keys[0][0])
        return views.owner_permission_json(self.keys[0][0])


def default_permission(owner: bytes, permission_id: int) -> Permission | None:
    """``AccountCapsule.getPermissionById`` for accounts with the default permissions."""
    if permission_id == OWNER_PERMISSION:
        return Permission(OWNER_PERMISSION, 1, ((owner, 1),))
    if permission_id == ACTIVE_PERMISSION:
        return Permission(ACTIVE_PERMISSION, 1, ((owner, 1),), params.ACTIVE_DEFAULT_OPERATIONS)
    return None


def check_permission_type(
    permission: Permission, contract: Contract, messages: tuple[str, str]
) -> None:
    """Non-owner permissions must be Active and allow the contract type."""
    if contract.permission_id != OWNER_PERMISSION:
        if permission.type != ACTIVE_PERMISSION:
            raise PermissionDeniedError(messages[0])
        if not permission.allows(contract.type):
            raise PermissionDeniedError(messages[1])


def _signer_of(txid: bytes, signature: bytes) -> bytes:
    if len(signature) < params.SIGNATURE_SIZE:
        raise SignatureFormatError(f"Signature size is {len(signature)}")
    try:
        return crypto.recover_address(txid, signature)
    except crypto.SignatureError as exc:
        detail = str(exc)
        if detail.startswith("Header byte out of range"):
            raise ComputeAddressError(f"java.security.SignatureException: {detail}") from exc
        raise ComputeAddressError(
            "java.lang.IllegalArgumentException: Invalid point compression"
        ) from exc


def check_weight(
    permission: Permission, signatures: tuple[bytes, ...], txid: bytes
) -> tuple[int, list[bytes]]:
    """The summed weight of the signers and their addresses, in signature order."""
    if len(signatures) > len(permission.keys):
        raise PermissionDeniedError(
            f"Signature count is {len(signatures)} more than key counts of permission : "
            f"{len(permission.keys)}"
        )
    approved: list[bytes] = []
    total = 0
    for signature in signatures:
        signer = _signer_of(txid, signature)
        weight = permission.weight_of(signer)
        if weight == 0:
            raise PermissionDeniedError(
                f"{signature.hex()} is signed by {crypto.address_to_base58(signer)} but it "
                "is not contained of permission."
            )
        if signer in approved:
            raise PermissionDeniedError(f"{crypto.address_to_base58(signer)} has signed twice!")
        approved.append(signer)
        total += weight
    return total, approved


def check_signature(tx: Transaction, owner: bytes) -> None:
    """The broadcast's signature check; raises ``RejectedError`` (``SIGERROR``)."""

    def reject(detail: str) -> RejectedError:
        return RejectedError(ResponseCode.SIGERROR, SIGNATURE_PREFIX + detail)

    if not tx.signatures:
        raise reject("miss sig or contract")
    if len(tx.signatures) > params.MAX_SIGNATURES:
        raise reject("too many signatures")
    contract = tx.raw.contracts[0]
    # Accounts only ever have the default permissions; a missing owner gets them too.
    permission = default_permission(owner, contract.permission_id)
    if permission is None:
        raise reject("permission isn't exit")
    try:
        check_permission_type(permission, contract, _TX_PERMISSION_MESSAGES)
        weight, _ = check_weight(permission, tx.signatures, tx.txid)
    except (SignatureFormatError, ComputeAddressError, PermissionDeniedError) as exc:
        raise reject(str(exc)) from exc
    if weight < permission.threshold:
        raise reject("sig error")


def sign_weight_json(store: Store, tx: Transaction) -> dict[str, Any]:
    """``wallet/getsignweight`` minus its ``transaction`` part (``TransactionUtil``)."""
    out: dict[str, Any] = {}
    contracts = tx.raw.contracts
    if not contracts or contracts[0].value is None:
        out["result"] = {"code": "OTHER_ERROR", "message": "Invalid transaction: no valid contract"}
        return out
    contract = contracts[0]
    owner = contracts[0].value.owner_address
    result: dict[str, Any] = {}
    try:
        if store.account(owner) is None:
            raise PermissionDeniedError("Account does not exist!")
        permission = default_permission(owner, contract.permission_id)
        if permission is None:
            raise PermissionDeniedError("Permission for this, does not exist!")
        check_permission_type(permission, contract, _WEIGHT_PERMISSION_MESSAGES)
        out["permission"] = permission.to_json()
        weight = 0
        if tx.signatures:
            weight, approved = check_weight(permission, tx.signatures, tx.txid)
            out["approved_list"] = approved
            if weight:
                out["current_weight"] = weight
        if weight < permission.threshold:
            result = {"code": "NOT_ENOUGH_PERMISSION"}
    except SignatureFormatError as exc:
        result = {"code": "SIGNATURE_FORMAT_ERROR", "message": str(exc)}
    except ComputeAddressError as exc:
        result = {"code": "COMPUTE_ADDRESS_ERROR", "message": str(exc)}
    except PermissionDeniedError as exc:
        result = {"code": "PERMISSION_ERROR", "message": str(exc)}
    out["result"] = result
    return out


PERMISSION_EXCEPTION: Final = "class org.tron.core.exception.PermissionException"
ILLEGAL_ARGUMENT: Final = "class java.lang.IllegalArgumentException"


def approved_list_json(store: Store, tx: Transaction) -> dict[str, Any]:
    """``wallet/getapprovedlist`` minus its ``transaction`` part (``Wallet
    .getTransactionApprovedList``): the signers' addresses, in signature order."""
    contracts = tx.raw.contracts
    if not contracts or contracts[0].value is None:
        return {
            "result": {"code": "OTHER_ERROR", "message": "Invalid transaction: no valid contract"}
        }
    if store.account(contracts[0].value.owner_address) is None:
        message = f"{PERMISSION_EXCEPTION} : Account does not exist!"
        return {"result": {"code": "OTHER_ERROR", "message": message}}
    approved: list[bytes] = []
    for signature in tx.signatures:
        try:
            approved.append(_signer_of(tx.txid, signature))
        except SignatureFormatError as exc:
            return {"result": {"code": "SIGNATURE_FORMAT_ERROR", "message": str(exc)}}
        except ComputeAddressError as exc:
            detail = str(exc)
            if detail.startswith("java.security.SignatureException: "):
                message = detail.removeprefix("java.security.SignatureException: ")
                return {"result": {"code": "COMPUTE_ADDRESS_ERROR", "message": message}}
            message = f"{ILLEGAL_ARGUMENT} : Invalid point compression"
            return {"result": {"code": "OTHER_ERROR", "message": message}}
    out: dict[str, Any] = {}
    if approved:
        out["approved_list"] = approved
    out["result"] = {}
    return out
