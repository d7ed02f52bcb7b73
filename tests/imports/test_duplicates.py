"""The duplicates an import's rows meet, row by row: the dry run shows,
before anything is written, which rows would update or skip which record
(and which fields an update would change), and the import records what it
did; both a page at a time (`ImportJob.duplicates`), in row order, for
contacts, companies and deals. Recorded with each batch: a restarted
batch records its rows once, and a batch takes the same statements for
64 rows as for 8."""

from __future__ import annotations

import asyncio
import contextvars
import csv
import io

import pytest
from tortoise.backends.asyncpg import client as asyncpg_client
from tortoise.backends.base_postgres import client as postgres_client
from tortoise.backends.sqlite import client as sqlite_client

from revgraph.models.crm import Company, Contact
from revgraph.models.imports import ImportJob, ImportRowDuplicate
from revgraph.models.pipeline import Deal
from revgraph.resolvers.ids import decode_id, encode_id
from revgraph.resolvers.imports import contact_rows, files, runner
from tests.graph.documents import create_company, create_contact
from tests.imports import test_companies, test_deals
from tests.imports.support import Crash, csv_bytes, dies_on_call, dry_run, job, mapped, run, uploaded
from tests.pipeline.support import create_pipeline

DUPLICATES = """
query Duplicates($id: ID!, $phase: ImportPhase, $first: Int, $after: String) {
  importJob(id: $id) {
    duplicates(phase: $phase, first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { row action changedFields recordId recordName recordNumber earlierRow } }
    }
  }
}
"""


async def duplicates(gql, token, job_id, phase, **page):
    data = await gql.ok(DUPLICATES, {"id": job_id, "phase": phase, **page}, token=token)
    return data["importJob"]["duplicates"]


async def all_duplicates(gql, token, job_id, phase):
    """Every duplicate of a phase, read 2 at a time through the cursors."""
    out, after = [], None
    while True:
        page = await duplicates(gql, token, job_id, phase, first=2, after=after)
        out += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


def dup(row, action, fields, record=None, name=None, number=None, earlier=None):
    return {
        "row": row,
        "action": action,
        "changedFields": fields,
        "recordId": record,
        "recordName": name,
        "recordNumber": number,
        "earlierRow": earlier,
    }


async def test_contacts_dry_run_lists_which_rows_meet_which_contacts(gql, workspace):
    # given two contacts, and a file (UPDATE_EMPTY) that meets them and repeats one of its own people
    xavier = await create_contact(gql, workspace.token, name="Xavier", email="x@example.com")
    yara = await create_contact(gql, workspace.token, name="Yara", email="y@example.com", source="site")
    numbers = dict(await Contact.all().values_list("name", "number"))
    rows = [
        ["Ana", "ana@example.com", "", ""],  # row 2: new
        ["Xavier Lima", "x@example.com", "11 98888-0001", "feira"],  # Xavier: phone and source filled
        ["Yara", "y@example.com", "", "site"],  # Yara: nothing to fill
        ["Ana Maria", "ana@example.com", "", "feira"],  # row 2's person
        ["Má", "ma@", "", ""],  # refused: not a duplicate
    ]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows)))["id"]
    await mapped(gql, workspace.token, job_id, duplicatePolicy="UPDATE_EMPTY")
    # when the dry run reads it
    checked = await dry_run(gql, workspace.token, job_id)
    assert checked["dryRun"] == {"valid": 4, "invalid": 1, "toCreate": 1, "toUpdate": 2, "toSkip": 1}
    # then each duplicate is listed on its row, with the contact it meets, in row order
    expected = [
        dup(3, "UPDATE", ["phone", "source"], xavier["id"], "Xavier", numbers["Xavier"]),
        dup(4, "SKIP", [], yara["id"], "Yara", numbers["Yara"]),
        dup(5, "UPDATE", None, earlier=2),  # what row 2 creates: not stored yet
    ]
    assert await all_duplicates(gql, workspace.token, job_id, "DRY_RUN") == expected
    # and pages of it carry their cursors and the whole count
    first = await duplicates(gql, workspace.token, job_id, "DRY_RUN", first=2)
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (3, True)
    assert [e["node"]["row"] for e in first["edges"]] == [3, 4]
    rest = await duplicates(
        gql, workspace.token, job_id, "DRY_RUN", first=2, after=first["pageInfo"]["endCursor"]
    )
    assert ([e["node"]["row"] for e in rest["edges"]], rest["pageInfo"]["hasNextPage"]) == ([5], False)
    # and nothing was written, nor listed for the import yet
    assert await Contact.all().count() == 2
    assert (await duplicates(gql, workspace.token, job_id, "RUN"))["totalCount"] == 0
    # when the mapping changes and the dry run runs again, its list is the new one only
    await mapped(gql, workspace.token, job_id, duplicatePolicy="SKIP")
    assert (await duplicates(gql, workspace.token, job_id, "DRY_RUN"))["totalCount"] == 0
    await dry_run(gql, workspace.token, job_id)
    assert [
        (d["row"], d["action"], d["changedFields"])
        for d in await all_duplicates(gql, workspace.token, job_id, "DRY_RUN")
    ] == [(3, "SKIP", []), (4, "SKIP", []), (5, "SKIP", [])]
    # when it is imported under UPDATE_EMPTY
    await mapped(gql, workspace.token, job_id, duplicatePolicy="UPDATE_EMPTY")
    await dry_run(gql, workspace.token, job_id)
    done = await run(gql, workspace.token, job_id)
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"]) == (1, 2, 1)
    # then the import's list names the contact row 2 created for row 5, and what it changed
    ana = await Contact.get(email="ana@example.com")
    assert await all_duplicates(gql, workspace.token, job_id, "RUN") == [
        dup(3, "UPDATE", ["phone", "source"], xavier["id"], "Xavier", numbers["Xavier"]),
        dup(4, "SKIP", [], yara["id"], "Yara", numbers["Yara"]),
        dup(5, "UPDATE", ["source"], encode_id("Contact", ana.id), "Ana", ana.number),
    ]
    # and the dry run's list is still there, as it was shown
    assert await all_duplicates(gql, workspace.token, job_id, "DRY_RUN") == expected


