"""Presence: agents who stop answering go offline by themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from revgraph.models.identity import User
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_
from revgraph.resolvers.settings import Settings


async def expire_idle_agents(settings: Settings, now: datetime | None = None) -> int:
    """Set offline every user still marked online whose last API activity or
    open websocket (which refreshes last_seen_at) is older than the
    presence timeout: no zombie "online" agents in ONLINE queues."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(seconds=settings.presence_timeout_seconds)
    idle = await User.filter(online=True, last_seen_at__lt=cutoff).values("id", "workspace_id", "name")
    idle += await User.filter(online=True, last_seen_at__isnull=True).values("id", "workspace_id", "name")
    for user in idle:
        async with unit_of_work():
            changed = await User.filter(id=user["id"], online=True).update(online=False)
            if changed:
                await record_event(
                    None,
                    user["workspace_id"],
                    "user.availability_changed",
                    N_(
                        "{name} went offline after {value} minutes without activity",
                        name=user["name"],
                        value=settings.presence_timeout_seconds // 60,
                    ),
                    data={"userId": user["id"], "online": False, "why": "presence timeout"},
                    actor_label="presence",
                )
    return len(idle)
