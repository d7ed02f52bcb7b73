"""The dry run: pt-BR formats read by the project's normalisers, every
problem of a row reported on its spreadsheet row (in pt-BR), duplicates
counted per policy, and nothing written until the import runs."""

from __future__ import annotations

from revgraph.models.crm import Contact
from revgraph.models.events import Event
from tests.graph.custom_field_support import define
from tests.imports.support import MAP, contacts, csv_bytes, dry_run, mapped, run, uploaded

HEADER = ["Nome", "E-mail", "Celular", "Corretor", "Renda", "Nascimento", "Estágio"]
COLUMNS = [
    {"column": "Nome", "field": "name"},
    {"column": "E-mail", "field": "email"},
    {"column": "Celular", "field": "phone"},
    {"column": "Corretor", "field": "owner"},
    {"column": "Renda", "field": "customFields.renda"},
    {"column": "Nascimento", "field": "customFields.nascimento"},
    {"column": "Estágio", "field": "lifecycleStage"},
]


async def _fields(gql, token):
    await define(gql, token, key="renda", label="Renda", type="DECIMAL")
    await define(gql, token, key="nascimento", label="Nascimento", type="DATE", required=True)


async def test_pt_br_formats_are_read(gql, workspace):
    # given a file in Brazilian formats and a broker as owner
    await _fields(gql, workspace.token)
    agent = await workspace.user("AGENT")
    rows = [
        [
            "Ana Lima",
            "ANA@Example.com",
            "(11) 98765-4321",
            agent["email"].upper(),
            "1.250.000,00",
            "31/12/2026",
            "Oportunidade",
        ]
    ]
    job = await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER))
    await mapped(gql, workspace.token, job["id"], COLUMNS)
    checked = await dry_run(gql, workspace.token, job["id"])
    assert checked["dryRun"] == {"valid": 1, "invalid": 0, "toCreate": 1, "toUpdate": 0, "toSkip": 0}
    # when imported
    done = await run(gql, workspace.token, job["id"])
    assert done["createdCount"] == 1
    # then it was stored normalised, owned by the broker, with its creation on the timeline
    [contact] = await contacts(gql, workspace.token)
    assert contact["email"] == "ana@example.com"
    assert contact["phone"] == "+5511987654321"
    assert contact["customFields"] == {"renda": "1250000.00", "nascimento": "2026-12-31"}
    assert contact["owner"]["id"] == agent["id"]
    stored = await Contact.get(email="ana@example.com")
    assert stored.lifecycle_stage == "OPPORTUNITY"
    assert await Event.filter(kind="contact.created", contact_id=stored.id).count() == 1


async def test_dry_run_reports_every_problem_and_writes_nothing(gql, workspace):
    # given rows with each kind of problem
    await _fields(gql, workspace.token)
    rows = [
        ["Boa", "boa@example.com", "11 98765-4321", "", "10,5", "01/02/1990", ""],
        ["", "sem-arroba", "123", "ninguem@example.com", "1.2.3", "31/02/2026", "Chefe"],
        ["Sem data", "semdata@example.com", "", "", "", "", ""],
    ]
    job = await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER))
    await mapped(gql, workspace.token, job["id"], COLUMNS)
    before = await Event.all().count()
    # when the dry run runs
    checked = await dry_run(gql, workspace.token, job["id"])
    # then each problem is on its row and field, in pt-BR; nothing was written
    assert checked["dryRun"] == {"valid": 1, "invalid": 2, "toCreate": 1, "toUpdate": 0, "toSkip": 0}
    errors = {e["row"]: e for e in checked["rowErrors"]}
    assert sorted(errors) == [3, 4]
    fields = {p["field"]: p for p in errors[3]["problems"]}
    assert set(fields) == {
        "name",
        "email",
        "phone",
        "owner",
        "lifecycleStage",
        "customFields.renda",
        "customFields.nascimento",
    }
    assert fields["email"]["message"] == "E-mail inválido: 'sem-arroba'."
    assert fields["owner"]["code"] == "NOT_FOUND"
    assert "1.250.000,00" in fields["customFields.renda"]["message"]
    assert fields["customFields.nascimento"]["column"] == "Nascimento"
    assert errors[3]["values"][1] == "sem-arroba"
    [missing] = errors[4]["problems"]
    assert (missing["code"], missing["message"]) == (
        "REQUIRED_FIELD_MISSING",
        "Nascimento é obrigatório e está em branco.",
    )
    assert await Contact.all().count() == 0
    # the dry run's own queued/finished events only, no record events
    assert await Event.filter(kind__startswith="contact.").count() == 0
    assert await Event.all().count() - before <= 1


