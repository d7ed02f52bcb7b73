"""The funnel's cohort facts (models.pipeline.DealStageEntry), kept in the
transaction of every stage transition so that a report counts them in SQL
instead of replaying the history in Python (resolvers/reports/funnel.py).

One entry per StageTransition, with the transition's id and time. Facts,
each a function of the deal's transitions in recorded order (`at`, then
id) and of the pipeline's stages as they are now:
- left_at: the time of the deal's next transition (None while it stays);
- stay_seconds: whole seconds from entered_at to left_at, never negative;
- reached_higher: a later transition of the deal entered a stage of higher
  position whose kind is OPEN or WON (the funnel's "converted");
- prev_same_at: when the deal last entered the same stage before (so the
  entries into a stage in a range that are each deal's first there are
  those with no such entry since the range began: "entered" counts
  distinct deals without a DISTINCT);
- owner_id, deleted_at: the deal's, now — written with the entry, then
  copied by a trigger on `deal` whenever they change (migration 0028), so
  that the deals' visibility condition (deal_scope.reported_deals_q, on
  workspace_id, pipeline_id, owner_id and deleted_at) filters the entries
  themselves.

- entered_day, left_day, prev_day: the days of entered_at, left_at and
  prev_same_at in the workspace's time zone, the keys of the funnel's
  per-day rollups (models.pipeline.StageDay), which triggers on the table
  keep from every insert, update and delete of an entry (migration 0031, replaced by 0033):
  so whatever changes an entry (a move, the owner/trash trigger, a stage
  reorder, a rebuild) corrects the rollups in the same transaction. A change
  of the workspace's time zone re-dates the entries (`redate_workspace`).

Every transition is written by resolvers/deals.py `_transition`, which calls
`record_transition` (the transition and its facts: one statement on
PostgreSQL, two on SQLite): the deal's row lock serialises its moves, so the new
entry is its last. A change of the stages' order changes reached_higher, so the
stages' writers call `refresh_reached_higher` in their transaction.
`rebuild_deal_entries` derives a deal's entries from its transitions again
(tests that rewrite the times of a history; bulk-written data)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from tortoise import connections, timezone

from revgraph.models.identity import Workspace
from revgraph.models.pipeline import Deal, DealStageEntry, Stage, StageTransition
from revgraph.resolvers.bulk_insert import insert_with_ids
from revgraph.resolvers.reports.raw_rows import moment, raw_rows, sql_marks

ID_CHUNK = 900  # SQLite's limit of bound variables, with room to spare


def stay_seconds(entered_at: datetime, left_at: datetime) -> int:
    return max(0, int((left_at - entered_at).total_seconds()))


def local_day(at: datetime | None, zone: ZoneInfo) -> date | None:
    """The day of `at` in the workspace's time zone (the rollups' keys)."""
    return None if at is None else at.astimezone(zone).date()


_TRANSITION = (
    'INSERT INTO "stage_transition" (workspace_id, deal_id, from_stage_id, to_stage_id, actor_user_id, '
    "actor_label, at) VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}) RETURNING id"
)
# PostgreSQL: the transition and its facts in one statement, the facts
# computed by the database from the deal's entries (`prior`: what the
# statement's snapshot holds, before the transition), as _write_entries
# computes them on SQLite: the open entry closed at the transition's time,
# with its stay and the day it ended in the workspace's zone; the earlier
# entries into lower stages not yet converted, converted when the new stage
# is not LOST; the new entry opened, with the deal's last entry into the
# same stage before it. Parameters: _TRANSITION's seven, then the new
# stage's pipeline, position and "converts" (kind other than LOST), the
# deal's owner and trash time.
_PG_RECORD = (
    "WITH t AS (" + _TRANSITION.format(*(f"${i}" for i in range(1, 8))) + ", at), "
    'z AS (SELECT w.timezone AS zone, CAST(t.at AT TIME ZONE w.timezone AS date) AS day FROM t CROSS JOIN "workspace" w '
    "WHERE w.id = $1), "
    "prior AS (SELECT e.id, e.stage_id, e.entered_at, e.left_at, "
    "($10 AND NOT e.reached_higher AND s.position < $9) AS converts "
    'FROM "deal_stage_entry" e LEFT JOIN "stage" s ON s.id = e.stage_id WHERE e.deal_id = $2), '
    'closed AS (UPDATE "deal_stage_entry" e SET '
    "left_at = CASE WHEN p.left_at IS NULL THEN t.at ELSE e.left_at END, "
    "left_day = CASE WHEN p.left_at IS NULL THEN z.day ELSE e.left_day END, "
    "stay_seconds = CASE WHEN p.left_at IS NULL "
    "THEN CAST(GREATEST(0, FLOOR(EXTRACT(EPOCH FROM t.at - e.entered_at))) AS BIGINT) ELSE e.stay_seconds END, "
    "reached_higher = e.reached_higher OR p.converts "
    "FROM prior p, t, z WHERE e.id = p.id AND (p.left_at IS NULL OR p.converts)), "
    "same AS (SELECT MAX(entered_at) AS at FROM prior WHERE stage_id = $4) "
    'INSERT INTO "deal_stage_entry" (id, workspace_id, deal_id, pipeline_id, stage_id, entered_at, '
    "reached_higher, prev_same_at, owner_id, deleted_at, entered_day, prev_day) "
    "SELECT t.id, $1, $2, CAST($8 AS INTEGER), $4, t.at, FALSE, same.at, CAST($11 AS INTEGER), "
    "CAST($12 AS TIMESTAMPTZ), z.day, "
    "CAST(same.at AT TIME ZONE z.zone AS date) FROM t CROSS JOIN z CROSS JOIN same"
)
# SQLite has no data-modifying CTE, but its RETURNING takes subqueries: the
# transition's INSERT returns the workspace's zone and the deal's entries
# (id, stage, entered_at, left_at, reached_higher, the stage's position; as
# a JSON array) too, from which _write_entries computes the facts.
_RETURNING_READ = (
    ', (SELECT w.timezone FROM "workspace" w WHERE w.id = {workspace}), '
    "(SELECT json_group_array(json_array(e.id, e.stage_id, e.entered_at, e.left_at, e.reached_higher, "
    's.position)) FROM "deal_stage_entry" e LEFT JOIN "stage" s ON s.id = e.stage_id WHERE e.deal_id = {deal})'
)
_NO_ENTRY = (None,) * 6
_ENTRY = (
    'INSERT INTO "deal_stage_entry" (id, workspace_id, deal_id, pipeline_id, stage_id, entered_at, '
    "reached_higher, prev_same_at, owner_id, deleted_at, entered_day, prev_day, lost_reason, value_cents, currency, "
    "left_at, left_day, stay_seconds) "
)
# SQLite: the entry takes its deal's reason, cents and currency in its own
# INSERT, so that migration 0039's AFTER INSERT trigger finds nothing to
# copy and does not UPDATE the row it was inserted as (0036's did, which ran
# every UPDATE trigger's condition again). PostgreSQL's BEFORE INSERT
# trigger sets them on the row being inserted (no second write).
_FROM_DEAL = (
    ", d.lost_reason, CAST(ROUND(COALESCE(d.value, 0) * 100) AS BIGINT), d.currency, NULL, NULL, NULL "
    'FROM "deal" d WHERE d.id = {}'
)


class Transition(NamedTuple):
    """A transition just recorded (resolvers/deals.py `_transition`)."""

    id: int
    workspace_id: int
    deal_id: int
    at: datetime


async def insert_transition(
    deal: Deal, from_stage_id: int | None, stage: Stage, actor_user_id: int | None, actor_label: str | None
) -> StageTransition:
    """The deal's StageTransition into `stage` alone, through the ORM, without
    its facts (the benchmarks' move without the rollups: the write path
    before them)."""
    return await StageTransition.create(
        workspace_id=deal.workspace_id,
        deal_id=deal.id,
        from_stage_id=from_stage_id,
        to_stage_id=stage.id,
        actor_user_id=actor_user_id,
        actor_label=actor_label,
    )


async def record_transition(
    deal: Deal, from_stage_id: int | None, stage: Stage, actor_user_id: int | None, actor_label: str | None
) -> None:
    """The deal's StageTransition into `stage` and its cohort facts, in the
    caller's transaction: the deal's open entry is closed, its earlier
    entries into lower stages are converted when `stage` is OPEN or WON,
    and the new entry is opened. Written here rather than through the ORM
    (a move pays for them: bench/REPORTS.md); the triggers of migration
    0033 move the rollups. On PostgreSQL one statement (_PG_RECORD) does it
    all, the facts computed by the database: a move's writes hold its
    board's sequence (resolvers/deal_moves.py), and every round trip inside
    that section lengthens every other move's wait. On SQLite the
    transition's INSERT returns what the facts need (the deal's entries,
    the workspace's zone) in its RETURNING; then one INSERT … ON CONFLICT
    closes and converts entries and opens the new one: two statements."""
    client = connections.get("default")
    dialect = client.capabilities.dialect
    values = [deal.workspace_id, deal.id, from_stage_id, stage.id, actor_user_id, actor_label, timezone.now()]
    if dialect == "postgres":
        converts = stage.kind != "LOST"
        facts = [stage.pipeline_id, stage.position, converts, deal.owner_id, deal.deleted_at]
        await client.execute_query(_PG_RECORD, [*values, *facts])
        return
    marks = sql_marks(7, dialect)
    read = _RETURNING_READ.format(deal=marks[1], workspace=marks[0])
    _, [(transition_id, zone, entries)] = await client.execute_query(
        _TRANSITION.format(*marks) + read, values
    )
    rows = [(zone, *entry) for entry in json.loads(entries)] or [(zone, *_NO_ENTRY)]
    transition = Transition(transition_id, deal.workspace_id, deal.id, values[-1])
    await _write_entries(client, transition, stage, deal, rows)


async def _write_entries(
    client: Any, transition: Transition, stage: Stage, deal: Deal, rows: Sequence[Sequence[Any]]
) -> None:
    """record_transition's writes on SQLite, from the workspace's zone and
    the deal's entries (`_RETURNING_READ`'s columns, one row of nulls for
    none): the facts _PG_RECORD computes in the database on PostgreSQL, in
    one statement. The entries it closes or converts are read back into the
    INSERT with their new facts, so they conflict on their id and are
    updated (firing the UPDATE triggers, as an UPDATE would); the new entry,
    last, is inserted."""
    zone = ZoneInfo(rows[0][0])
    at = transition.at
    earlier = [row for row in rows if row[1] is not None]
    open_ids = [row[1] for row in earlier if row[4] is None]
    converted = []
    if stage.kind != "LOST":
        converted = [row[1] for row in earlier if not row[5] and row[6] < stage.position]
    same = [moment(row[3]) for row in earlier if row[2] == stage.id]
    prev_same_at = max(same, default=None)
    params: list[object] = []

    def mark(value: object) -> str:
        params.append(value)
        return sql_marks(1, "sqlite", len(params))[0]

    changed = ""
    if open_ids or converted:
        entered = {row[1]: moment(row[3]) for row in earlier}
        when, left_day = mark(at), mark(local_day(at, zone))
        closing = ", ".join(mark(i) for i in open_ids) or "NULL"
        stays = " ".join(f"WHEN {mark(i)} THEN {mark(stay_seconds(entered[i], at))}" for i in open_ids)
        converting = ", ".join(mark(i) for i in converted) or "NULL"
        touched = ", ".join(mark(i) for i in open_ids + converted)
        changed = (
            "SELECT id, workspace_id, deal_id, pipeline_id, stage_id, entered_at, "
            f"CASE WHEN id IN ({converting}) THEN TRUE ELSE reached_higher END, prev_same_at, owner_id, "
            "deleted_at, entered_day, prev_day, lost_reason, value_cents, currency, "
            f"CASE WHEN id IN ({closing}) THEN {when} ELSE left_at END, "
            f"CASE WHEN id IN ({closing}) THEN {left_day} ELSE left_day END, "
            f"CASE {'id ' + stays if stays else 'WHEN FALSE THEN NULL'} ELSE stay_seconds END "
            f'FROM "deal_stage_entry" WHERE id IN ({touched}) UNION ALL '
        )
    entry = [
        transition.id,
        transition.workspace_id,
        transition.deal_id,
        stage.pipeline_id,
        stage.id,
        at,
        prev_same_at,
        deal.owner_id,
        deal.deleted_at,
        local_day(at, zone),
        local_day(prev_same_at, zone),
    ]
    marks = [mark(value) for value in entry]
    # The deal's figures come from its row, found by the entry's deal id.
    await client.execute_query(
        f"{_ENTRY}{changed}SELECT {', '.join([*marks[:6], 'FALSE', *marks[6:]])}"
        f"{_FROM_DEAL.format(marks[2])} ON CONFLICT (id) DO UPDATE SET left_at = excluded.left_at, "
        "left_day = excluded.left_day, stay_seconds = excluded.stay_seconds, "
        "reached_higher = excluded.reached_higher",
        params,
    )


async def enter_first_stages(entries: Sequence[tuple[StageTransition, Stage, Deal]]) -> None:
    """record_transition's facts for new deals' first transitions (a bulk load's, in its
    transaction): a new deal has no earlier entry, so each fact is the
    opening entry's, written for them all in a few INSERTs."""
    if not entries:
        return
    zones: dict[int, ZoneInfo] = {}
    for workspace_id in sorted({transition.workspace_id for transition, _, _ in entries}):
        zones[workspace_id] = ZoneInfo((await Workspace.get(id=workspace_id)).timezone)
    await insert_with_ids(
        [
            DealStageEntry(
                id=transition.id,
                workspace_id=transition.workspace_id,
                deal_id=transition.deal_id,
                pipeline_id=stage.pipeline_id,
                stage_id=stage.id,
                entered_at=transition.at,
                reached_higher=False,
                prev_same_at=None,
                owner_id=deal.owner_id,
                deleted_at=deal.deleted_at,
                entered_day=local_day(transition.at, zones[transition.workspace_id]),
                prev_day=None,
            )
            for transition, stage, deal in entries
        ]
    )


