"""Position writes: declare, change, request unstake — attributed, validated against the
chain, and followed by a wake-up of the controller for the owner.

Every write is a compare-and-set without a lease (the controller writes status under its
lease; a lost race is re-read and re-applied). Each spec change appends an entry to the
position's history naming the subject (``trigger`` ``spec_declared``, ``spec_changed`` or
``unstake_requested``, ``from`` = ``to`` = the current state). Nothing here sends a
transaction: the controller converges the chain to the stored spec.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import anyio

from tron_staking.api import problems, responses, views
from tron_staking.api.auth import Principal
from tron_staking.api.context import ApiContext
from tron_staking.domain import ids
from tron_staking.domain.conditions import ConditionUpdate
from tron_staking.domain.enums import ConditionType
from tron_staking.domain.position import Position
from tron_staking.domain.spec import PositionSpec
from tron_staking.errors import ConflictError, DuplicateKeyError, VersionConflictError
from tron_staking.store.records import StoredResponse

_CAS_ATTEMPTS = 5
_REPLAY_WAIT_S = 0.1
_REPLAY_ATTEMPTS = 20
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
Render = Callable[[Position], Awaitable[str]]
"""Builds the response body of a stored position."""
_SPEC_KEYS = ("votes", "delegate", "auto_claim", "labels", "generation", "unstake_requested")


def request_hash(method: str, path: str, document: Any) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def keyed_position_id(subject: str, key: str) -> ids.PositionId:
    """The id a create with idempotency ``key`` gets: two concurrent creates with one key
    collide on it, so exactly one position is stored."""
    number = int.from_bytes(hashlib.sha256(f"{subject}\0{key}".encode()).digest(), "big")
    body = ""
    for _ in range(22):
        number, digit = divmod(number, 62)
        body += _ALPHABET[digit]
    return ids.parse_position_id(ids.POSITION_PREFIX + body)


async def check_with_chain(ctx: ApiContext, spec: PositionSpec) -> tuple[ConditionUpdate, ...]:
    """422 for a vote for an address that is not a current witness; a ``Stalled``
    ``ReceiverNotActivated`` condition for a receiver that does not exist yet. Raises
    ChainUnavailableError / RateLimitedError when the chain cannot be read."""
    if spec.votes:
        witnesses = {w.address for w in await ctx.deps.chain.list_witnesses()}
        for index, vote in enumerate(spec.votes):
            if vote.witness not in witnesses:
                raise problems.invalid(
                    f"{vote.witness} is not a witness of the chain",
                    ["body", "votes", index, "witness"],
                )
    if spec.delegate is None:
        return ()
    receiver = spec.delegate.receiver
    snapshot = await ctx.deps.chain.observe(spec.owner, [receiver])
    if snapshot.receivers_activated.get(receiver, True):
        return ()
    return (
        ConditionUpdate.true(
            ConditionType.STALLED,
            "ReceiverNotActivated",
            f"the receiver {receiver} is not activated; the delegation waits until it is",
        ),
    )


async def _history(
    ctx: ApiContext,
    position: Position,
    trigger: str,
    reason: str,
    principal: Principal,
    *,
    first: bool = False,
) -> None:
    await ctx.deps.store.transitions.append(
        position.id,
        {
            "from": position.state.value,
            "to": position.state.value,
            "trigger": trigger,
            "reason": reason,
            "txid": None,
            "block": None,
            "generation": position.generation,
            "subject": principal.subject,
        },
        first=first,
    )


async def _wake(ctx: ApiContext, owner: str) -> None:
    await ctx.views.invalidate(owner)
    await ctx.deps.cache.publish_wake(owner)


async def declare(
    ctx: ApiContext,
    principal: Principal,
    spec: PositionSpec,
    render: Render,
    idempotency: tuple[str, str] | None,
) -> StoredResponse:
    """Store a new position and return the response to send (201). ``idempotency`` is
    ``(key, request hash)``: a replay returns the first response; the key with another
    body is a 409. ``render(position) -> str`` builds the response body."""
    idem = ctx.deps.store.idempotency
    if idempotency is not None:
        key, digest = idempotency
        stored = await idem.lookup(key, principal.subject, digest)
        if stored is not None:
            return stored
    updates = await check_with_chain(ctx, spec)
    now = stored_time(ctx.deps.clock.now())
    position_id = None if idempotency is None else keyed_position_id(principal.subject, key)
    position = Position.new(spec, created_by=principal.subject, at=now, position_id=position_id)
    if updates:
        position = position.with_conditions(updates, at=now)
    try:
        document = await ctx.deps.store.positions.insert(position.for_storage())
    except DuplicateKeyError:
        if idempotency is None:
            raise
        return await _existing_response(ctx, principal, spec, render, idempotency, position.id)
    created = position.with_version(int(document["version"]))
    await _history(ctx, created, "spec_declared", "declared through the API", principal, first=True)
    # A position stored just now has no operation yet: its response lists none (not read).
    body = responses.body_of(views.position_out(created, ()))
    response = StoredResponse(status_code=201, body=body)
    if idempotency is not None:
        response = await idem.put_if_absent(key, principal.subject, digest, response)
    await _wake(ctx, spec.owner)
    return response


async def _existing_response(
    ctx: ApiContext,
    principal: Principal,
    spec: PositionSpec,
    render: Render,
    idempotency: tuple[str, str],
    position_id: ids.PositionId,
) -> StoredResponse:
    """A create with the same key stored the position first (concurrently, or before a crash
    lost its response): answer with that position, stored as the key's response unless one
    already is. ConflictError (409) when that position declares another spec."""
    key, digest = idempotency
    idem = ctx.deps.store.idempotency
    for _ in range(_REPLAY_ATTEMPTS):
        # Most often the first request is about to store its response: wait for it, so
        # that one writer stores the key.
        stored = await idem.lookup(key, principal.subject, digest)
        if stored is not None:
            return stored
        await anyio.sleep(_REPLAY_WAIT_S)
    position = Position.from_storage(await ctx.deps.store.positions.get(position_id))  # type: ignore[arg-type]
    if position.spec != spec or position.created_by != principal.subject:
        raise ConflictError(f"idempotency key {key!r} was already used with a different request")
    response = StoredResponse(status_code=201, body=await render(position))
    return await idem.put_if_absent(key, principal.subject, digest, response)


def stored_time(at: dt.datetime) -> dt.datetime:
    """``at`` at the millisecond precision MongoDB stores, so a response built before the
    write says what a later read says."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


