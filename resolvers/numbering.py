"""Readable per-workspace numbers of contacts and deals (seed 002's "número
único" of a lead): 1, 2, 3... in order of creation, taken in the creating
transaction from the workspace's counter row, so they never repeat and a
rolled-back creation gives its number back."""

from __future__ import annotations

import re

from tortoise import connections
from tortoise.expressions import Q

from revgraph.models.identity import SequenceCounter

# contact, deal, conversation: readable numbers; inbox_event: the
# workspace's inbox stream sequence (resolvers/inbox/stream.py); log: the
# workspace's log position (resolvers/log_position.py).
COUNTERS = ("contact", "deal", "conversation", "inbox_event", "log")
# "123" or "#123": a search for a record by its number.
NUMBER_SEARCH = re.compile(r"#?(\d{1,15})")


async def create_counters(workspace_id: int) -> None:
    """A new workspace's counters, at zero (caller's transaction)."""
    for name in COUNTERS:
        await SequenceCounter.create(workspace_id=workspace_id, name=name, value=0)


async def next_number(workspace_id: int, name: str) -> int:
    """The next number of `name` records in the workspace (caller's
    transaction). The UPDATE holds the counter's row until commit, so
    concurrent creations in one workspace take numbers one after another."""
    return await reserve_numbers(workspace_id, name, 1)


async def reserve_numbers(workspace_id: int, name: str, count: int) -> int:
    """Take `count` numbers at once (bulk loads); the first of them. One
    UPDATE ... RETURNING (SQLite >= 3.35 and PostgreSQL alike): it holds
    the counter's row until commit and answers the new value at once."""
    client = connections.get("default")
    placeholders = ("$1", "$2", "$3") if client.capabilities.dialect == "postgres" else ("?", "?", "?")
    sql = (
        "UPDATE sequence_counter SET value = value + {} WHERE workspace_id = {} AND name = {} RETURNING value"
    ).format(*placeholders)
    rows = await client.execute_query_dict(sql, [count, workspace_id, name])
    if not rows:
        # Workspaces get their counters when created (and by migrations
        # 0010 and 0015); one made by other means starts here.
        await SequenceCounter.create(workspace_id=workspace_id, name=name, value=count)
        return 1
    return int(rows[0]["value"]) - count + 1


def or_number(q: Q, search: str) -> Q:
    """`q`, or the record whose number `search` is ("123", "#123")."""
    match = NUMBER_SEARCH.fullmatch(search.strip())
    return q | Q(number=int(match.group(1))) if match else q
