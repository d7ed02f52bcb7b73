"""CPU instructions per board request, in-process (issue 15): the bench's
board query (8 stages × 50 cards with owner and contact) through the ASGI
app, counted by `valgrind --tool=callgrind` — repeatable on a shared
machine, unlike time — for this checkout and a baseline git ref on the
same seeded database.

1. a fresh database (PostgreSQL `rgb_board_instructions`, or
   $REVGRAPH_BENCH_BOARD_DB; a temp SQLite file) is seeded in this
   process through the API: a workspace with 3 agents and the board
   (bench/board_common.py `seed_board`: 400 deals, each with a contact,
   owners spread over 4 users);
2. per build (this checkout; `--baseline REF`, a `git archive` of it first
   on PYTHONPATH, as bench/reads.py serves its baseline) a child builds
   the app on that database, answers 3 warm-up requests (checked: 8
   columns × 50 cards, each with owner and contact) and then N requests,
   under callgrind (PYTHONHASHSEED=0), once with N = --requests[0] and
   once with N = --requests[1]: instructions per request = the difference
   over the difference of N, so start-up, import and warm-up cancel out.
   The client (httpx over ASGI, in the same process) is counted too,
   alike for both builds.

    python bench/board_instructions.py [--backend postgres] [--baseline 0635af1] [--requests 2 12]
    python bench/board_instructions.py --backend sqlite --profile tottime   # cProfile of 50 requests, no valgrind
    python bench/board_instructions.py --profile sample   # SIGPROF sampling of 300 requests: functions, stacks
    python bench/board_instructions.py --functions 25   # the top C functions of this checkout's difference
    python bench/board_instructions.py --baseline 0635af1 --cpu 7   # CPU time instead: 7 rounds, builds alternated
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

PG_NAME = os.environ.get("REVGRAPH_BENCH_BOARD_DB", "rgb_board_instructions")
WARM_UP = 3


def check(body: dict[str, Any]) -> None:
    if body.get("errors"):
        raise RuntimeError(f"GraphQL errors: {body['errors']}")
    stages = body["data"]["pipeline"]["stages"]
    if len(stages) != 8:
        raise RuntimeError(f"{len(stages)} stages")
    for stage in stages:
        edges = stage["deals"]["edges"]
        if len(edges) != 50 or any(e["node"]["owner"] is None or e["node"]["contact"] is None for e in edges):
            raise RuntimeError("a column without its 50 cards, owners and contacts")


async def seed(url: str) -> dict[str, Any]:
    import httpx
    from board_common import Api, seed_board, seed_workspace
    from harness import server_env

    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app

    os.environ.update(server_env(url))
    settings = Settings.from_env()
    await open_database(settings, migrate=True)
    try:
        app = create_app(settings, migrate=False)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=60) as http:
            api = Api.__new__(Api)
            api.http = http
            workspace = await seed_workspace(api, agents=3)
            board = await seed_board(api, workspace, stages=8, cards_per_stage=50)
        return {"token": workspace.admin.token, "pipeline": board.pipeline_id}
    finally:
        await close_database()


class Sampler:
    """CPU samples of this process every 0.5 ms of its CPU time (SIGPROF):
    per function (file:line name), the share of samples in which it runs
    (self) and in which it is on the stack (inclusive)."""

    def __init__(self) -> None:
        import collections
        import signal

        self.own: collections.Counter[str] = collections.Counter()
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.chains: collections.Counter[str] = collections.Counter()
        signal.signal(signal.SIGPROF, self.take)
        signal.setitimer(signal.ITIMER_PROF, 0.0005, 0.0005)

    def take(self, signum: int, frame: Any) -> None:
        self.samples += 1
        chain = []
        walk = frame
        while walk is not None and len(chain) < 6:
            chain.append(f"{Path(walk.f_code.co_filename).name}:{walk.f_code.co_name}")
            walk = walk.f_back
        self.chains[" < ".join(chain)] += 1
        seen = set()
        first = True
        while frame is not None:
            code = frame.f_code
            name = f"{Path(code.co_filename).name}:{code.co_firstlineno} {code.co_name}"
            if first:
                self.own[name] += 1
                first = False
            if name not in seen:
                seen.add(name)
                self.inclusive[name] += 1
            frame = frame.f_back

    def report(self) -> None:
        import signal

        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        total = max(self.samples, 1)
        print(f"{self.samples} samples; self %, inclusive %")
        for name, count in self.own.most_common(40):
            print(
                f"  self {100 * count / total:5.1f}  incl {100 * self.inclusive[name] / total:5.1f}  {name}"
            )
        print("stacks (6 frames):")
        for chain, count in self.chains.most_common(25):
            print(f"  {100 * count / total:5.1f}  {chain}")
        print("inclusive:")
        for name, count in self.inclusive.most_common(60):
            print(f"  incl {100 * count / total:5.1f}  {name}")


def sample_requests() -> Sampler:
    return Sampler()


def wait_for_go(gate: str) -> None:
    """Ready: the parent switches callgrind's instrumentation on, then says go
    (blocking the loop on purpose: nothing else runs meanwhile)."""
    Path(gate, "ready").touch()
    while not Path(gate, "go").exists():
        time.sleep(0.01)


async def requests(
    url: str, seeded: dict[str, Any], count: int, profile: str | None, gate: str | None
) -> None:
    """The child: the app on the seeded database, warm-up, `count` requests."""
    import httpx
    from board_common import board_query
    from harness import server_env

    from revgraph.resolvers.database import close_database, open_database
    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app
    from revgraph.web.gc_tuning import CollectorRequest, apply_collector, thresholds_from

    os.environ.update(server_env(url))
    settings = Settings.from_env()
    await open_database(settings, migrate=False)
    try:
        app = create_app(settings, migrate=False)
        transport = httpx.ASGITransport(app=app)
        body = {"query": board_query(with_contact=True), "variables": {"id": seeded["pipeline"], "first": 50}}
        headers = {"authorization": f"Bearer {seeded['token']}"}
        async with httpx.AsyncClient(transport=transport, base_url="http://bench", timeout=600) as http:
            for _ in range(WARM_UP):
                check((await http.post("/graphql", json=body, headers=headers)).json())
            apply_collector(CollectorRequest(True, thresholds_from(os.environ)))  # as `serve` sets it
            if gate:
                wait_for_go(gate)
            started = time.process_time()
            if profile == "sample":
                sampled = sample_requests()
            elif profile:
                import cProfile
                import pstats

                profiler = cProfile.Profile()
                profiler.enable()
            for _ in range(count):
                await http.post("/graphql", json=body, headers=headers)
            if profile == "cpu":
                print(f"cpu_ms {(time.process_time() - started) / max(count, 1) * 1e3:.3f}")
            elif profile == "sample":
                sampled.report()
            elif profile:
                profiler.disable()
                stats = pstats.Stats(profiler, stream=sys.stdout)
                stats.sort_stats(profile).print_stats(60)
    finally:
        await close_database()


def baseline_path(ref: str) -> Path:
    from reads import baseline_path as archived

    return archived(ref)


def counted(
    folder: Path, name: str, env: dict[str, str], url: str, seeded: str, count: int
) -> tuple[int, Path]:
    """Instructions of the child's `count` requests: instrumentation off
    while it starts, imports and warms up (`--instr-atstart=no`: minutes
    less under valgrind), switched on (`callgrind_control -i on`) when it
    says it is ready, before it sends the requests."""
    out = folder / f"callgrind.{name}.{count}"
    gate = folder / f"gate.{name}.{count}"
    gate.mkdir()
    child = subprocess.Popen(
        [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={out}",
            sys.executable,
            str(HERE),
            "--child",
            url,
            seeded,
            str(count),
            "--gate",
            str(gate),
        ],
        env={**env, "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    while not (gate / "ready").exists():
        if child.poll() is not None:
            raise RuntimeError(f"child failed: {child.stderr.read().decode()[-2000:]}")
        time.sleep(0.2)
    subprocess.run(["callgrind_control", "-i", "on", str(child.pid)], check=True, capture_output=True)
    (gate / "go").touch()
    _, errors = child.communicate()
    if child.returncode:
        raise RuntimeError(f"child failed: {errors.decode()[-2000:]}")
    text = out.read_text(errors="replace")
    found = re.search(r"^(?:summary|totals): (\d+)", text, re.M)
    if found is None:
        raise RuntimeError(f"no total in {out}")
    return int(found.group(1)), out


def functions(first: Path, second: Path, top: int) -> list[str]:
    """The C functions whose self instructions grew most from `first` to `second`."""

    def self_costs(path: Path) -> dict[str, int]:
        annotated = subprocess.run(
            ["callgrind_annotate", "--threshold=100", str(path)], capture_output=True, text=True, check=True
        ).stdout
        costs = {}
        for line in annotated.splitlines():
            match = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)$", line) or re.match(
                r"\s*([\d,]+)\s+(\S.*)$", line
            )
            if match and ":" in match.group(2):
                costs[match.group(2).strip()] = int(match.group(1).replace(",", ""))
        return costs

    a, b = self_costs(first), self_costs(second)
    grown = sorted(((b.get(k, 0) - a.get(k, 0), k) for k in b), reverse=True)[:top]
    return [f"{d:>14,}  {k}" for d, k in grown]


@contextlib.asynccontextmanager
async def database(backend: str):
    from harness import database as fresh

    async with fresh(backend, name=PG_NAME) as url:
        yield url


async def main(args: argparse.Namespace) -> None:
    from harness import machine, today

    backend = args.backend
    print(f"board request instructions — {today()}, {machine()}, {backend}; load {os.getloadavg()[0]:.2f}")
    async with database(backend) as url:
        seeded = json.dumps(await seed(url))
        if args.profile:
            count = "300" if args.profile == "sample" else "50"
            subprocess.run(  # noqa: ASYNC221  the child is the measure
                [sys.executable, str(HERE), "--child", url, seeded, count, "--child-profile", args.profile],
                check=True,
            )
            return
        builds = {} if args.baseline_only else {"this checkout": dict(os.environ)}
        if args.cpu:  # CPU time instead, the builds alternated round by round
            if args.baseline:
                folder = baseline_path(args.baseline)
                path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH", "")]))
                builds[args.baseline] = {**os.environ, "PYTHONPATH": path}
            cpu: dict[str, list[float]] = {name: [] for name in builds}
            for _ in range(args.cpu):
                for name, env in builds.items():
                    out = subprocess.run(  # noqa: ASYNC221  the child is the measure
                        [sys.executable, str(HERE), "--child", url, seeded, "100", "--child-profile", "cpu"],
                        env=env,
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    cpu[name].append(float(out.split("cpu_ms")[1].split()[0]))
            for name, values in cpu.items():
                print(
                    f"  {name:14} CPU ms a board request (in-process, client included): median "
                    f"{statistics.median(values):.2f} of {sorted(round(v, 2) for v in values)}; "
                    f"load {os.getloadavg()[0]:.2f}"
                )
            return

        if args.baseline:
            folder = baseline_path(args.baseline)
            path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH", "")]))
            builds[args.baseline] = {**os.environ, "PYTHONPATH": path}
        low, high = args.requests
        with tempfile.TemporaryDirectory(prefix="rgb-board-cg-") as tmp:
            folder = Path(tmp)
            for name, env in builds.items():
                tag = re.sub(r"\W", "_", name)
                first, first_out = counted(folder, tag, env, url, seeded, low)
                second, second_out = counted(folder, tag, env, url, seeded, high)
                per = (second - first) / (high - low)
                print(
                    f"  {name:14} {per / 1e6:8.2f} M instructions a board request "
                    f"({low}: {first:,}; {high}: {second:,}); load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                if args.functions and name == "this checkout":
                    for line in functions(first_out, second_out, args.functions):
                        print("   ", line)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        _, _, url, seeded, count, *rest = sys.argv
        profile = rest[1] if rest[:1] == ["--child-profile"] else None
        gate = rest[1] if rest[:1] == ["--gate"] else None
        asyncio.run(requests(url, json.loads(seeded), int(count), profile, gate))
        sys.exit(0)
    parser = argparse.ArgumentParser(description="callgrind instructions per board request")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--baseline", default="", help="git ref counted alike ('' for none)")
    parser.add_argument("--requests", type=int, nargs=2, default=[2, 12], metavar=("N1", "N2"))
    parser.add_argument("--baseline-only", action="store_true", help="count only the baseline")
    parser.add_argument(
        "--cpu", type=int, default=0, help="N rounds of CPU time (100 requests a child), builds alternated"
    )
    parser.add_argument(
        "--profile",
        help="cProfile 50 requests (300 with 'sample': SIGPROF sampling) of this checkout, sorted by this key; no valgrind",
    )
    parser.add_argument(
        "--functions", type=int, default=0, help="print the top C functions of the difference"
    )
    asyncio.run(main(parser.parse_args()))
