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

Memory flat in the file's size: `--rows 20000 200000` runs each size in
turn (a fresh database each) and prints the peak RSS (VmHWM, reset through
/proc/<pid>/clear_refs before each phase) of the process that works the
import — the server when embedded, the worker's processes with Redis —
during the dry run and during the import: flat means about equal for 20k
and 200k rows. Besides the peaks, the process's RSS is sampled every
second with the rows done, and the curve is printed at 20k/50k/100k/200k
rows of each phase.

    python bench/csv_import.py [--rows 20000 [200000 ...]] [--modes embedded redis1]
        [--entity contacts|companies|deals]

`--entity companies` imports a generated file of companies (name, website,
CNPJ with valid check digits, phone; one row in ten a duplicate of an
earlier one by CNPJ or website, one in fifty a CNPJ with a wrong check
digit); `--entity deals` a file of deals (external id, title, stage by
name in a pipeline the script creates, value `1.250.000,00`, close date
`31/12/2027`; one row in ten an earlier row's external id, one in fifty a
bad date, one in twenty "Proposta" rows without a value, which the stage's
gate refuses). Each entity's PostgreSQL database has its own name.

Statistics: this machine's PostgreSQL runs with `autovacuum = off`, so a
table filled from empty is never analyzed and the planner takes the
200,000-row workspace for an empty one (a lookup by e-mail then read every
live contact through idx_contact_ws_deleted: 36 rows/s at 69,000
contacts). A default server's autovacuum analyzes a table once a tenth of
it changed; with `--analyze-every S` (default 60 for PostgreSQL, 0 = never)
the bench runs ANALYZE on its own database every S seconds in its place,
and prints when. A sample or probe whose request fails is logged and
skipped (a dropped keep-alive connection ended an earlier 30-minute run).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import io
import json
import os
import random
import time
from pathlib import Path

import httpx
from board_common import (
    CREATE_PIPELINE,
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


def generate(rows: int, entity: str = "contacts") -> bytes:
    if entity == "companies":
        return _companies(rows)
    if entity == "deals":
        return _deals(rows)
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


def cnpj(n: int, *, valid: bool = True) -> str:
    """A CNPJ (with its check digits) for the number n."""
    digits = [int(d) for d in f"{n:08d}0001"]
    for size in (12, 13):
        weights = list(range(size - 7, 1, -1)) + list(range(9, 1, -1))
        total = sum(d * w for d, w in zip(digits[:size], weights, strict=True))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    if not valid:
        digits[-1] = (digits[-1] + 1) % 10
    text = "".join(map(str, digits))
    return f"{text[:2]}.{text[2:5]}.{text[5:8]}/{text[8:12]}-{text[12:]}"


def _companies(rows: int) -> bytes:
    rng = random.Random(13)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Razão social", "Site", "CNPJ", "Telefone"])
    for i in range(rows):
        n = rng.randrange(i) if i and rng.random() < 0.1 else i + 1
        bad = rng.random() < 0.02
        writer.writerow(
            [
                f"Construtora {n} Ltda",
                f"https://www.construtora{n}.com.br/contato",
                cnpj(n, valid=not bad),
                f"11 3{(n * 7919) % 10**7:07d}",
            ]
        )
    return out.getvalue().encode("cp1252")


STAGES = [
    {"name": "Novo lead"},
    {"name": "Qualificado", "probability": 20},
    {"name": "Proposta", "probability": 60, "requiredFields": ["value", "expectedCloseDate"]},
    {"name": "Ganho", "kind": "WON", "probability": 100},
    {"name": "Perdido", "kind": "LOST", "probability": 0},
]


def _deals(rows: int) -> bytes:
    rng = random.Random(13)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["ID", "Negócio", "Funil", "Etapa", "Valor", "Previsão"])
    for i in range(rows):
        n = rng.randrange(i) if i and rng.random() < 0.1 else i
        stage = rng.choice(["Novo lead", "Novo lead", "Qualificado", "Proposta", "Ganho"])
        value = f"{rng.randrange(1, 5)}.{rng.randrange(1000):03d}.000,00"
        if stage == "Proposta" and rng.random() < 0.05:
            value = ""
        date = "31/12/2027" if rng.random() > 0.02 else "31/02/2027"
        writer.writerow([f"CRM-{n}", f"Apartamento {n} São João", "Vendas", stage, value, date])
    return out.getvalue().encode("cp1252")


ENTITY = {"contacts": "CONTACT", "companies": "COMPANY", "deals": "DEAL"}
FILENAMES = {"contacts": "contatos.csv", "companies": "empresas.csv", "deals": "negocios.csv"}
ENTITY_COLUMNS = {
    "contacts": COLUMNS,
    "companies": [
        {"column": "Razão social", "field": "name"},
        {"column": "Site", "field": "domain"},
        {"column": "CNPJ", "field": "cnpj"},
        {"column": "Telefone", "field": "phone"},
    ],
    "deals": [
        {"column": "ID", "field": "externalId"},
        {"column": "Negócio", "field": "title"},
        {"column": "Funil", "field": "pipeline"},
        {"column": "Etapa", "field": "stage"},
        {"column": "Valor", "field": "value"},
        {"column": "Previsão", "field": "expectedCloseDate"},
    ],
}


