"""The explicit context every use case receives: who acts, in which
workspace, and the per-request caches (visibility scope, DataLoaders)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from revgraph.resolvers.errors import AuthError
from revgraph.resolvers.i18n import _
from revgraph.resolvers.settings import Settings

if TYPE_CHECKING:
    from revgraph.resolvers.attempt_limits import AttemptThrottle

ROLES = ("ADMIN", "MANAGER", "AGENT")
ROLE_RANK = {"AGENT": 0, "MANAGER": 1, "ADMIN": 2}


@dataclass(frozen=True)
class Actor:
    """An authenticated caller. An API key acts for a user with at most the
    key's role, so `role` is the effective one. A system actor (an
    automation) has no user: `user_id` is None and `label` names it on the
    timeline ("automation: <rule name>")."""

    workspace_id: int
    user_id: int | None
    role: str
    api_key_id: int | None = None
    label: str | None = None
    # The session the caller logged in with (logOut revokes it).
    session_id: int | None = None
    # An API key's scope (resolvers/key_scopes.py); sessions act in full.
    scope: str = "FULL"
    # The language the caller reads (their own setting, else the
    # workspace's default) and the workspace's default (resolvers/i18n.py).
    locale: str | None = None
    workspace_locale: str | None = None

    @classmethod
    def system(cls, workspace_id: int, label: str) -> Actor:
        """Acts within one workspace with ADMIN rights and no user."""
        return cls(workspace_id, None, "ADMIN", label=label)

    @property
    def is_system(self) -> bool:
        return self.user_id is None

    @property
    def is_admin(self) -> bool:
        return self.role == "ADMIN"


# ctx.cache key of what else drops a request's state when it is closed
# (Context.close): its executor's per-request answers (schema/lean_execution.py).
RELEASED_WHEN_CLOSED = "released_when_closed"


@dataclass
class Context:
    settings: Settings
    actor: Actor | None = None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    client_ip: str = "unknown"
    # Counts failed log-ins and sign-ups; None for trusted in-process callers.
    throttle: AttemptThrottle | None = None
    # Per-request caches: never shared between requests (STYLE.md).
    cache: dict[str, Any] = field(default_factory=dict)
    # The workspace's log position read with the credential of an HTTP
    # request (resolvers/log_position.py): what its reads include at least.
    log_position: int | None = None
    # And each topic's, read in the same statement (log_position.TOPICS order).
    topic_positions: tuple[int | None, ...] | None = None
    # What `once` is computing now, by key.
    _pending: dict[str, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    async def once(self, key: str, compute: Callable[[], Awaitable[Any]]) -> Any:
        """`compute()`'s answer, computed once per request and kept in
        `cache[key]`. Resolvers of one request run concurrently: a second
        asker while the first is still waiting shares its answer instead of
        asking the database again."""
        if key in self.cache:
            return self.cache[key]
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = asyncio.ensure_future(compute())
        try:
            answer = await asyncio.shield(pending)
        finally:
            if pending.done():
                self._pending.pop(key, None)
        self.cache.setdefault(key, answer)
        return answer

    def close(self) -> None:
        """The request is answered: drop its caches. A request's loaders
        close over its context (ctx -> cache -> loader -> batch function ->
        ctx), so without this the context, its loaders and every row they
        hold (a board's 400 cards and their contacts) form a cycle that
        only the garbage collector frees: ~2,300 objects a board request,
        walked and freed in young collections that then cost milliseconds
        (bench/gc_pauses.py --board, bench/READS.md). A caller still
        holding the context after this reads again, as a new request would."""
        for release in self.cache.pop(RELEASED_WHEN_CLOSED, ()):
            release()
        self.cache.clear()
        self._pending.clear()

    def require_actor(self) -> Actor:
        if self.actor is None:
            raise AuthError(
                "UNAUTHENTICATED", _("Authentication required: send Authorization: Bearer <token>.")
            )
        return self.actor

    def require_manager(self) -> Actor:
        """A MANAGER or an ADMIN (who run queues; visibility narrows the rest)."""
        actor = self.require_actor()
        if actor.role not in ("ADMIN", "MANAGER"):
            raise AuthError("FORBIDDEN", _("Only managers and administrators may do this."))
        return actor

    def require_admin(self) -> Actor:
        actor = self.require_actor()
        if not actor.is_admin:
            raise AuthError("FORBIDDEN", _("Only workspace administrators may do this."))
        return actor

    def for_actor(self, actor: Actor) -> Context:
        """A fresh context for another actor (e.g. after signUp/logIn)."""
        return Context(
            settings=self.settings, actor=actor, request_id=self.request_id, client_ip=self.client_ip
        )
