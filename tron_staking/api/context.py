"""The per-app state the routes share: dependencies, verifier, limiter, start-up flag.

One :class:`ApiContext` is built by :func:`~tron_staking.api.app.create_app` and captured by
the route modules (no globals). Its helpers authenticate, authorize, rate-limit and load
positions the same way on every route.
"""

from __future__ import annotations

import time

from starlette.requests import Request

from tron_staking.api import auth, problems
from tron_staking.api.auth import Principal, Scope
from tron_staking.api.deps import ApiDependencies
from tron_staking.api.journal import Journal
from tron_staking.api.ratelimit import Limiter
from tron_staking.cache.views import AddressViews
from tron_staking.domain import addresses, ids
from tron_staking.domain.addresses import Address
from tron_staking.domain.position import Position
from tron_staking.errors import NotFoundError, ValidationError


class ApiContext:
    def __init__(self, deps: ApiDependencies) -> None:
        self.deps = deps
        self.verifier = auth.Verifier(deps.auth)
        self.limiter = Limiter(deps.api, deps.redis)
        self.views = AddressViews(deps.cache, deps.redis)
        self.journal = Journal(deps.store)
        self.started = False
        self.started_monotonic_s = time.monotonic()

    async def reader(self, request: Request) -> Principal:
        """The principal of a read: authenticated, ``staking:read``, within its read rate."""
        principal = self.verifier.principal(request)
        principal.require(Scope.READ)
        await self.limiter.read(principal.subject)
        return principal

    async def writer(self, request: Request) -> Principal:
        """The principal of a write (``staking:write``); the owner's rate is counted by
        :meth:`count_write` once the owner is known."""
        principal = self.verifier.principal(request)
        principal.require(Scope.WRITE)
        return principal

    async def count_write(self, principal: Principal, owner: str) -> None:
        principal.require(Scope.WRITE, owner)
        await self.limiter.write(owner)

    async def position(self, position_id: str) -> Position:
        """The stored position; a 404 Problem for an unknown or malformed id."""
        try:
            pid = ids.parse_position_id(position_id)
            document = await self.deps.store.positions.get(pid)
        except (ValidationError, NotFoundError):
            raise problems.Problem(404, "no such position") from None
        return Position.from_storage(document)  # type: ignore[arg-type]

    async def readable_position(self, principal: Principal, position_id: str) -> Position:
        position = await self.position(position_id)
        principal.require(Scope.READ, position.owner)
        return position

    @staticmethod
    def address(text: str, where: str = "path", name: str = "address") -> Address:
        """``text`` as an address; a 422 naming the parameter otherwise."""
        try:
            return addresses.parse_address(text, field=name)
        except ValidationError as exc:
            raise problems.from_validation(exc, where) from None
