"""The funnel (reports.graphql `funnel`): per stage of a pipeline, the
deals that entered it in a range [from, to), how many of those went on, how
many are there now and how long deals stayed; and the range's wins and
losses.

History comes from StageTransition, the source of truth: every entry into a
stage is one row, a deal's creation included (its first row, with no
`from_stage`: resolvers/deals.py), and a stay in a stage runs from the row
that entered it to the deal's next row. A deal's rows are in the order they
were recorded (`at`, then id: one deal's moves are serialised by its row
lock), and `at` places them in ranges.

The deals counted are those of resolvers/reports/deal_scope.py (live,
visible to the caller by their owner now, narrowed by teamId/ownerId).
Definitions:
- entered: distinct deals with a row into the stage in the range.
- converted: of those, the deals with a later row (after their first entry
  in the range, up to the query) into a stage of the pipeline of higher
  position whose kind is OPEN or WON. conversionRate: converted / entered,
  rounded to 4 decimal places; null when entered is 0.
- current, currentValue: live deals now in the stage; the range plays no
  part. Values are summed over the deals in the workspace's currency (deals
  in another currency are counted, not summed; a deal without a value adds
  0).
- timeInStage: the stays in the stage that ended in the range (the row
  leaving it is in the range, wherever the entering one is), in whole
  seconds; a deal still in the stage has no ended stay there.
- won / lost: distinct deals with a row in the range into a WON / LOST stage
  (a deal won and lost within the range is in both). wonValue: the won
  deals' values, summed as above. winRate: won / (won + lost), 4 decimal
  places, null when both are 0.
- lossReasons: the lost deals by their loss reason as it stands now (key =
  label = the reason; a deal without one, reopened since, say, is under key
  "" labelled "—"), each bucket with the deals' value summed as above;
  largest count first, then by reason. The counts add up to `lost`.
- stages: the pipeline's active stages in board order (position, then id),
  with its archived stages that have a figure (a deal entered, a stay ended
  or a deal is there now) placed at their last position.

The figures are counted in SQL. entered, converted and the stays' count
and average come from the per-day and per-month rollups of the cohort
facts (resolvers/reports/stage_days.py, models.pipeline.StageDay, summed
by triggers as the facts change) for the range's whole days in the
workspace's time zone, and from the facts themselves (resolvers/
stage_entries.py: per entry, when it was left, the stay's seconds, when the
deal last entered the same stage, whether it later reached a higher OPEN
or WON stage, the deal's owner and trash time now) for the partial days at
its edges; visibility is the deals' own condition on the owner, which both
carry. A deal's first entry into a stage in the range is its one entry
there with no entry into the same stage since the range began, and its
`reached_higher` is the deal's "converted" (later entries only narrow what
comes after). The stays' median and p90 stay exact (nearest rank): the
rollups count the stays per duration bucket, the bucket holding each rank
is found from the counts, and only that bucket's stays are read from the
facts, in order (one statement); won/lost and their reasons from the range's WON/LOST
entries, which carry the deals' reasons and values now (migration 0036); the current deals from their rollup
per stage, owner and currency (models.pipeline.StageCurrent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from tortoise.expressions import Q
from tortoise.functions import Sum

from revgraph.models.identity import Workspace
from revgraph.models.pipeline import DealStageEntry, Pipeline, Stage, StageCurrent
from revgraph.resolvers.context import Context
from revgraph.resolvers.report_measures import DurationStats, ReportWindow, check_range, duration_stats
from revgraph.resolvers.reports.buckets import NONE_KEY, NONE_LABEL, Bucket, ranked
from revgraph.resolvers.reports.deal_scope import reported_owners_q
from revgraph.resolvers.reports.money import money
from revgraph.resolvers.reports.owner_parts import (
    OWNER_PARTS,
    OwnerPart,
    by_owner_index,
    owners_q,
    scope_owners,
    scope_part,
)
from revgraph.resolvers.reports.owner_stays import scope_stay_stats
from revgraph.resolvers.reports.raw_rows import Built, built, together, union_rows
from revgraph.resolvers.reports.stage_days import (
    NO_OWNER,
    StageFigures,
    owner_stage_figures,
    stage_figures,
    stay_stats,
)
from revgraph.resolvers.visibility import named_record

# The topics of what the funnel reads (schema/poll.py `report`): deals and
# their stage entries, stages, the team tree and users (visibility), the
# workspace's currency; `other` for anything logged under no known topic.
READS = ("deals", "deal_stages", "people")


@dataclass(frozen=True)
class FunnelStage:
    stage: Stage
    entered: int
    converted: int
    conversion_rate: float | None
    current: int
    current_value: Decimal
    time_in_stage: DurationStats


@dataclass(frozen=True)
class Funnel:
    pipeline: Pipeline
    stages: list[FunnelStage]
    won: int
    lost: int
    won_value: Decimal
    win_rate: float | None
    loss_reasons: list[Bucket]


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 decimal places; None when whole is 0."""
    return round(part / whole, 4) if whole else None


