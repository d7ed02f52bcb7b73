"""What a first answer of the funnel costs, part by part, in-process on a
copy of the workspace `bench/reports.py` built (its cached SQLite file, or
a PostgreSQL URL): the rollups' counts (stage_figures), the stays' median
and p90 (stay_stats: the bucket of each rank, then one bucket's stays)
against the same figures read by sorting every stay of the range (the
read before migration 0033), the current deals, the won and the lost
deals (from the entries, both kinds in one statement, and from the deals'
rows as before migration 0036: both must agree). CPU (this process) and wall per part, p50 of `--runs`, over the
last 365 days to the hour, each run a range shifted by a minute, as the
admin (every owner) and as the owners of one regional team's subtree.

    python bench/funnel_parts.py [--url sqlite:///path/to/copy.sqlite3] [--runs 7]

Without --url: a copy of the newest cached SQLite build, removed after."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from harness import Timings  # noqa: E402


async def sorted_stays(deals, window, figures) -> dict[int, tuple[int, int]]:
    """The median and p90 read as before migration 0033: per stage and
    rank, `ORDER BY stay_seconds OFFSET rank - 1` over every stay of the
    range (a sort), in one UNION ALL."""
    from revgraph.models.pipeline import DealStageEntry
    from revgraph.resolvers.reports.stage_days import _rank

    parts, params, client = [], [], None
    for stage_id, held in figures.items():
        if not held.stays:
            continue
        for percent in (50, 90):
            query = (
                DealStageEntry.filter(
                    deals, stage_id=stage_id, left_at__gte=window.start, left_at__lt=window.end
                )
                .order_by("stay_seconds")
                .offset(_rank(percent, held.stays) - 1)
                .limit(1)
                .values_list("stay_seconds", flat=True)
            )
            query.sql()
            client = query._db
            sql, values = query.query.get_parameterized_sql()
            if client.capabilities.dialect == "postgres":
                sql = re.sub(r"\$(\d+)", lambda m, n=len(params): f"${int(m.group(1)) + n}", sql)
            parts.append(f"SELECT {int(stage_id)} AS s, {percent} AS p, r.* FROM ({sql}) r")
            params.extend(values)
    _, rows = await client.execute_query(" UNION ALL ".join(parts), params)
    found: dict[int, list[int]] = {}
    for stage_id, percent, seconds in rows:
        found.setdefault(stage_id, [0, 0])[0 if percent == 50 else 1] = int(seconds)
    return {stage_id: tuple(pair) for stage_id, pair in found.items()}


async def old_current(deals, currency: str) -> dict:
    """The current deals as read before migration 0033: the pipeline's
    live visible deals grouped by stage and currency."""
    from tortoise.functions import Count, Sum

    from revgraph.models.pipeline import Deal

    return (
        await Deal.filter(deals)
        .annotate(n=Count("id"), total=Sum("value"))
        .group_by("stage_id", "currency")
        .values_list("stage_id", "currency", "n", "total")
    )


async def old_closed(deals, stage_ids, window, currency: str) -> dict:
    """won/lost and the reasons as read before migration 0036: the deals
    that entered the stages in the window, each deal's row read for its
    reason, value and currency, grouped."""
    from decimal import Decimal

    from tortoise.expressions import Subquery
    from tortoise.functions import Count, Sum

    from revgraph.models.pipeline import Deal, DealStageEntry
    from revgraph.resolvers.reports.buckets import NONE_KEY, NONE_LABEL, Bucket
    from revgraph.resolvers.reports.money import money

    entered = DealStageEntry.filter(
        stage_id__in=stage_ids, entered_at__gte=window.start, entered_at__lt=window.end
    )
    rows = (
        await Deal.filter(deals, id__in=Subquery(entered.values("deal_id")))
        .annotate(n=Count("id"), total=Sum("value"))
        .group_by("lost_reason", "currency")
        .values_list("lost_reason", "currency", "n", "total")
    )
    found: dict = {}
    for reason, in_currency, count, total in rows:
        key = reason or NONE_KEY
        held = found.get(key, Bucket(key, key or NONE_LABEL, 0, Decimal("0.00")))
        summed = money(total) if in_currency == currency else Decimal("0.00")
        found[key] = Bucket(key, held.label, held.count + count, (held.value or Decimal("0.00")) + summed)
    return found


async def measure_scope(scope, owners, pipeline, stages, zone, currency: str, runs: int) -> None:
    from tortoise.expressions import Q

    from revgraph.resolvers.report_measures import ReportWindow
    from revgraph.resolvers.reports import funnel as funnel_module
    from revgraph.resolvers.reports.stage_days import stage_figures, stay_stats

    deals = owners & Q(deleted_at__isnull=True, pipeline_id=pipeline.id)
    timings = Timings()
    timed = timings.timed

    won = [s.id for s in stages.values() if s.kind == "WON"]
    lost = [s.id for s in stages.values() if s.kind == "LOST"]
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    for run in range(runs):
        window = ReportWindow(end - timedelta(days=365, minutes=run), end - timedelta(minutes=run))
        figures = await timed(
            "counts (rollups + edge days)", stage_figures(deals, owners, list(stages), window, zone)
        )
        bucketed = await timed("median/p90 by bucket", stay_stats(deals, window, figures))
        full = await timed("median/p90 by sorting (before)", sorted_stays(deals, window, figures))
        for stage_id, (median, p90) in full.items():
            stats = bucketed[stage_id]
            assert (stats.median_seconds, stats.p90_seconds) == (median, p90), (stage_id, stats, median, p90)
        await timed("current deals (rollup)", funnel_module._current(owners, list(stages), currency))
        await timed("current deals (before)", old_current(deals, currency))
        closed = await timed(
            "won + lost + reasons (entries)",
            funnel_module._closed(deals, {"WON": won, "LOST": lost}, window, currency),
        )
        won_now, lost_now = closed["WON"], closed["LOST"]
        won_before = await timed("won (deal rows, before)", old_closed(deals, won, window, currency))
        lost_before = await timed(
            "lost + reasons (deal rows, before)", old_closed(deals, lost, window, currency)
        )
        assert won_now == won_before and lost_now == lost_before, (won_now, won_before, lost_now, lost_before)
    stays = sum(held.stays for held in figures.values())
    lost_deals = sum(bucket.count for bucket in lost_now.values())
    print(
        f"  {scope}: {stays} stays in the range, {lost_deals} lost deals in {len(lost_now)} reasons; "
        "both medians and p90s, and both won/lost reads, agree in every run",
        flush=True,
    )
    timings.print(32)


async def measure(url: str, runs: int) -> None:
    from tortoise import Tortoise
    from tortoise.expressions import Q

    from revgraph.models.identity import Team, User, Workspace
    from revgraph.models.pipeline import Pipeline, Stage
    from revgraph.resolvers.database import open_database
    from revgraph.resolvers.settings import Settings

    # As the server opens it (SQLite: the planner's statistics gathered).
    await open_database(Settings(database_url=url, secret_key="unused"), migrate=False)
    try:
        workspace = await Workspace.all().order_by("id").first()
        pipeline = await Pipeline.filter(workspace_id=workspace.id).order_by("id").first()
        stages = {s.id: s for s in await Stage.filter(pipeline_id=pipeline.id)}
        zone = ZoneInfo(workspace.timezone)
        regional = (
            await Team.filter(workspace_id=workspace.id, parent_id__isnull=False).order_by("id").first()
        )
        from revgraph.resolvers.visibility import team_subtree

        team_ids = await team_subtree(workspace.id, regional.id)
        members = list(await User.filter(team_id__in=sorted(team_ids)).values_list("id", flat=True))
        scopes = {
            "admin": Q(workspace_id=workspace.id),
            f"team {regional.name} ({len(members)} owners)": Q(
                workspace_id=workspace.id, owner_id__in=members
            ),
        }
        print(
            f"load average {os.getloadavg()[0]:.2f}; pipeline {pipeline.name}, {len(stages)} stages",
            flush=True,
        )
        for scope, owners in scopes.items():
            await measure_scope(scope, owners, pipeline, stages, zone, workspace.currency, runs)
    finally:
        await Tortoise.close_connections()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if args.url:
        asyncio.run(measure(args.url, args.runs))
        return
    cache = BENCH / "results" / "reports-cache"
    newest = max(cache.glob("*.sqlite3"), key=lambda p: p.stat().st_mtime)
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "copy.sqlite3"
        shutil.copyfile(newest, copy)
        print(f"a copy of {newest.name}", flush=True)
        asyncio.run(measure(f"sqlite://{copy}", args.runs))


if __name__ == "__main__":
    main()
