"""The one door to the node: budget, timeout, API key, request counting, error mapping.

:class:`NodeTransport` is a tronpy ``AsyncHTTPProvider`` (so that ``AsyncTron`` accepts it)
whose ``make_request`` replaces tronpy's:

* **Budget.** Every request first waits for the client-side budget (``STAKING_CHAIN_QPS``,
  an ``aiolimiter`` bucket of capacity one, so requests are spread evenly: at most
  ``qps × t + 1`` requests in any ``t`` seconds), and for any pause the node asked for with
  ``429`` + ``Retry-After`` — that pause holds back every request of this transport, not only
  the one that got the 429 (tronpy does not handle 429 at all).
* **Timeout.** Each HTTP exchange is bounded by ``timeout_s`` (waiting for the budget is
  not).
* **API key.** ``TRON-PRO-API-KEY`` is sent when configured, and only then (tronpy would
  otherwise send shared public keys to TronGrid).
* **Errors.** No httpx or tronpy exception leaves this module. A 429 becomes
  :class:`~tron_staking.errors.RateLimitedError` (``retry_after_s`` from the header); a
  connection that could not be opened or a 503 becomes
  :class:`~tron_staking.errors.ChainUnavailableError`; a request that was sent but whose
  answer was lost (read timeout, connection closed, other 5xx) becomes
  :class:`~tron_staking.errors.ChainAmbiguousError`; a body that is not a JSON object becomes
  ``ChainUnavailableError`` too. Node-level errors inside a 200 body are the caller's to read.
* **Counting.** :class:`RequestCounter` counts requests by endpoint and outcome, for the
  metrics module and for benchmarks (requests per owner).

Retries are not done here: reads are retried by the client, broadcasts never.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urljoin

import aiolimiter
import anyio
import httpx
from tronpy.providers.async_http import AsyncHTTPProvider

from tron_staking.errors import ChainAmbiguousError, ChainUnavailableError, RateLimitedError

API_KEY_HEADER: Final = "TRON-PRO-API-KEY"
DEFAULT_RETRY_AFTER_S: Final = 1.0
_MAX_RETRY_AFTER_S: Final = 300.0


class RequestCounter:
    """Node requests by ``(endpoint, outcome)``; outcomes: ``ok``, ``rate_limited``,
    ``unavailable``, ``ambiguous``. Read by the metrics module and the benchmarks."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()

    def add(self, endpoint: str, outcome: str) -> None:
        self._counts[(endpoint, outcome)] += 1

    @property
    def total(self) -> int:
        return sum(self._counts.values())

    def snapshot(self) -> dict[tuple[str, str], int]:
        """A copy of every count, keyed by ``(endpoint, outcome)``."""
        return dict(self._counts)


class NodeTransport(AsyncHTTPProvider):  # type: ignore[misc]  # tronpy is untyped
    """Budgeted, bounded, counted POSTs to one node (see the module docstring)."""

    def __init__(
        self,
        endpoint: str,
        *,
        qps: float,
        timeout_s: float,
        api_key: str | None = None,
        counter: RequestCounter | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if qps <= 0 or timeout_s <= 0:
            raise ValueError("qps and timeout_s must be positive")
        client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s))
        super().__init__(endpoint.rstrip("/") + "/", timeout=timeout_s, client=client)
        self.use_api_key = False  # tronpy's own key rotation stays off; see _headers
        self._api_key = api_key
        self._limiter = aiolimiter.AsyncLimiter(1, 1.0 / qps)
        self._timeout_s = timeout_s
        self._paused_until = 0.0
        self._monotonic = monotonic
        self.counter = counter or RequestCounter()

    async def make_request(self, method: str, params: Any = None) -> dict[str, Any]:
        """POST ``params`` (JSON) to ``method`` (``wallet/…``) and return the JSON object.

        Raises RateLimitedError, ChainUnavailableError or ChainAmbiguousError as described in
        the module docstring.
        """
        await self._wait_for_budget()
        try:
            with anyio.fail_after(self._timeout_s):
                response = await self.client.post(
                    urljoin(self.endpoint_uri, method),
                    json={} if params is None else params,
                    headers=self._headers(),
                )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            self.counter.add(method, "unavailable")
            raise ChainUnavailableError(f"{method}: cannot connect: {exc!r}") from exc
        except (httpx.HTTPError, TimeoutError) as exc:
            self.counter.add(method, "ambiguous")
            raise ChainAmbiguousError(f"{method}: no answer: {exc!r}") from exc
        return self._answer(method, response)

    async def _wait_for_budget(self) -> None:
        delay_s = self._paused_until - self._monotonic()
        if delay_s > 0:
            await anyio.sleep(delay_s)
        await self._limiter.acquire()

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._api_key:
            headers[API_KEY_HEADER] = self._api_key
        return headers

    def _answer(self, method: str, response: httpx.Response) -> dict[str, Any]:
        status = response.status_code
        if status == 429:
            delay_s = retry_after_s(response.headers.get("Retry-After"))
            self._paused_until = max(self._paused_until, self._monotonic() + delay_s)
            self.counter.add(method, "rate_limited")
            raise RateLimitedError(f"{method}: 429 from the node", retry_after_s=delay_s)
        if status == 503:
            self.counter.add(method, "unavailable")
            raise ChainUnavailableError(
                f"{method}: 503 from the node",
                retry_after_s=retry_after_s(response.headers.get("Retry-After")),
            )
        if status >= 500 or status in (408, 425):
            self.counter.add(method, "ambiguous")
            raise ChainAmbiguousError(f"{method}: HTTP {status} from the node")
        if status >= 400:
            self.counter.add(method, "unavailable")
            raise ChainUnavailableError(f"{method}: HTTP {status}: {response.text[:200]!r}")
        try:
            body = json.loads(response.content) if response.content.strip() else {}
        except ValueError as exc:
            self.counter.add(method, "ambiguous")
            raise ChainAmbiguousError(f"{method}: the answer is not JSON") from exc
        if not isinstance(body, dict):
            self.counter.add(method, "ambiguous")
            raise ChainAmbiguousError(f"{method}: the answer is not a JSON object")
        self.counter.add(method, "ok")
        return body

    async def aclose(self) -> None:
        await self.client.aclose()


def retry_after_s(value: str | None, *, now_s: float | None = None) -> float:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date);
    ``DEFAULT_RETRY_AFTER_S`` when absent or unreadable, capped at five minutes."""
    if value is None or not value.strip():
        return DEFAULT_RETRY_AFTER_S
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER_S
        seconds = when.timestamp() - (time.time() if now_s is None else now_s)
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER_S
    return min(max(seconds, 0.0), _MAX_RETRY_AFTER_S)