NO_STAYS = duration_stats([])


async def _nothing() -> None:
    return None


async def _current(
    owners: Q, stage_ids: list[int], currency: str, *, by_owner: bool = False
) -> dict[tuple[int, int], tuple[int, Decimal]]:
    """Per (owner, stage): the counted deals in it now, and their value,
    from the deals' rollup per stage, owner and currency (models.pipeline.
    StageCurrent, kept by triggers on `deal`: migration 0033); `owners` is
    the counted deals' workspace and owner condition. The owner is
    NO_OWNER throughout unless `by_owner` (the rollup's owner 0 is none)."""
    by = ("owner_id",) if by_owner else ()
    rows = (
        await StageCurrent.filter(owners, stage_id__in=stage_ids)
        .annotate(n=Sum("deals"), total=Sum("value_cents"))
        .group_by("stage_id", "currency", *by)
        .values_list("stage_id", "currency", "n", "total", *by)
    )
    found: dict[tuple[int, int], tuple[int, Decimal]] = {}
    for row in rows:
        stage_id, in_currency, count, total = row[:4]
        key = (int(row[4] or NO_OWNER) if by_owner else NO_OWNER, stage_id)
        held, value = found.get(key, (0, Decimal("0.00")))
        summed = Decimal(int(total or 0)) / 100 if in_currency == currency else Decimal("0.00")
        found[key] = (held + int(count or 0), value + summed)
    return found


async def _closed(
    deals: Q, kinds: dict[str, list[int]], window: ReportWindow, currency: str
) -> dict[str, dict[str, Bucket]]:
    """Per kind: `_closed_by_owner`'s buckets of all the counted deals."""
    found = await _closed_by_owner(deals, kinds, window, currency, by_owner=False)
    return {kind: found.get((NO_OWNER, kind), {}) for kind in kinds}


async def _closed_by_owner(
    deals: Q, kinds: dict[str, list[int]], window: ReportWindow, currency: str, *, by_owner: bool = True
) -> dict[tuple[int, str], dict[str, Bucket]]:
    """Per owner (NO_OWNER throughout unless `by_owner`) and kind (WON,
    LOST) with stages: the counted deals that entered one
    of its stages in the window, by their loss reason now ("" for none),
    each with the deals' value summed. Read from the entries alone, which
    carry the deal's owner, trash time, reason, value in cents and currency
    now (migrations 0028, 0036): the window's entries into the stages (index
    idx_stage_entry_entered, covering) that are each deal's first into its
    stage in the window (no entry into the same stage since the window
    began: one per deal and stage, so one stage needs no DISTINCT, which
    sorted every row), one row per deal (a deal's entries all carry the
    same values; a deal that entered two of the stages is one), grouped by
    reason and currency; both kinds in one statement. A deal has one owner:
    its entries all carry it, so grouping by it too splits no deal."""
    first = Q(prev_same_at__isnull=True) | Q(prev_same_at__lt=window.start)
    named = [(kind, stage_ids) for kind, stage_ids in kinds.items() if stage_ids]
    parts = []
    for _, stage_ids in named:
        query = DealStageEntry.filter(
            deals, first, stage_id__in=stage_ids, entered_at__gte=window.start, entered_at__lt=window.end
        )
        if len(stage_ids) > 1:
            query = query.distinct()
        if by_owner:
            rows = built(query.values_list("deal_id", "lost_reason", "currency", "value_cents", "owner_id"))
            grouped = (
                'SELECT r."1" "0", r."2" "1", COUNT(*) "2", SUM(r."3") "3", r."4" "4" '
                f'FROM ({rows.sql}) r GROUP BY r."1", r."2", r."4"'
            )
        else:
            rows = built(query.values_list("deal_id", "lost_reason", "currency", "value_cents"))
            grouped = (
                'SELECT r."1" "0", r."2" "1", COUNT(*) "2", SUM(r."3") "3" '
                f'FROM ({rows.sql}) r GROUP BY r."1", r."2"'
            )
        parts.append(Built(rows.client, grouped, rows.params, 5 if by_owner else 4))
    found: dict[tuple[int, str], dict[str, Bucket]] = {}
    for row in await union_rows(parts):
        part, reason, in_currency, count, cents = row[:5]
        owner = int(row[5] or NO_OWNER) if by_owner else NO_OWNER
        buckets = found.setdefault((owner, named[part][0]), {})
        key = reason or NONE_KEY
        held = buckets.get(key, Bucket(key, key or NONE_LABEL, 0, Decimal("0.00")))
        summed = money(Decimal(int(cents or 0)) / 100) if in_currency == currency else Decimal("0.00")
        buckets[key] = Bucket(
            key, held.label, held.count + int(count), (held.value or Decimal("0.00")) + summed
        )
    return found


