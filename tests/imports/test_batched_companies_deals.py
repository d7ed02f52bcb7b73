"""Company and deal imports write a batch in a few statements (its
duplicates and names looked up together, its new records created together
through create_companies / create_deals, the use cases createCompany and
createDeal run) with the outcome of writing the rows one by one: the same
file imported batched in one workspace and row by row (each row decided
just before it is written, `one_row_at_a_time`) in another ends with the same counts, row errors, records
and events. The statements a batch takes do not grow with its rows, and a
run cut short mid-import resumes writing every row once."""

from __future__ import annotations

import re
from typing import Any

import pytest

from revgraph.models.crm import Company
from revgraph.models.events import Event
from revgraph.models.identity import User
from revgraph.models.imports import ImportJob, ImportRecordKey
from revgraph.models.pipeline import Deal, DealStageEntry, Stage
from revgraph.resolvers import contacts as contact_use_cases
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.imports import company_rows, deal_rows, files, runner
from revgraph.resolvers.imports.cells import apply_row
from revgraph.resolvers.stage_entries import rebuild_deal_entries
from tests.graph.documents import create_company, create_contact
from tests.imports.support import csv_bytes, dry_run, job, mapped, uploaded
from tests.pipeline.support import create_pipeline

COMPANY_HEADER = ["Razão social", "Site", "CNPJ", "Telefone"]
COMPANY_COLUMNS = [
    {"column": "Razão social", "field": "name"},
    {"column": "Site", "field": "domain"},
    {"column": "CNPJ", "field": "cnpj"},
    {"column": "Telefone", "field": "phone"},
]
ACME_CNPJ = "11.222.333/0001-81"
DELTA_CNPJ = "11.444.777/0001-61"
COMPANY_ROWS = [
    ["Delta Engenharia", "delta.com.br", DELTA_CNPJ, ""],  # new
    ["Delta (cópia)", "", "11444777000161", ""],  # row 2's company, by CNPJ: renamed
    ["Delta SP", "delta.com.br", "", ""],  # the same, by domain: renamed again
    ["Acme Nova", "https://www.acme.com.br", "", "11 3456-7890"],  # the existing Acme
    ["Acme Imóveis", "novoacme.com.br", "", ""],  # another domain: new
    ["gama construtora", "", "", ""],  # the existing Gama by name: renamed
    ["Gama Construtora", "", "", ""],  # the company row 7 renamed, by name
    ["", "acme", "11.222.333/0001-82", ""],  # refused
    ["Épsilon", "epsilon.com.br", "", ""],  # new
    ["Épsilon Filial", "epsilon.com.br", ACME_CNPJ, ""],  # Beta, by CNPJ: gets Épsilon's domain
    ["Zeta", "zeta.com.br", "", ""],  # new
    ["Zeta", "", "", ""],  # row 12's, by name: nothing to change
    ["Ômega", "omega.com.br", "", ""],  # new
    ["Kappa", "", "", ""],  # new
]
DEAL_HEADER = ["ID", "Negócio", "Funil", "Etapa", "Valor", "Previsão", "E-mail do cliente", "Empresa"]
DEAL_COLUMNS = [
    {"column": "ID", "field": "externalId"},
    {"column": "Negócio", "field": "title"},
    {"column": "Funil", "field": "pipeline"},
    {"column": "Etapa", "field": "stage"},
    {"column": "Valor", "field": "value"},
    {"column": "Previsão", "field": "expectedCloseDate"},
    {"column": "E-mail do cliente", "field": "contactEmail"},
    {"column": "Empresa", "field": "company"},
]
DEAL_ROWS = [
    ["A-1", "Apto 1", "Pré-vendas", "Novo lead", "100.000,00", "", "maria@example.com", "acme.com.br"],
    ["A-2", "Apto 2", "Pré-vendas", "Proposta", "200.000,00", "31/12/2026", "", "Acme Imóveis"],
    ["A-3", "Apto 3", "Pré-vendas", "Proposta", "", "", "", ""],  # the gate refuses it
    ["A-1", "Apto 1 revisado", "Pré-vendas", "Em contato", "120.000,00", "", "", ""],  # row 2's deal, moved
    ["", "Sem ID 1", "Pré-vendas", "Novo lead", "", "", "", ""],
    ["", "Sem ID 2", "Pré-vendas", "Em contato", "", "", "maria@example.com", ""],
    ["A-5", "Apto 5", "Pré-vendas", "Ganho", "50.000,00", "", "nao@example.com", ""],  # unknown contact
    ["A-6", "Apto 6", "Pré-vendas", "Perdido", "", "", "", ""],  # lost without a reason
    ["A-2", "Apto 2", "Pré-vendas", "Proposta", "200.000,00", "31/12/2026", "", ""],  # row 3's, unchanged
    ["A-7", "Apto 7", "Pré-vendas", "Ganho", "1,00", "", "", "acme.com.br"],
    ["A-1", "Apto 1 revisado", "Pré-vendas", "Visita agendada", "", "", "", ""],  # the gate refuses the move
]


