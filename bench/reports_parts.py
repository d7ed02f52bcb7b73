"""A dashboard's recomputation after one move, in process: what the admin's,
a manager's and the mover's dashboard document (funnel + leadReport over a
year, as bench/reports.py polls it) cost when an agent of the manager's
subtree has just moved one of their deals (the poll cache's answers no
longer hold).

On a copy of bench/reports.py's newest cached build (bench/results/
reports-cache/; PostgreSQL: a database `--db NAME` made from its template,
named by $REVGRAPH_BENCH_REPORTS_DB as reports.py's, dropped at the end),
through the ASGI app in this process: first answers of the admin and the
manager (ranges of their own, nothing kept); every user's dashboard once
(as the load phase's 50 users poll); then per move, the agent's moveDeal,
then the admin's poll, the manager's and the mover's, each with its SQL
statements (and the move itself: "move"), the rows they returned and the process's CPU (SQLite's thread
included; not PostgreSQL's backends: see the wall time). With `--baseline
REF`, the same in a child process importing REF's package (a `git
archive`, as bench/reads.py serves it), on a fresh copy. `--sql` prints
the last poll's statements with their times, `--profile` cProfiles the
admin's polls, PARTS_TIMED=1 sums the CPU of the funnel's steps,
PARTS_EXTRA_SQL runs statements (`;`-separated: indexes to try) on the copy first,
PARTS_WRITE_AB=N times N blocks of moves with migration 0038's indexes and
without, alternated (`write_ab`; this build only: run without --baseline).

    python bench/reports_parts.py [--backend sqlite|postgres] [--moves 15] [--baseline 0635af1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


@contextlib.contextmanager
def patched_clients(wrap: Any) -> Any:
    """Within: the clients' execute_query and execute_query_dict (the
    report reads' own included) replaced by `wrap(original)`."""
    from tortoise.backends.sqlite.client import SqliteClient

    classes = [SqliteClient]
    with contextlib.suppress(ImportError):
        from tortoise.backends.asyncpg.client import AsyncpgDBClient

        classes.append(AsyncpgDBClient)
    originals = []
    for cls in classes:
        for name in ("execute_query", "execute_query_dict"):
            original = cls.__dict__.get(name)
            if original is None:
                continue
            originals.append((cls, name, original))
            setattr(cls, name, wrap(original))
    try:
        yield
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)


def counting() -> Any:
    """Statements and rows of every client (the report reads' own included),
    by patching the clients' classes."""
    seen = {"statements": 0, "rows": 0, "sql": []}

    def wrap(original: Any) -> Any:
        async def counted(self: Any, sql: str, *args: Any, **kw: Any) -> Any:
            seen["statements"] += 1
            began = time.perf_counter()
            found = await original(self, sql, *args, **kw)
            rows = found[1] if isinstance(found, tuple) else found
            seen["rows"] += len(rows or ())
            took = (time.perf_counter() - began) * 1e3
            seen["sql"].append(f"{took:.1f} ms, {len(rows or ())} rows: " + " ".join(sql.split())[:300])
            return found

        return counted

    @contextlib.contextmanager
    def patched() -> Any:
        with patched_clients(wrap):
            yield seen

    return patched()