async def wait_for(
    api: Api, token: str, job_id: str, statuses: set[str], budget: float | None = None
) -> dict:
    """The job once it reaches `statuses`; after `budget` seconds, the job
    as it stands (its processedRows give the rate so far)."""
    deadline = time.monotonic() + budget if budget else None
    while True:
        try:
            job = (await api.ok(JOB, {"id": job_id}, token))["importJob"]
        except httpx.HTTPError as error:
            print(f"# poll failed: {error!r}", flush=True)
            await asyncio.sleep(1)
            continue
        if job["status"] in statuses or (deadline and time.monotonic() > deadline):
            return job
        await asyncio.sleep(0.2)


async def probe(api: Api, token: str, stop: asyncio.Event, samples: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        try:
            await api.ok(PROBE, token=token)
        except httpx.HTTPError as error:
            print(f"# probe failed: {error!r}", flush=True)
            await asyncio.sleep(1)
            continue
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.1)


async def analyze(url: str, every: float, stop: asyncio.Event) -> None:
    """ANALYZE the bench's own database every `every` seconds (autovacuum's
    part on a default server; see the module)."""
    import asyncpg

    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)
        if stop.is_set():
            return
        started = time.perf_counter()
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("ANALYZE")
        finally:
            await conn.close()
        print(
            f"# ANALYZE at {time.strftime('%H:%M:%S', time.gmtime())} UTC ({time.perf_counter() - started:.1f} s)",
            flush=True,
        )


def _tree(pid: int) -> list[int]:
    """A process and its descendants (Dramatiq forks its worker processes)."""
    out = [pid]
    with contextlib.suppress(OSError):
        for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split():
            out += _tree(int(child))
    return out


def rss_mib(pids: list[int]) -> float:
    """The largest current resident set (VmRSS) among the processes."""
    largest = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    largest = max(largest, int(line.split()[1]))
    return round(largest / 1024, 1)


MILESTONES = (20_000, 50_000, 100_000, 200_000)


