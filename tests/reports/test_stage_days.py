"""The funnel's per-day and per-month rollups (models.pipeline.StageDay, kept
by the triggers of migration 0031) against a recomputation from the cohort
facts they sum, after random moves back and forth, owner changes, trash
and restore, a stage reorder and a change of the workspace's time zone;
and the funnel's per-stage figures read from them (whole days) and from
the facts (partial edge days) against a count over the facts, for random
ranges whose bounds cut days in the workspace's time zone. The facts
themselves are checked against the log in test_stage_entries.py."""

import importlib
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import tortoise.timezone
from tortoise import connections
from tortoise.expressions import Q

from revgraph.models.identity import Workspace
from revgraph.models.pipeline import Deal, DealStageEntry, Pipeline, Stage, StageCurrent, StageDay
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.report_measures import ReportWindow, duration_stats
from revgraph.resolvers.reports.stage_days import (
    TOP_BUCKET,
    bucket_bounds,
    day_plan,
    rank_in_bucket,
    stage_figures,
    stay_bucket,
    stay_stats,
)
from revgraph.resolvers.stage_entries import redate_workspace
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline, move
from tests.reports.support import sqlite_plans
from tests.reports.test_stage_entries import (
    REORDER,
    STAGES,
    _at,
    hand_over_and_trash,
    random_history,
)

RESTORE = "mutation($id: ID!) { restoreDeal(id: $id) { userErrors { code } } }"
SET_ZONE = "mutation($tz: String!) { updateWorkspace(input: {timezone: $tz}) { userErrors { code } } }"
NO_DAY = date(1, 1, 1)


