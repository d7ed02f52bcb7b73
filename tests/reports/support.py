"""Known histories for the report tests: records are made through the API,
then the times they were written at are set through the models (the test
server runs in this process), so every figure is exact."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from tortoise import connections

from revgraph.models.crm import Contact
from revgraph.models.pipeline import StageTransition
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.stage_entries import rebuild_deal_entries
from tests.pipeline.support import create_deal, move


async def set_history(deal_id: str, times: list[datetime]) -> None:
    """The times of a deal's stage transitions, in the order they were made."""
    rows = await StageTransition.filter(deal_id=pk_of(deal_id, "Deal")).order_by("id")
    assert len(rows) == len(times), f"{len(rows)} transitions, {len(times)} times"
    for row, at in zip(rows, times, strict=True):
        await StageTransition.filter(id=row.id).update(at=at)
    # The funnel's facts follow the log (resolvers/stage_entries.py); no
    # use case rewrites history, so they are derived again here.
    await rebuild_deal_entries([pk_of(deal_id, "Deal")])


async def set_created(contact_id: str, at: datetime) -> None:
    await Contact.filter(id=pk_of(contact_id, "Contact")).update(created_at=at)


async def walk(
    gql: Any, token: str, pipeline: dict[str, Any], names: list[str], reason: str = "Preço", **fields: Any
) -> str:
    """A deal created in names[0], then moved through the others (into
    "Perdido" with `reason`)."""
    deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"][names[0]], **fields)
    for name in names[1:]:
        extra = {"lostReason": reason} if name == "Perdido" else {}
        moved = await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"][name], **extra)
        assert moved["userErrors"] == [], moved
    return deal["id"]


def window(start: datetime, end: datetime) -> dict[str, Any]:
    return {"from": start.isoformat(), "to": end.isoformat()}


def error_of(body: dict[str, Any]) -> tuple[str, list[str] | None]:
    """The code and field of a read's only top-level error."""
    assert len(body["errors"]) == 1, body["errors"]
    extensions = body["errors"][0]["extensions"]
    return extensions["code"], extensions.get("field")


async def sqlite_plans(monkeypatch: Any, work: Callable[[], Awaitable[Any]]) -> dict[str, str]:
    """The EXPLAIN QUERY PLAN of each statement `work()` sends, by its SQL."""
    client = connections.get("default")
    sent: list[tuple[str, list[Any]]] = []
    original = client.execute_query

    async def recorded(sql: str, values: Any = None) -> Any:
        sent.append((sql, list(values or [])))
        return await original(sql, values)

    monkeypatch.setattr(client, "execute_query", recorded)
    try:
        await work()
    finally:
        monkeypatch.setattr(client, "execute_query", original)
    plans: dict[str, str] = {}
    for sql, values in sent:
        rows = await client.execute_query_dict("EXPLAIN QUERY PLAN " + sql, values)
        plans[sql] = "\n".join(row["detail"] for row in rows)
    return plans