async def test_companies_duplicates_name_the_company_and_its_changed_fields(gql, workspace):
    # given three companies a file names by domain, CNPJ and name (UPDATE_EMPTY)
    await test_companies._existing(gql, workspace.token)
    ids = {name: encode_id("Company", pk) for pk, name in await Company.all().values_list("id", "name")}
    manager = await workspace.user("MANAGER")
    content = csv_bytes(test_companies._rows(manager["email"]), header=test_companies.HEADER)
    job_id = (await uploaded(gql, workspace.token, content, entity="COMPANY"))["id"]
    await mapped(gql, workspace.token, job_id, test_companies.COLUMNS, duplicatePolicy="UPDATE_EMPTY")
    # when the dry run and the import read it
    await dry_run(gql, workspace.token, job_id)
    await run(gql, workspace.token, job_id)
    # then both list the same three rows: Acme filled (owner, phone), Beta and Gama left
    expected = [
        dup(2, "UPDATE", ["customFields.phone", "owner"], ids["Acme Imóveis"], "Acme Imóveis"),
        dup(3, "SKIP", [], ids["Beta Incorporadora"], "Beta Incorporadora"),
        dup(4, "SKIP", [], ids["Gama Construtora"], "Gama Construtora"),
    ]
    for phase in ("DRY_RUN", "RUN"):
        assert await all_duplicates(gql, workspace.token, job_id, phase) == expected


async def test_deals_duplicates_are_the_rows_of_a_known_external_id(gql, workspace):
    # given deals imported with another system's ids
    await create_pipeline(gql, workspace.token)
    header, columns = test_deals.HEADER, test_deals.COLUMNS
    rows = [
        ["CRM-1", "Apto Jardins", "Pré-vendas", "Novo lead", "100.000,00", "", "", "", ""],
        ["CRM-2", "Casa Centro", "Pré-vendas", "Novo lead", "", "", "", "", ""],
    ]
    first = (await uploaded(gql, workspace.token, csv_bytes(rows, header=header), entity="DEAL"))["id"]
    await mapped(gql, workspace.token, first, columns)
    await dry_run(gql, workspace.token, first)
    await run(gql, workspace.token, first)
    deals = {d.title: d for d in await Deal.all()}
    apto, casa = deals["Apto Jardins"], deals["Casa Centro"]
    # when the next export comes in under OVERWRITE
    later = [
        ["CRM-1", "Apto Jardins (revisado)", "Pré-vendas", "Em contato", "120.000,00", "", "", "", ""],
        ["CRM-2", "Casa Centro", "Pré-vendas", "Novo lead", "", "", "", "", ""],
        ["CRM-3", "Novo", "Pré-vendas", "Novo lead", "", "", "", "", ""],
        ["CRM-3", "Novo de novo", "Pré-vendas", "Novo lead", "", "", "", "", ""],
        ["", "Sem ID", "Pré-vendas", "Novo lead", "", "", "", "", ""],
    ]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(later, header=header), entity="DEAL"))["id"]
    await mapped(gql, workspace.token, job_id, columns, duplicatePolicy="OVERWRITE")
    await dry_run(gql, workspace.token, job_id)
    # then the dry run lists the deals it would change or leave, and CRM-3's second row
    assert await all_duplicates(gql, workspace.token, job_id, "DRY_RUN") == [
        dup(
            2, "UPDATE", ["stage", "title", "value"], encode_id("Deal", apto.id), "Apto Jardins", apto.number
        ),
        dup(3, "SKIP", [], encode_id("Deal", casa.id), "Casa Centro", casa.number),
        dup(5, "UPDATE", None, earlier=4),
    ]
    # and the import lists the deal row 4 opened for row 5
    await run(gql, workspace.token, job_id)
    novo = await Deal.get(title="Novo de novo")
    found = await all_duplicates(gql, workspace.token, job_id, "RUN")
    assert found[2] == dup(5, "UPDATE", ["title"], encode_id("Deal", novo.id), "Novo de novo", novo.number)
    assert [d["recordName"] for d in found[:2]] == ["Apto Jardins (revisado)", "Casa Centro"]


