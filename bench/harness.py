"""What every benchmark needs: a throwaway database per backend, a server
process started the way operators start it, its cold start and RSS, and a
login."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx
from board_common import PG_ADMIN_URL, _pg_admin, _refuse_if_in_use

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
PG_DATABASE = "revgraph_bench"
REVGRAPH = shutil.which("revgraph") or str(Path(sys.executable).with_name("revgraph"))
# One core serves, the other drives the load (as in STACK.md's measurements).
SERVER_CPU = "0"
LOAD_CPU = "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({cpu}), Linux {platform.release()}, Python {platform.python_version()}"


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")


@contextlib.asynccontextmanager
async def database(backend: str, *, name: str = PG_DATABASE):
    """A fresh, empty database URL for `backend` (sqlite | postgres), removed
    afterwards. PostgreSQL: the database `name` (benchmarks that may run at
    the same time need names of their own)."""
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="revgraph-bench-"))
        try:
            yield f"sqlite://{folder / 'bench.sqlite3'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    if backend != "postgres":
        raise ValueError(backend)
    await _refuse_if_in_use(name)
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await _pg_admin(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(urlparse(PG_ADMIN_URL)._replace(path="/" + name))
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REVGRAPH_")}
    env.update(
        {
            "REVGRAPH_DATABASE_URL": database_url,
            "REVGRAPH_SECRET_KEY": "bench-secret-key",
            "REVGRAPH_ENV": "development",
            # Throughput is measured, not the per-user budget: a fast run
            # would otherwise spend the minute's points and measure 429s.
            "REVGRAPH_RATE_LIMIT_POINTS": str(10**12),
        }
    )
    return env


def cpu_ns(pid: int) -> int:
    """On-CPU nanoseconds of a process's live threads so far (the first field
    of /proc/<pid>/task/*/schedstat). /proc/<pid>/stat's user + system count
    in clock ticks (10 ms), a large part of a short block's CPU; this is not
    rounded. A thread that exited is no longer counted: measure processes
    whose threads live as long as they do (servers, PostgreSQL backends)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            total += int((task / "schedstat").read_text().split()[0])
    return total


class DatabaseCpu:
    """CPU of the PostgreSQL backends serving one server: the bench
    database's backends (pg_stat_activity) whose client port is one of that
    server's sockets (/proc/<pid>/fd → /proc/net/tcp)."""

    def __init__(self, database_name: str) -> None:
        self.database_name = database_name
        self.conn: Any = None

    async def __aenter__(self) -> DatabaseCpu:
        import asyncpg

        self.conn = await asyncpg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://", 1))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.conn.close()

    async def of(self, pid: int) -> dict[int, int]:
        """On-CPU ns so far of each backend connected to process `pid`."""
        ports = _local_ports(_socket_inodes(pid))
        rows = await self.conn.fetch(
            "SELECT pid, client_port FROM pg_stat_activity WHERE datname = $1", self.database_name
        )
        found = {}
        for row in rows:
            if row["client_port"] in ports:
                with contextlib.suppress(OSError):
                    found[row["pid"]] = cpu_ns(row["pid"])
        return found


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                inodes.add(int(target[8:-1]))
    return inodes


def _local_ports(inodes: set[int]) -> set[int]:
    ports = set()
    for listing in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(listing).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[9]) in inodes:
                    ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def pinned(argv: list[str], cpu: str) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cpu, *argv]
    return argv


@dataclass
class Running:
    process: subprocess.Popen
    url: str
    cold_start_seconds: float

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far: unlike
        latency, barely moved by whatever else the machine is running."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")


def wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if http.get(url + "/healthz").status_code == 200:
                    return
            time.sleep(0.005)
    raise TimeoutError(f"{url} not healthy after {timeout} s")


@contextlib.contextmanager
def serve(argv: list[str], env: dict[str, str], port: int) -> Iterator[Running]:
    """Spawn a server, time it to its first 200 from /healthz, stop it afterwards."""
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    # A file, not a pipe: nobody reads a pipe while the load runs, and a
    # server whose pipe is full blocks on its next log line.
    log = tempfile.TemporaryFile(mode="w+")
    process = subprocess.Popen(
        pinned(argv, SERVER_CPU), env=env, stdout=subprocess.DEVNULL, stderr=log, text=True
    )
    try:
        wait_healthy(url, process)
        yield Running(process, url, time.perf_counter() - started)
    except BaseException:
        log.seek(0)
        sys.stderr.write(log.read()[-4000:])
        raise
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.close()


def revgraph_serve(port: int, loop: str) -> list[str]:
    return [REVGRAPH, "serve", "--port", str(port), "--loop", loop, "--log-level", "warning"]


LOG_IN = """mutation($input: LogInInput!) { logIn(input: $input) { token userErrors { message } } }"""


def log_in(url: str, email: str, password: str) -> str:
    response = httpx.post(
        url + "/graphql",
        json={"query": LOG_IN, "variables": {"input": {"email": email, "password": password}}},
        timeout=30,
    )
    payload = response.json()["data"]["logIn"]
    if not payload["token"]:
        raise RuntimeError(f"log in failed: {payload}")
    return payload["token"]


def each_backend_in_a_child(
    args: Any,
    run_backend: Callable[[str, Any], Awaitable[dict[str, Any]]],
    forward: list[str],
    *,
    results_name: str,
    recorded: dict[str, Any],
) -> None:
    """Tortoise keeps per-model SQL built for the first backend it opened,
    so each backend runs in a process of its own: this script again with
    `--backend B --child-json FILE` and `forward` (its other options). In
    the child (`args.child_json` set): run `run_backend` and write its
    result to the file. In the parent: gather the backends' results, with
    the date, the machine and `recorded` (the run's options), into
    RESULTS/<results_name>.json."""
    if args.child_json:
        result = asyncio.run(run_backend(args.backend[0], args))
        Path(args.child_json).write_text(json.dumps(result))
        return
    report = {"date": today(), "machine": machine(), **recorded}
    for backend in args.backend:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            argv = [sys.executable, sys.argv[0], "--backend", backend, "--child-json", out.name, *forward]
            subprocess.run(argv, check=True)
            report[backend] = json.loads(Path(out.name).read_text())
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{results_name}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"results written to {path}")


class Timings:
    """Wall and CPU milliseconds of named pieces of work over several runs,
    printed as their medians (bench/funnel_parts.py, reports_hand_offs.py)."""

    def __init__(self) -> None:
        self.runs: dict[str, list[tuple[float, float]]] = {}

    async def timed(self, name: str, work: Any) -> Any:
        import time

        wall, cpu = time.perf_counter(), time.process_time()
        result = await work
        self.runs.setdefault(name, []).append(
            ((time.perf_counter() - wall) * 1e3, (time.process_time() - cpu) * 1e3)
        )
        return result

    def print(self, width: int) -> None:
        import statistics

        for name, values in self.runs.items():
            walls, cpus = zip(*values, strict=True)
            print(
                f"    {name:{width}s} {statistics.median(cpus):8.1f} ms CPU  {statistics.median(walls):8.1f} ms wall",
                flush=True,
            )
