"""The index specs and ensure_indexes() against a real MongoDB-protocol server."""

from __future__ import annotations

import datetime as dt

import pytest

from tron_staking.errors import DuplicateKeyError, PermanentError
from tron_staking.store import indexes, names
from tron_staking.store.client import MongoStore
from tron_staking.store.signing_keys import RawSigningKey

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


async def test_every_collection_of_the_product_has_its_indexes(store: MongoStore) -> None:
    assert set(indexes.INDEXES) == set(names.ALL)
    for collection, specs in indexes.INDEXES.items():
        information = await store.database[collection].index_information()
        assert {spec.name for spec in specs} <= set(information), collection


async def test_ensure_indexes_is_idempotent(store: MongoStore) -> None:
    # The fixture ran it once already.
    before = {c: await store.database[c].index_information() for c in names.ALL}

    reports = await store.ensure_indexes()

    assert {report.action for report in reports} == {"present"}
    assert len(reports) == sum(len(specs) for specs in indexes.INDEXES.values())
    after = {c: await store.database[c].index_information() for c in names.ALL}
    assert after == before


async def test_ensure_indexes_reports_what_it_created(store: MongoStore) -> None:
    await store.database[names.SIGNING_KEYS].drop_index("address_unique")

    reports = await store.ensure_indexes()

    created = [(r.collection, r.index) for r in reports if r.action == "created"]
    assert created == [(names.SIGNING_KEYS, "address_unique")]


async def test_idempotency_keys_expire_after_a_day(store: MongoStore) -> None:
    information = await store.database[names.IDEMPOTENCY_KEYS].index_information()

    ttl = information["created_at_ttl"]
    assert [tuple(pair) for pair in ttl["key"]] == [("created_at", 1)]
    assert ttl["expireAfterSeconds"] == 86400
    unique = information["key_subject_unique"]
    assert unique["unique"] is True
    assert [field for field, _ in unique["key"]] == ["key", "subject"]


async def test_an_index_in_the_way_is_reported_not_dropped(store: MongoStore) -> None:
    collection = store.database[names.CONTROLLER_LEASES]
    await collection.drop_index("holder")
    await collection.create_index([("holder", -1)], name="holder")

    with pytest.raises(PermanentError, match="holder of controller_leases"):
        await store.ensure_indexes()
    assert "holder" in await collection.index_information()


async def test_operations_are_unique_per_txid_but_may_lack_one(store: MongoStore) -> None:
    await store.operations.insert({"id": "op_1", "owner": "TA", "state": "planned"})
    await store.operations.insert({"id": "op_2", "owner": "TA", "state": "planned", "txid": None})
    await store.operations.insert({"id": "op_3", "owner": "TA", "txid": None})
    await store.operations.insert({"id": "op_4", "owner": "TA", "txid": "ab" * 32})

    with pytest.raises(DuplicateKeyError, match="txid"):
        await store.operations.insert({"id": "op_5", "owner": "TA", "txid": "ab" * 32})


async def test_positions_are_unique_per_id(store: MongoStore) -> None:
    await store.positions.insert({"id": "pos_1", "owner": "TA"})

    with pytest.raises(DuplicateKeyError, match="id"):
        await store.positions.insert({"id": "pos_1", "owner": "TB"})


async def test_one_signing_key_per_address(store: MongoStore) -> None:
    record: RawSigningKey = {
        "address": "TA",
        "algorithm": "AES-256-GCM",
        "kek_id": "k1",
        "nonce": b"\x00" * 12,
        "ciphertext": b"\x01" * 48,
        "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    }
    await store.signing_keys.put(record)

    with pytest.raises(DuplicateKeyError, match="address"):
        await store.signing_keys.put(record)


async def test_one_transition_per_position_and_seq(store: MongoStore) -> None:
    collection = store.database[names.STATE_TRANSITIONS]
    await collection.insert_one({"position_id": "pos_1", "seq": 1})

    with pytest.raises(Exception, match="duplicate key"):
        await collection.insert_one({"position_id": "pos_1", "seq": 1})
    await collection.insert_one({"position_id": "pos_2", "seq": 1})
