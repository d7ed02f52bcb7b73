"""What the fault bench breaks, and how: a redis-server of its own (the
machine's Redis is shared with everybody's tests and is never touched), a
TCP proxy of its own between RevGraph's processes and PostgreSQL (pausing it
blocks PostgreSQL for RevGraph without touching the shared server's
configuration), and the RevGraph processes themselves: API servers that
can be SIGKILLed and restarted on their port, and a worker whose whole
process group can be SIGKILLed and replaced.

The proxy runs as a child process (`python bench/fault_rig.py --proxy
LISTEN HOST PORT`) so the driver's own loop never sits in the database's
path; SIGUSR1 pauses it (nothing flows either way and new connections wait,
like a network partition), SIGUSR2 resumes."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis
from board_common import (
    Server,
    free_port,
    server_log_tail,
    spawn_server,
    spawn_worker,
    stop_server,
    stop_worker,
    wait_healthy,
)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the bench dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


# ---------------------------------------------------------------- Redis


class OwnRedis:
    """A redis-server of the bench alone, on a free port. `persistent`: an
    append-only file in its own folder, as docker-compose.yml runs Redis, so
    a SIGKILLed server comes back with its queues; otherwise nothing is kept
    and a restart loses every key."""

    def __init__(self, *, persistent: bool = True) -> None:
        self.persistent = persistent
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = Path(tempfile.mkdtemp(prefix="revgraph-faults-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "yes" if self.persistent else "no"]
        self.process = subprocess.Popen(
            argv,
            cwd=self.workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
                return
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {self.port} did not start") from None
                time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def own_redis(*, persistent: bool = True) -> Iterator[OwnRedis]:
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed (apt-get install redis-server)")
    server = OwnRedis(persistent=persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# ---------------------------------------------------------------- PostgreSQL proxy


async def _proxy_main(listen: int, host: str, port: int) -> None:
    flowing = asyncio.Event()
    flowing.set()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, flowing.clear)
    loop.add_signal_handler(signal.SIGUSR2, flowing.set)

    async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                await flowing.wait()
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                sink.close()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await flowing.wait()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    print("READY", flush=True)
    async with server:
        await server.serve_forever()


@dataclass
class PgProxy:
    process: subprocess.Popen
    port: int

    def pause(self) -> None:
        self.process.send_signal(signal.SIGUSR1)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGUSR2)


@contextlib.contextmanager
def pg_proxy(host: str, port: int) -> Iterator[PgProxy]:
    listen = free_port()
    process = subprocess.Popen(
        [sys.executable, __file__, "--proxy", str(listen), host, str(port)],
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=_die_with_parent,
    )
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "READY":
            raise RuntimeError("the PostgreSQL proxy did not start")
        yield PgProxy(process, listen)
    finally:
        process.terminate()
        process.wait(timeout=10)


# ---------------------------------------------------------------- RevGraph processes


@dataclass
class Cluster:
    """API servers on fixed ports and one worker, each restartable."""

    env: dict[str, str]
    servers: list[Server] = field(default_factory=list)
    worker: subprocess.Popen | None = None
    worker_processes: int = 1

    def start(self, count: int) -> None:
        # One at a time: the first one migrates the empty database.
        for _ in range(count):
            server = spawn_server(self.env)
            self.servers.append(server)
            wait_healthy(server)
        self.start_worker()

    def start_worker(self) -> None:
        self.worker = spawn_worker(self.env, processes=self.worker_processes, threads=4)

    def pause_worker(self, paused: bool) -> None:
        """SIGSTOP / SIGCONT the worker's process group (a backlog builds up)."""
        if self.worker is not None:
            os.killpg(self.worker.pid, signal.SIGSTOP if paused else signal.SIGCONT)

    def kill_worker(self) -> None:
        """SIGKILL the worker's whole process group: a crash mid-message."""
        if self.worker is not None:
            stop_worker(self.worker, kill=True)
            self.worker = None

    def kill_server(self, index: int) -> None:
        server = self.servers[index]
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait()
        server.log.close()

    def restart_server(self, index: int) -> Server:
        """A new `revgraph serve` on the dead one's port, in the list once healthy."""
        server = spawn_server(self.env, port=self.servers[index].port)
        try:
            wait_healthy(server)
        finally:
            self.servers[index] = server
        return server

    def stop(self) -> None:
        if self.worker is not None:
            stop_worker(self.worker)
        for server in self.servers:
            if not server.log.closed:
                stop_server(server)

    def logs(self) -> str:
        return "".join(
            f"--- revgraph serve :{s.port} (tail) ---\n{server_log_tail(s, 3000)}\n"
            for s in self.servers
            if not s.log.closed
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a pausable TCP proxy (the fault bench's PostgreSQL)")
    parser.add_argument("--proxy", nargs=3, metavar=("LISTEN", "HOST", "PORT"), required=True)
    listen_port, target_host, target_port = parser.parse_args().proxy
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_proxy_main(int(listen_port), target_host, int(target_port)))