def _day(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _bit_length_bucket(seconds: int) -> int:
    """The stays' duration bucket, by its definition: b such that
    2^(b-1) <= seconds < 2^b, 0 for 0 seconds."""
    bucket = 0
    while seconds >= 2**bucket:
        bucket += 1
    return bucket


async def expected_rollups(workspace_id: int) -> dict[tuple, tuple]:
    """Every (stage, owner, grain, day, prev_day, bucket) → (entered,
    advanced, stays, seconds) summed from the live entries, their days taken
    in the workspace's time zone here, independently of the code under
    test (entries in bucket -1, stays in their duration's bucket)."""
    zone = ZoneInfo((await Workspace.get(id=workspace_id)).timezone)
    sums: dict[tuple, list[int]] = {}

    def add(key: tuple, values: tuple) -> None:
        for grain, day in ((0, key[2]), (1, key[2].replace(day=1))):
            held = sums.setdefault((key[0], key[1], grain, day, key[3], key[4]), [0, 0, 0, 0])
            for index, value in enumerate(values):
                held[index] += value

    for row in await DealStageEntry.filter(workspace_id=workspace_id, deleted_at__isnull=True):
        owner = row.owner_id or 0
        prev = _at(row.prev_same_at).astimezone(zone).date() if row.prev_same_at else NO_DAY
        add(
            (row.stage_id, owner, _at(row.entered_at).astimezone(zone).date(), prev, -1),
            (1, int(row.reached_higher), 0, 0),
        )
        if row.left_at is not None:
            add(
                (
                    row.stage_id,
                    owner,
                    _at(row.left_at).astimezone(zone).date(),
                    NO_DAY,
                    _bit_length_bucket(row.stay_seconds),
                ),
                (0, 0, 1, row.stay_seconds),
            )
    return {key: tuple(values) for key, values in sums.items() if any(values)}


async def held_rollups(workspace_id: int) -> dict[tuple, tuple]:
    rows = await StageDay.filter(workspace_id=workspace_id).values_list(
        "stage_id",
        "owner_id",
        "grain",
        "day",
        "prev_day",
        "bucket",
        "entered",
        "advanced",
        "stays",
        "stay_seconds",
    )
    return {
        (stage, owner, grain, _day(day), _day(prev), bucket): (entered, advanced, stays, seconds)
        for stage, owner, grain, day, prev, bucket, entered, advanced, stays, seconds in rows
        if entered or advanced or stays or seconds
    }


async def expected_current(workspace_id: int) -> dict[tuple, tuple]:
    """(stage, owner, currency) → (live deals, their values in cents)
    counted from the deals themselves."""
    sums: dict[tuple, list] = {}
    for deal in await Deal.filter(workspace_id=workspace_id, deleted_at__isnull=True):
        held = sums.setdefault((deal.stage_id, deal.owner_id or 0, deal.currency), [0, 0])
        held[0] += 1
        held[1] += int(Decimal(str(deal.value or 0)) * 100)
    return {key: tuple(values) for key, values in sums.items()}


async def held_current(workspace_id: int) -> dict[tuple, tuple]:
    rows = await StageCurrent.filter(workspace_id=workspace_id).values_list(
        "stage_id", "owner_id", "currency", "deals", "value_cents"
    )
    return {(stage, owner, currency): (n, cents) for stage, owner, currency, n, cents in rows if n or cents}


async def expected_figures(deals: Q, window: ReportWindow) -> dict[int, tuple]:
    """Per stage: entered and converted (distinct deals), the stays that
    ended in the window as DurationStats, by the definitions over the facts."""
    entered: dict[int, set] = {}
    converted: dict[int, set] = {}
    stays: dict[int, list] = {}
    for row in await DealStageEntry.filter(deals):
        if window.start <= _at(row.entered_at) < window.end:
            entered.setdefault(row.stage_id, set()).add(row.deal_id)
            if row.reached_higher:
                converted.setdefault(row.stage_id, set()).add(row.deal_id)
        if row.left_at is not None and window.start <= _at(row.left_at) < window.end:
            stays.setdefault(row.stage_id, []).append(row.stay_seconds)
    stage_ids = set(entered) | set(stays)
    return {
        s: (len(entered.get(s, ())), len(converted.get(s, ())), duration_stats(stays.get(s, [])))
        for s in stage_ids
    }


async def read_figures(deals: Q, owners: Q, stage_ids: list[int], window: ReportWindow, zone) -> dict:
    figures = await stage_figures(deals, owners, stage_ids, window, zone)
    stays = await stay_stats(deals, window, figures)
    return {
        s: (held.entered, held.converted, stays.get(s, duration_stats([])))
        for s, held in figures.items()
        if held.entered or held.stays
    }


async def test_rollups_follow_moves_owners_trash_restore_reorder_and_time_zone(gql, workspace, monkeypatch):
    workspace_id = pk_of(
        (await gql.ok("{ workspace { id } }", token=workspace.token))["workspace"]["id"], "Workspace"
    )
    for seed in (4, 5):
        # given deals moved at random, back and forth, each move through the API
        pipeline, deals = await random_history(gql, workspace.token, seed, monkeypatch, moves=60)
        rollups = await held_rollups(workspace_id)
        # then the rollups are the facts summed, by day and by month
        assert rollups == await expected_rollups(workspace_id)
        assert await held_current(workspace_id) == await expected_current(workspace_id)
        assert any(key[4] != NO_DAY for key in rollups)  # re-entries
        assert any(value[1] for value in rollups.values()) and any(value[2] for value in rollups.values())
        assert len({key[3].month for key in rollups}) > 1
        assert len({key[5] for key in rollups if key[5] >= 0}) > 3  # stays in several buckets
        # and after a deal changes hands and another is trashed
        await hand_over_and_trash(gql, workspace, deals)
        assert await held_rollups(workspace_id) == await expected_rollups(workspace_id)
        assert await held_rollups(workspace_id) != rollups
        assert await held_current(workspace_id) == await expected_current(workspace_id)
        # and after a deal's value and another's currency change
        for deal, change in (
            (deals[2], {"value": "1234.56"}),
            (deals[3], {"currency": "USD", "value": "0.10"}),
        ):
            updated = await gql.ok(
                UPDATE_DEAL, {"id": encode_id("Deal", deal), "input": change}, token=workspace.token
            )
            assert updated["updateDeal"]["userErrors"] == [], updated
        current = await held_current(workspace_id)
        assert current == await expected_current(workspace_id)
        assert any(key[2] == "USD" for key in current)
        assert any(cents % 100 == 56 for _, cents in current.values())
        # and restored
        restored = await gql.ok(RESTORE, {"id": encode_id("Deal", deals[1])}, token=workspace.token)
        assert restored["restoreDeal"]["userErrors"] == []
        assert await held_rollups(workspace_id) == await expected_rollups(workspace_id)
        assert await held_current(workspace_id) == await expected_current(workspace_id)
        # and after the open stages are reversed (the converted flags flip)
        order = [
            pipeline["stage"][name] for name in ("Proposta", "Visita", "Contato", "Novo", "Ganho", "Perdido")
        ]
        data = await gql.ok(REORDER, {"p": pipeline["id"], "ids": order}, token=workspace.token)
        assert data["reorderStages"]["userErrors"] == []
        assert await held_rollups(workspace_id) == await expected_rollups(workspace_id)
    # and after the workspace moves to a time zone far from São Paulo's
    before = await held_rollups(workspace_id)
    data = await gql.ok(SET_ZONE, {"tz": "Asia/Tokyo"}, token=workspace.token)
    assert data["updateWorkspace"]["userErrors"] == []
    after = await held_rollups(workspace_id)
    assert after == await expected_rollups(workspace_id)
    assert after != before


async def test_the_funnel_figures_over_ranges_that_cut_days(gql, workspace, monkeypatch):
    workspace_id = pk_of(
        (await gql.ok("{ workspace { id } }", token=workspace.token))["workspace"]["id"], "Workspace"
    )
    pipeline, deals = await random_history(gql, workspace.token, 9, monkeypatch, deals=8, moves=120)
    await hand_over_and_trash(gql, workspace, deals)
    agent_id = (await DealStageEntry.filter(deal_id=deals[0]).first()).owner_id
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    stage_ids = list(await Stage.filter(pipeline_id=pipeline_id).values_list("id", flat=True))
    times = sorted(
        _at(at) for at in await DealStageEntry.filter(deal_id__in=deals).values_list("entered_at", flat=True)
    )
    first, last = times[0] - timedelta(days=1), times[-1] + timedelta(days=1)
    assert last - first > timedelta(days=70)  # whole months inside
    rng = random.Random(3)
    plans = Counter()
    for zone_name in ("America/Sao_Paulo", "Asia/Kolkata"):
        zone = ZoneInfo(zone_name)
        await Workspace.filter(id=workspace_id).update(timezone=zone_name)
        await redate_workspace(workspace_id)
        for case in range(40):
            # a range whose bounds are at random moments, at local midnights,
            # at the history's times (entries exactly at a bound), or one day
            span = (last - first).total_seconds()
            start = first + timedelta(seconds=rng.uniform(0, span))
            end = start + timedelta(seconds=rng.uniform(0, span))
            if case % 4 == 1:
                local = start.astimezone(zone)
                start = datetime(local.year, local.month, local.day, tzinfo=zone).astimezone(UTC)
            if case % 4 == 2:
                start, end = sorted(rng.sample(times, 2))
            if case % 8 == 3:
                end = start + timedelta(hours=rng.uniform(1, 30))
            window = ReportWindow(start, end)
            plan = day_plan(start, end, zone)
            plans.update(
                {"cut": plan.cut, "months": any(g == 1 for g, *_ in plan.whole), "facts only": not plan.whole}
            )
            for owner in (None, agent_id):
                owners = Q(workspace_id=workspace_id) & (Q(owner_id=owner) if owner else Q())
                deals_q = owners & Q(deleted_at__isnull=True, pipeline_id=pipeline_id)
                held = await read_figures(deals_q, owners, stage_ids, window, zone)
                assert held == await expected_figures(deals_q, window), (zone_name, start, end, owner)
    # the cases cover cut and midnight starts, whole months and short ranges
    assert plans["cut"] and plans["months"] and plans["facts only"]


async def test_the_migration_sums_the_rollups_again_with_the_stays_per_bucket(gql, workspace, monkeypatch):
    workspace_id = pk_of(
        (await gql.ok("{ workspace { id } }", token=workspace.token))["workspace"]["id"], "Workspace"
    )
    # given a history whose rollups are lost, as migration 0033 empties them
    _, deals = await random_history(gql, workspace.token, 12, monkeypatch)
    await hand_over_and_trash(gql, workspace, deals)
    kept = await held_rollups(workspace_id)
    buckets = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
    editor = SimpleNamespace(client=connections.get("default"))
    await buckets.drop_triggers(None, editor)
    await StageDay.all().delete()
    # when 0033's backfill sums them again from the entries (the stays per
    # bucket), then its triggers are made again
    await buckets.fill(None, editor)
    await buckets.create_triggers(None, editor)
    # and the same for the current deals, summed from the deals
    await buckets.drop_current(None, editor)
    assert not await StageCurrent.all().exists()
    await buckets.create_current(None, editor)
    assert await held_current(workspace_id) == await expected_current(workspace_id) != {}
    # then it finds the rollups that the moves kept
    assert await held_rollups(workspace_id) == kept == await expected_rollups(workspace_id)
    # and the triggers keep them from then on
    more, _ = await random_history(gql, workspace.token, 14, monkeypatch, moves=15)
    assert more and await held_rollups(workspace_id) == await expected_rollups(workspace_id)
    assert await held_current(workspace_id) == await expected_current(workspace_id)


async def test_the_stay_buckets_in_sql_and_in_python_agree_at_every_bound():
    # the triggers bucket a stay in SQL, the funnel in Python: the same
    # bucket for every bound of every bucket and either side of it
    buckets = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
    client = connections.get("default")
    values = sorted({0, 1, 2, 3, 10**12} | {(1 << b) + d for b in range(TOP_BUCKET + 1) for d in (-1, 0, 1)})
    columns = ", ".join(buckets.bucket_sql(str(v)) for v in values)
    _, rows = await client.execute_query(f"SELECT {columns}")
    assert (
        [int(x) for x in rows[0]]
        == [stay_bucket(v) for v in values]
        == [min(_bit_length_bucket(v), TOP_BUCKET) for v in values]
    )
    for value in values:
        low, high = bucket_bounds(stay_bucket(value))
        assert low <= value and (high is None or value < high)


def test_a_rank_falls_in_the_bucket_whose_counts_reach_it():
    buckets = {0: 2, 3: 5, 7: 1, 12: 4}
    assert rank_in_bucket(buckets, 1) == (0, 1)
    assert rank_in_bucket(buckets, 2) == (0, 2)
    assert rank_in_bucket(buckets, 3) == (3, 1)
    assert rank_in_bucket(buckets, 7) == (3, 5)
    assert rank_in_bucket(buckets, 8) == (7, 1)
    assert rank_in_bucket(buckets, 12) == (12, 4)


async def test_a_deleted_pipeline_takes_its_entries_and_rollups_with_it(gql, workspace, monkeypatch):
    # given a history whose deals are live (the delete trigger subtracts them)
    pipeline, deals = await random_history(gql, workspace.token, 13, monkeypatch, moves=10)
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    stage_ids = list(await Stage.filter(pipeline_id=pipeline_id).values_list("id", flat=True))
    assert await StageDay.filter(stage_id__in=stage_ids).exists()
    # when the pipeline is deleted outright (its stages, deals and entries cascade)
    await Pipeline.filter(id=pipeline_id).delete()
    # then nothing of it is left, and no rollup was written for stages gone
    assert not await DealStageEntry.filter(deal_id__in=deals).exists()
    assert not await StageDay.filter(stage_id__in=stage_ids).exists()
    assert not await StageCurrent.filter(stage_id__in=stage_ids).exists()


async def test_reentries_around_a_start_inside_a_day_are_counted_once(gql, workspace, monkeypatch, count_sql):
    # given, in São Paulo, a range starting at 12:00 on 10 March (inside the
    # day) and ending weeks later, and deals entering "Contato":
    # - A: at 09:00 that day (before the start), out, and back on 14 March
    #   (a whole day): its first entry of the range is the re-entry
    # - B: at 13:00 that day (after the start), out, and back on 14 March:
    #   its first entry is the one at 13:00 (the head's), not the re-entry
    # - C: on 9 March, out, back at 11:00 on 10 March, out, back on 14 March:
    #   the re-entry of the 14th follows one before the start: counted
    # - D: at 10:00 that day, out, back at 12:30 (the head), out, back on
    #   the 14th: its first entry is the head's one
    workspace_id = pk_of(
        (await gql.ok("{ workspace { id } }", token=workspace.token))["workspace"]["id"], "Workspace"
    )
    zone = ZoneInfo("America/Sao_Paulo")
    await Workspace.filter(id=workspace_id).update(timezone="America/Sao_Paulo")
    await redate_workspace(workspace_id)
    clock = [datetime(2026, 3, 1, 8, tzinfo=zone)]
    monkeypatch.setattr(tortoise.timezone, "now", lambda: clock[0].astimezone(UTC))

    def at(day: int, hour: int, minute: int = 0) -> None:
        clock[0] = datetime(2026, 3, day, hour, minute, tzinfo=zone)

    pipeline = await create_pipeline(gql, workspace.token, STAGES)
    stage = pipeline["stage"]
    histories = {
        "A": [(10, 9, "Contato"), (10, 10, "Visita"), (14, 9, "Contato")],
        "B": [(10, 13, "Contato"), (10, 14, "Visita"), (14, 9, "Contato")],
        "C": [
            (9, 9, "Contato"),
            (9, 10, "Visita"),
            (10, 11, "Contato"),
            (10, 11, "Visita"),
            (14, 10, "Contato"),
        ],
        "D": [
            (10, 10, "Contato"),
            (10, 11, "Visita"),
            (10, 12, "Contato"),
            (10, 13, "Visita"),
            (14, 11, "Contato"),
        ],
    }
    deals = {}
    for name in histories:
        at(1, 8)
        deals[name] = (await create_deal(gql, workspace.token, pipeline["id"], stageId=stage["Novo"]))["id"]
    for name, moves in histories.items():
        for number, (day, hour, target) in enumerate(moves):
            at(day, hour, 30 if (name, number) == ("D", 2) else number)
            moved = await move(gql, workspace.token, dealId=deals[name], stageId=stage[target])
            assert moved["userErrors"] == [], moved
    at(20, 8)
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    contato = pk_of(stage["Contato"], "Stage")
    stage_ids = list(await Stage.filter(pipeline_id=pipeline_id).values_list("id", flat=True))
    window = ReportWindow(
        datetime(2026, 3, 10, 12, tzinfo=zone).astimezone(UTC),
        datetime(2026, 5, 20, 10, tzinfo=zone).astimezone(UTC),
    )
    plan = day_plan(window.start, window.end, zone)
    assert plan.cut and plan.whole  # the start inside a day, whole days after it
    owners = Q(workspace_id=workspace_id)
    deals_q = owners & Q(deleted_at__isnull=True, pipeline_id=pipeline_id)
    # the re-entries after the cut are read in one statement
    with count_sql() as counter:
        figures = await stage_figures(deals_q, owners, stage_ids, window, zone)
    reentries = [sql for sql in counter.statements if "prev_same_at" in sql and "stage_day" not in sql]
    # then each deal is counted once in "Contato", whichever entry is its first
    assert figures[contato].entered == 4
    assert (await read_figures(deals_q, owners, stage_ids, window, zone)) == await expected_figures(
        deals_q, window
    )
    # and the stage figures take one statement for the rollups (on
    # PostgreSQL one per part, sent at once), one for the re-entries around
    # the start, one for the edges' entries and one for their stays (nine
    # before: one per part and per edge, two for the re-entries)
    sqlite = connections.get("default").capabilities.dialect == "sqlite"
    assert len(counter.statements) == 3 + (1 if sqlite else len(plan.whole)), counter.statements
    assert len(reentries) == 2  # the edges' entries, and the re-entries' read


async def test_sqlite_reads_the_reentries_and_the_rollups_through_0037s_indexes(gql, workspace, monkeypatch):
    client = connections.get("default")
    if client.capabilities.dialect != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics: bench/REPORTS.md has its plans on the 100k build")
    # given a history with re-entries, and a range that starts inside a day
    # and spans whole months
    pipeline, _ = await random_history(gql, workspace.token, 9, monkeypatch, deals=8, moves=120)
    workspace_id = pk_of(
        (await gql.ok("{ workspace { id } }", token=workspace.token))["workspace"]["id"], "Workspace"
    )
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    stage_ids = list(await Stage.filter(pipeline_id=pipeline_id).values_list("id", flat=True))
    zone = ZoneInfo((await Workspace.get(id=workspace_id)).timezone)
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)
    window = ReportWindow(start, start + timedelta(days=120))
    assert day_plan(window.start, window.end, zone).cut
    owners = Q(workspace_id=workspace_id)
    # when the stage figures are read
    plans = await sqlite_plans(
        monkeypatch,
        lambda: stage_figures(
            owners & Q(deleted_at__isnull=True, pipeline_id=pipeline_id), owners, stage_ids, window, zone
        ),
    )
    rollups = [plan for sql, plan in plans.items() if '"stage_day"' in sql]
    reentries = [plan for sql, plan in plans.items() if '"prev_same_at">=' in sql]
    # then the re-entries are one range of the partial index on (stage, prev_same_at)
    assert len(reentries) == 1 and "idx_stage_entry_reentry" in reentries[0], plans
    # and the rollups are grouped in the index's order, without sorting them
    assert len(rollups) == 1 and "idx_stage_day_read" in rollups[0], plans
    assert "bucket=?" in rollups[0] and "TEMP B-TREE" not in rollups[0], rollups[0]