async def one_row_at_a_time(kind, ctx, book, rows, policy):
    """What a batch must come to: each row decided just before it is
    written, through the kind's own use case, so it meets what the rows
    before it wrote."""
    out = []
    for cells in rows:
        decision = await kind.decide(book, cells, policy)
        out.append((decision, *await apply_row(ctx, kind, book, decision)))
    return out


def counting(monkeypatch, owner, name):
    sizes: list[int] = []
    real = getattr(owner, name)

    async def counted(ctx, inputs):
        sizes.append(len(inputs))
        return await real(ctx, inputs)

    monkeypatch.setattr(owner, name, counted)
    return sizes


async def workspace_id(ws) -> int:
    return (await User.get(email=ws.email)).workspace_id


async def imported_here(gql, server, ws, content, entity, columns, policy):
    """Upload, map and dry-run a file, then import it in this process (with
    Redis the session's worker would run it, out of the test's monkeypatch)."""
    job_id = (await uploaded(gql, ws.token, content, entity=entity))["id"]
    await mapped(gql, ws.token, job_id, columns, duplicatePolicy=policy)
    checked = await dry_run(gql, ws.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    await runner.run_job(server.settings, pk)
    return checked, await job(gql, ws.token, job_id)


def outcome(checked, done) -> dict[str, Any]:
    return {
        "dry_run": checked["dryRun"],
        "counts": [
            done[k] for k in ("status", "createdCount", "updatedCount", "skippedCount", "failedCount")
        ],
        "row_errors": [(e["row"], e["values"], e["problems"]) for e in done["rowErrors"]],
    }


def without_ids(value: Any) -> Any:
    """Event data with the ids (which differ between workspaces) left out."""
    if isinstance(value, dict):
        return {
            k: without_ids(v)
            for k, v in value.items()
            if not re.search(r"(?i)id$", k) and k not in ("owners", "summaryMessage")
        }
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


async def events_of(wid: int, prefix: str) -> list[tuple[Any, ...]]:
    rows = await Event.filter(workspace_id=wid, kind__startswith=prefix).order_by("id")
    return [(e.kind, e.summary, e.board_sequence, e.actor_label, without_ids(e.data)) for e in rows]


async def test_a_batched_company_import_ends_as_a_row_by_row_one(
    gql, server, workspace, other_workspace, monkeypatch
):
    # given two workspaces holding the same companies, and a file that names
    # them, and the companies its own rows create and rename, in one batch
    results = []
    for ws, batched in ((workspace, True), (other_workspace, False)):
        await create_company(gql, ws.token, name="Acme Imóveis", domain="acme.com.br")
        await create_company(gql, ws.token, name="Beta Incorporadora", customFields={"cnpj": ACME_CNPJ})
        await create_company(gql, ws.token, name="Gama Construtora")
        with monkeypatch.context() as patch:
            if batched:
                sizes = counting(patch, company_rows, "create_companies")
            else:
                patch.setattr(company_rows.CompanyImport, "import_batch", one_row_at_a_time)
            # when it is imported with OVERWRITE: batched in one, row by row in the other
            checked, done = await imported_here(
                gql,
                server,
                ws,
                csv_bytes(COMPANY_ROWS, header=COMPANY_HEADER),
                "COMPANY",
                COMPANY_COLUMNS,
                "OVERWRITE",
            )
        wid = await workspace_id(ws)
        companies = await Company.filter(workspace_id=wid).order_by("id")
        results.append(
            {
                **outcome(checked, done),
                "companies": [(c.name, c.domain, c.custom_fields, c.owner_id) for c in companies],
                "events": await events_of(wid, "company."),
            }
        )
    batched_run, row_by_row = results
    # then both end alike: counts, row errors, companies and their timelines
    assert batched_run == row_by_row
    assert batched_run["counts"] == ["COMPLETED", 6, 6, 1, 1]
    names = [name for name, *_ in batched_run["companies"]]
    assert names == [
        "Acme Nova",
        "Épsilon Filial",
        "Gama Construtora",
        "Delta SP",
        "Acme Imóveis",
        "Épsilon",
        "Zeta",
        "Ômega",
        "Kappa",
    ]
    # and the batched one created its companies in runs: each run ends where a
    # later row looks for what it writes (Delta, Acme Imóveis before Gama's
    # update, Épsilon, Zeta), the last two together
    assert sizes == [1, 1, 1, 1, 2]


async def _deal_setup(gql, ws):
    pipeline = await create_pipeline(gql, ws.token)
    await create_contact(gql, ws.token, name="Maria", email="maria@example.com")
    await create_company(gql, ws.token, name="Acme Imóveis", domain="acme.com.br")
    return pipeline


async def test_a_batched_deal_import_ends_as_a_row_by_row_one(
    gql, server, workspace, other_workspace, monkeypatch
):
    # given two workspaces with the same pipeline (gates on Visita agendada,
    # Proposta and Perdido), contact and company, and a file of deals
    # naming each other by external id, in one batch
    results = []
    for ws, batched in ((workspace, True), (other_workspace, False)):
        await _deal_setup(gql, ws)
        with monkeypatch.context() as patch:
            if batched:
                sizes = counting(patch, deal_rows, "create_deals")
            else:
                patch.setattr(deal_rows.DealImport, "import_batch", one_row_at_a_time)
            # when it is imported with OVERWRITE: batched in one, row by row in the other
            checked, done = await imported_here(
                gql, server, ws, csv_bytes(DEAL_ROWS, header=DEAL_HEADER), "DEAL", DEAL_COLUMNS, "OVERWRITE"
            )
        wid = await workspace_id(ws)
        stages = dict(await Stage.filter(workspace_id=wid).values_list("id", "name"))
        deals = await Deal.filter(workspace_id=wid).order_by("id")
        results.append(
            {
                **outcome(checked, done),
                "deals": [
                    (
                        d.number,
                        d.title,
                        d.value,
                        stages[d.stage_id],
                        d.status,
                        d.rank,
                        d.version,
                        d.contact_id is not None,
                        d.company_id is not None,
                    )
                    for d in deals
                ],
                "events": await events_of(wid, "deal."),
                "keys": sorted(await ImportRecordKey.filter(workspace_id=wid).values_list("key", flat=True)),
                "entries": await _entries(wid, stages),
            }
        )
    batched_run, row_by_row = results
    # then both end alike: counts, row errors, deals (numbers, ranks, stages), board events, keys
    assert batched_run == row_by_row
    assert batched_run["counts"] == ["COMPLETED", 5, 1, 1, 4]
    assert [d[1] for d in batched_run["deals"]] == [
        "Apto 1 revisado",
        "Apto 2",
        "Sem ID 1",
        "Sem ID 2",
        "Apto 7",
    ]
    refused = {row: [p["code"] for p in problems] for row, _, problems in batched_run["row_errors"]}
    assert refused == {
        4: ["REQUIRED_FIELD_MISSING", "REQUIRED_FIELD_MISSING"],
        8: ["NOT_FOUND"],
        9: ["REQUIRED_FIELD_MISSING"],
        12: ["RULE_VIOLATION"],
    }
    # (a move the gate refuses reads as the stage's refusal, as a creation's does)
    [move] = [problems for row, _, problems in batched_run["row_errors"] if row == 12]
    assert move[0]["message"].startswith("A etapa Visita agendada recusou o negócio: ")
    sequences = [e[2] for e in batched_run["events"]]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    # and the creations went in runs: rows 2-3 (until row 5 names A-1), 6-7
    # (until row 10 names A-2), then 11 (before row 12 names A-1 again)
    assert sizes == [2, 2, 1]
    # and the stage entries written with the deals are the ones their transitions give
    wid = await workspace_id(workspace)
    stages = dict(await Stage.filter(workspace_id=wid).values_list("id", "name"))
    written = await _entries(wid, stages)
    await rebuild_deal_entries(await Deal.filter(workspace_id=wid).values_list("id", flat=True))
    assert await _entries(wid, stages) == written


async def _entries(wid: int, stages: dict[int, str]) -> list[tuple[Any, ...]]:
    titles = dict(await Deal.filter(workspace_id=wid).values_list("id", "title"))
    rows = await DealStageEntry.filter(workspace_id=wid).order_by("id")
    return [
        (
            titles[e.deal_id],
            stages[e.stage_id],
            e.left_at is not None,
            e.stay_seconds is not None,
            e.reached_higher,
            e.prev_same_at,
            str(e.entered_day),
            str(e.left_day),
        )
        for e in rows
    ]


async def _statements(count_sql, server, ws, content, entity, columns) -> list[str]:
    """The SQL a validated job's import runs (the job's own, not background work)."""
    job_id = (await uploaded(ws.gql, ws.token, content, entity=entity))["id"]
    await mapped(ws.gql, ws.token, job_id, columns, duplicatePolicy="OVERWRITE")
    await dry_run(ws.gql, ws.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    with count_sql() as counter:
        await runner.run_job(server.settings, pk)
    done = await ImportJob.get(id=pk)
    assert (done.status, done.failed_count) == ("COMPLETED", 0)
    return counter.statements


@pytest.mark.parametrize("entity", ["COMPANY", "DEAL"])
async def test_a_batch_takes_as_many_statements_for_64_rows_as_for_8(
    gql, server, workspace, count_sql, entity
):
    # given (for deals) a pipeline and 72 contacts, one per deal
    if entity == "DEAL":
        await create_pipeline(gql, workspace.token)
        admin = await User.get(email=workspace.email)
        ctx = Context(settings=server.settings, actor=Actor(admin.workspace_id, admin.id, admin.role))
        await contact_use_cases.create_contacts(
            ctx, [{"name": f"Pessoa {i}", "email": f"p{i}@example.com"} for i in range(72)]
        )

    def rows(first: int, count: int) -> bytes:
        if entity == "COMPANY":
            return csv_bytes(
                [
                    [f"Empresa {i}", f"empresa{i}.com.br", "", f"11 3456-{i:04d}"]
                    for i in range(first, first + count)
                ],
                header=COMPANY_HEADER,
            )
        return csv_bytes(
            [
                [
                    f"X-{i}",
                    f"Negócio {i}",
                    "Pré-vendas",
                    "Proposta" if i % 2 else "Novo lead",
                    "1.000,00",
                    "31/12/2027",
                    f"p{i}@example.com",
                    "",
                ]
                for i in range(first, first + count)
            ],
            header=DEAL_HEADER,
        )

    columns = COMPANY_COLUMNS if entity == "COMPANY" else DEAL_COLUMNS
    # when a file of 8 new records and then one of 64 are imported (each one batch)
    small = await _statements(count_sql, server, workspace, rows(0, 8), entity, columns)
    large = await _statements(count_sql, server, workspace, rows(8, 64), entity, columns)
    # then both took the same number of statements: none of them is per row
    assert len(large) == len(small), (len(small), len(large))
    assert len(small) < 40
    if entity == "DEAL":
        assert await Deal.all().count() == 72
        assert await Event.filter(kind="deal.created").count() == 72
    else:
        assert await Company.all().count() == 72


class Crash(Exception):
    pass


async def test_a_restarted_company_import_creates_each_company_once(gql, server, workspace, monkeypatch):
    # given a validated file of 7 companies, in chunks of 4 and batches of 2
    monkeypatch.setattr(files, "CHUNK_ROWS", 4)
    monkeypatch.setattr(runner, "BATCH_ROWS", 2)
    rows = [[f"Empresa {i}", f"empresa{i}.com.br", "", ""] for i in range(7)]
    content = csv_bytes(rows, header=COMPANY_HEADER)
    job_id = (await uploaded(gql, workspace.token, content, entity="COMPANY"))["id"]
    await mapped(gql, workspace.token, job_id, COMPANY_COLUMNS)
    await dry_run(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    # when a run dies creating the second batch's companies (rows 4-5, mid-chunk)
    real_create = company_rows.create_companies
    calls = 0

    async def dying(ctx, inputs):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash
        return await real_create(ctx, inputs)

    monkeypatch.setattr(company_rows, "create_companies", dying)
    with pytest.raises(Crash):
        await runner.run_job(server.settings, pk)
    # then the committed batch is kept and the second left nothing
    stopped = await ImportJob.get(id=pk)
    assert (stopped.status, stopped.cursor, stopped.created_count) == ("RUNNING", 3, 2)
    assert await Company.all().count() == 2
    # when it runs again
    monkeypatch.setattr(company_rows, "create_companies", real_create)
    await runner.run_job(server.settings, pk)
    # then every company is created once, with one event each
    done = await job(gql, workspace.token, job_id)
    assert (done["status"], done["createdCount"], done["processedRows"]) == ("COMPLETED", 7, 7)
    assert sorted(await Company.all().values_list("name", flat=True)) == [f"Empresa {i}" for i in range(7)]
    assert await Event.filter(kind="company.created").count() == 7


async def test_a_row_the_gate_refuses_is_a_duplicate_when_an_earlier_row_opens_its_deal(gql, workspace):
    # given a file opening X-1, then naming X-1 again in a gated stage without a value
    from tests.imports.support import run

    await create_pipeline(gql, workspace.token)
    rows = [
        ["X-1", "Apto", "Pré-vendas", "Novo lead", "", "", "", ""],
        ["X-1", "Apto", "Pré-vendas", "Proposta", "", "", "", ""],
        ["X-2", "Casa", "Pré-vendas", "Proposta", "", "", "", ""],
    ]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows, header=DEAL_HEADER), entity="DEAL"))["id"]
    await mapped(gql, workspace.token, job_id, DEAL_COLUMNS, duplicatePolicy="SKIP")
    # when the dry run reads it
    checked = await dry_run(gql, workspace.token, job_id)
    # then the second row is X-1's duplicate (skipped), as the import will find it; X-2 is refused
    assert checked["dryRun"] == {"valid": 2, "invalid": 1, "toCreate": 1, "toUpdate": 0, "toSkip": 1}
    done = await run(gql, workspace.token, job_id)
    assert [done[k] for k in ("createdCount", "updatedCount", "skippedCount", "failedCount")] == [1, 0, 1, 1]
