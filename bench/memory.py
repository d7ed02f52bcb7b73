"""Memory under a steady load: where does a serving process's RSS go?

The fault bench's cluster and load without the faults (faults.py): two
`revgraph serve` processes and a worker on PostgreSQL and a redis-server of
the bench's own, `--clients` closed-loop HTTP clients (contacts 25 %, board
15 %, moveDeal 35 %, captureLead 25 %) alternating between the servers, and
`--subscribers` boardEvents subscribers dropping and resuming every ~20 s.
Unlike there, each client stays on one server (client i on server i mod 2),
so a slowed server slows only its own clients and each server's request
count is known.

Both servers run with REVGRAPH_DEBUG_TRACEMALLOC (web/memory_probe.py):
every `--stats-every` seconds the bench sends them SIGUSR1 and each writes
its RSS, glibc malloc's and pymalloc's totals, threads, asyncio tasks and
cache sizes; at `--full-at` (seconds of load; by default at 20 %, 60 % and
96 % of the load) SIGUSR2, and each also writes its live objects per type.
With `--tracemalloc FRAMES`, API 1 starts tracing with FRAMES frames at a
first SIGUSR2 sent at 60 s and writes a tracemalloc snapshot at each later
one; the bench prints the sites that grew between them (`compare_to(...,
"traceback")`). Traced allocations slow API 1 many times over (25 frames:
~20x for allocation-heavy code) and its RSS then includes tracemalloc's own
tables: read RSS from API 2 in such a run. `--env-api1 NAME=VALUE` and
`--env-api2 NAME=VALUE` set the environment of one server only: a setting
against a control, under the same load at the same time.

Printed: RSS every 30 s of each server; per dump, RSS, Python's own view
(pymalloc arenas and their blocks in use, glibc malloc in use and free) and
live objects; the types whose count grew between the full dumps; the
growing sites; the warnings in the servers' logs. Written to
bench/results/memory-<time>.json.

    python bench/memory.py --duration 1500 --clients 4 [--tracemalloc 25]
    python bench/memory.py --duration 1200 --env-api2 MALLOC_MMAP_THRESHOLD_=131072
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import linecache
import os
import shutil
import signal
import subprocess
import tempfile
import time
import tracemalloc
from collections import Counter, defaultdict
from itertools import pairwise
from pathlib import Path
from typing import Any

from board_common import (
    BENCH,
    REVGRAPH,
    Api,
    database,
    exit_cleanly_on_sigterm,
    machine,
    server_env,
    spawn_server,
    today,
    wait_healthy,
)
from fault_checks import Run, Subscriber, fetch, latency_ms
from fault_rig import Cluster, own_redis
from faults import client, sample_memory, seed, subscribe

from revgraph.resolvers.ids import pk_of

PROBE_ENV = "REVGRAPH_DEBUG_TRACEMALLOC"
MIB = 1024 * 1024


def start_cluster(env: dict[str, str], probe_dir: Path, frames: int, own: list[list[str]]) -> Cluster:
    # Migrated by `revgraph migrate` first, so both servers start alike: the
    # one that migrates keeps ~40 MiB of what the migrations left in its
    # allocators, room its caches then fill without a new page.
    subprocess.run([REVGRAPH, "migrate"], env=env, check=True, capture_output=True, timeout=300)
    cluster = Cluster(env)
    for index in range(2):
        server_env_ = {**env, PROBE_ENV: str(probe_dir)}
        server_env_.update(dict(setting.split("=", 1) for setting in own[index]))
        if index == 0 and frames:
            server_env_[f"{PROBE_ENV}_FRAMES"] = str(frames)
        server = spawn_server(server_env_)
        cluster.servers.append(server)
        wait_healthy(server)
    cluster.start_worker()
    return cluster


async def signal_servers(
    cluster: Cluster, run: Run, stop: asyncio.Event, stats_every: float, full_at: list[float], until: float
) -> list[dict[str, Any]]:
    """SIGUSR1 to both servers every `stats_every` s, SIGUSR2 at `full_at`;
    returns what was sent when."""
    stats_at = [stats_every * i for i in range(1, int(until // stats_every) + 1)] if stats_every > 0 else []
    plan = sorted(({t: signal.SIGUSR1 for t in stats_at} | {t: signal.SIGUSR2 for t in full_at}).items())
    sent: list[dict[str, Any]] = []
    for at, signum in plan:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), max(0.0, run.t0 + at - time.monotonic()))
        if stop.is_set():
            break
        for server in cluster.servers:
            os.kill(server.pid, signum)
        sent.append({"at_s": round(time.monotonic() - run.t0, 1), "what": signum.name})
    return sent


async def main(args: argparse.Namespace) -> int:
    print(f"memory under steady load — {today()}, {machine()}", flush=True)
    probe_dir = Path(tempfile.mkdtemp(prefix="revgraph-memory-"))
    if args.full_at:
        full_at = [float(x) for x in args.full_at.split(",")]
    else:
        full_at = [round(args.duration * f) for f in (0.2, 0.6, 0.96)]
    if args.tracemalloc:
        full_at = sorted({60.0, *full_at})  # the first one starts tracing
    try:
        with own_redis() as redis_server:
            async with database("postgres", name=f"revgraph_bench_memory_{os.getpid()}") as url:
                env = server_env(
                    url, redis_prefix=f"rgbench-memory-{os.getpid()}", redis_url=redis_server.url
                )
                own = [args.env_api1, args.env_api2]
                cluster = await asyncio.to_thread(start_cluster, env, probe_dir, args.tracemalloc, own)
                try:
                    result = await under_load(args, cluster, url, full_at)
                    result["server_log_lines"] = [log_summary(server) for server in cluster.servers]
                except BaseException:
                    print(cluster.logs())
                    raise
                finally:
                    cluster.stop()
        result["dumps"] = read_dumps(probe_dir, result["pids"])
        result["tracemalloc"] = (
            compare_snapshots(probe_dir, result["pids"][0], args.top) if args.tracemalloc else []
        )
        print_report(result)
        results = BENCH / "results"
        results.mkdir(exist_ok=True)
        path = results / f"memory-{time.strftime('%Y%m%d-%H%M%S')}.json"
        path.write_text(json.dumps(result, indent=1, default=str))
        print(f"  written to {path.relative_to(BENCH.parent)}")
        return 0
    finally:
        if args.keep_dumps:
            print(f"  dumps kept in {probe_dir}")
        else:
            shutil.rmtree(probe_dir, ignore_errors=True)


async def under_load(
    args: argparse.Namespace, cluster: Cluster, url: str, full_at: list[float]
) -> dict[str, Any]:
    api = Api(cluster.servers[0])
    try:
        workspace, plan, _rules, _stage = await seed(api)
    finally:
        await api.aclose()
    pipeline_pk = pk_of(plan["pipeline_id"], "Pipeline")
    [row] = await fetch(
        url, "SELECT coalesce(max(board_sequence), 0) AS s FROM event WHERE pipeline_id = $1", pipeline_pk
    )
    token = workspace.admin.token
    pids = [s.pid for s in cluster.servers]
    print(
        f"  2 API processes (pids {pids}; API 1 "
        f"{'traced, ' + str(args.tracemalloc) + ' frames' if args.tracemalloc else 'untraced'}) and a worker; "
        f"{args.clients} clients, {args.subscribers} subscribers, {args.duration:.0f} s; "
        f"own environment: API 1 {args.env_api1}, API 2 {args.env_api2}",
        flush=True,
    )
    stop = asyncio.Event()
    # Subscribers run until stopped (no target sequence: nothing is checked here).
    target = {"sequence": -1}
    run = Run(time.monotonic())
    subs = [Subscriber(i, row["s"]) for i in range(args.subscribers)]
    sub_tasks = [
        asyncio.create_task(
            subscribe(
                s,
                [c.ws_url for c in cluster.servers],
                token,
                plan["pipeline_id"],
                stop,
                target,
                args.drop_every,
            )
        )
        for s in subs
    ]
    await asyncio.sleep(1.0)
    run.t0 = time.monotonic()
    cpu_before = [server.cpu_seconds() for server in cluster.servers]
    memory = asyncio.create_task(sample_memory(cluster, run, stop))
    signals = asyncio.create_task(
        signal_servers(cluster, run, stop, args.stats_every, full_at, args.duration)
    )
    served = [Run(run.t0) for _ in cluster.servers]
    clients = [
        asyncio.create_task(client(i, [cluster.servers[i % 2].url], token, plan, served[i % 2], stop))
        for i in range(args.clients)
    ]
    progress = 0.0
    while (elapsed := time.monotonic() - run.t0) < args.duration:
        await asyncio.sleep(min(60.0, args.duration - elapsed))
        if time.monotonic() - run.t0 >= progress + 300:
            progress = time.monotonic() - run.t0
            rss = ", ".join(f"{name.split(' (')[0]} {v[-1][1]:.1f} MiB" for name, v in run.rss.items() if v)
            print(f"  {progress:6.0f} s  {[len(s.requests) for s in served]} requests; {rss}", flush=True)
    seconds = time.monotonic() - run.t0
    cpu = [
        round(server.cpu_seconds() - before, 1)
        for server, before in zip(cluster.servers, cpu_before, strict=True)
    ]
    stop.set()
    await asyncio.gather(*clients)
    sent = await signals
    await asyncio.sleep(args.settle_dumps)  # the last dumps finish writing
    memory.cancel()
    for task in sub_tasks:
        task.cancel()
    await asyncio.gather(*sub_tasks, return_exceptions=True)
    run.requests = [r for server in served for r in server.requests]
    answered = [r for r in run.requests if r.outcome in ("ok", "refused")]
    failed = [r for r in run.requests if r.outcome not in ("ok", "refused")]
    curves = {}
    for name, samples in run.rss.items():
        curve: dict[int, float] = {}
        for at, value in samples:
            curve.setdefault(int(at // 30) * 30, round(value, 1))
        curves[name] = curve
    return {
        "date": today(),
        "machine": machine(),
        "load_average": round(os.getloadavg()[0], 2),
        "duration_s": round(seconds, 1),
        "clients": args.clients,
        "subscribers": args.subscribers,
        "tracemalloc_frames": args.tracemalloc,
        "env_api1": args.env_api1,
        "env_api2": args.env_api2,
        "pids": pids,
        "requests": len(run.requests),
        "answered": len(answered),
        "answered_per_second": round(len(answered) / seconds, 1),
        "answered_per_server": [
            sum(1 for r in server.requests if r.outcome in ("ok", "refused")) for server in served
        ],
        "latency_per_server": [
            latency_ms([r for r in server.requests if r.outcome in ("ok", "refused")]) for server in served
        ],
        "cpu_seconds_per_server": cpu,
        "failed": len(failed),
        "failed_examples": [f"{r.op}: {r.outcome} {r.detail[:120]}" for r in failed[:5]],
        "deliveries": sum(len(s.received) for s in subs),
        "connections": sum(s.connections for s in subs),
        "signals": sent,
        "rss_every_30_s_mib": curves,
        "rss_samples": {name: [(round(a, 1), round(v, 1)) for a, v in s] for name, s in run.rss.items()},
        "t0_wall": time.time() - (time.monotonic() - run.t0),
    }


def read_dumps(folder: Path, pids: list[int]) -> dict[str, list[dict[str, Any]]]:
    dumps: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for index, pid in enumerate(pids):
        for path in sorted(folder.glob(f"{pid}-*.json")):
            dumps[f"API {index + 1}"].append(json.loads(path.read_text()))
    return dict(dumps)


def log_summary(server: Any) -> dict[str, int]:
    """How often each warning or error line occurs in a server's log."""
    server.log.seek(0)
    counts: Counter[str] = Counter()
    for line in server.log:
        if "Warning:" in line or " ERROR " in line or "never awaited" in line:
            counts[line.strip()[-300:]] += 1
    return dict(counts.most_common(20))