async def funnel(
    ctx: Context,
    pipeline_id: str,
    start: datetime,
    end: datetime,
    *,
    team_id: str | None = None,
    owner_id: str | None = None,
) -> Funnel:
    """The funnel of a pipeline over [start, end) for the deals the caller
    may see (see the module for every figure). An id naming nothing the
    caller sees is NOT_FOUND on its argument; a bad range INVALID."""
    actor = ctx.require_actor()
    window = check_range(start, end)
    pipeline = await named_record(ctx, Pipeline, pipeline_id, ["pipelineId"], live=False)
    store = ctx.cache.get(OWNER_PARTS)
    by_parts = store is not None and team_id is None and owner_id is None
    # What the computation needs first, read at once (`together`).
    owners, workspace, stage_rows, scoped = await together(
        reported_owners_q(ctx, team_id=team_id, owner_id=owner_id),
        Workspace.get(id=actor.workspace_id),
        Stage.filter(pipeline_id=pipeline.id).order_by("position", "id"),
        scope_owners(ctx) if by_parts else _nothing(),
    )
    deals = owners & Q(deleted_at__isnull=True, pipeline_id=pipeline.id)
    currency = workspace.currency
    stages = {s.id: s for s in stage_rows}
    zone = ZoneInfo(workspace.timezone)
    kinds = {kind: [s.id for s in stages.values() if s.kind == kind] for kind in ("WON", "LOST")}
    held = None
    if store is not None and scoped is not None:
        # The sum of the scope's owners' parts (resolvers/reports/owner_parts.py).
        what = (actor.workspace_id, pipeline.id, tuple((s.id, s.kind) for s in stages.values()))
        what += (window.start, window.end, workspace.timezone, currency)

        async def compute(stale: list[int]) -> dict[int, OwnerPart]:
            return await _owner_parts(
                actor.workspace_id, pipeline.id, stale, list(stages), kinds, window, zone, currency
            )

        held = await scope_part(store, actor.workspace_id, scoped, what, compute)
    if held is not None:
        figures, current, closed = held.total.figures, held.total.current, held.total.closed
        stays = await scope_stay_stats(store, actor.workspace_id, pipeline.id, what, held, deals, window)
    else:
        figures, in_stages, closed = await together(
            stage_figures(deals, owners, list(stages), window, zone),
            _current(owners, list(stages), currency),
            _closed(deals, kinds, window, currency),
        )
        current = {stage_id: v for (_, stage_id), v in in_stages.items()}
        stays = await stay_stats(deals, window, figures)

    rows: list[FunnelStage] = []
    for stage in stages.values():
        count, value = current.get(stage.id, (0, Decimal("0.00")))
        held = figures.get(stage.id, StageFigures())
        row = FunnelStage(
            stage=stage,
            entered=held.entered,
            converted=held.converted,
            conversion_rate=rate(held.converted, held.entered),
            current=count,
            current_value=value,
            time_in_stage=stays.get(stage.id, NO_STAYS),
        )
        if stage.archived_at is None or row.entered or row.time_in_stage.count or count:
            rows.append(row)

    won, lost = closed.get("WON", {}), closed.get("LOST", {})
    won_count = sum(bucket.count for bucket in won.values())
    lost_count = sum(bucket.count for bucket in lost.values())
    return Funnel(
        pipeline=pipeline,
        stages=rows,
        won=won_count,
        lost=lost_count,
        won_value=sum((bucket.value or Decimal("0.00") for bucket in won.values()), Decimal("0.00")),
        win_rate=rate(won_count, won_count + lost_count),
        loss_reasons=ranked(lost.values()),
    )


async def _owner_parts(
    workspace_id: int,
    pipeline_id: int,
    owners: list[int],
    stage_ids: list[int],
    kinds: dict[str, list[int]],
    window: ReportWindow,
    zone: ZoneInfo,
    currency: str,
) -> dict[int, OwnerPart]:
    """Each of `owners`' part of the funnel's sums (NO_OWNER: the deals
    without one): the full computation's statements for those owners'
    deals, grouped by owner too."""
    rollups = owners_q(workspace_id, owners, rollups=True)
    deals = owners_q(workspace_id, owners, rollups=False) & Q(
        deleted_at__isnull=True, pipeline_id=pipeline_id
    )
    figured, in_stages, closed = await together(
        owner_stage_figures(deals, rollups, stage_ids, window, zone, by_owner_index=by_owner_index(owners)),
        _current(rollups, stage_ids, currency, by_owner=True),
        _closed_by_owner(deals, kinds, window, currency),
    )
    parts: dict[int, OwnerPart] = {}
    for owner, figures in figured.items():
        parts.setdefault(owner, OwnerPart()).figures.update(figures)
    for (owner, stage_id), held in in_stages.items():
        parts.setdefault(owner, OwnerPart()).current[stage_id] = held
    for (owner, kind), buckets in closed.items():
        parts.setdefault(owner, OwnerPart()).closed[kind] = buckets
    return parts
