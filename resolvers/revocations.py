"""Credentials withdrawn everywhere at once (RELIABILITY.md "Revocation is
immediate everywhere").

Whatever withdraws a credential (logOut, revokeApiKey, and any later use
case such as deactivating a user or changing a password) records, in the
transaction of the change, an event whose `data.revokes` names what stopped
working: sessions, API keys, or every credential of some users
(`record_revocation`). After commit the bus carries such events to every
process (events/bus.py), where the process's `RevocationWatch` calls back
each open websocket holding one of them, which closes at once. Delivery
follows the commit by a moment, so a socket also checks its credential in
the database when an operation starts (`credential_active`)."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q

from revgraph.models.events import Event
from revgraph.models.identity import ApiKey, Session
from revgraph.resolvers.context import Actor
from revgraph.resolvers.events import record_event
from revgraph.resolvers.events.bus import REVOKES, EventBus

log = logging.getLogger(__name__)

# Revocations remembered for sockets that authenticated while they arrived.
RECENT = 1024
# After the listener fails, it subscribes again after this long.
RELISTEN_SECONDS = 1.0


@dataclass(frozen=True)
class Revocation:
    """What one event withdrew: sessions, API keys, or all of some users'
    credentials (sessions and keys alike)."""

    session_ids: frozenset[int] = frozenset()
    api_key_ids: frozenset[int] = frozenset()
    user_ids: frozenset[int] = frozenset()

    def covers(self, actor: Actor) -> bool:
        return (
            (actor.session_id is not None and actor.session_id in self.session_ids)
            or (actor.api_key_id is not None and actor.api_key_id in self.api_key_ids)
            or (actor.user_id is not None and actor.user_id in self.user_ids)
        )

    def as_data(self) -> dict[str, list[int]]:
        return {
            "sessionIds": sorted(self.session_ids),
            "apiKeyIds": sorted(self.api_key_ids),
            "userIds": sorted(self.user_ids),
        }

    @classmethod
    def of(cls, wire: dict[str, Any]) -> Revocation | None:
        """The revocation a wire event carries, if any."""
        revokes = (wire.get("data") or {}).get(REVOKES)
        if not isinstance(revokes, dict):
            return None

        def ids(name: str) -> frozenset[int]:
            return frozenset(int(i) for i in revokes.get(name) or ())

        return cls(ids("sessionIds"), ids("apiKeyIds"), ids("userIds"))


async def record_revocation(
    actor: Actor | None,
    workspace_id: int,
    kind: str,
    summary: str,
    revocation: Revocation,
    *,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append the event of a change that withdrew credentials (inside the
    change's unit_of_work); every process closes their websockets once it
    is dispatched."""
    return await record_event(
        actor, workspace_id, kind, summary, data={**(data or {}), REVOKES: revocation.as_data()}
    )


def _session_query(ids: Iterable[int], now: datetime) -> Any:
    return Session.filter(id__in=list(ids), revoked_at=None, expires_at__gt=now, user__active=True)


def _api_key_query(ids: Iterable[int], now: datetime) -> Any:
    unexpired = Q(expires_at=None) | Q(expires_at__gt=now)
    return ApiKey.filter(unexpired, id__in=list(ids), revoked_at=None, user__active=True)


async def credential_active(actor: Actor) -> bool:
    """Whether the session or API key the actor authenticated with still
    works: one indexed read, the price an HTTP request pays on every call."""
    now = datetime.now(UTC)
    if actor.api_key_id is not None:
        return await _api_key_query([actor.api_key_id], now).exists()
    if actor.session_id is not None:
        return await _session_query([actor.session_id], now).exists()
    return True  # a system actor holds no credential


async def _inactive(actors: list[Actor]) -> set[Actor]:
    """Which of these actors' credentials no longer work (two reads in all)."""
    now = datetime.now(UTC)
    sessions = {a.session_id for a in actors if a.api_key_id is None and a.session_id is not None}
    keys = {a.api_key_id for a in actors if a.api_key_id is not None}
    live_sessions = (
        set(await _session_query(sessions, now).values_list("id", flat=True)) if sessions else set()
    )
    live_keys = set(await _api_key_query(keys, now).values_list("id", flat=True)) if keys else set()
    return {
        a
        for a in actors
        if (a.api_key_id is not None and a.api_key_id not in live_keys)
        or (a.api_key_id is None and a.session_id is not None and a.session_id not in live_sessions)
    }


