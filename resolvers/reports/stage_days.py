"""The funnel's per-stage figures over a range, from the summed rollups
(models.pipeline.StageDay, kept by the triggers of migrations 0031 and 0033) for the
range's whole days and from the cohort facts (DealStageEntry) for the
partial days at its edges, so that a year reads about 12 months + the
edge months' days + two partial days of rows per stage and owner instead
of one row per entry (resolvers/reports/funnel.py defines the figures).

Days are the workspace's (its time zone now); a range [start, end) splits
into: the head [start, first midnight) when start is not a midnight, the
whole days (day rows up to the first whole month, month rows, day rows
after the last), the tail [last midnight, end). With no whole day in
between, the facts answer for the whole range.

*entered* counts each deal's first entry into the stage in the range: the
entry with no entry of the deal into the same stage since the range began
(prev_same_at null or before start). The rollups split entries by the day
of that previous entry (`prev_day`), so in the whole days: prev_day before
start's day counts; after it does not; on start's day itself (only when
start is not a midnight) it counts when the previous entry was before
start, read from the facts' re-entries whose previous entry was on that
day before start (their own index: migration 0037). *converted* is the same count of entries that later
reached a higher OPEN or WON stage (a first entry's flag is its deal's).
Stays: count and seconds summed the same way (their end day), and counted
per duration bucket (`stay_bucket`: the seconds' bit length, so bucket b
holds [2^(b-1), 2^b) seconds; migration 0033). The median and p90 stay
exact (nearest rank, as the contract defines them): the bucket holding the
rank is found from the bucket counts, then only that bucket's stays in the
range are read, in order, from the facts' index on (stage, seconds)
(`ORDER BY stay_seconds LIMIT 1 OFFSET rank - below - 1`), in the
database: a read of one bucket instead of a sort of the range's stays."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import ValuesListQuery

from revgraph.models.pipeline import DealStageEntry, StageDay
from revgraph.resolvers.log_position import NO_OWNER
from revgraph.resolvers.report_measures import DurationStats, ReportWindow
from revgraph.resolvers.reports.raw_rows import (
    Built,
    moment,
    owner_led,
    placeholders,
    raw_rows,
    together,
    union_rows,
    where_of,
)

DAY, MONTH = 0, 1
NO_DAY = date(1, 1, 1)  # StageDay.prev_day of first entries and of stays
NO_BUCKET = -1  # StageDay.bucket of the entry rows
ENTRIES = DealStageEntry._meta.db_table
DAYS = StageDay._meta.db_table
TOP_BUCKET = 40  # migration 0033's last bucket: 2^39 s and more
BUCKETS = list(range(NO_BUCKET, TOP_BUCKET + 1))  # every StageDay.bucket


def stay_bucket(seconds: int) -> int:
    """A stay's duration bucket (as migration 0033's `bucket_sql`)."""
    return min(int(seconds).bit_length(), TOP_BUCKET)


def bucket_bounds(bucket: int) -> tuple[int, int | None]:
    """The seconds [low, high) of a bucket (high None: no bound)."""
    if bucket == 0:
        return 0, 1
    return 1 << (bucket - 1), None if bucket == TOP_BUCKET else 1 << bucket


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first moment of `day` in `zone`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True)
class DayPlan:
    """How a range is read: `whole` (grain, first day, end day exclusive)
    from the rollups, `edges` [from, to) from the facts, `first_day`
    start's day, and `cut` whether start is inside it (not its midnight)."""

    whole: list[tuple[int, date, date]]
    edges: list[tuple[datetime, datetime]]
    first_day: date
    cut: bool
    whole_from: datetime | None = None
    whole_to: datetime | None = None


def day_plan(start: datetime, end: datetime, zone: ZoneInfo) -> DayPlan:
    first_day = start.astimezone(zone).date()
    cut = midnight(first_day, zone) != start
    whole_first = first_day + timedelta(days=1) if cut else first_day
    whole_end = end.astimezone(zone).date()
    if whole_first >= whole_end:
        return DayPlan([], [(start, end)], first_day, cut)
    head, tail = midnight(whole_first, zone), midnight(whole_end, zone)
    edges = [(a, b) for a, b in ((start, head), (tail, end)) if a < b]
    month_first = whole_first if whole_first.day == 1 else _month_after(whole_first)
    month_end = whole_end.replace(day=1)
    if month_first < month_end:
        whole = [
            (DAY, whole_first, month_first),
            (MONTH, month_first, month_end),
            (DAY, month_end, whole_end),
        ]
    else:
        whole = [(DAY, whole_first, whole_end)]
    return DayPlan([part for part in whole if part[1] < part[2]], edges, first_day, cut, head, tail)


