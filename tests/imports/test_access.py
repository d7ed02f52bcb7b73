"""Imports are ADMIN-only and per workspace (another workspace's job does
not exist for you), and the error report downloads as a CSV Excel pt-BR
opens: UTF-8 with BOM, `;`, the file's columns plus the row and its errors."""

from __future__ import annotations

import asyncio
import csv
import io
import json

from revgraph.models.crm import Contact
from tests.imports.support import DRY_RUN, JOB, MAP, START, csv_bytes, imported, mapped, uploaded

NODE = "query Node($id: ID!) { node(id: $id) { id ... on ImportJob { status } } }"
JOBS = "query { importJobs { id status } }"


async def test_only_admins_of_the_workspace_see_and_run_imports(gql, workspace, other_workspace):
    job = await uploaded(gql, workspace.token, csv_bytes([["Ana", "ana@example.com", "", ""]]))
    agent = await workspace.user("AGENT")
    manager = await workspace.user("MANAGER")
    for user in (agent, manager):
        body = await gql(JOB, {"id": job["id"]}, token=user["token"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        body = await gql(START, {"id": job["id"]}, token=user["token"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        assert (await gql.ok(NODE, {"id": job["id"]}, token=user["token"]))["node"] is None
    # another workspace's admin: it does not exist
    stranger = other_workspace.token
    assert (await gql.ok(JOB, {"id": job["id"]}, token=stranger))["importJob"] is None
    assert (await gql.ok(NODE, {"id": job["id"]}, token=stranger))["node"] is None
    assert (await gql.ok(JOBS, token=stranger))["importJobs"] == []
    for document in (DRY_RUN, START):
        data = await gql.ok(document, {"id": job["id"]}, token=stranger)
        [error] = next(iter(data.values()))["userErrors"]
        assert (error["code"], error["field"]) == ("NOT_FOUND", ["importJobId"])
    data = await gql.ok(MAP, {"input": {"importJobId": job["id"], "columns": []}}, token=stranger)
    assert data["mapImportColumns"]["userErrors"][0]["code"] == "NOT_FOUND"
    report = await gql.http.get(
        gql.server.url + job_url(job["id"]), headers={"authorization": f"Bearer {stranger}"}
    )
    assert report.status_code == 404
    # the workspace's admin does
    assert (await gql.ok(NODE, {"id": job["id"]}, token=workspace.token))["node"]["status"] == "UPLOADED"
    assert [j["id"] for j in (await gql.ok(JOBS, token=workspace.token))["importJobs"]] == [job["id"]]
    assert await Contact.all().count() == 0


def job_url(job_id: str) -> str:
    return f"/imports/{job_id}/errors.csv"


async def test_error_report_downloads_as_excel_pt_br_csv(gql, workspace):
    # given an import with one bad row, in a Windows-1252 comma file
    rows = [["José", "jose@example.com", "", ""], ["Má", "ma@", "999", "site"]]
    done = await imported(gql, workspace.token, csv_bytes(rows, delimiter=",", encoding="cp1252"))
    assert (done["createdCount"], done["failedCount"]) == (1, 1)
    # when its error reports are downloaded
    url = gql.server.url + done["errorReportUrl"]
    headers = {"authorization": f"Bearer {workspace.token}"}
    report = await gql.http.get(url, headers=headers)
    dry = await gql.http.get(url, params={"phase": "DRY_RUN"}, headers=headers)
    # then each is the failing row as read, with its spreadsheet row and errors in pt-BR
    for response in (report, dry):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/csv")
        assert response.content.startswith(b"\xef\xbb\xbf")
        lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert lines[0] == ["Linha", "Nome", "E-mail", "Telefone", "Origem", "Erros"]
        assert lines[1][:5] == ["3", "Má", "ma@", "999", "site"]
        assert "E-mail: E-mail inválido: 'ma@'." in lines[1][5]
        assert "Telefone: Telefone inválido: '999'" in lines[1][5]
        assert len(lines) == 2
    assert "attachment" in report.headers["content-disposition"]
    # and only the workspace's admins may download it
    agent = await workspace.user("AGENT")
    refused = await gql.http.get(url, headers={"authorization": f"Bearer {agent['token']}"})
    assert refused.status_code == 403
    assert (await gql.http.get(url)).status_code == 401
    bad_phase = await gql.http.get(url, params={"phase": "LATER"}, headers=headers)
    assert bad_phase.status_code == 400


async def test_the_mapping_cannot_change_once_the_import_started(gql, workspace):
    done = await imported(gql, workspace.token, csv_bytes([["Ana", "ana@example.com", "", ""]]))
    data = await gql.ok(MAP, {"input": {"importJobId": done["id"], "columns": []}}, token=workspace.token)
    assert data["mapImportColumns"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    data = await gql.ok(START, {"id": done["id"]}, token=workspace.token)
    assert data["startImport"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    assert await Contact.all().count() == 1


PROGRESS = """
subscription Progress($id: ID!) { importJobProgress(id: $id) { status processedRows createdCount } }
"""


async def test_progress_subscription_follows_the_import_to_its_end(gql, server, workspace):
    from tests.imports.support import dry_run, run
    from tests.live import connect, subscribe

    job = await uploaded(gql, workspace.token, csv_bytes([["Ana", "ana@example.com", "", ""]]))
    await mapped(gql, workspace.token, job["id"])
    await dry_run(gql, workspace.token, job["id"])
    await run(gql, workspace.token, job["id"])
    async with connect(server.ws_url, workspace.token) as socket:
        subscription = await subscribe(socket, PROGRESS, {"id": job["id"]})
        payload = await subscription.next()
        assert payload["data"]["importJobProgress"] == {
            "status": "COMPLETED",
            "processedRows": 1,
            "createdCount": 1,
        }
    agent = await workspace.user("AGENT")
    async with connect(server.ws_url, agent["token"]) as socket:
        await subscribe(socket, PROGRESS, {"id": job["id"]})
        message = json.loads(await asyncio.wait_for(socket.recv(), 5))
        assert message["type"] in ("error", "next"), message
        errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
        assert errors[0]["extensions"]["code"] == "FORBIDDEN"