def timed() -> dict[str, float]:
    """CPU of the report's steps (this build's modules), summed over the
    polls: PARTS_TIMED=1."""
    import importlib

    spent: dict[str, float] = {}
    steps = [
        ("revgraph.resolvers.reports.funnel", "funnel"),
        ("revgraph.resolvers.reports.funnel", "_owner_parts"),
        ("revgraph.resolvers.reports.funnel", "scope_part"),
        ("revgraph.resolvers.reports.funnel", "scope_stay_stats"),
        ("revgraph.resolvers.reports.funnel", "scope_owners"),
        ("revgraph.resolvers.reports.funnel", "stay_stats"),
        ("revgraph.resolvers.reports.funnel", "stage_figures"),
        ("revgraph.resolvers.reports.owner_stays", "_read_stays"),
        ("revgraph.resolvers.reports.owner_parts", "owner_positions"),
    ]
    for module_name, name in steps:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        real = getattr(module, name, None)
        if real is None:
            continue

        async def wrapped(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            began = time.process_time()
            try:
                return await _real(*args, **kwargs)
            finally:
                spent[_name] = spent.get(_name, 0.0) + time.process_time() - began

        setattr(module, name, wrapped)
    return spent


async def measure(
    url: str, moves: int, show_sql: bool, profile: bool = False, firsts: int = 3
) -> dict[str, Any]:
    import cProfile

    import httpx
    from board_common import server_env
    from reports import DASHBOARD_DOC, LOG_IN, MOVE, PASSWORD, body, checked, year

    from revgraph.models.identity import User
    from revgraph.models.pipeline import Deal, Pipeline, Stage
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.ids import encode_id
    from revgraph.resolvers.settings import Settings
    from revgraph.resolvers.visibility import compute_scope
    from revgraph.web.app import create_app

    profiler = cProfile.Profile(time.process_time) if profile else None
    os.environ.update(server_env(url))
    spent = timed() if os.environ.get("PARTS_TIMED") else None
    settings = Settings.from_env()
    # The cached build is at the migrations it was built with: each variant
    # brings its copy to its own (this build's indexes, migration 0038).
    await open_database(settings, migrate=True)
    if os.environ.get("PARTS_EXTRA_SQL"):
        # What-if statements on the copy (indexes to try), run before anything.
        from tortoise import connections

        for statement in os.environ["PARTS_EXTRA_SQL"].split(";"):
            if statement.strip():
                await connections.get("default").execute_script(statement)
    try:
        app = create_app(settings, migrate=False)
        pipeline = await Pipeline.all().order_by("id").first()
        stages = await Stage.filter(pipeline_id=pipeline.id, kind="OPEN").order_by("position", "id")
        manager = await User.get(name="Gerente SP")
        admin = await User.filter(role="ADMIN").order_by("id").first()
        scope = await compute_scope(manager.workspace_id, manager.id, manager.role)
        agent = await User.filter(id__in=list(scope.owner_ids or ()), role="AGENT").order_by("id").first()
        deals = (
            await Deal.filter(
                owner_id=agent.id,
                pipeline_id=pipeline.id,
                stage_id__in=[s.id for s in stages],
                deleted_at=None,
            )
            .order_by("id")
            .limit(moves)
            .values_list("id", "stage_id")
        )
        position = {s.id: i for i, s in enumerate(stages)}
        pipeline_id = encode_id("Pipeline", pipeline.id)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=120) as http:

            async def token(user: Any) -> dict[str, str]:
                variables = {"i": {"email": user.email, "password": PASSWORD}}
                found = checked(await http.post("/graphql", json={"query": LOG_IN, "variables": variables}))
                headers = {"authorization": f"Bearer {found['logIn']['token']}"}
                await http.post("/graphql", json={"query": "{ me { id } }"}, headers=headers)  # presence
                return headers

            who = {"admin": await token(admin), "manager": await token(manager)}
            mover = await token(agent)
            who["agent"] = mover
            # Every other user's dashboard too, as in reports.py's load phase
            # (their scopes' parts: this build's funnel sums them).
            others = [
                await token(user)
                for user in await User.filter(workspace_id=admin.workspace_id).order_by("id")
                if user.id not in (admin.id, manager.id, agent.id)
            ]
            dashboard = body(DASHBOARD_DOC, pipeline_id, year())
            first: dict[str, list[float]] = {name: [] for name in ("admin", "manager")}
            sql: dict[str, list[str]] = {}
            for shift in range(1, firsts + 1):  # first answers: ranges of their own, nothing kept
                for name, headers in list(who.items())[:2]:
                    fresh = body(DASHBOARD_DOC, pipeline_id, year(shift * 3600))
                    with counting() as seen:
                        cpu = time.process_time()
                        checked(await http.post("/graphql", json=fresh, headers=headers))
                        first[name].append((time.process_time() - cpu) * 1e3)
                    sql[f"first_{name}"] = seen["sql"]
            for headers in [*others, *who.values()]:  # the polled range's answers and parts
                checked(await http.post("/graphql", json=dashboard, headers=headers))
            for headers in who.values():
                checked(await http.post("/graphql", json=dashboard, headers=headers))
            found: dict[str, list[dict[str, float]]] = {name: [] for name in who}
            moves_seen: list[dict[str, float]] = []
            now_in = dict(deals)
            for deal_id, stage_id in deals:
                target = stages[(position[stage_id] + 1) % len(stages)]
                now_in[deal_id] = target.id
                moved = {
                    "input": {"dealId": encode_id("Deal", deal_id), "stageId": encode_id("Stage", target.id)}
                }
                with counting() as seen:
                    cpu, wall = time.process_time(), time.perf_counter()
                    checked(
                        await http.post("/graphql", json={"query": MOVE, "variables": moved}, headers=mover)
                    )
                    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                # The write's own cost (the triggers and the indexes they keep included).
                moves_seen.append(
                    {"cpu_ms": cpu * 1e3, "wall_ms": wall * 1e3, "statements": seen["statements"], "rows": 0}
                )
                for name, headers in who.items():
                    if profiler is not None and name == "admin":
                        profiler.enable()
                    with counting() as seen:
                        cpu, wall = time.process_time(), time.perf_counter()
                        checked(await http.post("/graphql", json=dashboard, headers=headers))
                        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                    found[name].append(
                        {
                            "cpu_ms": cpu * 1e3,
                            "wall_ms": wall * 1e3,
                            "statements": seen["statements"],
                            "rows": seen["rows"],
                        }
                    )
                    sql[name] = seen["sql"]
                    if profiler is not None and name == "admin":
                        profiler.disable()
            if os.environ.get("PARTS_WRITE_AB"):
                summary_writes = await write_ab(
                    http, mover, MOVE, now_in, stages, int(os.environ["PARTS_WRITE_AB"])
                )
            if profiler is not None:
                import io
                import pstats

                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats(os.environ.get("SORT", "cumtime")).print_stats(
                    45
                )
                print(out.getvalue(), file=sys.stderr)
        summary: dict[str, Any] = {
            "first_cpu_ms": {name: [round(c, 1) for c in cpus] for name, cpus in first.items()}
        }
        found["move"] = moves_seen
        for name, runs in found.items():
            summary[name] = {
                key: round(statistics.median(run[key] for run in runs), 1)
                for key in ("cpu_ms", "wall_ms", "statements", "rows")
            } | {"cpu_ms_all": [round(run["cpu_ms"], 1) for run in runs]}
            if show_sql and name in sql:
                summary[name]["sql"] = sql[name]
                summary[name]["first_sql"] = sql.get(f"first_{name}")
        if spent is not None:
            summary["spent_ms_per_poll"] = {
                k: round(v * 1e3 / max(1, len(deals)) / 2, 2) for k, v in spent.items()
            }
        summary["moves"] = len(deals)
        if os.environ.get("PARTS_WRITE_AB"):
            summary["write_ab"] = summary_writes
        summary["load"] = round(os.getloadavg()[0], 2)
        return summary
    finally:
        await close_database()