def compare_snapshots(folder: Path, pid: int, top: int) -> list[dict[str, Any]]:
    """The sites that grew between consecutive snapshots of API 1 and from
    the first to the last, largest growth first."""
    paths = sorted(folder.glob(f"{pid}-*.tracemalloc"))
    if len(paths) < 2:
        return []
    ignore = [
        tracemalloc.Filter(False, tracemalloc.__file__),
        tracemalloc.Filter(False, "*/memory_probe.py"),
        tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
    ]
    snapshots = [tracemalloc.Snapshot.load(str(p)).filter_traces(ignore) for p in paths]
    pairs = [(i, i + 1) for i in range(len(snapshots) - 1)]
    if len(snapshots) > 2:
        pairs.append((0, len(snapshots) - 1))
    comparisons = []
    for a, b in pairs:
        old, new = snapshots[a], snapshots[b]
        stats = sorted(new.compare_to(old, "traceback"), key=lambda s: s.size_diff, reverse=True)
        total_old = sum(t.size for t in old.traces)
        total_new = sum(t.size for t in new.traces)
        comparisons.append(
            {
                "from": paths[a].stem,
                "to": paths[b].stem,
                "traced_mib": [round(total_old / MIB, 2), round(total_new / MIB, 2)],
                "growing": [
                    {
                        "size_diff_kib": round(s.size_diff / 1024, 1),
                        "size_kib": round(s.size / 1024, 1),
                        "count_diff": s.count_diff,
                        "count": s.count,
                        "traceback": _frames(s.traceback),
                    }
                    for s in stats[:top]
                ],
                "by_file": _by_file(new, old, top),
            }
        )
    return comparisons