async def test_a_restarted_batch_records_its_duplicates_once(gql, server, workspace, monkeypatch):
    # given three contacts and a file meeting them in every batch of 2 (chunks of 4)
    monkeypatch.setattr(files, "CHUNK_ROWS", 4)
    monkeypatch.setattr(runner, "BATCH_ROWS", 2)
    for i in range(3):
        await create_contact(gql, workspace.token, name=f"Antigo {i}", email=f"a{i}@example.com")
    rows = []
    for i in range(3):
        rows += [[f"Antigo {i}", f"a{i}@example.com", "", ""], [f"Novo {i}", f"n{i}@example.com", "", ""]]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows)))["id"]
    await mapped(gql, workspace.token, job_id)
    await dry_run(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    # when a run dies creating the second batch's contact (after its duplicate was decided)
    real_create = dies_on_call(monkeypatch, contact_rows, "create_contacts", 2)
    with pytest.raises(Crash):
        await runner.run_job(server.settings, pk)
    # then only the committed batch's duplicate is kept
    assert await ImportRowDuplicate.filter(job_id=pk, phase="RUN").count() == 1
    # when it runs again (and once more when done)
    monkeypatch.setattr(contact_rows, "create_contacts", real_create)
    await runner.run_job(server.settings, pk)
    await runner.run_job(server.settings, pk)
    # then each duplicate row is listed once
    done = await job(gql, workspace.token, job_id)
    assert (done["status"], done["createdCount"], done["skippedCount"]) == ("COMPLETED", 3, 3)
    found = await all_duplicates(gql, workspace.token, job_id, "RUN")
    assert [(d["row"], d["action"], d["recordName"]) for d in found] == [
        (2, "SKIP", "Antigo 0"),
        (4, "SKIP", "Antigo 1"),
        (6, "SKIP", "Antigo 2"),
    ]


_inside = contextvars.ContextVar("inside_counted_sql", default=False)
# Where each backend's client (and its transaction's) sends SQL: count_sql
# patches the default connection only, which a transaction does not use.
SENDERS = [
    (sqlite_client.SqliteClient, "execute_query"),
    (sqlite_client.SqliteClient, "execute_query_dict"),
    (sqlite_client.SqliteClient, "execute_insert"),
    (sqlite_client.SqliteClient, "execute_many"),
    (sqlite_client.SqliteClient, "execute_script"),
    (sqlite_client.SqliteTransactionWrapper, "execute_many"),
    (asyncpg_client.AsyncpgDBClient, "execute_query"),
    (asyncpg_client.AsyncpgDBClient, "execute_query_dict"),
    (asyncpg_client.AsyncpgDBClient, "execute_insert"),
    (asyncpg_client.AsyncpgDBClient, "execute_many"),
    (asyncpg_client.TransactionWrapper, "execute_many"),
    (postgres_client.BasePostgresClient, "execute_script"),
]


def every_statement(monkeypatch) -> list[str]:
    """The SQL this task sends from now on, inside transactions too."""
    task = asyncio.current_task()
    sent: list[str] = []
    for owner, name in SENDERS:
        real = owner.__dict__[name]

        async def counted(self, sql, *args, _real=real, **kwargs):
            if _inside.get() or asyncio.current_task() is not task:
                return await _real(self, sql, *args, **kwargs)
            sent.append(sql)
            token = _inside.set(True)
            try:
                return await _real(self, sql, *args, **kwargs)
            finally:
                _inside.reset(token)

        monkeypatch.setattr(owner, name, counted)
    return sent


async def _statements(monkeypatch, server, ws, content, entity, columns):
    """The SQL a validated job's import runs (SKIP), with its transactions'."""
    job_id = (await uploaded(ws.gql, ws.token, content, entity=entity))["id"]
    await mapped(ws.gql, ws.token, job_id, columns, duplicatePolicy="SKIP")
    await dry_run(ws.gql, ws.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    with monkeypatch.context() as patch:
        sent = every_statement(patch)
        await runner.run_job(server.settings, pk)
    done = await ImportJob.get(id=pk)
    assert (done.status, done.failed_count) == ("COMPLETED", 0)
    assert await ImportRowDuplicate.filter(job_id=pk, phase="RUN").count() == done.skipped_count > 0
    return sent


@pytest.mark.parametrize("entity", ["CONTACT", "COMPANY"])
async def test_a_batch_of_duplicates_takes_as_many_statements_for_64_rows_as_for_8(
    gql, server, workspace, monkeypatch, entity
):
    # given records that half of each file's rows meet (SKIP), the other half new
    if entity == "CONTACT":
        for i in range(36):
            await create_contact(gql, workspace.token, name=f"Antigo {i}", email=f"a{i}@example.com")
        header, columns = None, None
    else:
        for i in range(36):
            await create_company(gql, workspace.token, name=f"Antiga {i}", domain=f"antiga{i}.com.br")
        header, columns = test_companies.HEADER, test_companies.COLUMNS

    def rows(first: int, count: int) -> bytes:
        out = []
        for i in range(first, first + count):
            if entity == "CONTACT":
                out.append([f"Antigo {i}", f"a{i}@example.com", "", ""])
                out.append([f"Novo {i}", f"n{i}@example.com", "", ""])
            else:
                out.append([f"Antiga {i}", f"antiga{i}.com.br", "", "", ""])
                out.append([f"Nova {i}", f"nova{i}.com.br", "", "", ""])
        return csv_bytes(out, header=header)

    # when a file of 8 rows and then one of 64 are imported (each one batch)
    small = await _statements(monkeypatch, server, workspace, rows(0, 4), entity, columns)
    large = await _statements(monkeypatch, server, workspace, rows(4, 32), entity, columns)
    # then both took the same number of statements: the duplicates went in one INSERT
    assert len(large) == len(small), (len(small), len(large))
    inserts = [s for s in large if "import_row_duplicate" in s and s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1


async def test_the_duplicates_download_as_an_excel_pt_br_csv(gql, workspace):
    # given a dry run and an import (UPDATE_EMPTY) meeting a contact and repeating a person
    xavier = await create_contact(gql, workspace.token, name="Xavier", email="x@example.com")
    number = (await Contact.get(email="x@example.com")).number
    rows = [
        ["Ana", "ana@example.com", "", ""],
        ["Xavier; Lima", "x@example.com", "", "feira"],
        ["Ana Maria", "ana@example.com", "", "feira"],
    ]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows)))["id"]
    await mapped(gql, workspace.token, job_id, duplicatePolicy="UPDATE_EMPTY")
    await dry_run(gql, workspace.token, job_id)
    done = await run(gql, workspace.token, job_id)
    ana = await Contact.get(email="ana@example.com")
    # when the reports are downloaded
    url = gql.server.url + f"/imports/{job_id}/duplicates.csv"
    headers = {"authorization": f"Bearer {workspace.token}"}
    report = await gql.http.get(url, headers=headers)
    dry = await gql.http.get(url, params={"phase": "DRY_RUN"}, headers=headers)
    # then each is a `;` UTF-8 file with BOM, headers in pt-BR, a line per duplicate
    header = ["Linha", "Ação", "Registro", "Número do registro", "Id do registro", "Campos alterados"]
    header.append("Linha anterior do arquivo")
    for response in (report, dry):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        assert "attachment" in response.headers["content-disposition"]
        assert response.content.startswith(b"\xef\xbb\xbf")
    assert report.url.path == done["duplicateReportUrl"]

    def lines(response):
        return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))

    assert lines(dry) == [
        header,
        ["3", "Atualiza", "Xavier", str(number), xavier["id"], "source", ""],
        ["4", "Atualiza", "", "", "", "", "2"],
    ]
    assert lines(report) == [
        header,
        ["3", "Atualiza", "Xavier", str(number), xavier["id"], "source", ""],
        ["4", "Atualiza", "Ana", str(ana.number), encode_id("Contact", ana.id), "source", ""],
    ]
    # and only the workspace's admins may download it
    agent = await workspace.user("AGENT")
    refused = await gql.http.get(url, headers={"authorization": f"Bearer {agent['token']}"})
    assert refused.status_code == 403
    assert (await gql.http.get(url)).status_code == 401