async def write_ab(
    http: Any, mover: dict[str, str], move_doc: str, now_in: dict[int, int], stages: list[Any], blocks: int
) -> dict[str, Any]:
    """What migration 0038's indexes cost a move: `blocks` blocks of one
    move per deal (the mover's), alternating with the indexes (A) and with
    them dropped (B), ABBA..., this build's code throughout; each move's
    CPU (SQLite's thread included) and wall time. PARTS_WRITE_AB=blocks."""
    import importlib

    from reports import checked
    from tortoise import connections

    from revgraph.resolvers.ids import encode_id

    made = importlib.import_module("revgraph.models.migrations.0038_owner_part_indexes")
    client = connections.get("default")
    position = {s.id: i for i, s in enumerate(stages)}
    seen: dict[str, list[tuple[float, float]]] = {"with": [], "without": []}
    present = True
    for block in range(blocks):
        want = block % 4 in (0, 3)  # ABBA
        if want != present:
            if want:
                await client.execute_script(made.STAGE_DAY_OWNER)
                await client.execute_script(made.STAGE_ENTRY_OWNER_STAY)
            else:
                await client.execute_script("DROP INDEX idx_stage_day_owner")
                await client.execute_script("DROP INDEX idx_stage_entry_owner_stay")
            present = want
        for deal_id, stage_id in list(now_in.items()):
            target = stages[(position[stage_id] + 1) % len(stages)]
            now_in[deal_id] = target.id
            moved = {
                "input": {"dealId": encode_id("Deal", deal_id), "stageId": encode_id("Stage", target.id)}
            }
            cpu, wall = time.process_time(), time.perf_counter()
            checked(await http.post("/graphql", json={"query": move_doc, "variables": moved}, headers=mover))
            seen["with" if present else "without"].append(
                ((time.process_time() - cpu) * 1e3, (time.perf_counter() - wall) * 1e3)
            )
    if not present:
        await client.execute_script(made.STAGE_DAY_OWNER)
        await client.execute_script(made.STAGE_ENTRY_OWNER_STAY)
    return {
        name: {
            "n": len(runs),
            "cpu_ms_median": round(statistics.median(c for c, _ in runs), 2),
            "cpu_ms_mean": round(statistics.fmean(c for c, _ in runs), 2),
            "wall_ms_median": round(statistics.median(w for _, w in runs), 2),
        }
        for name, runs in seen.items()
        if runs
    }