async def test_mapping_is_checked(gql, workspace):
    job = await uploaded(gql, workspace.token, csv_bytes([["Ana", "a@example.com", "", ""]]))
    cases = [
        ([{"column": "Nada", "field": "name"}], ["input", "columns", "0", "column"]),
        ([{"column": "Nome", "field": "apelido"}], ["input", "columns", "0", "field"]),
        ([{"column": "Nome", "field": "customFields.renda"}], ["input", "columns", "0", "field"]),
        (
            [{"column": "Nome", "field": "name"}, {"column": "Origem", "field": "name"}],
            ["input", "columns", "1", "field"],
        ),
        ([{"column": "E-mail", "field": "email"}], ["input", "columns"]),
    ]
    for columns, field in cases:
        data = await gql.ok(
            MAP, {"input": {"importJobId": job["id"], "columns": columns}}, token=workspace.token
        )
        errors = data["mapImportColumns"]["userErrors"]
        assert errors and errors[0]["field"] == field, (columns, errors)
    # the dry run needs a mapping first
    from tests.imports.support import DRY_RUN, START

    data = await gql.ok(DRY_RUN, {"id": job["id"]}, token=workspace.token)
    assert data["startImportDryRun"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    # and the import needs the dry run
    await mapped(gql, workspace.token, job["id"])
    data = await gql.ok(START, {"id": job["id"]}, token=workspace.token)
    assert data["startImport"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    assert await Contact.all().count() == 0


async def test_saved_mapping_is_reused_by_name(gql, workspace):
    first = await uploaded(gql, workspace.token, csv_bytes([["Ana", "a@example.com", "", "site"]]))
    await mapped(gql, workspace.token, first["id"], saveAs="Planilha do feirão", duplicatePolicy="OVERWRITE")
    from tests.imports.support import MAPPINGS

    [saved] = (await gql.ok(MAPPINGS, token=workspace.token))["importMappings"]
    assert saved["name"] == "Planilha do feirão"
    second = await uploaded(gql, workspace.token, csv_bytes([["Bia", "b@example.com", "", "site"]]))
    data = await gql.ok(
        MAP,
        {"input": {"importJobId": second["id"], "mappingName": "Planilha do feirão"}},
        token=workspace.token,
    )
    assert data["mapImportColumns"]["importJob"]["mapping"] == saved["columns"]
    data = await gql.ok(
        MAP, {"input": {"importJobId": second["id"], "mappingName": "Outra"}}, token=workspace.token
    )
    assert data["mapImportColumns"]["userErrors"][0]["code"] == "NOT_FOUND"


def test_decimal_fields_read_brazilian_thousands():
    from revgraph.resolvers.custom_fields.types import FieldShape, normalise

    decimal = FieldShape("renda", "DECIMAL")
    assert normalise(decimal, "1.250.000,00") == "1250000.00"
    assert normalise(decimal, "-3.000,5") == "-3000.5"
    assert normalise(decimal, "1.250.000") == "1250000"
    assert normalise(decimal, "1250,50") == "1250.50"
    # one dot alone stays a decimal point, as JSON clients send it
    assert normalise(decimal, "1.250") == "1.250"
