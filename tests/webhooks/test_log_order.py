"""The cursor never passes an event id that may still commit: on
PostgreSQL ids are drawn at insert, so id 11 can be visible while id 10's
transaction is open. An id gap holds the cursor until it fills, or until
the events after it are older than GAP_SETTLE (a rolled-back id)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise import connections

from revgraph.models.events import Event
from revgraph.models.webhooks import WebhookDelivery, WebhookEndpoint
from revgraph.resolvers.webhooks import delivery
from tests.conftest import REAL_DB
from tests.webhooks.support import create_endpoint
from tests.webhooks.test_retries import pk


async def _event(workspace_id: int, event_id: int, **changes) -> None:
    await Event.create(id=event_id, workspace_id=workspace_id, kind="contact.created", summary="x", data={})
    if changes:
        await Event.filter(id=event_id).update(**changes)


async def _taken(endpoint_pk: int) -> list[int]:
    return (
        await WebhookDelivery.filter(endpoint_id=endpoint_pk)
        .order_by("id")
        .values_list("event_id", flat=True)
    )


async def test_an_id_gap_holds_the_cursor_until_it_fills_or_settles(gql, workspace):
    endpoint, _ = await create_endpoint(gql, workspace.token, "http://127.0.0.1:9/hooks", ["contact.created"])
    row = await WebhookEndpoint.get(id=pk(endpoint["id"]))
    # the endpoint stays out of the way of the test's own reads
    await WebhookEndpoint.filter(id=row.id).update(
        enabled=True, lease_until=datetime.now(UTC) + timedelta(hours=1)
    )
    base = row.cursor
    try:
        # given id base+2 committed while base+1 is still in flight
        await _event(row.workspace_id, base + 2)
        await delivery.fill(row)
        # then nothing is taken past the gap
        assert await _taken(row.id) == []
        # when base+1 commits, both are taken, in id order
        await _event(row.workspace_id, base + 1)
        await delivery.fill(row)
        assert await _taken(row.id) == [base + 1, base + 2]
        # a gap whose next event is older than GAP_SETTLE was a rollback: passed
        old = datetime.now(UTC) - delivery.GAP_SETTLE - timedelta(seconds=5)
        await _event(row.workspace_id, base + 4, at=old)
        await delivery.fill(row)
        assert await _taken(row.id) == [base + 1, base + 2, base + 4]
        assert (await WebhookEndpoint.get(id=row.id)).cursor == base + 4
    finally:
        if REAL_DB:
            await connections.get("default").execute_query(
                "SELECT setval(pg_get_serial_sequence('event', 'id'), (SELECT max(id) FROM event))"
            )
