"""Progress lines of ``tron-staking dev``, read through the product's own API.

:func:`follow_transitions` reads the event stream of every position (``/events``, admin
token) and prints one line per state transition made during this run (owner, position,
from → to, txid, block); history from an earlier run is summed up instead by
:func:`describe_positions`. :func:`report_idle` prints one summary line each time the stack
settles: no position is progressing and the devnet has no pending transaction.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import anyio
import httpx

from tron_staking.devstack.banner import API_PREFIX

Emit = Callable[[str], None]
RECONNECT_DELAY_S = 1.0


class ApiReader:
    """Reads positions through the API with the admin token; remembers each one's owner."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client
        self._owners: dict[str, str] = {}

    async def positions(self) -> list[Mapping[str, Any]]:
        """Every position (first 500), newest view; raises httpx.HTTPError on failure."""
        response = await self._client.get(f"{API_PREFIX}/positions", params={"limit": 500})
        response.raise_for_status()
        items: list[Mapping[str, Any]] = response.json()["items"]
        for item in items:
            self._owners[str(item["id"])] = str(item["owner"])
        return items

    async def owner(self, position_id: str) -> str:
        if position_id not in self._owners:
            response = await self._client.get(f"{API_PREFIX}/positions/{position_id}")
            response.raise_for_status()
            self._owners[position_id] = str(response.json()["owner"])
        return self._owners[position_id]


def _condition(position: Mapping[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in position["conditions"])


def describe_positions(positions: Sequence[Mapping[str, Any]]) -> str:
    """``2 positions: 1 delegated, 1 frozen; 1 Ready, 1 Stalled``."""
    if not positions:
        return "no positions"
    states = collections.Counter(str(p["state"]) for p in positions)
    by_state = ", ".join(f"{n} {state}" for state, n in sorted(states.items()))
    counts = {
        kind: sum(_condition(p, kind) for p in positions)
        for kind in ("Ready", "Progressing", "Stalled", "Drifted")
    }
    health = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n) or "no condition True"
    noun = "position" if len(positions) == 1 else "positions"
    return f"{len(positions)} {noun}: {by_state}; {health}"


def transition_line(owner: str, data: Mapping[str, Any]) -> str:
    txid = data.get("txid") or "-"
    block = data.get("block")
    return (
        f"[transition] owner {owner} position {data['position_id']}: "
        f"{data['from']} → {data['to']} ({data['trigger']}) tx {txid} "
        f"block {block if block is not None else '-'}"
    )


def _parse_at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


async def follow_transitions(
    client: httpx.AsyncClient, reader: ApiReader, since: dt.datetime, emit: Emit
) -> None:
    """Print every transition stored at or after ``since``, live, until cancelled; reconnects
    after an error, resuming after the last event seen."""
    last_event_id = ""
    while True:
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        try:
            async with client.stream(
                "GET", f"{API_PREFIX}/events", headers=headers, timeout=None
            ) as response:
                response.raise_for_status()
                event, data = "", ""
                async for line in response.aiter_lines():
                    if line.startswith("id:"):
                        last_event_id = line[3:].strip()
                    elif line.startswith("event:"):
                        event = line[6:].strip()
                    elif line.startswith("data:"):
                        data += line[5:].strip()
                    elif not line:
                        if event == "transition" and data:
                            await _print_transition(reader, json.loads(data), since, emit)
                        event, data = "", ""
        except httpx.HTTPError as exc:
            emit(f"[progress] event stream interrupted ({type(exc).__name__}); reconnecting")
        await anyio.sleep(RECONNECT_DELAY_S)


async def _print_transition(
    reader: ApiReader, data: Mapping[str, Any], since: dt.datetime, emit: Emit
) -> None:
    if _parse_at(str(data["at"])) < since:
        return
    owner = await reader.owner(str(data["position_id"]))
    emit(transition_line(owner, data))


async def report_idle(
    reader: ApiReader,
    pending_transactions: Callable[[], Awaitable[tuple[int, int]]],
    emit: Emit,
    interval_s: float,
) -> None:
    """Print ``[idle] …`` once each time the stack settles after a change (and once at the
    start); ``pending_transactions()`` is awaited for the devnet's (pending count, head)."""
    last_seen: object = None
    while True:
        await anyio.sleep(interval_s)
        try:
            positions = await reader.positions()
            pending, head = await pending_transactions()
        except httpx.HTTPError:
            continue
        busy = pending or any(_condition(p, "Progressing") for p in positions)
        snapshot = [(p["id"], p["state"], p["generation"], p["conditions"]) for p in positions]
        if busy or snapshot == last_seen:
            continue
        last_seen = snapshot
        emit(f"[idle] chain idle at block {head}: {describe_positions(positions)}")