class Entry(NamedTuple):
    id: int
    deal_id: int
    stage_id: int
    at: datetime


class Facts(NamedTuple):
    left_at: datetime | None
    stay_seconds: int | None
    reached_higher: bool
    prev_same_at: datetime | None


def entry_facts(entries: Iterable[Entry], stages: dict[int, tuple[int, str]]) -> dict[int, Facts]:
    """The facts of every entry, by id, from the deals' entries (in any
    order) and the stages' (position, kind)."""
    by_deal: dict[int, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_deal[entry.deal_id].append(entry)
    facts: dict[int, Facts] = {}
    for rows in by_deal.values():
        rows.sort(key=lambda row: (row.at, row.id))
        last_in: dict[int, datetime] = {}
        before: dict[int, datetime | None] = {}
        for row in rows:
            before[row.id] = last_in.get(row.stage_id)
            last_in[row.stage_id] = row.at
        highest_later: int | None = None  # of the OPEN/WON stages entered after
        following: Entry | None = None
        for row in reversed(rows):
            position, kind = stages.get(row.stage_id, (None, None))
            reached = position is not None and highest_later is not None and highest_later > position
            left = following.at if following is not None else None
            facts[row.id] = Facts(left, stay_seconds(row.at, left) if left else None, reached, before[row.id])
            if position is not None and kind != "LOST":
                highest_later = position if highest_later is None else max(highest_later, position)
            following = row
    return facts


async def _stages_of(pipeline_ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    rows = await Stage.filter(pipeline_id__in=sorted(set(pipeline_ids))).values_list("id", "position", "kind")
    return {stage_id: (position, kind) for stage_id, position, kind in rows}


async def rebuild_deal_entries(deal_ids: Iterable[int]) -> None:
    """Derive the entries of these deals from their transitions again
    (caller's transaction, if any)."""
    ordered = sorted(set(deal_ids))
    for at in range(0, len(ordered), ID_CHUNK):
        chunk = ordered[at : at + ID_CHUNK]
        rows = await raw_rows(
            StageTransition.filter(deal_id__in=chunk).values_list(
                "id", "deal_id", "to_stage_id", "at", "workspace_id"
            )
        )
        stage_rows = await Stage.filter(id__in={row[2] for row in rows}).values_list("id", "pipeline_id")
        pipeline_of = dict(stage_rows)
        stages = await _stages_of(pipeline_of.values())
        entries = [Entry(i, deal, stage, moment(when)) for i, deal, stage, when, _ in rows]
        facts = entry_facts(entries, stages)
        workspace_of = {row[0]: row[4] for row in rows}
        deals = {
            row[0]: row for row in await Deal.filter(id__in=chunk).values_list("id", "owner_id", "deleted_at")
        }
        zones = {
            i: ZoneInfo(zone)
            for i, zone in await Workspace.filter(id__in=set(workspace_of.values())).values_list(
                "id", "timezone"
            )
        }
        await DealStageEntry.filter(deal_id__in=chunk).delete()
        await DealStageEntry.bulk_create(
            [
                DealStageEntry(
                    id=entry.id,
                    workspace_id=workspace_of[entry.id],
                    deal_id=entry.deal_id,
                    pipeline_id=pipeline_of[entry.stage_id],
                    stage_id=entry.stage_id,
                    entered_at=entry.at,
                    left_at=facts[entry.id].left_at,
                    stay_seconds=facts[entry.id].stay_seconds,
                    reached_higher=facts[entry.id].reached_higher,
                    prev_same_at=facts[entry.id].prev_same_at,
                    owner_id=deals[entry.deal_id][1],
                    deleted_at=deals[entry.deal_id][2],
                    entered_day=local_day(entry.at, zones[workspace_of[entry.id]]),
                    left_day=local_day(facts[entry.id].left_at, zones[workspace_of[entry.id]]),
                    prev_day=local_day(facts[entry.id].prev_same_at, zones[workspace_of[entry.id]]),
                )
                for entry in entries
            ],
            batch_size=500,
        )


async def refresh_reached_higher(pipeline_id: int) -> None:
    """Recompute reached_higher over a pipeline whose stages' positions
    changed (caller's transaction). Reads every entry of the pipeline: a
    rare admin change, paid once rather than on every report."""
    # By stage: an index on pipeline_id would tempt the planners away from
    # the reports' covering indexes (measured on SQLite: 4× slower).
    stage_ids = await Stage.filter(pipeline_id=pipeline_id).values_list("id", flat=True)
    rows = await raw_rows(
        DealStageEntry.filter(stage_id__in=stage_ids).values_list(
            "id", "deal_id", "stage_id", "entered_at", "reached_higher"
        )
    )
    held = {row[0]: bool(row[4]) for row in rows}
    facts = entry_facts(
        (Entry(i, deal, stage, moment(at)) for i, deal, stage, at, _ in rows), await _stages_of([pipeline_id])
    )
    for flag in (True, False):
        changed = sorted(
            i for i, fact in facts.items() if fact.reached_higher is flag and held[i] is not flag
        )
        for at in range(0, len(changed), ID_CHUNK):
            await DealStageEntry.filter(id__in=changed[at : at + ID_CHUNK]).update(reached_higher=flag)


async def redate_workspace(workspace_id: int) -> None:
    """The days of a workspace's entries again, in its time zone now (after
    a change of time zone, in its transaction): the rollups follow through
    the triggers, an entry at a time, for the entries whose days moved."""
    zone = ZoneInfo((await Workspace.get(id=workspace_id)).timezone)
    rows = await raw_rows(
        DealStageEntry.filter(workspace_id=workspace_id).values_list(
            "id", "entered_at", "left_at", "prev_same_at", "entered_day", "left_day", "prev_day"
        )
    )
    client = connections.get("default")
    dialect = client.capabilities.dialect
    changed = []
    for entry_id, *times, entered_day, left_day, prev_day in rows:
        days = [local_day(moment(at) if at is not None else None, zone) for at in times]
        held = [date.fromisoformat(d) if isinstance(d, str) else d for d in (entered_day, left_day, prev_day)]
        if days != held:
            changed.append([*days, entry_id])
    if changed:
        await client.execute_many(
            'UPDATE "deal_stage_entry" SET entered_day = {}, left_day = {}, prev_day = {} WHERE id = {}'.format(
                *sql_marks(4, dialect)
            ),
            changed,
        )
