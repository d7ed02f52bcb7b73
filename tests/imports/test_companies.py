"""Importing companies: website read as domain, CNPJ (check digits) and
phone kept as custom fields, owner by e-mail, and the duplicate rule —
same CNPJ, else same domain, else (without either) same name — under each
policy; only administrators import."""

from __future__ import annotations

import csv
import io

from revgraph.models.crm import Company
from revgraph.models.events import Event
from revgraph.models.imports import ImportFileKey
from revgraph.resolvers.ids import decode_id
from tests.graph.documents import create_company
from tests.imports.support import MAP, csv_bytes, dry_run, mapped, run, upload, uploaded

HEADER = ["Razão social", "Site", "CNPJ", "Telefone", "Responsável"]
COLUMNS = [
    {"column": "Razão social", "field": "name"},
    {"column": "Site", "field": "domain"},
    {"column": "CNPJ", "field": "cnpj"},
    {"column": "Telefone", "field": "phone"},
    {"column": "Responsável", "field": "owner"},
]
ACME_CNPJ = "11.222.333/0001-81"
DELTA_CNPJ = "11.444.777/0001-61"


async def _existing(gql, token):
    await create_company(gql, token, name="Acme Imóveis", domain="acme.com.br")
    await create_company(gql, token, name="Beta Incorporadora", customFields={"cnpj": ACME_CNPJ})
    await create_company(gql, token, name="Gama Construtora")


def _rows(owner_email):
    return [
        # the existing Acme by domain (a website with path and www.)
        ["Acme Imóveis Ltda", "https://www.acme.com.br/contato", "", "11 3456-7890", owner_email],
        # the existing Beta by CNPJ, written without punctuation
        ["Beta Nova Razão", "", "11222333000181", "", ""],
        # the existing Gama by name, ignoring case
        ["gama construtora", "", "", "", ""],
        # new
        ["Delta Engenharia", "delta.com.br", DELTA_CNPJ, "", owner_email],
        # refused: blank name, a bad website, a CNPJ with wrong check digits, an unknown owner
        ["", "acme", "11.222.333/0001-82", "", "ninguem@example.com"],
    ]


async def test_companies_dry_run_then_import_update_empty(gql, workspace):
    # given three companies and a UTF-8 comma file naming them in three ways
    await _existing(gql, workspace.token)
    manager = await workspace.user("MANAGER")
    content = csv_bytes(_rows(manager["email"]), header=HEADER, delimiter=",")
    job = await uploaded(gql, workspace.token, content, entity="COMPANY")
    assert (job["entity"], job["delimiter"], job["encoding"]) == ("COMPANY", ",", "utf-8")
    await mapped(gql, workspace.token, job["id"], COLUMNS, duplicatePolicy="UPDATE_EMPTY")
    # when the dry run reads it
    checked = await dry_run(gql, workspace.token, job["id"])
    # then it finds one new company, fills Acme, leaves Beta and Gama, refuses one row
    assert checked["dryRun"] == {"valid": 4, "invalid": 1, "toCreate": 1, "toUpdate": 1, "toSkip": 2}
    [error] = checked["rowErrors"]
    assert error["row"] == 6
    assert {p["field"]: p["message"] for p in error["problems"]} == {
        "name": "Nome em branco.",
        "domain": "Site inválido: 'acme' (ex.: acme.com.br ou https://www.acme.com.br).",
        "cnpj": "CNPJ inválido: '11.222.333/0001-82' (14 dígitos com os verificadores, ex.: 11.222.333/0001-81).",
        "owner": "Responsável desconhecido: 'ninguem@example.com' (use o e-mail de um usuário ativo do workspace).",
    }
    assert await Company.all().count() == 3
    assert await ImportFileKey.all().count() == 0
    # when it is imported
    done = await run(gql, workspace.token, job["id"])
    # then the counts are the dry run's
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"], done["failedCount"]) == (
        1,
        1,
        2,
        1,
    )
    companies = {c.name: c for c in await Company.all()}
    assert set(companies) == {"Acme Imóveis", "Beta Incorporadora", "Gama Construtora", "Delta Engenharia"}
    acme = companies["Acme Imóveis"]
    assert acme.custom_fields == {"phone": "+551134567890"}
    assert acme.owner_id == _pk(manager["id"])
    delta = companies["Delta Engenharia"]
    assert (delta.domain, delta.custom_fields) == ("delta.com.br", {"cnpj": DELTA_CNPJ})
    # and the changes are on the companies' timelines, by the importing admin
    created = await Event.get(kind="company.created", company_id=delta.id)
    updated = await Event.get(kind="company.updated", company_id=acme.id)
    assert set(updated.data["changes"]) == {"ownerId", "customFields"}
    assert created.actor_user_id == updated.actor_user_id == _pk(workspace.admin["id"])


def _pk(global_id):
    return decode_id(global_id)[1]


