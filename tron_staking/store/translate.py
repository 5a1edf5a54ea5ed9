"""Translation of PyMongo errors into the errors of :mod:`tron_staking.errors`.

Every repository wraps its driver calls in :func:`driver_errors`, so nothing above the store
sees a pymongo exception:

* connection failures, timeouts, server selection, retryable labels → StoreUnavailableError
* a unique index refusing a write → DuplicateKeyError
* anything else the server refuses → PermanentError (a bug or a schema mismatch, not a retry)
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import bson.errors
import pymongo.errors

from tron_staking.errors import DuplicateKeyError, PermanentError, StoreUnavailableError

_DUPLICATE_KEY = 11000
_TRANSIENT_LABELS = ("RetryableWriteError", "TransientTransactionError")


def summarize(exc: BaseException) -> str:
    """One short line describing a driver error (no topology dump, no newline)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    for noise in (" (configured timeouts", ", Timeout:", ", full error:"):
        text = text.split(noise, 1)[0]
    return text[:240]


def _describe_duplicate(details: object) -> str:
    if isinstance(details, dict):
        pattern = details.get("keyPattern")
        value = details.get("keyValue")
        if pattern is not None:
            return f"duplicate key {value} for unique index on {list(dict(pattern))}"
    return "duplicate key"


@contextlib.contextmanager
def driver_errors(action: str) -> Iterator[None]:
    """Run the body and re-raise any pymongo error as ours ``from`` it.

    ``action`` names what was attempted (``"insert staking_records"``) and starts the message.
    """
    try:
        yield
    except pymongo.errors.DuplicateKeyError as exc:
        raise DuplicateKeyError(f"{action}: {_describe_duplicate(exc.details)}") from exc
    except pymongo.errors.BulkWriteError as exc:
        errors = exc.details.get("writeErrors", []) if isinstance(exc.details, dict) else []
        if errors and errors[0].get("code") == _DUPLICATE_KEY:
            raise DuplicateKeyError(f"{action}: {_describe_duplicate(errors[0])}") from exc
        raise PermanentError(f"{action}: MongoDB refused the write: {summarize(exc)}") from exc
    except (pymongo.errors.ConnectionFailure, pymongo.errors.ExecutionTimeout) as exc:
        raise StoreUnavailableError(f"{action}: MongoDB unavailable: {summarize(exc)}") from exc
    except pymongo.errors.WTimeoutError as exc:
        raise StoreUnavailableError(f"{action}: write concern timed out") from exc
    except pymongo.errors.OperationFailure as exc:
        if exc.code == _DUPLICATE_KEY:
            raise DuplicateKeyError(f"{action}: {_describe_duplicate(exc.details)}") from exc
        if any(exc.has_error_label(label) for label in _TRANSIENT_LABELS):
            raise StoreUnavailableError(f"{action}: {summarize(exc)}") from exc
        raise PermanentError(
            f"{action}: MongoDB refused the operation (code {exc.code}): {summarize(exc)}"
        ) from exc
    except pymongo.errors.PyMongoError as exc:
        raise StoreUnavailableError(f"{action}: {summarize(exc)}") from exc
    except bson.errors.BSONError as exc:
        raise PermanentError(f"{action}: document cannot be stored: {summarize(exc)}") from exc
