"""`revgraph serve` cold start and idle memory, measured.

For each backend, from a fresh database: the first start (which migrates an
empty database), then restarts of the migrated one, and `serve --demo` on a
fresh database (migrations + the demo workspace). Each time: seconds from
spawning the process to its first 200 from /healthz, and its RSS
(/proc/<pid>/status VmRSS) right then and after idling.

    python bench/cold_start.py [--backend sqlite postgres] [--restarts 5] [--idle 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from typing import Any

from harness import RESULTS, database, free_port, machine, revgraph_serve, serve, server_env, today


def start(env: dict[str, str], *, idle: float, demo: bool = False) -> dict[str, float]:
    port = free_port()
    argv = revgraph_serve(port, "asyncio") + (["--demo"] if demo else [])
    with serve(argv, env, port) as server:
        ready_rss = server.rss_mib()
        time.sleep(idle)
        return {
            "seconds": round(server.cold_start_seconds, 3),
            "rss_ready_mib": round(ready_rss, 1),
            "rss_idle_mib": round(server.rss_mib(), 1),
        }


async def run_backend(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    result: dict[str, Any] = {}
    async with database(backend) as url:
        env = server_env(url)
        result["first_start"] = start(env, idle=args.idle)
        restarts = [start(env, idle=args.idle) for _ in range(args.restarts)]
        result["restart"] = {
            key: round(statistics.median(r[key] for r in restarts), 3) for key in restarts[0]
        }
        result["restart_runs"] = restarts
    async with database(backend) as url:
        result["demo_first_start"] = start(server_env(url), idle=0, demo=True)
    print(f"== {backend}")
    for name in ("first_start", "restart", "demo_first_start"):
        r = result[name]
        print(
            f"  {name:17} {r['seconds']:6.2f} s to /healthz 200; RSS {r['rss_ready_mib']:.0f} MiB ready, "
            f"{r['rss_idle_mib']:.0f} MiB idle"
        )
    return result


async def main(args: argparse.Namespace) -> None:
    print(f"revgraph serve cold start — {today()}, {machine()}")
    print(f"  restart figures are medians of {args.restarts}; idle RSS after {args.idle:.0f} s")
    report: dict[str, Any] = {"date": today(), "machine": machine()}
    for backend in args.backend:
        report[backend] = await run_backend(backend, args)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"cold_start-{today()}.json"
    out.write_text(json.dumps(report, indent=2))
    print(f"results written to {out}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="revgraph serve cold start and RSS")
    parser.add_argument(
        "--backend", nargs="+", choices=["sqlite", "postgres"], default=["sqlite", "postgres"]
    )
    parser.add_argument("--restarts", type=int, default=5)
    parser.add_argument("--idle", type=float, default=10)
    asyncio.run(main(parser.parse_args()))