async def test_companies_overwrite_and_skip_in_windows_1252(gql, workspace):
    # given the same companies, and a Windows-1252 `;` file
    await _existing(gql, workspace.token)
    content = csv_bytes(_rows("")[:4], header=HEADER, encoding="cp1252")
    job = await uploaded(gql, workspace.token, content, entity="COMPANY")
    assert job["encoding"] == "windows-1252"
    await mapped(gql, workspace.token, job["id"], COLUMNS, duplicatePolicy="OVERWRITE")
    checked = await dry_run(gql, workspace.token, job["id"])
    assert checked["dryRun"]["toUpdate"] == 3
    done = await run(gql, workspace.token, job["id"])
    # then OVERWRITE writes the row's names over the three
    assert (done["createdCount"], done["updatedCount"]) == (1, 3)
    names = set(await Company.all().values_list("name", flat=True))
    assert names == {"Acme Imóveis Ltda", "Beta Nova Razão", "gama construtora", "Delta Engenharia"}
    # when the same file is imported again with SKIP
    again = await uploaded(gql, workspace.token, content, entity="COMPANY")
    await mapped(gql, workspace.token, again["id"], COLUMNS, duplicatePolicy="SKIP")
    assert (await dry_run(gql, workspace.token, again["id"]))["dryRun"]["toSkip"] == 4
    done = await run(gql, workspace.token, again["id"])
    # then nothing is created or changed
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"]) == (0, 0, 4)
    assert await Company.all().count() == 4


async def test_a_company_twice_in_the_file_is_created_once(gql, workspace):
    # given a file naming one new company by CNPJ, by domain, and a branch with another CNPJ
    rows = [
        ["Delta Engenharia", "delta.com.br", DELTA_CNPJ, "", ""],
        ["Delta (cópia)", "", "11444777000161", "", ""],
        ["Delta SP", "delta.com.br", "", "", ""],
        ["Delta Filial", "delta.com.br", ACME_CNPJ, "", ""],
    ]
    job = await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER), entity="COMPANY")
    await mapped(gql, workspace.token, job["id"], COLUMNS, duplicatePolicy="SKIP")
    checked = await dry_run(gql, workspace.token, job["id"])
    # then rows 3 and 4 are the company of row 2, and the branch with another CNPJ is not
    assert checked["dryRun"] == {"valid": 4, "invalid": 0, "toCreate": 2, "toUpdate": 0, "toSkip": 2}
    done = await run(gql, workspace.token, job["id"])
    # and the import does just that
    assert sorted(await Company.all().values_list("name", flat=True)) == ["Delta Engenharia", "Delta Filial"]
    assert (done["createdCount"], done["skippedCount"]) == (2, 2)


async def test_typed_company_fields_need_cnpj_defined_and_agents_cannot_import(gql, workspace):
    # given typed company fields without a cnpj key
    from tests.graph.custom_field_support import define

    await define(gql, workspace.token, entity="COMPANY", key="segmento", label="Segmento", type="TEXT")
    job = await uploaded(gql, workspace.token, csv_bytes(_rows("")[:1], header=HEADER), entity="COMPANY")
    data = await gql.ok(
        "mutation M($input: MapImportColumnsInput!) { mapImportColumns(input: $input) { userErrors { code message } } }",
        {"input": {"importJobId": job["id"], "columns": COLUMNS}},
        token=workspace.token,
    )
    messages = [e["message"] for e in data["mapImportColumns"]["userErrors"]]
    assert any("'cnpj'" in m for m in messages) and any("'phone'" in m for m in messages)
    # and an agent may not upload companies at all (imports write any owner's records)
    agent = await workspace.user("AGENT")
    response = await upload(gql, agent["token"], csv_bytes(_rows("")[:1], header=HEADER), entity="COMPANY")
    assert response.status_code == 403
    assert await Company.all().count() == 0


async def test_an_english_speaking_importer_reads_the_row_errors_and_mapping_errors_in_english(
    gql, workspace
):
    # given an administrator whose language is English
    chosen = await gql.ok(
        'mutation { setMyLocale(locale: "en") { userErrors { code } } }', token=workspace.token
    )
    assert chosen["setMyLocale"]["userErrors"] == []
    content = csv_bytes(_rows("ninguem@example.com")[4:], header=HEADER, delimiter=",")
    job = await uploaded(gql, workspace.token, content, entity="COMPANY")
    # a mapping naming a column the file lacks is refused in English
    missing = [{"column": "Cidade", "field": "name"}]
    refused = await gql.ok(
        MAP, {"input": {"importJobId": job["id"], "columns": missing}}, token=workspace.token
    )
    assert [e["message"] for e in refused["mapImportColumns"]["userErrors"]] == [
        "The file has no column 'Cidade'."
    ]
    await mapped(gql, workspace.token, job["id"], COLUMNS)
    # when the dry run reads the refused row
    checked = await dry_run(gql, workspace.token, job["id"])
    # then its problems are in the importer's language
    [error] = checked["rowErrors"]
    assert {p["field"]: p["message"] for p in error["problems"]} == {
        "name": "Blank name.",
        "domain": "Invalid website: 'acme' (e.g. acme.com.br or https://www.acme.com.br).",
        "cnpj": "Invalid CNPJ: '11.222.333/0001-82' (14 digits with the check digits, e.g. 11.222.333/0001-81).",
        "owner": "Unknown owner: 'ninguem@example.com' (use the e-mail of an active user of the workspace).",
    }
    # and so is the error report, downloaded with their token
    report = await gql.http.get(
        gql.server.url + checked["errorReportUrl"] + "?phase=DRY_RUN",
        headers={"authorization": f"Bearer {workspace.token}"},
    )
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == ["Row", *HEADER, "Errors"]
    assert set(lines[1][-1].split(" | ")) == {
        "Razão social: Blank name.",
        "Site: Invalid website: 'acme' (e.g. acme.com.br or https://www.acme.com.br).",
        "CNPJ: Invalid CNPJ: '11.222.333/0001-82' (14 digits with the check digits, e.g. 11.222.333/0001-81).",
        "Responsável: Unknown owner: 'ninguem@example.com' (use the e-mail of an active user of the workspace).",
    }
