"""A user's notifications: the list, marking one read, and the live stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

from revgraph.models.automation import Notification
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events.bus import current_bus
from revgraph.resolvers.i18n import _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.pagination import Page, SortKey, paginate_for

NOTIFICATION_ORDER = [SortKey("id", descending=True, kind="int")]


def _own_user(ctx: Context) -> tuple[int, int]:
    actor = ctx.require_actor()
    if actor.user_id is None:
        raise DomainError("FORBIDDEN", _("Only people receive notifications."))
    return actor.workspace_id, actor.user_id


async def list_notifications(
    ctx: Context,
    *,
    first: int | None,
    after: str | None,
    unread_only: bool = False,
    with_total: bool = False,
) -> Page:
    """The caller's notifications, newest first."""
    workspace_id, user_id = _own_user(ctx)
    query = Notification.filter(workspace_id=workspace_id, user_id=user_id)
    if unread_only:
        query = query.filter(read_at=None)
    return await paginate_for(
        ctx,
        query,
        NOTIFICATION_ORDER,
        first=first,
        after=after,
        with_total=with_total,
    )


async def mark_read(ctx: Context, raw_id: str) -> Notification:
    """Mark one of the caller's notifications read (again: no change)."""
    workspace_id, user_id = _own_user(ctx)
    row = await Notification.filter(
        id=pk_of(raw_id, "Notification") or 0, workspace_id=workspace_id, user_id=user_id
    ).first()
    if row is None:
        raise NotFound(_("Notification"), ["id"])
    if row.read_at is None:
        row.read_at = datetime.now(UTC)
        await Notification.filter(id=row.id, read_at=None).update(read_at=row.read_at)
    return row


async def get_notification(ctx: Context, pk: int) -> Notification | None:
    actor = ctx.require_actor()
    return await Notification.filter(id=pk, workspace_id=actor.workspace_id, user_id=actor.user_id).first()


async def notification_stream(ctx: Context) -> AsyncIterator[Notification]:
    """The caller's new notifications as they are created (nobody else's)."""
    workspace_id, user_id = _own_user(ctx)
    bus = current_bus()
    if bus is None:
        raise RuntimeError("the event bus is not running")
    seen: set[int] = set()
    async with bus.listen(workspace_id) as live:
        async for wire in live:
            if wire is None or wire.get("kind") != "notification.created":
                continue
            data = wire.get("data") or {}
            if data.get("userId") != user_id or data.get("notificationId") in seen:
                continue
            seen.add(data["notificationId"])
            row = await Notification.filter(id=data["notificationId"], user_id=user_id).first()
            if row is not None:
                yield row
