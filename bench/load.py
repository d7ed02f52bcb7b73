"""Driving HTTP load: `wrk` when installed (a C client leaves the server's
core to the server), otherwise an async httpx client. Both report the same
numbers: requests, errors, req/s and p50/p99/max latency."""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from harness import LOAD_CPU, pinned


@dataclass
class Load:
    tool: str
    requests: int
    errors: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float

    def as_dict(self) -> dict:
        return asdict(self)

    def line(self) -> str:
        return (
            f"{self.rps:8.0f} req/s  p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  "
            f"max {self.max_ms:6.1f} ms  ({self.requests} requests, {self.errors} errors, {self.tool})"
        )


@dataclass
class Request:
    url: str
    method: str = "GET"
    body: dict | None = None
    token: str | None = None

    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"} if self.body is not None else {}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return headers


_LUA_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def _wrk(request: Request, connections: int, seconds: float) -> Load:
    lines = [f'wrk.method = "{request.method}"']
    if request.body is not None:
        lines.append(f"wrk.body = {json.dumps(json.dumps(request.body))}")
    for name, value in request.headers().items():
        lines.append(f'wrk.headers["{name}"] = "{value}"')
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + _LUA_DONE)
    try:
        argv = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:.0f}s", "--timeout", "10s"]
        out = subprocess.run(
            pinned([*argv, "-s", script.name, request.url], LOAD_CPU),
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        Path(script.name).unlink()
    result = next(line for line in out.splitlines() if line.startswith("RESULT "))
    requests, duration_us, errors, p50, p99, top = (int(x) for x in result.split()[1:])
    duration = duration_us / 1e6
    return Load("wrk", requests, errors, duration, requests / duration, p50 / 1e3, p99 / 1e3, top / 1e3)


async def _httpx(request: Request, connections: int, seconds: float) -> Load:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(timeout=10, limits=limits) as http:

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await http.request(
                        request.method, request.url, json=request.body, headers=request.headers()
                    )
                    if response.status_code != 200:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - began
    quantiles = statistics.quantiles(latencies, n=100)
    return Load(
        "httpx",
        len(latencies),
        errors,
        elapsed,
        len(latencies) / elapsed,
        quantiles[49] * 1e3,
        quantiles[98] * 1e3,
        max(latencies) * 1e3,
    )


async def drive(request: Request, *, connections: int, seconds: float) -> Load:
    """Hold `connections` requests in flight for `seconds`."""
    if shutil.which("wrk"):
        return await asyncio.to_thread(_wrk, request, connections, seconds)
    return await _httpx(request, connections, seconds)