def _generation_of(if_match: str) -> int | None:
    text = if_match.strip().removeprefix("W/").strip('"')
    return int(text) if text.isdigit() else None


async def change(
    ctx: ApiContext,
    principal: Principal,
    position_id: str,
    edit: Callable[[Position], Position],
    *,
    if_match: str | None = None,
    unstake: bool = False,
) -> Position:
    """Apply ``edit(position) -> Position`` (a spec change, or the unstake request) with a
    compare-and-set, retrying lost races; 412 when ``if_match`` names another generation.
    Returns the position as stored."""
    for _ in range(_CAS_ATTEMPTS):
        position = await ctx.position(position_id)
        await ctx.count_write(principal, position.owner)
        if if_match is not None and _generation_of(if_match) != position.generation:
            raise problems.Problem(
                412, f"the position is at generation {position.generation}", kind="stale"
            )
        edited = edit(position)
        if edited is position:
            return position
        if not unstake:
            updates = await check_with_chain(ctx, edited.spec)
            edited = edited.with_conditions(updates, at=ctx.deps.clock.now())
        try:
            stored = await ctx.deps.store.positions.update(
                position.id, position.version, _changes(edited)
            )
        except VersionConflictError:
            continue
        result = Position.from_storage(stored)  # type: ignore[arg-type]
        trigger = "unstake_requested" if unstake else "spec_changed"
        await _history(ctx, result, trigger, "changed through the API", principal)
        await _wake(ctx, result.owner)
        return result
    raise ConflictError("the position kept changing; read it again and retry")


def _changes(position: Position) -> Mapping[str, Any]:
    raw = position.for_storage()
    keys = (*_SPEC_KEYS, "updated_at", "next_reconcile_at", "conditions")
    return {key: raw[key] for key in keys}  # type: ignore[literal-required]