async def sample(
    api: Api, token: str, job_id: str, pids: list[int], stop: asyncio.Event, samples: list[dict]
) -> None:
    """Every second: the working process's RSS and the rows the job has done."""
    started = time.perf_counter()
    while not stop.is_set():
        try:
            job = (await api.ok(JOB, {"id": job_id}, token))["importJob"]
        except httpx.HTTPError as error:
            print(f"# sample failed: {error!r}", flush=True)
            await asyncio.sleep(1)
            continue
        samples.append(
            {
                "s": round(time.perf_counter() - started, 1),
                "status": job["status"],
                "rows": job["processedRows"],  # of the phase in progress
                "rss_mib": rss_mib(pids),
            }
        )
        print("# sample", json.dumps(samples[-1]), flush=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


def curve(samples: list[dict], statuses: tuple[str, ...]) -> dict:
    """RSS when the phase first reached each milestone (and its end), and
    the largest sampled RSS of the phase."""
    phase = [x for x in samples if x["status"] in statuses]
    out: dict = {"peak_sampled_rss_mib": max((x["rss_mib"] for x in phase), default=None)}
    for milestone in MILESTONES:
        reached = next((x for x in phase if x["rows"] >= milestone), None)
        if reached is not None:
            out[f"rss_mib_at_{milestone // 1000}k"] = reached["rss_mib"]
    if phase:
        out["first_sample"] = phase[0]
        out["last_sample"] = phase[-1]
    return out


def reset_peak(pids: list[int]) -> None:
    """Start VmHWM over at the current RSS (clear_refs 5, Linux >= 4.0)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/clear_refs").write_text("5")


def peak_mib(pids: list[int]) -> float:
    """The largest VmHWM (peak resident set) among the processes."""
    peak = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
    return round(peak / 1024, 1)


async def run_mode(
    mode: str,
    rows: int,
    content: bytes,
    budget: float | None = None,
    entity: str = "contacts",
    analyze_every: float = 60,
) -> dict:
    backend = "sqlite" if mode == "embedded" else "postgres"
    prefix = redis_prefix() if mode != "embedded" else None
    name = "revgraph_bench_csv_import" + ("" if entity == "contacts" else f"_{entity}")
    async with database(backend, name=name) as url:
        env = server_env(url, redis_prefix=prefix)
        try:
            # A fresh database takes its migrations first: on a loaded
            # machine that alone took ~55 s (PostgreSQL), and 130 s for
            # SQLite at load 15.
            with (
                serving(env, health_timeout=900) as server,
                working(env, 0 if mode == "embedded" else 1) as worker,
            ):
                api = Api(server, connections=4)
                try:
                    workspace = await seed_workspace(api)
                    token = workspace.admin.token
                    if entity == "deals":
                        await api.ok(CREATE_PIPELINE, {"input": {"name": "Vendas", "stages": STAGES}}, token)
                    rss_before = server.rss_mib()
                    response = await api.http.post(
                        "/imports",
                        files={"file": (FILENAMES[entity], content, "text/csv")},
                        data={"entity": ENTITY[entity]},
                        headers={"authorization": f"Bearer {token}"},
                    )
                    response.raise_for_status()
                    job_id = response.json()["id"]
                    await api.ok(
                        MAP,
                        {"input": {"importJobId": job_id, "columns": ENTITY_COLUMNS[entity]}},
                        token,
                    )
                    workers = _tree(worker.pid) if worker is not None else [server.pid]
                    reset_peak(workers)
                    memory: list[dict] = []
                    sampled = asyncio.Event()
                    analyzer = (
                        asyncio.create_task(analyze(url, analyze_every, sampled))
                        if backend == "postgres" and analyze_every
                        else None
                    )
                    sampler = asyncio.create_task(sample(api, token, job_id, workers, sampled, memory))
                    load_before = os.getloadavg()
                    started = time.perf_counter()
                    await api.ok(DRY_RUN, {"id": job_id}, token)
                    checked = await wait_for(api, token, job_id, {"VALIDATED", "FAILED"})
                    dry_seconds = time.perf_counter() - started
                    print(f"# {mode} {rows}: dry run {dry_seconds:.0f} s", flush=True)
                    dry_peak = peak_mib(workers)
                    reset_peak(workers)
                    samples: list[float] = []
                    stop = asyncio.Event()
                    prober = asyncio.create_task(probe(api, token, stop, samples))
                    started = time.perf_counter()
                    await api.ok(START, {"id": job_id}, token)
                    done = await wait_for(api, token, job_id, {"COMPLETED", "FAILED"}, budget)
                    run_seconds = time.perf_counter() - started
                    # Cut short by the budget: the rate of the rows done so far.
                    imported_rows = rows if done["status"] == "COMPLETED" else done["processedRows"]
                    import_peak = peak_mib(workers)
                    stop.set()
                    await prober
                    sampled.set()
                    await sampler
                    if analyzer is not None:
                        await analyzer
                    load_after = os.getloadavg()
                    print(
                        f"# {mode} {rows}: import {run_seconds:.0f} s; RSS every second:",
                        json.dumps(memory),
                        flush=True,
                    )
                    return {
                        "entity": entity,
                        "mode": mode,
                        "rows": rows,
                        "file_mib": round(len(content) / 2**20, 2),
                        "dry_run": checked["dryRun"],
                        "dry_run_rows_per_s": round(rows / dry_seconds, 1),
                        "import": {
                            k: done[k]
                            for k in (
                                "status",
                                "processedRows",
                                "createdCount",
                                "updatedCount",
                                "skippedCount",
                                "failedCount",
                            )
                        },
                        "import_rows_per_s": round(imported_rows / run_seconds, 1),
                        "api_p50_ms_during_import": round(percentile(samples, 50), 1),
                        "api_p99_ms_during_import": round(percentile(samples, 99), 1),
                        "worker_peak_rss_mib_dry_run": dry_peak,
                        "worker_peak_rss_mib_import": import_peak,
                        "dry_run_seconds": round(dry_seconds, 1),
                        "import_seconds": round(run_seconds, 1),
                        "api_probes": len(samples),
                        "worker_rss_dry_run": curve(memory, ("VALIDATING", "VALIDATED")),
                        "worker_rss_import": curve(memory, ("RUNNING", "COMPLETED")),
                        "load_average_before": [round(x, 1) for x in load_before],
                        "load_average_after": [round(x, 1) for x in load_after],
                        "analyze_every_s": analyze_every if backend == "postgres" else None,
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
    parser.add_argument("--rows", type=int, nargs="+", default=[20_000])
    parser.add_argument(
        "--import-budget",
        type=float,
        default=None,
        help="stop waiting for an import after this many seconds and report the rate so far",
    )
    parser.add_argument("--modes", nargs="+", default=["embedded", "redis1"], choices=["embedded", "redis1"])
    parser.add_argument("--entity", default="contacts", choices=list(ENTITY))
    parser.add_argument(
        "--analyze-every",
        type=float,
        default=60,
        help="PostgreSQL: ANALYZE the bench database every S seconds (0: never); see above",
    )
    args = parser.parse_args()
    exit_cleanly_on_sigterm()
    results = []
    for mode in args.modes:
        for rows in args.rows:
            result = await run_mode(
                mode, rows, generate(rows, args.entity), args.import_budget, args.entity, args.analyze_every
            )
            print(json.dumps(result, ensure_ascii=False), flush=True)
            results.append(result)
    folder = Path(__file__).with_name("results")
    folder.mkdir(exist_ok=True)
    kind = "" if args.entity == "contacts" else f"{args.entity}-"
    target = folder / f"csv_import-{kind}{today()}-{'-'.join(args.modes)}.json"
    target.write_text(json.dumps({"machine": machine(), "results": results}, indent=2, ensure_ascii=False))
    print(f"written to {target}")


if __name__ == "__main__":
    asyncio.run(main())
