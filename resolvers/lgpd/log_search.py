"""The log's events that name a data subject although they are about
something else (a saved list searching for their e-mail, a merge, a
hand-off): a text search over summaries and data, in the database."""

from __future__ import annotations

import json
from collections.abc import Iterable

from revgraph.models.events import Event


def _like(needle: str) -> str:
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def events_naming(workspace_id: int, needles: Iterable[str], since_id: int) -> list[int]:
    """Ids of the workspace's events from `since_id` on whose summary or
    data holds one of `needles` (case-insensitive; as written and as JSON
    escapes it, since the embedded backend stores JSON ASCII-escaped)."""
    patterns: list[str] = []
    for needle in dict.fromkeys(needles):
        patterns.append(_like(needle))
        escaped = json.dumps(needle)[1:-1]
        if escaped != needle:
            patterns.append(_like(escaped))
    if not patterns:
        return []
    connection = Event._meta.db
    postgres = connection.capabilities.dialect == "postgres"
    data, like = ("data::text", "ILIKE") if postgres else ("data", "LIKE")
    params: list[object] = [workspace_id, since_id]
    tests: list[str] = []
    for pattern in patterns:
        for column in ("summary", data):
            params.append(pattern)
            place = f"${len(params)}" if postgres else "?"
            tests.append(f"{column} {like} {place} ESCAPE '\\'")
    first, second = ("$1", "$2") if postgres else ("?", "?")
    sql = f"SELECT id FROM event WHERE workspace_id = {first} AND id >= {second} AND ({' OR '.join(tests)})"
    _, rows = await connection.execute_query(sql, params)
    return [row["id"] for row in rows]
