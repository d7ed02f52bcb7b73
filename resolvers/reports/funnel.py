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

Reads are bounded by the range, never the whole history: the rows in the
range (by stage and time, idx_transition_to_stage), the later rows of the
deals that entered a stage in it (only when a probe finds any after it),
the one row before the range of the deals whose first row in it left a
stage, and one grouped query of the current deals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Max, Sum

from revgraph.models.identity import Workspace
from revgraph.models.pipeline import Deal, Pipeline, Stage, StageTransition
from revgraph.resolvers.context import Context
from revgraph.resolvers.report_measures import DurationStats, ReportWindow, check_range, duration_stats
from revgraph.resolvers.reports.buckets import NONE_KEY, NONE_LABEL, Bucket, ranked
from revgraph.resolvers.reports.deal_scope import ID_CHUNK, deal_rows, reported_deals_q
from revgraph.resolvers.reports.money import money, value_in
from revgraph.resolvers.reports.raw_rows import moment, raw_rows
from revgraph.resolvers.visibility import named_record

ROW = ("id", "deal_id", "from_stage_id", "to_stage_id", "at")


class Row(NamedTuple):
    """A stage transition as the funnel reads it."""

    id: int
    deal_id: int
    from_stage_id: int | None
    to_stage_id: int
    at: datetime


async def _rows(query: Any) -> list[Row]:
    # Raw rows (resolvers/reports/raw_rows.py): a year's history is ~10^5 of them.
    return [Row(i, deal, came, went, moment(at)) for i, deal, came, went, at in await raw_rows(query)]


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


def _order(row: Row) -> tuple[datetime, int]:
    return (row.at, row.id)


@dataclass
class _History:
    """The rows a funnel reads, each list in recorded order."""

    in_range: dict[int, list[Row]]  # by deal
    later: dict[int, list[Row]]  # after the range, by deal
    before: dict[int, Row]  # the last row before the range, by deal


async def _history(deals: Q, stage_ids: list[int], window: ReportWindow, onward_ids: list[int]) -> _History:
    """The transitions of the counted deals into the pipeline's stages in
    the window; the later ones (into `onward_ids`, the stages a deal can
    convert into) of the deals that entered a stage in it; and the last one
    before it of the deals whose first row in it left a stage (the start of
    the stay that row ends: the only use of a row before the window)."""
    in_range = StageTransition.filter(
        to_stage_id__in=stage_ids,
        at__gte=window.start,
        at__lt=window.end,
        deal_id__in=Subquery(Deal.filter(deals).values("id")),
    )
    history = _History(defaultdict(list), defaultdict(list), {})
    for row in sorted(await _rows(in_range.values_list(*ROW)), key=_order):
        history.in_range[row.deal_id].append(row)
    # A dashboard's range ends now: one probe of (to_stage_id, at) spares
    # evaluating the range's deals again when nothing came after it.
    if await StageTransition.filter(to_stage_id__in=onward_ids, at__gte=window.end).exists():
        later = StageTransition.filter(
            to_stage_id__in=onward_ids,
            at__gte=window.end,
            deal_id__in=Subquery(in_range.values("deal_id")),
        )
        for row in sorted(await _rows(later.values_list(*ROW)), key=_order):
            history.later[row.deal_id].append(row)
    # By id, not by the range's subquery again: few deals, and SQLite
    # would plan that subquery from every deal in scope.
    moved_in = sorted(deal for deal, rows in history.in_range.items() if rows[0].from_stage_id is not None)
    for at in range(0, len(moved_in), ID_CHUNK):
        last_before = (
            StageTransition.filter(at__lt=window.start, deal_id__in=moved_in[at : at + ID_CHUNK])
            .annotate(last_id=Max("id"))
            .group_by("deal_id")
            .values("last_id")
        )
        for row in await _rows(StageTransition.filter(id__in=Subquery(last_before)).values_list(*ROW)):
            history.before[row.deal_id] = row
    return history