@dataclass
class StageFigures:
    entered: int = 0
    converted: int = 0
    stays: int = 0
    stay_seconds: int = 0
    buckets: dict[int, int] = field(default_factory=dict)  # stays per duration bucket

    def add_stays(self, bucket: int, count: int, seconds: int) -> None:
        self.stays += count
        self.stay_seconds += seconds
        self.buckets[bucket] = self.buckets.get(bucket, 0) + count


async def stage_figures(
    deals: Q, owners: Q, stage_ids: list[int], window: ReportWindow, zone: ZoneInfo
) -> dict[int, StageFigures]:
    """Per stage: entered, converted, and the stays that ended in the
    window (count, seconds summed). `deals` is the counted deals' condition
    (it applies to the facts' own columns), `owners` the same on the
    rollups' workspace and owner."""
    found = await _figures(deals, owners, stage_ids, window, zone, by_owner=False)
    return {stage_id: held for (_, stage_id), held in found.items()}


async def owner_stage_figures(
    deals: Q,
    owners: Q,
    stage_ids: list[int],
    window: ReportWindow,
    zone: ZoneInfo,
    *,
    by_owner_index: bool = False,
) -> dict[int, dict[int, StageFigures]]:
    """stage_figures per owner of the counted deals (NO_OWNER for none),
    from the same statements grouped by owner too: each owner's part of
    every figure, which sum to stage_figures of any set of owners. With
    `by_owner_index` (a few named owners, none NO_OWNER), the rollups are
    read through their owner-led index (migration 0038)."""
    found: dict[int, dict[int, StageFigures]] = defaultdict(dict)
    for (owner, stage_id), held in (
        await _figures(deals, owners, stage_ids, window, zone, by_owner=True, by_owner_index=by_owner_index)
    ).items():
        found[owner][stage_id] = held
    return dict(found)


async def _figures(
    deals: Q,
    owners: Q,
    stage_ids: list[int],
    window: ReportWindow,
    zone: ZoneInfo,
    *,
    by_owner: bool,
    by_owner_index: bool = False,
) -> dict[tuple[int, int], StageFigures]:
    """stage_figures by (owner, stage), the owner NO_OWNER throughout
    unless `by_owner` (then each statement groups by the owner too, read
    as its last column)."""
    plan = day_plan(window.start, window.end, zone)
    found: dict[tuple[int, int], StageFigures] = defaultdict(StageFigures)
    by = ("owner_id",) if by_owner else ()

    def owner_of(row: tuple[Any, ...]) -> int:
        return int(row[-1] or NO_OWNER) if by_owner else NO_OWNER

    # The statements need nothing of each other: sent at once (`together`),
    # their rows summed afterwards.
    rollups, reentries, counted, ended = await together(
        _rollup_rows(owners, stage_ids, plan, by, by_owner_index),
        _reentries_after_cut(deals, stage_ids, window.start, plan, zone, by),
        union_rows(_edge_counts(deals, stage_ids, window, plan, by)),
        union_rows(_edge_stays(deals, stage_ids, plan, by)),
    )
    for row in rollups:
        _, stage_id, bucket, entered, advanced, stays, seconds = row[:7]
        held = found[owner_of(row), stage_id]
        held.entered += int(entered or 0)
        held.converted += int(advanced or 0)
        if bucket != NO_BUCKET and stays:
            held.add_stays(bucket, int(stays), int(seconds or 0))
    for row in reentries:
        stage_id, reached = row[:2]
        found[owner_of(row), stage_id].entered += 1
        found[owner_of(row), stage_id].converted += int(bool(reached))
    for row in counted:
        _, stage_id, entered, converted = row[:4]
        found[owner_of(row), stage_id].entered += int(entered)
        found[owner_of(row), stage_id].converted += int(converted)
    for row in ended:
        _, stage_id, seconds = row[:3]
        found[owner_of(row), stage_id].add_stays(stay_bucket(seconds), 1, int(seconds))
    return dict(found)


