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
`resolvers.events.log_changed`.

Positions per topic. Beside `log`, a unit of work moves one counter per
topic of the events it records (`log:deals`, `log:contacts`...: TOPICS, by
the kind's prefix, `topics_of`), in the same single UPDATE, so that a report
whose answer depends only on some topics (it declares them: schema/poll.py
`report(...)`) is not recomputed after a change of another: a deal move
cannot change leadReport. A kind of no known prefix is topic `other`, which
every report that declares topics must declare (tests/reports/
test_report_topics.py checks the tables a report reads against the topics
of their writers). The credential's statement reads every topic's counter
too (`position_columns`), so a poll still costs that one statement."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from tortoise import connections
from tortoise.expressions import F

from revgraph.models.identity import SequenceCounter

# The sequence_counter row of the position (resolvers/numbering.py creates
# it with the workspace; migration 0017 for the workspaces before it).
LOG_COUNTER = "log"

_COUNTER = SequenceCounter._meta.db_table

# What reports read, grouped by who writes it: an event kind's prefix (the
# part before the first dot) names its topic; any other prefix is `other`.
TOPICS = ("deals", "deal_stages", "contacts", "activities", "distribution", "inbox", "people", "other")
TOPIC_OF_PREFIX = {
    **dict.fromkeys(("deal", "stage", "pipeline"), "deals"),
    **dict.fromkeys(("contact", "lead", "company", "consent"), "contacts"),
    **dict.fromkeys(("task", "note"), "activities"),
    **dict.fromkeys(("assignment", "queue", "bulk_distribution"), "distribution"),
    **dict.fromkeys(("conversation", "message", "inbox", "sla_policy"), "inbox"),
    **dict.fromkeys(("user", "team", "workspace"), "people"),
}


# A card moved (stage or place): its own topic, so that reports that read
# deals but not their stages (who owns them, whose contact) stay cached.
MOVE_KINDS = ("deal.stage_changed", "deal.reordered")


def topics_of(kind: str, data: Mapping[str, Any] | None = None) -> set[str]:
    """The topics an event moves: its kind's prefix's; a move's is
    `deal_stages`, plus `deals` when its patch changed the deal's other
    fields (`changes`: owner, contact, value...)."""
    if kind in MOVE_KINDS:
        return {"deal_stages", "deals"} if (data or {}).get("changes") else {"deal_stages"}
    return {TOPIC_OF_PREFIX.get(kind.split(".", 1)[0], "other")}


# Topics also counted per deal owner: a change of a deal owned by user 7
# moves `log:deal_stages@7` besides `log:deal_stages`, and a change no owner
# accounts for (a stage renamed, `log_changed`) moves `log:deal_stages@*`. A
# caller who sees only some owners' deals (visibility.Scope) has an answer
# that only those counters can change (`owned_position`): a dashboard's
# cached funnel outlives the moves of deals it does not count.
OWNED_TOPICS = ("deals", "deal_stages")
ANY_OWNER = "*"
# The owner of the deals without one (user ids start at 1).
NO_OWNER = 0
# Scopes of more owners than this are checked by the topics' counters only.
MAX_OWNED_SCOPE = 200


def counter_name(topic: str) -> str:
    return f"{LOG_COUNTER}:{topic}"


def owner_topic(topic: str, owner: int | str) -> str:
    return f"{topic}@{owner}"


def owned_topics_of(topics: Collection[str], data: Mapping[str, Any] | None = None) -> set[str]:
    """The per-owner topics an event moves besides `topics`: its deal's
    owners before and after (board events carry them: `owners`), or `@*`
    when it names none. A deal without an owner concerns no owner's scope
    (only an ADMIN sees it): its changes move `@0` (NO_OWNER), which the
    workspace's funnel keeps its ownerless deals' part by
    (resolvers/reports/owner_parts.py)."""
    owned = [topic for topic in topics if topic in OWNED_TOPICS]
    if not owned:
        return set()
    owners = (data or {}).get("owners")
    if isinstance(owners, list) and len(owners) == 2:
        return {
            owner_topic(topic, NO_OWNER if owner is None else owner) for topic in owned for owner in owners
        }
    return {owner_topic(topic, ANY_OWNER) for topic in owned}


def with_owned_topics(topics: Collection[str], data: Mapping[str, Any] | None = None) -> set[str]:
    """`topics` and the per-owner topics they move (`owned_topics_of`)."""
    return {*topics, *owned_topics_of(topics, data)}


async def advance(changes: Mapping[int, Collection[str]] | Iterable[int]) -> None:
    """Move the position of each workspace, and of the topics it changed
    (a mapping workspace → topics; a plain list of workspaces moves all
    topics), in the caller's transaction, at its end. One UPDATE per
    workspace, in id order, so two transactions spanning the same
    workspaces lock them in the same order."""
    if not isinstance(changes, Mapping):
        changes = dict.fromkeys(changes, with_owned_topics(TOPICS))
    for workspace_id in sorted(changes):
        names = [LOG_COUNTER, *(counter_name(t) for t in sorted(set(changes[workspace_id])))]
        counters = SequenceCounter.filter(workspace_id=workspace_id, name__in=names)
        if await counters.update(value=F("value") + 1) < len(names):
            # A workspace's topic counters are made by its first write of each.
            held = set(await counters.values_list("name", flat=True))
            missing = [name for name in names if name not in held]
            await _create_counters(workspace_id, missing)
            await SequenceCounter.filter(workspace_id=workspace_id, name__in=missing).update(
                value=F("value") + 1
            )


async def _create_counters(workspace_id: int, names: list[str]) -> None:
    """Counters at 0, unless a concurrent writer made them first."""
    connection = connections.get("default")
    places = "?, ?" if connection.capabilities.dialect == "sqlite" else "$1, $2"
    for name in names:
        await connection.execute_query(
            f'INSERT INTO "{_COUNTER}" ("workspace_id", "name", "value") VALUES ({places}, 0) '
            'ON CONFLICT ("workspace_id", "name") DO NOTHING',
            [workspace_id, name],
        )


def _counter_column(workspace_column: str, name: str) -> str:
    table, column = workspace_column.split(".")
    return (
        f'(SELECT c."value" FROM "{_COUNTER}" c WHERE c."workspace_id" = {table}."{column}" '
        f"AND c.\"name\" = '{name}')"
    )


def position_column(workspace_column: str) -> str:
    """The position of the workspace `workspace_column` names, as a column
    of another query (a subquery on a unique index): the credential's
    statement reads it (resolvers/credentials.py)."""
    return _counter_column(workspace_column, LOG_COUNTER)


def position_columns(workspace_column: str) -> str:
    """The position and then every topic's (in TOPICS order), as columns."""
    names = [LOG_COUNTER, *(counter_name(topic) for topic in TOPICS)]
    return ", ".join(_counter_column(workspace_column, name) for name in names)


def slot_position(
    log_position: int, topic_positions: tuple[Any, ...] | None, reads: Collection[str] | None
) -> Any:
    """The position a cached answer is kept at: the topics' it reads (a
    missing counter is 0) when it declares them, else the whole log's."""
    if reads is None or topic_positions is None:
        return log_position
    return tuple(topic_positions[TOPICS.index(topic)] or 0 for topic in sorted(reads))


def newer(position: Any, than: Any) -> bool:
    """Whether `position` comes after `than` (topic positions: every topic
    at least as far, and one further)."""
    if isinstance(position, tuple) and isinstance(than, tuple):
        return position != than and all(a >= b for a, b in zip(position, than, strict=True))
    return position > than


def at_or_after(position: Any, than: Any) -> bool:
    """Whether `position` is `than` or comes after it: an answer computed
    after reading it includes every commit `than` counts."""
    return position == than or newer(position, than)


async def positions_now(workspace_id: int) -> tuple[int | None, tuple[int | None, ...]]:
    """The workspace's position and each topic's (TOPICS order), as the
    credential's statement reads them, in one statement: for a request that
    waited before computing, whose credential's are no longer the newest."""
    names = [LOG_COUNTER, *(counter_name(topic) for topic in TOPICS)]
    values = dict(
        await SequenceCounter.filter(workspace_id=workspace_id, name__in=names).values_list("name", "value")
    )
    return values.get(LOG_COUNTER), tuple(values.get(name) for name in names[1:])


async def position_of(workspace_id: int) -> int | None:
    """The workspace's position now (tests, benchmarks; requests read it
    with their credential)."""
    rows = await SequenceCounter.filter(workspace_id=workspace_id, name=LOG_COUNTER).values_list(
        "value", flat=True
    )
    return rows[0] if rows else None


def owned_reads(reads: Collection[str] | None) -> list[str]:
    """The per-owner topics among a report's `reads` (none when it reads all)."""
    return [] if reads is None else sorted(set(reads) & set(OWNED_TOPICS))


async def owned_position(
    workspace_id: int, topics: Collection[str], owner_ids: Collection[int]
) -> tuple[Any, ...]:
    """Per topic, (its `@*` counter, the sum of the owners' counters), in
    one statement. Each counter only grows, so the sums are equal only when
    no change of those owners' deals (or of no owner's) was committed in
    between; read before an answer is computed, it is a position the answer
    includes at least (the counters follow commit order, as `log` does)."""
    owners = sorted(owner_ids)
    names = {
        topic: (
            counter_name(owner_topic(topic, ANY_OWNER)),
            [counter_name(owner_topic(topic, o)) for o in owners],
        )
        for topic in sorted(topics)
    }
    wanted = [name for anyone, each in names.values() for name in (anyone, *each)]
    values = dict(
        await SequenceCounter.filter(workspace_id=workspace_id, name__in=wanted).values_list("name", "value")
    )
    return tuple(
        (values.get(anyone, 0), sum(values.get(name, 0) for name in each)) for anyone, each in names.values()
    )