async def explain(url: str) -> dict[str, Any]:
    """The plans of the funnel's statements on the rollups and the facts
    (`--explain`): the admin's and the manager's full computations, and an
    agent's part (what the admin's poll reads after that agent's move:
    owner_id IN (agent)), over the year; PostgreSQL's with EXPLAIN ANALYZE
    (its scans and execution time), SQLite's EXPLAIN QUERY PLAN. Then
    migration 0038's indexes are dropped and the full computations'
    statements explained again: `same_without` says whether their scans
    are the same (the indexes changed no plan of theirs)."""
    import importlib
    import re
    from datetime import datetime

    from board_common import server_env
    from reports import year
    from tortoise import connections

    from revgraph.models.identity import User
    from revgraph.models.pipeline import Pipeline
    from revgraph.resolvers.context import Actor, Context
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.ids import encode_id
    from revgraph.resolvers.reports.funnel import funnel
    from revgraph.resolvers.reports.owner_parts import OWNER_PARTS, OwnerParts
    from revgraph.resolvers.settings import Settings
    from revgraph.resolvers.visibility import compute_scope

    os.environ.update(server_env(url))
    settings = Settings.from_env()
    await open_database(settings, migrate=True)
    try:
        client = connections.get("default")
        sqlite = client.capabilities.dialect == "sqlite"
        pipeline = await Pipeline.all().order_by("id").first()
        manager = await User.get(name="Gerente SP")
        admin = await User.filter(role="ADMIN").order_by("id").first()
        scope = await compute_scope(manager.workspace_id, manager.id, manager.role)
        agent = await User.filter(id__in=list(scope.owner_ids or ()), role="AGENT").order_by("id").first()
        span = year()
        start, end = datetime.fromisoformat(span["from"]), datetime.fromisoformat(span["to"])
        pipeline_id = encode_id("Pipeline", pipeline.id)
        sent: list[tuple[str, str, list[Any]]] = []
        original = client.execute_query
        label = ""

        async def recorded(sql: str, values: Any = None) -> Any:
            if '"stage_day"' in sql or '"deal_stage_entry"' in sql:
                sent.append((label, sql, list(values or [])))
            return await original(sql, values)

        def ctx(user: Any, store: Any = None) -> Any:
            made = Context(settings=settings, actor=Actor(user.workspace_id, user.id, user.role))
            if store is not None:
                made.cache[OWNER_PARTS] = store
            return made

        client.execute_query = recorded
        try:
            for label, user, store in (  # noqa: B007 (`recorded` reads the label)
                ("full admin", admin, None),
                ("full manager", manager, None),
                ("part of the agent", agent, OwnerParts(10**6)),
            ):
                await funnel(ctx(user, store), pipeline_id, start, end)
        finally:
            del client.execute_query

        async def plan(sql: str, values: list[Any]) -> tuple[list[str], float | None]:
            if sqlite:
                rows = await client.execute_query_dict("EXPLAIN QUERY PLAN " + sql, values)
                return [
                    row["detail"] for row in rows if "SEARCH" in row["detail"] or "SCAN" in row["detail"]
                ], None
            times = []
            for _ in range(5):  # the median execution time of 5
                rows = await client.execute_query_dict("EXPLAIN (ANALYZE, BUFFERS) " + sql, values)
                lines = [row["QUERY PLAN"] for row in rows]
                times += [float(line.split()[2]) for line in lines if line.startswith("Execution Time")]
            took = statistics.median(times) if times else None
            scans = [
                re.sub(r"\s*\(.*", "", line.strip().lstrip("-> "))
                for line in lines
                if " Scan " in line or line.strip().lstrip("-> ").startswith(("Index", "Seq Scan", "Bitmap"))
            ]
            return scans, took

        found: list[dict[str, Any]] = []
        for label, sql, values in sent:
            scans, took = await plan(sql, values)
            found.append({"who": label, "sql": " ".join(sql.split())[:160], "scans": scans, "ms": took})
        made = importlib.import_module("revgraph.models.migrations.0038_owner_part_indexes")
        await client.execute_script("DROP INDEX idx_stage_day_owner")
        await client.execute_script("DROP INDEX idx_stage_entry_owner_stay")
        try:
            for row, (label, sql, values) in zip(found, sent, strict=True):
                if label.startswith("full"):
                    scans, took = await plan(sql, values)
                    row["same_without"] = scans == row["scans"]
                    row["ms_without"] = took
                elif not sqlite:
                    # The part's statement as 8545667 sent it (without the
                    # indexes' terms), through the stage-led indexes.
                    bare = sql.replace('"owner_id" > 0 AND "id" > 0 AND ', "")
                    row["scans_without"], row["ms_without"] = await plan(bare, values)
        finally:
            await client.execute_script(made.STAGE_DAY_OWNER)
            await client.execute_script(made.STAGE_ENTRY_OWNER_STAY)
        return {"statements": found, "load": round(os.getloadavg()[0], 2)}
    finally:
        await close_database()