async def _rollup_rows(
    owners: Q, stage_ids: list[int], plan: DayPlan, by: tuple[str, ...], by_owner_index: bool
) -> list[tuple[Any, ...]]:
    """The whole days' rollups summed per stage and bucket (and owner, with
    `by`): (0, stage, bucket, entered, advanced, stays, seconds[, owner]).
    Stays are on NO_DAY rows, before any first day: one read. Per stage
    and bucket (-1: the entries; the stays per bucket), one query per part
    (a condition ORing the parts' day ranges kept the planners from the
    index's range: measured on SQLite, every rollup of the stages read, 4×
    the CPU). Every bucket named: the index is on
    (stage, grain, bucket, day) (migration 0037), so each (stage, bucket) is
    a range of days read in the order of the grouping (SQLite sorted the
    rows of a year for it)."""
    if not plan.whole:
        return []
    # The condition the parts share built once by the ORM (three builds of
    # its ~50 parameters were most of the rollups' CPU); each part adds its
    # grain and days.
    where = where_of(
        StageDay.filter(
            owners, stage_id__in=stage_ids, bucket__in=BUCKETS, prev_day__lt=plan.first_day
        ).values_list("id")
    )
    grouped = ", ".join(f'"{column}"' for column in ("stage_id", "bucket", *by))
    owner_column = ', "owner_id" "6"' if by else ""
    parts = []
    for grain, first, end in plan.whole:
        marks = placeholders(where.client, len(where.params) + 1, 3)
        sql = (
            'SELECT "stage_id" "0", "bucket" "1", SUM("entered") "2", SUM("advanced") "3", '
            f'SUM("stays") "4", SUM("stay_seconds") "5"{owner_column} FROM "{DAYS}" '
            f'WHERE {where.sql} AND "grain" = {marks[0]} AND "day" >= {marks[1]} AND "day" < {marks[2]} '
            f"GROUP BY {grouped}"
        )
        part = Built(where.client, sql, [*where.params, grain, first, end], 6 + len(by))
        # A few named owners' rows through their owner-led index (migration 0038).
        parts.append(owner_led(part, DAYS, "idx_stage_day_owner") if by_owner_index else part)
    if not parts or parts[0].client.capabilities.dialect == "sqlite":
        # One statement: SQLite's one connection would run them in turn.
        return await union_rows(parts)
    # PostgreSQL: a statement per part, at once. A year's month rows
    # (~20,000 for the bench's admin) and its first days' (~8,000) are most
    # of a first answer's database time, and one statement runs on one core.
    found = await together(*(union_rows([part]) for part in parts))
    return [row for rows in found for row in rows]


def _edge_counts(
    deals: Q, stage_ids: list[int], window: ReportWindow, plan: DayPlan, by: tuple[str, ...]
) -> list[ValuesListQuery]:
    """The partial days' first entries and those that reached higher, per
    stage (and owner, with `by`), one query per edge. Counted over columns
    of the facts' covering indexes (deal_id, not id: no table reads)."""
    first = Q(prev_same_at__isnull=True) | Q(prev_same_at__lt=window.start)
    facts = DealStageEntry.filter(deals, stage_id__in=stage_ids)
    return [
        facts.filter(first, entered_at__gte=start, entered_at__lt=end)
        .annotate(e=Count("deal_id"), c=Count("deal_id", _filter=Q(reached_higher=True)))
        .group_by("stage_id", *by)
        .values_list("stage_id", "e", "c", *by)
        for start, end in plan.edges
    ]


def _edge_stays(deals: Q, stage_ids: list[int], plan: DayPlan, by: tuple[str, ...]) -> list[ValuesListQuery]:
    """A partial day's stays, few, one by one (grouped by their seconds,
    the planners walked the index on (stage, seconds) instead), one query
    per edge."""
    facts = DealStageEntry.filter(deals, stage_id__in=stage_ids)
    return [
        facts.filter(left_at__gte=start, left_at__lt=end).values_list("stage_id", "stay_seconds", *by)
        for start, end in plan.edges
    ]


