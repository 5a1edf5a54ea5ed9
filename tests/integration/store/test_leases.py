"""Contract of the lease store (fencing tokens, expiry, takeover) on a real server."""

from __future__ import annotations

import datetime as dt

import anyio
import pytest

from tests.support.clock import ManualClock
from tron_staking.errors import ConflictError, LeaseLostError
from tron_staking.store.client import MongoStore
from tron_staking.store.records import Lease

pytestmark = [pytest.mark.anyio, pytest.mark.integration]

OWNER = "TOwnerAddress"


async def test_acquire_gives_a_lease_with_the_first_token(
    store: MongoStore, clock: ManualClock
) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=30)

    expires_at = clock.now() + dt.timedelta(seconds=30)
    assert lease == Lease(owner=OWNER, holder="replica-a", token=1, expires_at=expires_at)
    assert await store.leases.get(OWNER) == lease


async def test_renew_keeps_the_token_and_moves_the_expiry(
    store: MongoStore, clock: ManualClock
) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=30)
    clock.advance(20)

    renewed = await store.leases.renew(lease, ttl_s=30)

    assert renewed.token == lease.token
    assert renewed.expires_at > lease.expires_at
    await store.leases.ensure_held(renewed)


async def test_another_holder_cannot_take_an_unexpired_lease(
    store: MongoStore, clock: ManualClock
) -> None:
    await store.leases.acquire(OWNER, "replica-a", ttl_s=30)
    clock.advance(29)

    with pytest.raises(LeaseLostError) as caught:
        await store.leases.acquire(OWNER, "replica-b", ttl_s=30)
    assert isinstance(caught.value, ConflictError)


async def test_takeover_after_expiry_fences_the_old_holder_out(
    store: MongoStore, clock: ManualClock
) -> None:
    old = await store.leases.acquire(OWNER, "replica-a", ttl_s=30)
    clock.advance(31)

    new = await store.leases.acquire(OWNER, "replica-b", ttl_s=30)

    assert new.holder == "replica-b"
    assert new.token > old.token
    with pytest.raises(LeaseLostError):
        await store.leases.renew(old, ttl_s=30)
    with pytest.raises(LeaseLostError):
        await store.leases.ensure_held(old)
    assert await store.leases.release(old) is False
    assert await store.leases.get(OWNER) == new


async def test_an_expired_lease_nobody_took_can_still_be_renewed(
    store: MongoStore, clock: ManualClock
) -> None:
    lease = await store.leases.acquire(OWNER, "replica-a", ttl_s=30)
    clock.advance(45)
    with pytest.raises(LeaseLostError):
        await store.leases.ensure_held(lease)

    renewed = await store.leases.renew(lease, ttl_s=30)

    assert renewed.token == lease.token
    await store.leases.ensure_held(renewed)


async def test_release_frees_the_owner_and_the_token_keeps_growing(
    store: MongoStore, clock: ManualClock
) -> None:
    first = await store.leases.acquire(OWNER, "replica-a", ttl_s=30)

    assert await store.leases.release(first) is True
    assert await store.leases.get(OWNER) is None
    second = await store.leases.acquire(OWNER, "replica-b", ttl_s=30)
    third = await store.leases.acquire(OWNER, "replica-b", ttl_s=30)

    assert [first.token, second.token, third.token] == [1, 2, 3]
    with pytest.raises(LeaseLostError):
        await store.leases.renew(second, ttl_s=30)


async def test_leases_of_different_owners_are_independent(
    store: MongoStore, clock: ManualClock
) -> None:
    a = await store.leases.acquire("TOwnerA", "replica-a", ttl_s=30)
    b = await store.leases.acquire("TOwnerB", "replica-b", ttl_s=30)
    c = await store.leases.acquire("TOwnerC", "replica-a", ttl_s=30)

    assert (a.token, b.token, c.token) == (1, 1, 1)
    assert await store.leases.held_by("replica-a") == [a, c]
    clock.advance(31)
    assert await store.leases.held_by("replica-a") == []


async def test_concurrent_acquisitions_have_exactly_one_winner(store: MongoStore) -> None:
    winners: list[Lease] = []
    losers: list[str] = []

    async def contend(holder: str) -> None:
        try:
            winners.append(await store.leases.acquire(OWNER, holder, ttl_s=30))
        except LeaseLostError:
            losers.append(holder)

    async with anyio.create_task_group() as tg:
        for number in range(8):
            tg.start_soon(contend, f"replica-{number}")

    assert len(winners) == 1
    assert len(losers) == 7
    assert winners[0].token == 1


async def test_ttl_must_be_positive(store: MongoStore) -> None:
    with pytest.raises(ValueError, match="ttl_s"):
        await store.leases.acquire(OWNER, "replica-a", ttl_s=0)
