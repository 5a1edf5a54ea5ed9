"""Translation of PyMongo and BSON errors into the errors of :mod:`tron_staking.errors`.

Every repository wraps its driver calls in :func:`driver_errors`, so nothing above the store
sees a pymongo exception. The rules, in order:

* a unique index refusing a write (code 11000), alone or as the first error of a bulk write
  → DuplicateKeyError
* connection failures, server selection, operation and write-concern timeouts, errors that
  carry a ``RetryableWriteError`` / ``TransientTransactionError`` label, and the server codes
  that the drivers' retryable-writes rules treat as retryable (shutdown, step-down, network)
  → StoreUnavailableError (retry later)
* a bulk write whose only failure is its write concern → as that write concern error
* a document BSON cannot encode (an unencodable type, an int beyond 64 bits) and anything
  else the server or the driver refuses → PermanentError (a bug or a schema mismatch)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import bson.errors
import pymongo.errors

from tron_staking.errors import (
    DuplicateKeyError,
    PermanentError,
    StakingError,
    StoreUnavailableError,
)

_DUPLICATE_KEY = 11000
_TRANSIENT_LABELS = ("RetryableWriteError", "TransientTransactionError")
# HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
# ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown,
# InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary,
# WriteConflict, LockTimeout, StaleShardVersion, StaleEpoch, MaxTimeMSExpired.
_RETRYABLE_CODES = frozenset(
    {6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436, 112, 24, 63, 150, 50}
)


def summarize(exc: BaseException) -> str:
    """One short line describing a driver error (no topology dump, no newline)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for noise in (" (configured timeouts", ", Timeout:", ", full error:"):
        text = text.split(noise, 1)[0]
    return text[:240]


def _describe_duplicate(details: object) -> str:
    if isinstance(details, Mapping):
        pattern = details.get("keyPattern")
        value = details.get("keyValue")
        if pattern is not None:
            return f"duplicate key {value} for unique index on {list(dict(pattern))}"
    return "duplicate key"


def _is_wtimeout(error: Mapping[str, Any]) -> bool:
    info = error.get("errInfo")
    return error.get("code") == 50 or (isinstance(info, Mapping) and bool(info.get("wtimeout")))


def _bulk(action: str, exc: pymongo.errors.BulkWriteError) -> StakingError:
    details: Mapping[str, Any] = exc.details if isinstance(exc.details, Mapping) else {}
    write_errors = details.get("writeErrors") or []
    concern_errors = details.get("writeConcernErrors") or []
    if write_errors:
        first = write_errors[0]
        if first.get("code") == _DUPLICATE_KEY:
            return DuplicateKeyError(f"{action}: {_describe_duplicate(first)}")
        return PermanentError(
            f"{action}: MongoDB refused write {first.get('index')} of the batch "
            f"(code {first.get('code')}): {str(first.get('errmsg', ''))[:200]}"
        )
    if concern_errors and _is_wtimeout(concern_errors[0]):
        return StoreUnavailableError(f"{action}: write concern timed out")
    return PermanentError(f"{action}: MongoDB refused the write: {summarize(exc)}")


def _transient(exc: pymongo.errors.PyMongoError) -> bool:
    if any(exc.has_error_label(label) for label in _TRANSIENT_LABELS):
        return True
    if isinstance(exc, pymongo.errors.OperationFailure):
        return exc.code in _RETRYABLE_CODES
    return isinstance(exc, pymongo.errors.ConnectionFailure | pymongo.errors.ExecutionTimeout)


def translate(action: str, exc: pymongo.errors.PyMongoError) -> StakingError:
    """Our error for the driver error ``exc`` raised while doing ``action`` (rules above)."""
    if isinstance(exc, pymongo.errors.BulkWriteError):
        return _bulk(action, exc)
    if isinstance(exc, pymongo.errors.DuplicateKeyError) or (
        isinstance(exc, pymongo.errors.OperationFailure) and exc.code == _DUPLICATE_KEY
    ):
        return DuplicateKeyError(f"{action}: {_describe_duplicate(exc.details)}")
    if isinstance(exc, pymongo.errors.WTimeoutError):
        return StoreUnavailableError(f"{action}: write concern timed out")
    if _transient(exc):
        return StoreUnavailableError(f"{action}: MongoDB unavailable: {summarize(exc)}")
    if isinstance(exc, pymongo.errors.OperationFailure):
        return PermanentError(
            f"{action}: MongoDB refused the operation (code {exc.code}): {summarize(exc)}"
        )
    return PermanentError(f"{action}: {type(exc).__name__}: {summarize(exc)}")


@contextlib.contextmanager
def driver_errors(action: str) -> Iterator[None]:
    """Run the body and re-raise any pymongo or BSON error as ours ``from`` it.

    ``action`` names what was attempted (``"insert staking_records"``) and starts the message.
    Only driver calls belong in the body: an OverflowError there is BSON refusing an int that
    does not fit in 64 bits.
    """
    try:
        yield
    except pymongo.errors.PyMongoError as exc:
        raise translate(action, exc) from exc
    except (bson.errors.BSONError, OverflowError) as exc:
        raise PermanentError(f"{action}: document cannot be stored: {summarize(exc)}") from exc
