"""Running the installed `revgraph` command as a child process, the way an
operator does: from its own working directory, with its own environment,
stopped with SIGTERM."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.conftest import free_port


def revgraph_command() -> list[str]:
    """The `revgraph` script installed beside the running interpreter (the
    one `pip install .` made), so the tests exercise the packaging."""
    script = Path(sys.executable).with_name("revgraph")
    if script.exists():
        return [str(script)]
    found = shutil.which("revgraph")
    if found is None:
        raise RuntimeError("the revgraph command is not installed in this environment")
    return [found]


def child_env(**overrides: str | None) -> dict[str, str]:
    """This test run's environment (database, Redis prefix, secret) with
    overrides; None removes a variable."""
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_revgraph(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*revgraph_command(), *args],
        env=env or child_env(),
        cwd=cwd or tempfile.gettempdir(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class RevgraphProcess:
    """A long-running `revgraph serve` or `revgraph worker` child process;
    its output goes to a file so a full pipe can never stall it."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.args = args
        self.env = env or child_env()
        self.cwd = cwd or Path(tempfile.mkdtemp(prefix="revgraph-proc-"))
        self.log_path = Path(tempfile.mkstemp(prefix="revgraph-proc-", suffix=".log")[1])
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RevgraphProcess:
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*revgraph_command(), *self.args],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        return self

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def terminate(self, timeout: float = 15) -> int:
        """SIGTERM, then the exit code; SIGKILL (and an AssertionError) if it
        does not stop within `timeout` seconds."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
                raise AssertionError(f"{self.args} ignored SIGTERM for {timeout}s:\n{self.output}") from None
        return self.process.returncode

    async def stop(self, timeout: float = 15) -> int:
        """`terminate` without blocking the test's loop (the test server runs on it)."""
        return await asyncio.to_thread(self.terminate, timeout)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class ServeProcess(RevgraphProcess):
    """`revgraph serve` on a free port."""

    def __init__(self, *extra: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
        self.port = free_port()
        super().__init__(
            "serve", "--port", str(self.port), "--log-level", "warning", *extra, env=env, cwd=cwd
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.graphql_url = f"{self.url}/graphql"
        self.ws_url = f"ws://127.0.0.1:{self.port}/graphql"

    async def wait_ready(self, timeout: float = 60) -> httpx.Response:
        """Poll /healthz until it answers (any status); fail if the process exits."""
        assert self.process is not None
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(timeout=2) as http:
            while True:
                if self.process.poll() is not None:
                    raise AssertionError(
                        f"revgraph serve exited with {self.process.returncode}:\n{self.output}"
                    )
                try:
                    return await http.get(f"{self.url}/healthz")
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        self.kill()
                        raise AssertionError(
                            f"revgraph serve not ready after {timeout}s:\n{self.output}"
                        ) from None
                    await asyncio.sleep(0.1)
