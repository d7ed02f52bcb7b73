"""The import writes a batch of rows in a few statements (one duplicate
lookup, one creation of the batch's new contacts through create_contacts,
one INSERT of their events) with the outcome of writing them one by one: a
row meets what the rows before it in the same batch wrote."""

from __future__ import annotations

from pathlib import Path

from tortoise.exceptions import IntegrityError

from revgraph.models.crm import Contact
from revgraph.models.events import Event
from revgraph.models.identity import User
from revgraph.models.imports import ImportJob
from revgraph.resolvers import contacts as contact_use_cases
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.imports import contact_rows, runner
from tests.graph.documents import create_contact
from tests.imports.support import contacts, csv_bytes, dry_run, job, mapped, uploaded


def counting(monkeypatch, owner, name):
    calls: list[int] = []
    real = getattr(owner, name)

    async def counted(*args, **kwargs):
        calls.append(1)
        return await real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


async def run_here(gql, server, token, job_id):
    """Import a validated job in this process (with Redis the session's
    worker would run it, out of the test's reach), as its actor would."""
    pk = decode_id(job_id)[1]
    await ImportJob.filter(id=pk).update(status="RUNNING", cursor=0)
    await runner.run_job(server.settings, pk)
    return await job(gql, token, job_id)


async def test_rows_of_one_batch_meet_each_others_writes(gql, server, workspace, monkeypatch):
    # given a contact the file renames by phone, with OVERWRITE
    await create_contact(gql, workspace.token, name="Xavier", email="x@example.com", phone="11 97777-0000")
    rows = [
        ["Ana", "ana@example.com", "11 98888-0001", "planilha"],  # new
        ["Ana Maria", "ana@example.com", "", "feira"],  # the contact the row above creates
        ["Xavier", "novo-x@example.com", "11 97777-0000", ""],  # Xavier's e-mail changes...
        ["Outra", "x@example.com", "", ""],  # ...so his old e-mail is free: a new contact
        ["Bia", "bia@example.com", "", ""],  # new
        ["Bia", "BIA@example.com", "", ""],  # the same (e-mails read in lower case): nothing to change
    ]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows)))["id"]
    await mapped(gql, workspace.token, job_id, duplicatePolicy="OVERWRITE")
    await dry_run(gql, workspace.token, job_id)
    decided = counting(monkeypatch, contact_rows.ContactImport, "decide")
    created = counting(monkeypatch, contact_rows, "create_contacts")
    # when it is imported (all six rows in one batch)
    done = await run_here(gql, server, workspace.token, job_id)
    # then each row had the outcome of a row-by-row import
    assert (done["createdCount"], done["updatedCount"], done["skippedCount"], done["failedCount"]) == (
        3,
        2,
        1,
        0,
    )
    found = {c["name"]: c for c in await contacts(gql, workspace.token)}
    assert set(found) == {"Ana Maria", "Xavier", "Outra", "Bia"}
    assert (found["Ana Maria"]["email"], found["Ana Maria"]["source"]) == ("ana@example.com", "feira")
    assert found["Xavier"]["email"] == "novo-x@example.com"
    assert found["Outra"]["email"] == "x@example.com"
    # and only the rows that met an earlier row's write were looked up again, one by one
    assert len(decided) == 3  # Ana Maria, Outra, the second Bia
    # and the creations went in runs between the updates: [Ana], [Outra, Bia]
    assert len(created) == 2
    # and each created contact has its one event, in row order
    events = await Event.filter(kind="contact.created").order_by("id").values_list("contact_id", flat=True)
    numbers = await Contact.filter(id__in=events).order_by("number").values_list("id", flat=True)
    assert list(events) == list(numbers)
    assert len(events) == 4  # Xavier's own (the API's) and the import's three


async def test_a_batch_broken_by_a_concurrent_writer_is_done_again_row_by_row(
    gql, server, workspace, monkeypatch
):
    # given a file of new people
    rows = [[f"Pessoa {i}", f"p{i}@example.com", "", ""] for i in range(5)]
    job_id = (await uploaded(gql, workspace.token, csv_bytes(rows)))["id"]
    await mapped(gql, workspace.token, job_id)
    await dry_run(gql, workspace.token, job_id)
    # when the batch's INSERT meets a unique index (someone created one of them meanwhile)
    real = contact_rows.create_contacts
    sizes: list[int] = []

    async def racing(ctx, inputs):
        sizes.append(len(inputs))
        if len(inputs) > 1:
            raise IntegrityError("UNIQUE constraint failed: contact.email")
        return await real(ctx, inputs)

    monkeypatch.setattr(contact_rows, "create_contacts", racing)
    done = await run_here(gql, server, workspace.token, job_id)
    # then the batch is done again a row per transaction, every row once
    assert sizes == [5, 1, 1, 1, 1, 1]
    assert (done["status"], done["createdCount"], done["processedRows"]) == ("COMPLETED", 5, 5)
    assert await Contact.all().count() == 5
    assert await Event.filter(kind="contact.created").count() == 5


async def test_create_contacts_answers_each_input_as_create_contact_would(server, workspace):
    # given an administrator's context and a live contact
    admin = await User.get(email=workspace.email)
    ctx = Context(settings=server.settings, actor=Actor(admin.workspace_id, admin.id, admin.role))
    await contact_use_cases.create_contact(ctx, {"name": "Já existe", "email": "ja@example.com"})
    # when several are created at once
    out = await contact_use_cases.create_contacts(
        ctx,
        [
            {"name": "Um", "email": "um@example.com", "tags": ["vip"]},
            {"name": "", "email": "vazio@example.com"},  # no name
            {"name": "Dois", "email": "JA@example.com"},  # taken by a live contact
            {"name": "Três", "email": "tres@example.com", "phone": "11 96666-0000"},
            {"name": "Quatro", "phone": "+5511966660000"},  # the phone the input above takes
        ],
    )
    # then each is its contact or its DomainError, in order
    assert [type(o).__name__ for o in out] == [
        "Contact",
        "DomainError",
        "DomainError",
        "Contact",
        "DomainError",
    ]
    assert [(p.code, p.field) for o in out if isinstance(o, DomainError) for p in o.problems] == [
        ("INVALID", ["input", "name"]),
        ("DUPLICATE", ["input", "email"]),
        ("DUPLICATE", ["input", "phone"]),
    ]
    # and the accepted ones are stored with consecutive numbers, their tags and events
    one, three = out[0], out[3]
    assert (await Contact.get(id=one.id)).number + 1 == (await Contact.get(id=three.id)).number
    assert await contact_use_cases.contact_tags(one.id) == ["vip"]
    assert await Event.filter(kind="contact.created", contact_id__in=[one.id, three.id]).count() == 2


def test_the_readme_gives_the_batch_size_the_code_uses():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert f"em lotes de {runner.BATCH_ROWS} linhas" in readme