def _frames(traceback: tracemalloc.Traceback) -> list[str]:
    """Innermost frame first, each `file:line  code`."""
    lines = []
    for frame in reversed(traceback):
        code = linecache.getline(frame.filename, frame.lineno).strip()
        lines.append(f"{_short(frame.filename)}:{frame.lineno}  {code[:100]}")
    return lines


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3.11/", "/wt-mem/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _by_file(new: tracemalloc.Snapshot, old: tracemalloc.Snapshot, top: int) -> list[str]:
    stats = sorted(new.compare_to(old, "lineno"), key=lambda s: s.size_diff, reverse=True)[:top]
    return [
        f"{s.size_diff / 1024:+9.1f} KiB {s.count_diff:+7d} blocks  "
        f"{_short(s.traceback[0].filename)}:{s.traceback[0].lineno}"
        for s in stats
    ]


def print_report(r: dict[str, Any]) -> None:
    print(
        f"\n  {r['requests']} requests, {r['answered']} answered ({r['answered_per_second']}/s), "
        f"{r['failed']} failed; per server {r['answered_per_server']}; {r['connections']} subscriber connections, {r['deliveries']} deliveries; "
        f"load average {r['load_average']}"
    )
    for index, (latency, cpu) in enumerate(
        zip(r["latency_per_server"], r["cpu_seconds_per_server"], strict=True)
    ):
        per_request = cpu / latency["n"] * 1e3 if latency.get("n") else 0
        print(
            f"  API {index + 1}: {latency.get('n')} answered, p50 {latency.get('p50_ms')} ms, "
            f"p99 {latency.get('p99_ms')} ms; {cpu} s of CPU ({per_request:.1f} ms per request, fan-out included)"
        )
    for example in r["failed_examples"]:
        print(f"    failed: {example}")
    for name, curve in r["rss_every_30_s_mib"].items():
        print(f"  RSS {name} every 30 s: {list(curve.values())}")
    t0 = r["t0_wall"]
    for name, dumps in r["dumps"].items():
        print(f"\n  {name}: per dump (MiB unless said)")
        print(
            "      at s    RSS   anon | pymalloc arenas  in blocks | malloc heap  in use  free  mmapped "
            "arenas | threads tasks  gc objects  caches"
        )
        for d in dumps:
            p, m, s = d.get("pymalloc", {}), d.get("mallinfo2", {}), d["status"]
            print(
                f"    {d['time'] - t0:6.0f}  {s['VmRSS'] / 1024:6.1f} {s['RssAnon'] / 1024:6.1f} | "
                f"{p.get('arenas', 0):4d} {p.get('arena_bytes', 0) / MIB:6.1f} {p.get('allocated_bytes', 0) / MIB:8.1f} | "
                f"{m.get('arena', 0) / MIB:8.1f} {m.get('uordblks', 0) / MIB:7.1f} {m.get('fordblks', 0) / MIB:5.1f} "
                f"{m.get('hblkhd', 0) / MIB:6.1f} {d.get('glibc_arenas', 0):6d} | "
                f"{s.get('Threads', 0):5d} {d.get('asyncio_tasks', 0):5d}  {d.get('gc_objects', ''):>10}  "
                f"{d.get('caches')}"
                + (f"  traced {d['tracemalloc']['current'] / MIB:.1f}" if "tracemalloc" in d else "")
            )
        full = [d for d in dumps if "types" in d]
        for a, b in pairwise(full):
            grew = sorted(
                ((b["types"].get(k, 0) - a["types"].get(k, 0), k) for k in b["types"]), reverse=True
            )
            print(
                f"    types grown {a['time'] - t0:.0f} → {b['time'] - t0:.0f} s: "
                + ", ".join(f"{k.rsplit('.', 1)[-1]} {n:+d}" for n, k in grew[:12] if n)
            )
    for index, lines in enumerate(r.get("server_log_lines", [])):
        for line, n in list(lines.items())[:8]:
            print(f"  API {index + 1} log, {n}x: {line[-160:]}")
    for c in r["tracemalloc"]:
        print(
            f"\n  tracemalloc {c['from']} → {c['to']}: traced {c['traced_mib'][0]} → {c['traced_mib'][1]} MiB"
        )
        for line in c["by_file"][:15]:
            print(f"    {line}")
        for s in c["growing"][:10]:
            print(
                f"    {s['size_diff_kib']:+.1f} KiB ({s['count_diff']:+d} blocks; now {s['size_kib']} KiB in {s['count']})"
            )
            for frame in s["traceback"][:8]:
                print(f"        {frame}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=float, default=1500.0, help="seconds of load (default 1500)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--subscribers", type=int, default=8)
    parser.add_argument("--drop-every", type=float, default=20.0)
    parser.add_argument(
        "--stats-every", type=float, default=60.0, help="seconds between SIGUSR1 dumps (0: none)"
    )
    parser.add_argument(
        "--tracemalloc", type=int, default=0, metavar="FRAMES", help="trace API 1's allocations"
    )
    parser.add_argument(
        "--full-at",
        default="",
        help="seconds of load of the full dumps (default: at 20 %%, 60 %% and 96 %% of the load)",
    )
    parser.add_argument("--top", type=int, default=25, help="growing sites to keep per comparison")
    parser.add_argument("--env-api1", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--env-api2", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument(
        "--settle-dumps", type=float, default=20.0, help="seconds to let the last dumps finish"
    )
    parser.add_argument("--keep-dumps", action="store_true", help="keep the snapshot files")
    exit_cleanly_on_sigterm()
    args = parser.parse_args()
    raise SystemExit(asyncio.run(asyncio.wait_for(main(args), args.duration + 1800)))