class Watched:
    """One open socket's credential and what to call when it is withdrawn."""

    __slots__ = ("actor", "on_revoked")

    def __init__(self, actor: Actor, on_revoked: Callable[[], None]) -> None:
        self.actor = actor
        self.on_revoked = on_revoked


class RevocationWatch:
    """The process's ear on revocations: listens once for every socket."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        # Counts revocations heard; a socket notes it before authenticating.
        self.generation = 0
        # (generation, revocation); None stands for "some may have been missed".
        self._recent: deque[tuple[int, Revocation | None]] = deque(maxlen=RECENT)
        self._watched: dict[Watched, None] = {}
        self._task: asyncio.Task | None = None
        self._checks: set[asyncio.Task] = set()

    async def start(self) -> None:
        """Return once subscribed: a revocation published from now on is heard."""
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.create_task(self._run(ready), name="revocation-watch")
        await ready

    async def stop(self) -> None:
        for task in [self._task, *self._checks]:
            if task is not None:
                task.cancel()
        for task in [self._task, *self._checks]:
            if task is not None:
                await asyncio.gather(task, return_exceptions=True)

    def register(self, actor: Actor, on_revoked: Callable[[], None], *, since: int) -> Callable[[], None]:
        """Call `on_revoked` (once) when the actor's credential is withdrawn.
        `since` is the generation seen before the credential was checked:
        revocations heard in between are applied now. Returns the way to
        stop watching."""
        watched = Watched(actor, on_revoked)
        self._watched[watched] = None
        missed = [revocation for generation, revocation in self._recent if generation > since]
        if any(r is not None and r.covers(actor) for r in missed):
            self._revoke(watched)
        elif since < self.generation - len(self._recent) or None in missed:
            self._spawn_check([watched])
        return lambda: self._watched.pop(watched, None)

    async def _run(self, ready: asyncio.Future[None]) -> None:
        while True:
            try:
                async with self.bus.listen_revocations() as messages:
                    if not ready.done():
                        ready.set_result(None)
                    async for wire in messages:
                        await self._take(wire)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not ready.done():
                    ready.set_exception(exc)
                    return
                log.exception("revocation listener failed; listening again")
            await asyncio.sleep(RELISTEN_SECONDS)
            # Whatever was published meanwhile went unheard.
            await self._take(None)

    async def _take(self, wire: dict[str, Any] | None) -> None:
        revocation = None if wire is None else Revocation.of(wire)
        if wire is not None and revocation is None:
            return
        self.generation += 1
        self._recent.append((self.generation, revocation))
        if revocation is None:
            await self._check(list(self._watched))
            return
        for watched in list(self._watched):
            if revocation.covers(watched.actor):
                self._revoke(watched)

    def _revoke(self, watched: Watched) -> None:
        if watched not in self._watched:
            return  # already told, or no longer watching
        del self._watched[watched]
        try:
            watched.on_revoked()
        except Exception:
            log.exception("closing a revoked credential's socket failed")

    def _spawn_check(self, watched: list[Watched]) -> None:
        task = asyncio.create_task(self._check(watched), name="revocation-check")
        self._checks.add(task)
        task.add_done_callback(self._checks.discard)

    async def _check(self, watched: list[Watched]) -> None:
        """Ask the database about credentials whose revocation may have gone
        unheard; a failure leaves them to the socket's periodic check."""
        if not watched:
            return
        try:
            inactive = await _inactive([w.actor for w in watched])
        except Exception:
            log.exception("re-checking credentials after a gap in revocations failed")
            return
        for w in watched:
            if w.actor in inactive:
                self._revoke(w)


_watch: RevocationWatch | None = None


def install_revocation_watch(watch: RevocationWatch | None) -> None:
    """Set the process's watch (web lifespan, tests)."""
    global _watch
    _watch = watch


def current_revocation_watch() -> RevocationWatch | None:
    return _watch