async def _reentries_after_cut(
    deals: Q,
    stage_ids: list[int],
    start: datetime,
    plan: DayPlan,
    zone: ZoneInfo,
    by: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    """The whole days' entries whose previous entry into the same stage was
    on start's day before start, as (stage, reached_higher[, owner]): first
    entries of the range, which the rollups cannot tell from those after
    start on that day (none when start is a midnight or no day is whole).
    Read from the facts through their re-entries' index (migration 0037:
    the entries with a previous one, by stage and that previous entry's
    time, covering), in one statement: the entries whose previous one is in
    [start's midnight, start), filtered here to those entered in the whole
    days (few: at most one per deal and stage that entered it that
    morning; the entry times are tested here rather than in SQL, so that
    the planners have no range on them to prefer to the index's)."""
    if not (plan.whole and plan.cut):
        return []
    day_start = midnight(plan.first_day, zone)
    rows = await raw_rows(
        DealStageEntry.filter(
            deals,
            stage_id__in=stage_ids,
            prev_same_at__isnull=False,
            prev_same_at__gte=day_start,
            prev_same_at__lt=start,
        ).values_list("stage_id", "entered_at", "reached_higher", *by)
    )
    return [(row[0], row[2], *row[3:]) for row in rows if plan.whole_from <= moment(row[1]) < plan.whole_to]


def _rank(percent: int, count: int) -> int:
    """The nearest rank (report_measures.nearest_rank), from 1."""
    return max(1, -(-percent * count // 100))


def rank_in_bucket(buckets: dict[int, int], rank: int) -> tuple[int, int]:
    """The bucket holding the `rank`-th shortest stay (from 1) and the
    stay's rank within it (from 1), from the stays counted per bucket."""
    below = 0
    for bucket in sorted(buckets):
        if below + buckets[bucket] >= rank:
            return bucket, rank - below
        below += buckets[bucket]
    raise ValueError(f"rank {rank} beyond {below} stays")


async def stay_stats(
    deals: Q, window: ReportWindow, figures: dict[int, StageFigures]
) -> dict[int, DurationStats]:
    """Per stage with stays: its DurationStats from the stays' count and
    sum, the median and p90 (nearest rank, as report_measures.duration_stats)
    read in one statement: per stage and rank, the bucket holding the rank
    (from the bucket counts), then `ORDER BY stay_seconds LIMIT 1 OFFSET
    rank_in_bucket - 1` over that bucket's stays that ended in the window,
    in UNION ALL."""
    ranked = [(stage_id, percent) for stage_id, held in figures.items() if held.stays for percent in (50, 90)]
    if not ranked:
        return {}
    # The condition the parts share built once by the ORM (its building was
    # most of this step's CPU, a dozen times over); each part adds its stage
    # and bucket as integers.
    where = where_of(
        DealStageEntry.filter(deals, left_at__gte=window.start, left_at__lt=window.end).values_list("id")
    )
    queries = []
    for stage_id, percent in ranked:
        held = figures[stage_id]
        bucket, rank = rank_in_bucket(held.buckets, _rank(percent, held.stays))
        low, high = bucket_bounds(bucket)
        params = [*where.params, stage_id, low, *(() if high is None else (high,))]
        marks = placeholders(where.client, len(where.params) + 1, len(params) - len(where.params))
        sql = (
            f'SELECT "stay_seconds" "0" FROM "{ENTRIES}" WHERE {where.sql} AND "stage_id" = {marks[0]} '
            f'AND "stay_seconds" >= {marks[1]}'
            + (f' AND "stay_seconds" < {marks[2]}' if high is not None else "")
            + f' ORDER BY "stay_seconds" LIMIT 1 OFFSET {int(rank) - 1}'
        )
        queries.append(Built(where.client, sql, params, 1))
    at = {ranked[part]: int(seconds) for part, seconds in await union_rows(queries)}
    found = {}
    for stage_id, held in figures.items():
        if held.stays:
            average = (2 * held.stay_seconds + held.stays) // (2 * held.stays)
            found[stage_id] = DurationStats(held.stays, average, at[stage_id, 50], at[stage_id, 90])
    return found
