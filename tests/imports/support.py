"""CSV import tests' helpers: files generated here (UTF-8 with and without
BOM, Windows-1252, `;` and `,`), the HTTP upload as a client sends it
(multipart with the bearer token), and the GraphQL documents."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

JOB_FIELDS = """
id filename entity encoding delimiter columns rowCount status duplicatePolicy processedRows
mapping { column field }
dryRun { valid invalid toCreate toUpdate toSkip }
createdCount updatedCount skippedCount failedCount failure errorReportUrl duplicateReportUrl
"""
MAP = f"""
mutation Map($input: MapImportColumnsInput!) {{
  mapImportColumns(input: $input) {{ importJob {{ {JOB_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
DRY_RUN = f"""
mutation DryRun($id: ID!) {{
  startImportDryRun(importJobId: $id) {{ importJob {{ {JOB_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
START = f"""
mutation Start($id: ID!) {{
  startImport(importJobId: $id) {{ importJob {{ {JOB_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
JOB = f"""
query Job($id: ID!, $phase: ImportPhase) {{
  importJob(id: $id) {{
    {JOB_FIELDS}
    rowErrors(phase: $phase, first: 100) {{ row values problems {{ code field column message }} }}
  }}
}}
"""
MAPPINGS = "query { importMappings(entity: CONTACT) { name entity columns { column field } } }"
CONTACTS = """
query { contacts(first: 100) { totalCount edges { node { id name email phone source tags customFields owner { id } } } } }
"""

HEADER = ["Nome", "E-mail", "Telefone", "Origem"]
MAPPING = [
    {"column": "Nome", "field": "name"},
    {"column": "E-mail", "field": "email"},
    {"column": "Telefone", "field": "phone"},
    {"column": "Origem", "field": "source"},
]


def csv_bytes(
    rows: list[list[str]], *, header: list[str] | None = None, delimiter: str = ";", encoding: str = "utf-8"
) -> bytes:
    """A spreadsheet export: header then rows, CRLF line ends."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def upload(
    gql: Any, token: str | None, content: bytes, *, filename: str = "contatos.csv", entity: str | None = None
) -> Any:
    """POST /imports as a client sends it; the raw response."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    data = {"entity": entity} if entity else {}
    return await gql.http.post(
        gql.server.url + "/imports",
        files={"file": (filename, content, "text/csv")},
        data=data,
        headers=headers,
    )


async def uploaded(gql: Any, token: str, content: bytes, **options: Any) -> dict[str, Any]:
    response = await upload(gql, token, content, **options)
    assert response.status_code == 201, response.text
    return response.json()


async def job(gql: Any, token: str, job_id: str, phase: str = "RUN") -> dict[str, Any]:
    return (await gql.ok(JOB, {"id": job_id, "phase": phase}, token=token))["importJob"]


async def until(gql: Any, token: str, job_id: str, statuses: set[str], phase: str = "RUN") -> dict[str, Any]:
    """Poll importJob until it reaches one of `statuses` (the actor runs in
    the server, or in the session's worker with Redis)."""
    for _ in range(600):
        current = await job(gql, token, job_id, phase)
        if current["status"] in statuses:
            return current
        await asyncio.sleep(0.05)
    raise AssertionError(f"import stuck at {current['status']}: {current}")


async def mapped(
    gql: Any, token: str, job_id: str, columns: list[dict[str, str]] | None = None, **extra: Any
) -> dict[str, Any]:
    data = await gql.ok(
        MAP, {"input": {"importJobId": job_id, "columns": columns or MAPPING, **extra}}, token=token
    )
    payload = data["mapImportColumns"]
    assert payload["userErrors"] == [], payload
    return payload["importJob"]


async def dry_run(gql: Any, token: str, job_id: str) -> dict[str, Any]:
    data = await gql.ok(DRY_RUN, {"id": job_id}, token=token)
    assert data["startImportDryRun"]["userErrors"] == [], data
    return await until(gql, token, job_id, {"VALIDATED", "FAILED"}, "DRY_RUN")


async def run(gql: Any, token: str, job_id: str) -> dict[str, Any]:
    data = await gql.ok(START, {"id": job_id}, token=token)
    assert data["startImport"]["userErrors"] == [], data
    return await until(gql, token, job_id, {"COMPLETED", "FAILED"})


async def imported(gql: Any, token: str, content: bytes, **map_options: Any) -> dict[str, Any]:
    """Upload, map, dry run and import a file; the finished job."""
    job_id = (await uploaded(gql, token, content))["id"]
    await mapped(gql, token, job_id, **map_options)
    await dry_run(gql, token, job_id)
    return await run(gql, token, job_id)


async def contacts(gql: Any, token: str) -> list[dict[str, Any]]:
    data = await gql.ok(CONTACTS, token=token)
    return [edge["node"] for edge in data["contacts"]["edges"]]


class Crash(Exception):
    """A process dying mid-batch (a killed worker), raised by `dies_on_call`."""


def dies_on_call(monkeypatch: Any, owner: Any, name: str, call: int) -> Any:
    """Make `owner.name` raise Crash on its `call`-th call (1-based), as a
    worker killed there would stop; returns the real one to put back."""
    real = getattr(owner, name)
    calls = 0

    async def dying(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call:
            raise Crash
        return await real(*args, **kwargs)

    monkeypatch.setattr(owner, name, dying)
    return real
