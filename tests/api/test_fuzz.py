"""Property-based fuzzing with schemathesis against /openapi.json: at least 1,000 generated
requests, schema-valid and schema-breaking (authenticated as an admin, as a plain owner, and
without a token), find no 5xx and no response that violates the document. Bounded: a fixed
number of examples per operation, no shrinking, no example database. The watch streams never
end and are covered by test_watch."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from schemathesis import GenerationMode, checks
from schemathesis.core.result import Err
from schemathesis.specs.openapi import checks as openapi_checks

from tests.api import harness

MIN_REQUESTS = 1_000
EXAMPLES_PER_OPERATION = 32
"""Per operation and generation mode (schema-valid data, and data that breaks the schema)."""
STREAMS = ("/api/v1/tron/staking/events", "/api/v1/tron/staking/positions/{id}/events")
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.response_headers_conformance,
]


@pytest.fixture
def api(api_env: dict[str, str]) -> Iterator[harness.ApiServer]:
    """The API without its watch journal's recorder: pymongo draws request ids from the
    global ``random`` module, and Hypothesis reports a draw during which another thread of
    the process (the server's) used it as a flaky strategy."""
    server = harness.ApiServer(api_env, watch_recorder=False).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_generated_requests_find_no_server_error_and_no_schema_violation(
    api: harness.ApiServer, owner: str
) -> None:
    schema = schemathesis.openapi.from_url(api.url + "/openapi.json")
    identities = [
        harness.bearer(api.token(scope="staking:admin", subject="fuzz-admin")),
        harness.bearer(api.token(owner, subject="fuzz-owner")),
        {},
    ]
    chooser = random.Random(7)
    sent = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            if isinstance(result, Err):
                raise AssertionError(f"the document does not load: {result.err()}")
            operation = result.ok()
            if operation.path in STREAMS:
                continue
            strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
                GenerationMode.NEGATIVE
            )

            @given(case=strategy)
            @hypothesis.settings(
                max_examples=2 * EXAMPLES_PER_OPERATION,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case: schemathesis.Case[Any]) -> None:
                nonlocal sent
                headers = chooser.choice(identities)
                case.call_and_validate(
                    base_url=api.url, session=session, headers=headers, checks=CHECKS, timeout=30
                )
                sent += 1

            check()
    assert sent >= MIN_REQUESTS