async def _current(deals: Q, currency: str) -> dict[int, tuple[int, Decimal]]:
    """Per stage: the counted deals in it now, and their value."""
    rows = (
        await Deal.filter(deals)
        .annotate(n=Count("id"), total=Sum("value"))
        .group_by("stage_id", "currency")
        .values("stage_id", "currency", "n", "total")
    )
    found: dict[int, tuple[int, Decimal]] = {}
    for row in rows:
        count, value = found.get(row["stage_id"], (0, Decimal("0.00")))
        summed = money(row["total"]) if row["currency"] == currency else Decimal("0.00")
        found[row["stage_id"]] = (count + row["n"], value + summed)
    return found


def _loss_reasons(lost: list[dict[str, Any]], currency: str) -> list[Bucket]:
    by_reason: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in lost:
        by_reason[row["lost_reason"] or NONE_KEY].append(row)
    return ranked(
        Bucket(reason, reason or NONE_LABEL, len(rows), value_in(rows, currency))
        for reason, rows in by_reason.items()
    )


def _stays(history: _History) -> dict[int, list[int]]:
    """Seconds of every stay that ended in the window, by stage left."""
    seconds: dict[int, list[int]] = defaultdict(list)
    for deal_id, rows in history.in_range.items():
        previous = history.before.get(deal_id)
        for row in rows:
            if row.from_stage_id is not None and previous is not None:
                stayed = (row.at - previous.at).total_seconds()
                seconds[row.from_stage_id].append(max(0, int(stayed)))
            previous = row
    return seconds


def _cohorts(history: _History, stages: dict[int, Stage]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Per stage, the deals that entered it in the window, and those of
    them that later entered an OPEN or WON stage of higher position."""
    entered: dict[int, set[int]] = defaultdict(set)
    converted: dict[int, set[int]] = defaultdict(set)
    for deal_id, rows in history.in_range.items():
        following = rows + history.later.get(deal_id, [])
        for index, row in enumerate(rows):
            stage_id = row.to_stage_id
            if deal_id in entered[stage_id]:
                continue  # measured from its first entry in the window
            entered[stage_id].add(deal_id)
            position = stages[stage_id].position
            if any(
                stages[after.to_stage_id].kind != "LOST" and stages[after.to_stage_id].position > position
                for after in following[index + 1 :]
                if after.to_stage_id in stages
            ):
                converted[stage_id].add(deal_id)
    return entered, converted


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
    deals = await reported_deals_q(ctx, team_id=team_id, owner_id=owner_id) & Q(pipeline_id=pipeline.id)
    currency = (await Workspace.get(id=actor.workspace_id)).currency
    stages = {s.id: s for s in await Stage.filter(pipeline_id=pipeline.id).order_by("position", "id")}
    onward = [s.id for s in stages.values() if s.kind != "LOST"]
    history = await _history(deals, list(stages), window, onward)
    current = await _current(deals, currency)
    entered, converted = _cohorts(history, stages)
    stays = _stays(history)

    rows: list[FunnelStage] = []
    for stage in stages.values():
        count, value = current.get(stage.id, (0, Decimal("0.00")))
        figures = FunnelStage(
            stage=stage,
            entered=len(entered[stage.id]),
            converted=len(converted[stage.id]),
            conversion_rate=rate(len(converted[stage.id]), len(entered[stage.id])),
            current=count,
            current_value=value,
            time_in_stage=duration_stats(stays[stage.id]),
        )
        if stage.archived_at is None or figures.entered or figures.time_in_stage.count or count:
            rows.append(figures)

    closed: dict[str, set[int]] = {"OPEN": set(), "WON": set(), "LOST": set()}
    for deal_id, found in history.in_range.items():
        for row in found:
            closed.setdefault(stages[row.to_stage_id].kind, set()).add(deal_id)
    closed_rows = await deal_rows(closed["WON"] | closed["LOST"], "value", "currency", "lost_reason")
    won = [closed_rows[i] for i in sorted(closed["WON"]) if i in closed_rows]
    lost = [closed_rows[i] for i in sorted(closed["LOST"]) if i in closed_rows]
    return Funnel(
        pipeline=pipeline,
        stages=rows,
        won=len(won),
        lost=len(lost),
        won_value=value_in(won, currency),
        win_rate=rate(len(won), len(won) + len(lost)),
        loss_reasons=_loss_reasons(lost, currency),
    )
