"""The workspace's log position: a number that moves with every committed
change of the workspace, read in the same statement as a request's
credential (no SQL of its own), so a repeated read knows whether anything
could have changed since it was last answered (schema/poll.py: the poll
cache and ETags of report queries).

Why a counter and not the newest event id. On PostgreSQL an event's id is
drawn from a sequence when the row is inserted, not when its transaction
commits: T1 draws id 10, T2 draws 11 and commits first, a poll reads
max(id) = 11 and caches an answer without T1's change; T1 commits, max(id)
is still 11, and the cache serves the old answer on and on: a dashboard
missing a move its user just made. (SQLite serialises writers, so there ids
do follow commits; PostgreSQL does not, and a "settling window" only makes
the miss rarer.)

So every unit of work that records events increments the workspace's `log`
counter (a sequence_counter row) as its last statement before COMMIT. The
UPDATE holds the row until the commit, so the counter's values follow the
commit order exactly: a reader that sees V sees the workspace's first V
writing commits and no other, and an answer computed after reading V
includes at least all of them. The price, measured in bench/REPORTS.md: one
more statement per write, and a writer's commit waits for the previous
writer of the same workspace to finish committing. The lock is taken last,
so it is held only for the commit and never while waiting for another lock
(no new deadlock).

The position is complete because the log is (STYLE.md: every change is
written as an event in its transaction). A unit of work that changes what a
report reads without recording an event says so with
`resolvers.events.log_changed`."""

from __future__ import annotations

from collections.abc import Iterable

from tortoise.expressions import F

from revgraph.models.identity import SequenceCounter

# The sequence_counter row of the position (resolvers/numbering.py creates
# it with the workspace; migration 0017 for the workspaces before it).
LOG_COUNTER = "log"

_COUNTER = SequenceCounter._meta.db_table


async def advance(workspace_ids: Iterable[int]) -> None:
    """Move the position of each workspace (the caller's transaction, at
    its end). In id order, so two transactions spanning the same
    workspaces lock them in the same order."""
    for workspace_id in sorted(set(workspace_ids)):
        counter = SequenceCounter.filter(workspace_id=workspace_id, name=LOG_COUNTER)
        if not await counter.update(value=F("value") + 1):
            # Only a workspace made by other means than sign-up lacks it.
            await SequenceCounter.create(workspace_id=workspace_id, name=LOG_COUNTER, value=1)


def position_column(workspace_column: str) -> str:
    """The position of the workspace `workspace_column` names, as a column
    of another query (a subquery on a unique index): the credential's
    statement reads it (resolvers/credentials.py)."""
    table, column = workspace_column.split(".")
    return (
        f'(SELECT c."value" FROM "{_COUNTER}" c WHERE c."workspace_id" = {table}."{column}" '
        f"AND c.\"name\" = '{LOG_COUNTER}')"
    )


async def position_of(workspace_id: int) -> int | None:
    """The workspace's position now (tests, benchmarks; requests read it
    with their credential)."""
    rows = await SequenceCounter.filter(workspace_id=workspace_id, name=LOG_COUNTER).values_list(
        "value", flat=True
    )
    return rows[0] if rows else None