async def first_statements(url: str, runs: int, explain: bool) -> dict[str, Any]:
    """`--first`: every statement of the admin's and the manager's funnel
    first answer (funnel() as the poll computes it: through the report
    connection, an empty store of parts, so the cold rule computes it in
    full), over the year to the second, `runs` times each (the callers
    alternated, each run a range shifted by a second): the call's wall and
    this process's CPU (p50), each statement's wall (p50 of the runs, in the
    order they ended), and with `explain`, on PostgreSQL, EXPLAIN (ANALYZE,
    BUFFERS) of each statement of the last run (planning and execution
    times, p50 of 5; shared buffers hit/read; its scans)."""
    import re
    from datetime import datetime, timedelta

    from board_common import server_env
    from reports import year
    from tortoise import connections

    from revgraph.models.identity import User
    from revgraph.models.pipeline import Pipeline
    from revgraph.resolvers.context import Actor, Context
    from revgraph.resolvers.database import close_database, open_database, report_reads
    from revgraph.resolvers.ids import encode_id
    from revgraph.resolvers.reports.funnel import funnel
    from revgraph.resolvers.reports.owner_parts import OWNER_PARTS, OwnerParts
    from revgraph.resolvers.settings import Settings

    os.environ.update(server_env(url))
    settings = Settings.from_env()
    await open_database(settings, migrate=True)
    try:
        pipeline = await Pipeline.all().order_by("id").first()
        manager = await User.get(name="Gerente SP")
        admin = await User.filter(role="ADMIN").order_by("id").first()
        pipeline_id = encode_id("Pipeline", pipeline.id)
        span = year()
        start, end = datetime.fromisoformat(span["from"]), datetime.fromisoformat(span["to"])
        callers = {"admin": admin, "manager": manager}
        found: dict[str, Any] = {}
        sent: dict[str, list[tuple[str, list[Any], float]]] = {}
        walls: dict[str, list[float]] = {who: [] for who in callers}
        cpus: dict[str, list[float]] = {who: [] for who in callers}
        each: dict[str, list[list[float]]] = {who: [] for who in callers}
        shift = 0
        for _ in range(runs + 1):  # the first round warms the process, not counted
            for who, user in callers.items():
                shift += 1
                ctx = Context(settings=settings, actor=Actor(user.workspace_id, user.id, user.role))
                ctx.cache[OWNER_PARTS] = OwnerParts(10**6)
                recorded: list[tuple[str, list[Any], float]] = []
                with seen_sql(recorded), report_reads():
                    wall, cpu = time.perf_counter(), time.process_time()
                    await funnel(
                        ctx, pipeline_id, start + timedelta(seconds=shift), end + timedelta(seconds=shift)
                    )
                    took, spent = time.perf_counter() - wall, time.process_time() - cpu
                if shift > len(callers):
                    walls[who].append(took * 1e3)
                    cpus[who].append(spent * 1e3)
                    each[who].append([ms for _, _, ms in recorded])
                sent[who] = recorded
        client = connections.get("default")
        postgres = client.capabilities.dialect == "postgres"
        for who in callers:
            statements = []
            for number, (sql, values, _) in enumerate(sent[who]):
                row: dict[str, Any] = {
                    "sql": " ".join(sql.split())[:220],
                    "wall_ms_p50": round(
                        statistics.median(run[number] for run in each[who] if number < len(run)), 2
                    ),
                }
                if postgres and explain:
                    planned, executed, scans, hit, read = [], [], [], 0, 0
                    for _ in range(5):
                        rows = await client.execute_query_dict("EXPLAIN (ANALYZE, BUFFERS) " + sql, values)
                        lines = [r["QUERY PLAN"] for r in rows]
                        planned += [float(x.split()[2]) for x in lines if x.startswith("Planning Time")]
                        executed += [float(x.split()[2]) for x in lines if x.startswith("Execution Time")]
                    top = next((x for x in lines if "Buffers:" in x), "")
                    hit = int(m.group(1)) if (m := re.search(r"shared hit=(\d+)", top)) else 0
                    read = int(m.group(1)) if (m := re.search(r"read=(\d+)", top)) else 0
                    scans = [
                        re.sub(r"\s*\(.*", "", x.strip().lstrip("-> "))
                        for x in lines
                        if " Scan " in x
                        or x.strip().lstrip("-> ").startswith(("Index", "Seq Scan", "Bitmap"))
                    ]
                    row.update(
                        planning_ms=round(statistics.median(planned), 2) if planned else None,
                        execution_ms=round(statistics.median(executed), 2),
                        shared_hit=hit,
                        shared_read=read,
                        scans=scans,
                    )
                statements.append(row)
            found[who] = {
                "wall_ms_p50": round(statistics.median(walls[who]), 1),
                "cpu_ms_p50": round(statistics.median(cpus[who]), 1),
                "statements": statements,
            }
        return {**found, "runs": runs, "load": round(os.getloadavg()[0], 2)}
    finally:
        await close_database()


