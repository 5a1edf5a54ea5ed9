"""The error hierarchy of tron-staking, sorted by what the caller does with an error.

Adapters (``chain``, ``store``, ``cache``, ``signer``) catch their driver's exceptions and
raise one of these ``from exc``; nothing above the adapters ever sees a driver exception.
The controller retries ``TransientError`` after ``retry_after_s``, turns ``PermanentError``
into a position condition, and re-reads state on ``ConflictError``. The API maps each class
to a problem+json status.

::

    StakingError                      root; never raised directly
    ├── ConfigurationError            bad settings: the CLI prints one line and exits 2
    ├── TransientError                may succeed later; carries retry_after_s
    │   ├── StoreUnavailableError     MongoDB cannot be reached or timed out
    │   ├── CacheUnavailableError     Redis cannot be reached (callers treat as a miss)
    │   ├── ChainUnavailableError     the node cannot be reached, timed out or answered 5xx
    │   │   └── ChainAmbiguousError   the request was sent but its answer was lost: it may
    │   │                             have taken effect (re-send the same bytes or look it up)
    │   └── RateLimitedError          a quota was hit (429 from the node, our own limiter)
    ├── PermanentError                retrying the same thing will fail the same way
    │   ├── ValidationError           input breaks a rule of the domain (address, amount, ...)
    │   ├── NotFoundError             the record asked for does not exist
    │   ├── InvalidTransitionError    a state machine refused a trigger in the current state
    │   ├── ChainRejectedError        the node rejected a transaction (code + decoded message)
    │   ├── ChainProtocolError        the node's answer contradicts the protocol (a txid we
    │   │                             cannot reproduce, a contract other than the one asked)
    │   └── SigningKeyError           no key for the owner, or the key cannot be decrypted
    │       ├── SigningKeyMissingError    no key is stored for the owner (a Stalled condition)
    │       └── SigningKeyUnreadableError the stored key does not decrypt (wrong KEK, tampering)
    └── ConflictError                 someone else changed it first
        ├── VersionConflictError      compare-and-set on ``version`` lost a race
        ├── DuplicateKeyError         a unique index refused the write
        └── LeaseLostError            the owner's lease is held by another replica / fenced
"""

from __future__ import annotations


class StakingError(Exception):
    """Root of every error raised by tron-staking."""


class ConfigurationError(StakingError):
    """Settings are invalid; the message names the variable and is fit for one CLI line."""


class TransientError(StakingError):
    """A failure that may go away: retry after ``retry_after_s`` seconds."""

    def __init__(self, message: str, *, retry_after_s: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class StoreUnavailableError(TransientError):
    """MongoDB could not be reached or did not answer in time."""


class CacheUnavailableError(TransientError):
    """Redis could not be reached; cache users treat this as a miss."""


class ChainUnavailableError(TransientError):
    """The TRON node could not be reached, timed out, or answered with a server error."""


class ChainAmbiguousError(ChainUnavailableError):
    """The request reached the node (or may have) but no usable answer came back: a read
    timeout, a connection closed mid-answer, a gateway error. A transaction sent this way may
    be in the node's pool: only a re-send of the same bytes or a look-up is safe."""


class RateLimitedError(TransientError):
    """A request quota was exhausted; ``retry_after_s`` says when to try again."""


class PermanentError(StakingError):
    """Retrying the same request will fail the same way; report it, do not loop on it."""


class ValidationError(PermanentError):
    """Input breaks a domain rule. ``field`` names the offending input when known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFoundError(PermanentError):
    """The requested record does not exist."""


class InvalidTransitionError(PermanentError):
    """A state machine has no transition for ``trigger`` from ``state``."""

    def __init__(self, machine: str, state: str, trigger: str) -> None:
        super().__init__(f"{machine}: trigger {trigger!r} is not allowed in state {state!r}")
        self.machine = machine
        self.state = state
        self.trigger = trigger


class ChainRejectedError(PermanentError):
    """The node refused a transaction; ``code`` is TRON's response code, ``message`` decoded."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.reason = message


class ChainProtocolError(PermanentError):
    """The node answered something we must not act on: a built transaction whose txid our
    own encoding does not reproduce, or whose contract is not the one asked for."""


class SigningKeyError(PermanentError):
    """No signing key is stored for the owner, or it cannot be decrypted."""


class SigningKeyMissingError(SigningKeyError):
    """No signing key is stored for the owner: the position waits with ``NoSigningKey``."""


class SigningKeyUnreadableError(SigningKeyError):
    """The stored key does not decrypt: the KEK is wrong or the record was tampered with."""


class ConflictError(StakingError):
    """Another writer got there first: re-read and decide again."""


class VersionConflictError(ConflictError):
    """A compare-and-set on ``version`` found a different version."""


class DuplicateKeyError(ConflictError):
    """A unique index refused the write."""


class LeaseLostError(ConflictError):
    """The lease is held by someone else, or our fencing token is stale."""
