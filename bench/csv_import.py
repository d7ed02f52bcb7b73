"""CSV import, measured: rows/s of the dry run and of the import of a
generated contacts file, how the API answers meanwhile, and the server's
memory, in the embedded mode (SQLite) and with PostgreSQL + Redis + one
`revgraph worker`.

For each mode the script starts from an empty database and one `revgraph
serve` (and the worker with Redis), signs up, generates N contacts (seeded
RNG; pt-BR phones, one in ten rows a duplicate of an earlier one, one in
fifty with a bad e-mail) as a Windows-1252 `;` file, uploads it over HTTP,
maps it, runs the dry run and then the import, and meanwhile sends
`contacts(first: 1)` every 100 ms to time the API (p50/p99). It prints
rows/s for both phases, the API latency during the import, and the
server's RSS before and after.

    python bench/csv_import.py [--rows 20000] [--modes embedded redis1]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import random
import time
from pathlib import Path

from board_common import (
    Api,
    database,
    drop_redis_prefix,
    exit_cleanly_on_sigterm,
    machine,
    percentile,
    redis_prefix,
    seed_workspace,
    server_env,
    serving,
    today,
    working,
)

MAP = """
mutation($input: MapImportColumnsInput!) { mapImportColumns(input: $input) { importJob { id } userErrors { code message field } } }
"""
DRY_RUN = "mutation($id: ID!) { startImportDryRun(importJobId: $id) { importJob { id } userErrors { code message } } }"
START = (
    "mutation($id: ID!) { startImport(importJobId: $id) { importJob { id } userErrors { code message } } }"
)
JOB = """
query($id: ID!) { importJob(id: $id) { status processedRows createdCount updatedCount skippedCount failedCount
  dryRun { valid invalid toCreate toUpdate toSkip } } }
"""
PROBE = "query { contacts(first: 1) { edges { node { id } } } }"
COLUMNS = [
    {"column": "Nome", "field": "name"},
    {"column": "E-mail", "field": "email"},
    {"column": "Celular", "field": "phone"},
    {"column": "Origem", "field": "source"},
]


def generate(rows: int) -> bytes:
    rng = random.Random(13)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Nome", "E-mail", "Celular", "Origem"])
    for i in range(rows):
        n = rng.randrange(i) if i and rng.random() < 0.1 else i
        email = f"pessoa{n}@exemplo.com.br" if rng.random() > 0.02 else f"pessoa{n}@"
        phone = f"11 9{(n * 7919) % 10**8:08d}"
        writer.writerow([f"Pessoa {n} Conceição", email, phone, "Feirão"])
    return out.getvalue().encode("cp1252")


async def wait_for(api: Api, token: str, job_id: str, statuses: set[str]) -> dict:
    while True:
        job = (await api.ok(JOB, {"id": job_id}, token))["importJob"]
        if job["status"] in statuses:
            return job
        await asyncio.sleep(0.2)


async def probe(api: Api, token: str, stop: asyncio.Event, samples: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        await api.ok(PROBE, token=token)
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.1)


async def run_mode(mode: str, rows: int, content: bytes) -> dict:
    backend = "sqlite" if mode == "embedded" else "postgres"
    prefix = redis_prefix() if mode != "embedded" else None
    async with database(backend, name="revgraph_bench_csv_import") as url:
        env = server_env(url, redis_prefix=prefix)
        try:
            with serving(env) as server, working(env, 0 if mode == "embedded" else 1):
                api = Api(server, connections=4)
                try:
                    workspace = await seed_workspace(api)
                    token = workspace.admin.token
                    rss_before = server.rss_mib()
                    response = await api.http.post(
                        "/imports",
                        files={"file": ("contatos.csv", content, "text/csv")},
                        headers={"authorization": f"Bearer {token}"},
                    )
                    response.raise_for_status()
                    job_id = response.json()["id"]
                    await api.ok(MAP, {"input": {"importJobId": job_id, "columns": COLUMNS}}, token)
                    started = time.perf_counter()
                    await api.ok(DRY_RUN, {"id": job_id}, token)
                    checked = await wait_for(api, token, job_id, {"VALIDATED", "FAILED"})
                    dry_seconds = time.perf_counter() - started
                    samples: list[float] = []
                    stop = asyncio.Event()
                    prober = asyncio.create_task(probe(api, token, stop, samples))
                    started = time.perf_counter()
                    await api.ok(START, {"id": job_id}, token)
                    done = await wait_for(api, token, job_id, {"COMPLETED", "FAILED"})
                    run_seconds = time.perf_counter() - started
                    stop.set()
                    await prober
                    return {
                        "mode": mode,
                        "rows": rows,
                        "file_mib": round(len(content) / 2**20, 2),
                        "dry_run": checked["dryRun"],
                        "dry_run_rows_per_s": round(rows / dry_seconds, 1),
                        "import": {
                            k: done[k]
                            for k in ("status", "createdCount", "updatedCount", "skippedCount", "failedCount")
                        },
                        "import_rows_per_s": round(rows / run_seconds, 1),
                        "api_p50_ms_during_import": round(percentile(samples, 50), 1),
                        "api_p99_ms_during_import": round(percentile(samples, 99), 1),
                        "rss_mib_before": round(rss_before, 1),
                        "rss_mib_after": round(server.rss_mib(), 1),
                    }
                finally:
                    await api.aclose()
        finally:
            if prefix:
                await drop_redis_prefix(prefix)


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--modes", nargs="+", default=["embedded", "redis1"], choices=["embedded", "redis1"])
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    content = generate(args.rows)
    results = []
    for mode in args.modes:
        result = await run_mode(mode, args.rows, content)
        print(json.dumps(result, ensure_ascii=False))
        results.append(result)
    folder = Path(__file__).with_name("results")
    folder.mkdir(exist_ok=True)
    target = folder / f"csv_import-{today()}.json"
    target.write_text(json.dumps({"machine": machine(), "results": results}, indent=2, ensure_ascii=False))
    print(f"written to {target}")


if __name__ == "__main__":
    asyncio.run(main())