def seen_sql(into: list[tuple[str, list[Any], float]]) -> Any:
    """Within: each statement's SQL, parameters and wall ms (any client's), into `into`."""

    def wrap(original: Any) -> Any:
        async def kept(self: Any, sql: str, values: Any = None, *args: Any, **kw: Any) -> Any:
            began = time.perf_counter()
            try:
                return await original(self, sql, values, *args, **kw)
            finally:
                into.append((sql, list(values or []), (time.perf_counter() - began) * 1e3))

        return kept

    return patched_clients(wrap)


async def crossing(url: str) -> list[dict[str, Any]]:
    """`--crossing`: the CPU of reading k owners' parts (funnel.py
    `_owner_parts`, the year; the stays are read apart) with the rollups
    read through the owner-led index and through the stage-led one, for k
    = 1, 2, 4, 8, 16 (5 sets of owners each, two rounds alternated):
    where OWNER_INDEX_OWNERS should lie. CPU is the process's (not
    PostgreSQL's server: see the wall time)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from board_common import server_env
    from reports import year

    import revgraph.resolvers.reports.funnel as funnel_module
    from revgraph.models.identity import User, Workspace
    from revgraph.models.pipeline import Pipeline, Stage
    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.report_measures import ReportWindow
    from revgraph.resolvers.settings import Settings

    os.environ.update(server_env(url))
    await open_database(Settings.from_env(), migrate=True)
    try:
        pipeline = await Pipeline.all().order_by("id").first()
        workspace = await Workspace.get(id=pipeline.workspace_id)
        stages = await Stage.filter(pipeline_id=pipeline.id).order_by("position", "id")
        kinds = {kind: [s.id for s in stages if s.kind == kind] for kind in ("WON", "LOST")}
        users = sorted(await User.filter(workspace_id=workspace.id).values_list("id", flat=True))
        span = year()
        window = ReportWindow(datetime.fromisoformat(span["from"]), datetime.fromisoformat(span["to"]))
        zone = ZoneInfo(workspace.timezone)
        real = funnel_module.by_owner_index
        found = []
        try:
            for k in (1, 2, 4, 8, 16):
                spent: dict[bool, list[float]] = {True: [], False: []}
                walls: dict[bool, list[float]] = {True: [], False: []}
                for forced in (True, False, True, False):
                    funnel_module.by_owner_index = lambda owners, forced=forced: forced
                    for at in range(5):
                        owners = users[at * 3 : at * 3 + k] if k < 16 else users[at : at + k]
                        began, wall = time.process_time(), time.perf_counter()
                        await funnel_module._owner_parts(
                            workspace.id,
                            pipeline.id,
                            owners,
                            [s.id for s in stages],
                            kinds,
                            window,
                            zone,
                            workspace.currency,
                        )
                        spent[forced].append((time.process_time() - began) * 1e3)
                        walls[forced].append((time.perf_counter() - wall) * 1e3)
                found.append(
                    {
                        "owners": k,
                        "owner_led_ms": round(statistics.median(spent[True]), 1),
                        "stage_led_ms": round(statistics.median(spent[False]), 1),
                        "owner_led_wall_ms": round(statistics.median(walls[True]), 1),
                        "stage_led_wall_ms": round(statistics.median(walls[False]), 1),
                        "load": round(os.getloadavg()[0], 1),
                    }
                )
        finally:
            funnel_module.by_owner_index = real
        return found
    finally:
        await close_database()


@contextlib.contextmanager
def database_copy(backend: str, name: str) -> Any:
    """A copy of bench/reports.py's newest cached build: its URL."""
    cache = BENCH / "results" / "reports-cache"
    metas = sorted(cache.glob(f"{backend}-*.json"), key=lambda p: p.stat().st_mtime)
    if not metas:
        raise SystemExit(f"no cached {backend} build: run bench/reports.py first")
    key = metas[-1].stem.split("-", 1)[1]
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="rgb_parts_")
        path = Path(folder) / "db.sqlite3"
        shutil.copyfile(cache / f"{key}.sqlite3", path)
        try:
            yield f"sqlite://{path}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from reports import DATABASE, PG_ADMIN_URL, pg_admin

    template = f"{os.environ.get('REVGRAPH_BENCH_REPORTS_DB', DATABASE)}_tpl_{key}"
    asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        asyncio.run(pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("--moves", type=int, default=15)
    parser.add_argument("--baseline", default="")
    parser.add_argument("--db", default="rgb_parts_measure")
    parser.add_argument("--sql", action="store_true", help="print the last poll's statements")
    parser.add_argument("--profile", action="store_true", help="cProfile the admin's polls (to stderr)")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="the funnel's statements' plans, with migration 0038 and without (with --first: EXPLAIN each)",
    )
    parser.add_argument(
        "--crossing", action="store_true", help="k owners' parts through the owner-led and stage-led rollups"
    )
    parser.add_argument(
        "--first",
        type=int,
        default=0,
        help="RUNS: every statement of the admin's and manager's funnel first answer, timed and explained",
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="with --first: rounds of the variants, alternated"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.crossing:
        with database_copy(args.backend, args.db) as url:
            for row in asyncio.run(crossing(url)):
                print(json.dumps(row), flush=True)
        return
    if args.first and args.child:
        print(json.dumps(asyncio.run(first_statements(args.child, args.first, args.explain))))
        return
    if args.first:
        # Each variant in a child process (its own package first on the
        # path: --baseline REF), alternated `--rounds` times on one copy
        # (first answers write nothing).
        variants: list[tuple[str, str | None]] = [("this", None)]
        if args.baseline:
            from reads import baseline_path

            variants.append((args.baseline, str(baseline_path(args.baseline))))
        with database_copy(args.backend, args.db) as url:
            for number in range(args.rounds):
                for label, path in variants if number % 2 == 0 else variants[::-1]:
                    env = dict(os.environ)
                    if path is not None:
                        env["PYTHONPATH"] = path
                    argv = [sys.executable, __file__, "--child", url, "--first", str(args.first)]
                    argv += ["--explain"] if args.explain else []
                    out = subprocess.run(argv, env=env, capture_output=True, text=True)
                    if out.returncode:
                        print(out.stderr[-12000:])
                        raise SystemExit(out.returncode)
                    found = json.loads(out.stdout.strip().splitlines()[-1])
                    print(json.dumps({"round": number + 1, "variant": label, **found}, indent=1), flush=True)
        return
    if args.explain:
        with database_copy(args.backend, args.db) as url:
            print(json.dumps(asyncio.run(explain(url)), indent=1))
        return
    if args.child:
        print(json.dumps(asyncio.run(measure(args.child, args.moves, args.sql, args.profile))))
        return
    variants = [("this", None)]
    if args.baseline:
        from reads import baseline_path

        variants.append((args.baseline, str(baseline_path(args.baseline))))
    for label, path in variants:
        with database_copy(args.backend, args.db) as url:
            env = dict(os.environ)
            if path is not None:
                env["PYTHONPATH"] = path
            argv = [sys.executable, __file__, "--child", url, "--moves", str(args.moves)]
            argv += ["--sql"] if args.sql else []
            argv += ["--profile"] if args.profile else []
            out = subprocess.run(argv, env=env, capture_output=True, text=True)
            if out.returncode or args.profile:
                print(out.stderr[-12000:])
            if out.returncode:
                raise SystemExit(out.returncode)
            print(
                f"{label} (load {os.getloadavg()[0]:.2f}): {out.stdout.strip().splitlines()[-1]}", flush=True
            )


if __name__ == "__main__":
    main()
