"""Duplicates by the rule of captureLead (same e-mail, else same phone):
each policy, a person twice in one file, and a row whose e-mail and phone
name two different contacts."""

from __future__ import annotations

from revgraph.models.crm import Contact
from revgraph.models.events import Event
from tests.graph.documents import create_contact
from tests.imports.support import contacts, csv_bytes, dry_run, mapped, run, uploaded

HEADER = ["Nome", "E-mail", "Telefone", "Origem", "Tags"]
COLUMNS = [
    {"column": "Nome", "field": "name"},
    {"column": "E-mail", "field": "email"},
    {"column": "Telefone", "field": "phone"},
    {"column": "Origem", "field": "source"},
    {"column": "Tags", "field": "tags"},
]
ROWS = [
    # the existing contact by e-mail: a new name, a phone and a source
    ["Maria S. Souza", "maria@example.com", "11 98765-4321", "planilha", "vip, feirão"],
    # the existing contact by phone only
    ["Outro Nome", "", "21 99876-5432", "planilha", ""],
    # new
    ["Novo", "novo@example.com", "", "planilha", ""],
]


async def _given(gql, token, policy):
    await create_contact(gql, token, name="Maria Souza", email="maria@example.com")
    await create_contact(gql, token, name="Pedro", phone="21 99876-5432", source="site")
    job = await uploaded(gql, token, csv_bytes(ROWS, header=HEADER))
    await mapped(gql, token, job["id"], COLUMNS, duplicatePolicy=policy)
    return job["id"]


def by_name(found):
    return {c["name"]: c for c in found}


async def test_skip_leaves_duplicates_as_they_are(gql, workspace):
    job_id = await _given(gql, workspace.token, "SKIP")
    checked = await dry_run(gql, workspace.token, job_id)
    assert checked["dryRun"] == {"valid": 3, "invalid": 0, "toCreate": 1, "toUpdate": 0, "toSkip": 2}
    done = await run(gql, workspace.token, job_id)
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"]) == (1, 0, 2)
    found = by_name(await contacts(gql, workspace.token))
    assert set(found) == {"Maria Souza", "Pedro", "Novo"}
    assert found["Maria Souza"]["phone"] is None
    assert await Event.filter(kind="contact.updated").count() == 0


async def test_update_empty_fills_only_what_is_missing(gql, workspace):
    job_id = await _given(gql, workspace.token, "UPDATE_EMPTY")
    checked = await dry_run(gql, workspace.token, job_id)
    assert checked["dryRun"]["toUpdate"] == 1 and checked["dryRun"]["toSkip"] == 1
    done = await run(gql, workspace.token, job_id)
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"]) == (1, 1, 1)
    found = by_name(await contacts(gql, workspace.token))
    # Maria keeps her name, gets the phone, source and tags she lacked
    maria = found["Maria Souza"]
    assert (maria["phone"], maria["source"], maria["tags"]) == (
        "+5511987654321",
        "planilha",
        ["vip", "feirão"],
    )
    # Pedro had a name and a source: nothing to fill
    assert found["Pedro"]["source"] == "site"
    updated = await Event.get(kind="contact.updated")
    assert set(updated.data["changes"]) == {"phone", "source", "tags"}


async def test_overwrite_writes_every_mapped_cell(gql, workspace):
    job_id = await _given(gql, workspace.token, "OVERWRITE")
    await dry_run(gql, workspace.token, job_id)
    done = await run(gql, workspace.token, job_id)
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"]) == (1, 2, 0)
    found = by_name(await contacts(gql, workspace.token))
    assert set(found) == {"Maria S. Souza", "Outro Nome", "Novo"}
    assert found["Outro Nome"]["source"] == "planilha"
    assert await Contact.all().count() == 3


async def test_a_person_twice_in_the_file_is_one_contact(gql, workspace):
    rows = [
        ["Ana", "ana@example.com", "", "site", ""],
        ["Ana Lima", "ANA@example.com", "11 98765-4321", "site", ""],
    ]
    job = await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER))
    await mapped(gql, workspace.token, job["id"], COLUMNS, duplicatePolicy="UPDATE_EMPTY")
    checked = await dry_run(gql, workspace.token, job["id"])
    assert (checked["dryRun"]["toCreate"], checked["dryRun"]["toUpdate"]) == (1, 1)
    done = await run(gql, workspace.token, job["id"])
    assert (done["createdCount"], done["updatedCount"]) == (1, 1)
    [ana] = await contacts(gql, workspace.token)
    assert (ana["name"], ana["phone"]) == ("Ana", "+5511987654321")


async def test_e_mail_and_phone_of_two_contacts_is_an_error(gql, workspace):
    await create_contact(gql, workspace.token, name="Maria", email="maria@example.com")
    await create_contact(gql, workspace.token, name="Pedro", phone="21 99876-5432")
    rows = [["Maria", "maria@example.com", "21 99876-5432", "", ""]]
    job = await uploaded(gql, workspace.token, csv_bytes(rows, header=HEADER))
    await mapped(gql, workspace.token, job["id"], COLUMNS, duplicatePolicy="OVERWRITE")
    checked = await dry_run(gql, workspace.token, job["id"])
    assert checked["dryRun"]["invalid"] == 1
    done = await run(gql, workspace.token, job["id"])
    assert done["failedCount"] == 1
    [problem] = done["rowErrors"][0]["problems"]
    assert problem["code"] == "DUPLICATE" and problem["field"] == "phone"
    assert await Event.filter(kind="contact.updated").count() == 0


async def test_a_refusal_of_the_use_case_is_a_row_error_in_pt_br(gql, workspace):
    # given a contact that is disqualified only with a reason (disqualifyLead)
    await create_contact(gql, workspace.token, name="Maria", email="maria@example.com")
    header = ["Nome", "E-mail", "Estágio"]
    columns = [
        {"column": "Nome", "field": "name"},
        {"column": "E-mail", "field": "email"},
        {"column": "Estágio", "field": "lifecycleStage"},
    ]
    rows = [["Maria", "maria@example.com", "Desqualificado"]]
    job = await uploaded(gql, workspace.token, csv_bytes(rows, header=header))
    await mapped(gql, workspace.token, job["id"], columns, duplicatePolicy="OVERWRITE")
    await dry_run(gql, workspace.token, job["id"])
    # when the import overwrites its stage
    done = await run(gql, workspace.token, job["id"])
    # then updateContact's rule refuses the row, and the contact is unchanged
    assert done["failedCount"] == 1
    [problem] = done["rowErrors"][0]["problems"]
    assert (problem["code"], problem["field"]) == ("RULE_VIOLATION", "lifecycleStage")
    assert problem["message"].startswith("Recusado (Estágio): ")
    assert (await Contact.get(email="maria@example.com")).lifecycle_stage == "LEAD"
