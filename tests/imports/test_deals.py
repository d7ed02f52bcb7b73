"""Importing deals: pipeline and stage by name, money and dates as Brazil
writes them, owner/contact/company looked up, through createDeal so the
stage gates refuse a row (with the gate's message, in the dry run and in
the import) instead of skipping it; duplicates only by externalId."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from revgraph.models.events import Event
from revgraph.models.identity import User
from revgraph.models.imports import ImportJob, ImportRecordKey
from revgraph.models.pipeline import Deal
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.imports import deal_rows, files, runner
from tests.graph.documents import create_company, create_contact
from tests.imports.support import csv_bytes, dry_run, job, mapped, run, uploaded
from tests.pipeline.support import create_pipeline

HEADER = [
    "ID",
    "Negócio",
    "Funil",
    "Etapa",
    "Valor",
    "Previsão",
    "Responsável",
    "E-mail do cliente",
    "Empresa",
]
COLUMNS = [
    {"column": "ID", "field": "externalId"},
    {"column": "Negócio", "field": "title"},
    {"column": "Funil", "field": "pipeline"},
    {"column": "Etapa", "field": "stage"},
    {"column": "Valor", "field": "value"},
    {"column": "Previsão", "field": "expectedCloseDate"},
    {"column": "Responsável", "field": "owner"},
    {"column": "E-mail do cliente", "field": "contactEmail"},
    {"column": "Empresa", "field": "company"},
]
UPDATE_STAGE = """
mutation U($id: ID!, $input: StageUpdateInput!) { updateStage(id: $id, input: $input) { userErrors { code message } } }
"""


async def _given(gql, token):
    pipeline = await create_pipeline(gql, token)
    contact = await create_contact(gql, token, name="Maria", email="maria@example.com")
    company = await create_company(gql, token, name="Acme Imóveis", domain="acme.com.br")
    return pipeline, contact, company


async def test_deals_dry_run_and_import_apply_the_stage_gates(gql, workspace):
    # given a pipeline whose "Visita agendada" needs a scheduled task and
    # "Proposta" a value and a close date, and a Windows-1252 `;` file
    pipeline, contact, company = await _given(gql, workspace.token)
    owner = await workspace.user("AGENT")
    rows = [
        [
            "",
            "Apto Jardins",
            "Pré-vendas",
            "Novo lead",
            "1.250.000,00",
            "31/12/2026",
            owner["email"],
            "maria@example.com",
            "acme.com.br",
        ],
        ["", "Casa Centro", "pré-vendas", "proposta", "R$ 850.000", "30/06/2027", "", "", "Acme Imóveis"],
        ["", "Sala comercial", "Pré-vendas", "Proposta", "", "", "", "", ""],
        ["", "Terreno", "Pré-vendas", "Visita agendada", "90.000,00", "", "", "", ""],
        [
            "",
            "Cobertura",
            "Pré-vendas",
            "Fechamento",
            "1,2,3",
            "31/02/2027",
            "ninguem@example.com",
            "nao@example.com",
            "Zeta",
        ],
        ["", "Loja", "Pré-vendas", "Em contato", "", "", "", "", ""],
    ]
    content = csv_bytes(rows, header=HEADER, encoding="cp1252")
    uploaded_job = await uploaded(gql, workspace.token, content, entity="DEAL")
    job_id = uploaded_job["id"]
    assert (uploaded_job["encoding"], uploaded_job["delimiter"]) == ("windows-1252", ";")
    await mapped(gql, workspace.token, job_id, COLUMNS)
    # when the dry run reads it
    checked = await dry_run(gql, workspace.token, job_id)
    # then three rows would open deals; the gates refuse two, the last has four mistakes
    assert checked["dryRun"] == {"valid": 3, "invalid": 3, "toCreate": 3, "toUpdate": 0, "toSkip": 0}
    errors = {e["row"]: e["problems"] for e in checked["rowErrors"]}
    assert sorted(errors) == [4, 5, 6]
    assert {(p["code"], p["field"]) for p in errors[4]} == {
        ("REQUIRED_FIELD_MISSING", "value"),
        ("REQUIRED_FIELD_MISSING", "expectedCloseDate"),
    }
    assert all(p["message"].startswith("A etapa Proposta recusou o negócio: ") for p in errors[4])
    [gate] = errors[5]
    assert gate["code"] == "RULE_VIOLATION"
    assert gate["message"].startswith(
        "A etapa Visita agendada recusou o negócio: Visita agendada exige uma tarefa agendada"
    )
    assert {p["field"]: p["message"] for p in errors[6]} == {
        "value": "Valor inválido: '1,2,3' (em reais, ex.: 1.250.000,00).",
        "expectedCloseDate": "Data inválida: '31/02/2027' (ex.: 31/12/2026).",
        "owner": "Responsável desconhecido: 'ninguem@example.com' (use o e-mail de um usuário ativo do workspace).",
        "stage": "Etapa desconhecida no funil Pré-vendas: 'Fechamento' (use: Novo lead, Em contato, Visita agendada, Proposta, Ganho, Perdido).",
        "contactEmail": "Contato não encontrado: 'nao@example.com' (importe os contatos antes).",
        "company": "Empresa não encontrada: 'Zeta' (importe as empresas antes).",
    }
    assert await Deal.all().count() == 0
    # and the dry run's error report downloads with the gates' messages
    report = await gql.http.get(
        gql.server.url + checked["errorReportUrl"] + "?phase=DRY_RUN",
        headers={"authorization": f"Bearer {workspace.token}"},
    )
    assert report.status_code == 200
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Linha", *HEADER, "Erros"]
    assert [line[0] for line in lines[1:]] == ["4", "5", "6"]
    assert lines[2][1:-1] == rows[3]
    assert "A etapa Visita agendada recusou o negócio" in lines[2][-1]
    # when, before the import, "Em contato" starts requiring a value (the Loja row has none)
    data = await gql.ok(
        UPDATE_STAGE,
        {"id": pipeline["stage"]["Em contato"], "input": {"requiredFields": ["value"]}},
        token=workspace.token,
    )
    assert data["updateStage"]["userErrors"] == []
    done = await run(gql, workspace.token, job_id)
    # then createDeal's own gate refuses it in the import, with the gate's message
    run_errors = {e["row"]: e["problems"] for e in (await job(gql, workspace.token, job_id))["rowErrors"]}
    assert (done["createdCount"], done["failedCount"]) == (2, 4), run_errors
    run_errors = {e["row"]: e["problems"] for e in (await job(gql, workspace.token, job_id))["rowErrors"]}
    [loja] = run_errors[7]
    assert (loja["code"], loja["field"]) == ("REQUIRED_FIELD_MISSING", "value")
    assert loja["message"].startswith("A etapa Em contato recusou o negócio: ")
    # and the two deals hold the file's values in reais, dates in São Paulo, owner, contact and company
    deals = {d.title: d for d in await Deal.all()}
    assert set(deals) == {"Apto Jardins", "Casa Centro"}
    apto, casa = deals["Apto Jardins"], deals["Casa Centro"]
    assert (apto.value, apto.currency) == (Decimal("1250000.00"), "BRL")
    assert apto.expected_close_date == datetime(2026, 12, 31, tzinfo=ZoneInfo("America/Sao_Paulo"))
    assert apto.owner_id == decode_id(owner["id"])[1]
    assert apto.contact_id == decode_id(contact["id"])[1]
    assert apto.company_id == casa.company_id == decode_id(company["id"])[1]
    assert casa.value == Decimal("850000.00")
    assert casa.stage_id == decode_id(pipeline["stage"]["Proposta"])[1]
    # and each is on its timelines (the contact's too), by the importing admin
    created = await Event.filter(kind="deal.created").order_by("id")
    assert [e.deal_id for e in created] == [apto.id, casa.id]
    assert created[0].contact_id == apto.contact_id
    assert {e.actor_user_id for e in created} == {decode_id(workspace.admin["id"])[1]}


async def test_deals_are_found_again_only_by_external_id(gql, workspace):
    # given deals imported from another system's export, with its ids (UTF-8, comma)
    pipeline, _, _ = await _given(gql, workspace.token)
    rows = [
        ["CRM-1", "Apto Jardins", "Pré-vendas", "Novo lead", "100.000,00", "", "", "", ""],
        ["CRM-2", "Casa Centro", "Pré-vendas", "Novo lead", "", "", "", "", ""],
        ["", "Sem ID", "Pré-vendas", "Novo lead", "", "", "", "", ""],
        ["", "Sem ID", "Pré-vendas", "Novo lead", "", "", "", "", ""],
    ]
    first = await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER, delimiter=","), entity="DEAL")
    await mapped(gql, workspace.token, first["id"], COLUMNS)
    await dry_run(gql, workspace.token, first["id"])
    assert (await run(gql, workspace.token, first["id"]))["createdCount"] == 4
    # when the next export comes in with new values and stages, under SKIP
    later = [
        ["CRM-1", "Apto Jardins (revisado)", "Pré-vendas", "Em contato", "120.000,00", "", "", "", ""],
        ["CRM-2", "Casa Centro", "Pré-vendas", "Novo lead", "300.000,00", "", "", "", ""],
        ["CRM-3", "Novo", "Pré-vendas", "Novo lead", "", "", "", "", ""],
        ["CRM-3", "Novo de novo", "Pré-vendas", "Novo lead", "", "", "", "", ""],
        ["", "Sem ID", "Pré-vendas", "Novo lead", "", "", "", "", ""],
    ]

    async def imported_again(policy):
        again = await uploaded(gql, workspace.token, csv_bytes(later, header=HEADER), entity="DEAL")
        await mapped(gql, workspace.token, again["id"], COLUMNS, duplicatePolicy=policy)
        checked = await dry_run(gql, workspace.token, again["id"])
        return checked["dryRun"], await run(gql, workspace.token, again["id"])

    announced, done = await imported_again("SKIP")
    # then rows with a known id are left, the rest open deals (CRM-3 once; no id: always)
    assert announced == {"valid": 5, "invalid": 0, "toCreate": 2, "toUpdate": 0, "toSkip": 3}
    assert (done["createdCount"], done["skippedCount"]) == (2, 3)
    assert await Deal.filter(title="Sem ID").count() == 3
    assert await ImportRecordKey.filter(entity="DEAL").count() == 3
    # when it comes again under UPDATE_EMPTY: only what is empty is filled, nothing moves
    announced, done = await imported_again("UPDATE_EMPTY")
    casa = await Deal.get(title="Casa Centro")
    apto = await Deal.get(title="Apto Jardins")
    assert (casa.value, apto.value) == (Decimal("300000.00"), Decimal("100000.00"))
    assert apto.stage_id == decode_id(pipeline["stage"]["Novo lead"])[1]
    # when it comes again under OVERWRITE: the row wins, and CRM-1 moves through the gates
    announced, done = await imported_again("OVERWRITE")
    apto = await Deal.get(id=apto.id)
    assert (apto.title, apto.value) == ("Apto Jardins (revisado)", Decimal("120000.00"))
    assert apto.stage_id == decode_id(pipeline["stage"]["Em contato"])[1]
    assert await Event.filter(kind="deal.stage_changed", deal_id=apto.id).count() == 1
    assert await Deal.filter(title="Sem ID").count() == 5


class Crash(Exception):
    pass


async def test_a_restarted_deal_import_opens_each_deal_once(gql, server, workspace, monkeypatch):
    # given a validated file of 7 deals with external ids, in chunks of 4 and batches of 2
    monkeypatch.setattr(files, "CHUNK_ROWS", 4)
    monkeypatch.setattr(runner, "BATCH_ROWS", 2)
    await _given(gql, workspace.token)
    rows = [[f"X-{i}", f"Negócio {i}", "Pré-vendas", "Novo lead", "", "", "", "", ""] for i in range(7)]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER), entity="DEAL"))["id"]
    await mapped(gql, workspace.token, job_id, COLUMNS)
    await dry_run(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    # when a run dies opening the second batch's deals (rows 4-5, mid-chunk)
    real_create = deal_rows.create_deals
    calls = 0

    async def dying(ctx, inputs):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Crash
        return await real_create(ctx, inputs)

    monkeypatch.setattr(deal_rows, "create_deals", dying)
    with pytest.raises(Crash):
        await runner.run_job(server.settings, pk)
    assert await Deal.all().count() == 2
    assert await ImportRecordKey.all().count() == 2
    # and runs again
    monkeypatch.setattr(deal_rows, "create_deals", real_create)
    await runner.run_job(server.settings, pk)
    # then each deal is opened once, with its key and one created event
    done = await job(gql, workspace.token, job_id)
    assert (done["status"], done["createdCount"]) == ("COMPLETED", 7)
    assert await Deal.all().count() == 7
    assert await ImportRecordKey.all().count() == 7
    assert await Event.filter(kind="deal.created").count() == 7


async def test_an_import_stops_when_its_admin_is_no_longer_one(gql, server, workspace):
    # given a validated deal import started by an admin who is then made an agent
    await _given(gql, workspace.token)
    rows = [["", "Apto", "Pré-vendas", "Novo lead", "", "", "", "", ""]]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER), entity="DEAL"))["id"]
    await mapped(gql, workspace.token, job_id, COLUMNS)
    await dry_run(gql, workspace.token, job_id)
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    await User.filter(id=decode_id(workspace.admin["id"])[1]).update(role="AGENT")
    # when the job runs
    await runner.run_job(server.settings, pk)
    # then it fails without writing: an agent may not write other owners' deals in bulk
    failed = await ImportJob.get(id=pk)
    assert (failed.status, failed.failure) == (
        "FAILED",
        "Quem iniciou a importação não é mais administrador ativo.",
    )
    assert await Deal.all().count() == 0
