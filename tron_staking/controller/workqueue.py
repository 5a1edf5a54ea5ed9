"""The controller's work queue of owner addresses (one replica, in memory).

The runner's pollers and wake-up listener ``add`` owners; its workers ``get`` one, reconcile
it and call ``done``. The queue keeps the promises of controller-runtime's work queue:

* **deduplicated** — an owner is in the queue at most once; adding it again only moves its due
  time earlier;
* **serialized per owner** — an owner being processed is never handed to a second worker; if
  it is added meanwhile, it becomes due again once ``done`` is called (nothing is lost);
* **delayed** — ``add(owner, delay_s=…)`` makes it due later (the reconcile's requeue time).

Finding the next owner costs O(log n) (a heap of due times; stale entries are dropped as
they surface), so a queue holding every owner of a large fleet stays cheap to serve.

Time is the event loop's monotonic clock (``anyio.current_time``); ``close`` wakes every
waiting worker with :class:`QueueClosedError`, which is how the runner drains on SIGTERM.
"""

from __future__ import annotations

import heapq

import anyio


class QueueClosedError(Exception):
    """The queue was closed: the worker should stop."""


class WorkQueue:
    """See the module docstring. Not thread-safe; one event loop."""

    def __init__(self) -> None:
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._processing: set[str] = set()
        self._changed = anyio.Event()
        self._closed = False

    def __len__(self) -> int:
        """Owners waiting (due or not), excluding those being processed."""
        return len(self._due)

    @property
    def closed(self) -> bool:
        return self._closed

    def add(self, owner: str, *, delay_s: float = 0.0) -> None:
        """Make ``owner`` due after ``delay_s`` seconds (or earlier if it already was)."""
        if self._closed:
            return
        due = anyio.current_time() + max(delay_s, 0.0)
        current = self._due.get(owner)
        if current is None or due < current:
            self._due[owner] = due
            heapq.heappush(self._heap, (due, owner))
            self._notify()

    async def get(self) -> str:
        """The owner due soonest that no worker is processing, once due; it is then marked
        as processing until :meth:`done`. Raises QueueClosedError once the queue is closed."""
        while True:
            if self._closed:
                raise QueueClosedError
            changed = self._changed
            owner, due = self._next()
            now = anyio.current_time()
            if owner is not None and due <= now:
                del self._due[owner]
                self._processing.add(owner)
                return owner
            wait_s = None if owner is None else due - now
            with anyio.move_on_after(wait_s):
                await changed.wait()

    def done(self, owner: str) -> None:
        """``owner`` is no longer processed; if it was added meanwhile it is due again."""
        self._processing.discard(owner)
        self._notify()

    def close(self) -> None:
        """Stop handing out work; every waiting ``get`` raises QueueClosedError."""
        self._closed = True
        self._notify()

    def _next(self) -> tuple[str | None, float]:
        """The waiting owner due soonest that no worker is processing (ties by owner)."""
        heap = self._heap
        busy: list[tuple[float, str]] = []
        found: tuple[str | None, float] = (None, 0.0)
        while heap:
            due, owner = heap[0]
            if self._due.get(owner) != due:
                heapq.heappop(heap)  # stale: taken, or moved earlier since
                continue
            if owner in self._processing:
                busy.append(heapq.heappop(heap))
                continue
            found = (owner, due)
            break
        for entry in busy:
            heapq.heappush(heap, entry)
        return found

    def _notify(self) -> None:
        self._changed.set()
        self._changed = anyio.Event()
