"""Driver errors become ours: each case is a real error from a real server (SecantusDB with
mongod's ``failCommand`` failpoint enabled) or a real BSON encoding failure in the driver."""

from __future__ import annotations

import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from pymongo import AsyncMongoClient, InsertOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.write_concern import WriteConcern

from tests.support import servers
from tron_staking.errors import (
    DuplicateKeyError,
    PermanentError,
    StoreUnavailableError,
    TransientError,
)
from tron_staking.store import translate
from tron_staking.store.records import Document

pytestmark = [pytest.mark.anyio, pytest.mark.integration]


def _answers(url: str) -> bool:
    client: pymongo.MongoClient[Document] = pymongo.MongoClient(
        url, serverSelectionTimeoutMS=500, connectTimeoutMS=500
    )
    try:
        client.admin.command("ping")
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()
    return True


@pytest.fixture(scope="module")
def failpoint_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SecantusDB of this module with test commands (``configureFailPoint``) enabled."""
    workdir: Path = tmp_path_factory.mktemp("secantus-failpoints")

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            *("-m", "secantus", "--host", "127.0.0.1", "--port", str(port)),
            *("--storage-path", str(workdir / "data"), "--log-level", "WARNING"),
            "--enable-test-commands",
        ]

    server = servers.ServerProcess(
        "secantus-failpoints",
        command,
        lambda port: f"mongodb://127.0.0.1:{port}",
        _answers,
        workdir,
    )
    with servers.running(server) as running:
        yield running.url


@pytest.fixture
async def collection(failpoint_url: str) -> AsyncIterator[AsyncCollection[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(failpoint_url, tz_aware=True)
    database = client[f"test_{uuid.uuid4().hex[:12]}"]
    try:
        yield database["things"]
    finally:
        await client.admin.command({"configureFailPoint": "failCommand", "mode": "off"})
        await client.drop_database(database.name)
        await client.close()


async def _fail_next(
    collection: AsyncCollection[Document], commands: list[str], data: dict[str, Any], times: int
) -> None:
    await collection.database.client.admin.command(
        {
            "configureFailPoint": "failCommand",
            "mode": {"times": times},
            "data": {"failCommands": commands, **data},
        }
    )


async def test_a_duplicate_key_in_a_bulk_write_is_a_duplicate(
    collection: AsyncCollection[Document],
) -> None:
    await collection.create_index("name", unique=True)

    with (
        pytest.raises(DuplicateKeyError, match="name") as caught,
        translate.driver_errors("insert things"),
    ):
        await collection.insert_many([{"name": "a"}, {"name": "a"}])

    assert isinstance(caught.value.__cause__, pymongo.errors.BulkWriteError)


async def test_another_bulk_write_error_is_permanent_and_names_the_write(
    collection: AsyncCollection[Document],
) -> None:
    await collection.database.create_collection(
        "checked", validator={"$jsonSchema": {"required": ["name"]}}
    )
    checked = collection.database["checked"]

    with (
        pytest.raises(PermanentError, match="write 1 of the batch") as caught,
        translate.driver_errors("insert checked"),
    ):
        await checked.bulk_write([InsertOne({"name": "a"}), InsertOne({"other": 1})])

    assert not isinstance(caught.value, TransientError)
    assert isinstance(caught.value.__cause__, pymongo.errors.BulkWriteError)


async def test_a_write_concern_timeout_is_transient(collection: AsyncCollection[Document]) -> None:
    timeout = {
        "code": 64,
        "errmsg": "waiting for replication timed out",
        "errInfo": {"wtimeout": True},
    }
    await _fail_next(collection, ["insert"], {"writeConcernError": timeout}, times=1)

    with (
        pytest.raises(StoreUnavailableError, match="write concern timed out") as caught,
        translate.driver_errors("insert things"),
    ):
        await collection.insert_one({"name": "a"})

    assert isinstance(caught.value.__cause__, pymongo.errors.WTimeoutError)


async def test_a_write_concern_timeout_in_a_bulk_write_is_transient(
    collection: AsyncCollection[Document],
) -> None:
    timeout = {
        "code": 64,
        "errmsg": "waiting for replication timed out",
        "errInfo": {"wtimeout": True},
    }
    await _fail_next(collection, ["insert"], {"writeConcernError": timeout}, times=1)
    majority = collection.with_options(write_concern=WriteConcern(w="majority", wtimeout=100))

    with (
        pytest.raises(StoreUnavailableError, match="write concern timed out") as caught,
        translate.driver_errors("insert things"),
    ):
        await majority.bulk_write([InsertOne({"name": "a"}), InsertOne({"name": "b"})])

    assert isinstance(caught.value.__cause__, pymongo.errors.BulkWriteError)


async def test_an_unsatisfiable_write_concern_is_permanent(
    collection: AsyncCollection[Document],
) -> None:
    unsatisfiable = {"code": 100, "errmsg": "Not enough data-bearing nodes"}
    await _fail_next(collection, ["insert"], {"writeConcernError": unsatisfiable}, times=1)

    with (
        pytest.raises(PermanentError) as caught,
        translate.driver_errors("insert things"),
    ):
        await collection.insert_one({"name": "a"})

    assert isinstance(caught.value.__cause__, pymongo.errors.WriteConcernError)


@pytest.mark.parametrize("label", ["RetryableWriteError", "TransientTransactionError"])
async def test_a_transient_label_makes_any_code_transient(
    collection: AsyncCollection[Document], label: str
) -> None:
    # BadValue (2) alone is permanent; the label is what makes it a retry.
    await _fail_next(collection, ["find"], {"errorCode": 2, "errorLabels": [label]}, times=1)

    with (
        pytest.raises(StoreUnavailableError) as caught,
        translate.driver_errors("read things"),
    ):
        await collection.find_one({})

    assert isinstance(caught.value.__cause__, pymongo.errors.OperationFailure)
    assert caught.value.__cause__.has_error_label(label)


async def test_an_unlabelled_refusal_is_permanent(collection: AsyncCollection[Document]) -> None:
    await _fail_next(collection, ["find"], {"errorCode": 2}, times=1)

    with (
        pytest.raises(PermanentError, match="code 2"),
        translate.driver_errors("read things"),
    ):
        await collection.find_one({})


@pytest.mark.parametrize("code", [91, 11600, 112])
async def test_retryable_codes_are_transient_even_after_the_drivers_own_retry(
    collection: AsyncCollection[Document], code: int
) -> None:
    # Two failures: the driver retries a retryable write once, then gives up.
    await _fail_next(collection, ["insert"], {"errorCode": code}, times=2)

    with (
        pytest.raises(StoreUnavailableError),
        translate.driver_errors("insert things"),
    ):
        await collection.insert_one({"name": "a"})


async def test_an_operation_that_exceeded_its_time_limit_is_transient(
    collection: AsyncCollection[Document],
) -> None:
    await _fail_next(collection, ["find"], {"errorCode": 50}, times=1)

    with (
        pytest.raises(StoreUnavailableError) as caught,
        translate.driver_errors("read things"),
    ):
        await collection.find_one({})

    assert isinstance(caught.value.__cause__, pymongo.errors.OperationFailure)
    assert caught.value.__cause__.code == 50


@pytest.mark.parametrize(
    "document",
    [{"amount_sun": 2**63}, {"amount_sun": -(2**63) - 1}, {"value": object()}, {"value": {1, 2}}],
    ids=["int-above-64-bits", "int-below-64-bits", "object", "set"],
)
async def test_a_document_bson_cannot_encode_is_permanent(
    collection: AsyncCollection[Document], document: dict[str, Any]
) -> None:
    with (
        pytest.raises(PermanentError, match="document cannot be stored") as caught,
        translate.driver_errors("insert things"),
    ):
        await collection.insert_one(document)

    assert not isinstance(caught.value, TransientError)
    assert await collection.count_documents({}) == 0


async def test_a_closed_client_is_a_permanent_misuse(failpoint_url: str) -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(failpoint_url)
    await client.close()

    with (
        pytest.raises(PermanentError, match="InvalidOperation"),
        translate.driver_errors("read things"),
    ):
        await client["db"]["things"].find_one({})


def test_summaries_are_one_short_line() -> None:
    error = pymongo.errors.ServerSelectionTimeoutError(
        "127.0.0.1:1: [Errno 111] Connection refused (configured timeouts: 0.5s), "
        "Timeout: 0.5s, Topology Description: <TopologyDescription ...>\nsecond line"
    )

    assert translate.summarize(error) == "127.0.0.1:1: [Errno 111] Connection refused"
    assert isinstance(translate.translate("ping", error), StoreUnavailableError)
