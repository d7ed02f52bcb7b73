"""Soft delete, restore, and the purge of trash older than the retention."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.graph.documents import (
    ADD_NOTE,
    CONTACT,
    CREATE_CONTACT,
    CREATE_TASK,
    DELETE_CONTACT,
    MERGE_CONTACTS,
    RESTORE_CONTACT,
    UPDATE_CONTACT,
    contact_ids,
    create_company,
    create_contact,
    timeline_kinds,
)

TASK_NODE = "query($id: ID!) { node(id: $id) { id } }"
DELETE_COMPANY = "mutation($id: ID!) { deleteCompany(id: $id) { deletedId userErrors { code } } }"
COMPANY = "query($id: ID!) { company(id: $id) { id deletedAt } }"


async def test_delete_moves_to_the_trash_and_restore_brings_back(gql, workspace):
    token = workspace.token
    contact = await create_contact(gql, token, name="Karen", email="karen@example.com")
    # when deleted
    data = await gql.ok(DELETE_CONTACT, {"id": contact["id"]}, token=token)
    assert data["deleteContact"] == {"deletedId": contact["id"], "userErrors": []}
    # then it leaves the list, shows in the trash, and can still be looked up
    assert await contact_ids(gql, token) == []
    assert await contact_ids(gql, token, filter={"deleted": True}) == [contact["id"]]
    assert await contact_ids(gql, token, filter={"deleted": False}) == []
    trashed = (await gql.ok(CONTACT, {"id": contact["id"]}, token=token))["contact"]
    assert trashed["deletedAt"] is not None
    # updating it is refused until it is restored
    update = await gql.ok(UPDATE_CONTACT, {"id": contact["id"], "input": {"name": "K"}}, token=token)
    assert update["updateContact"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    # deleting again changes nothing
    again = await gql.ok(DELETE_CONTACT, {"id": contact["id"]}, token=token)
    assert again["deleteContact"]["deletedId"] == contact["id"]
    # when restored it is back, and both moves are on the timeline
    restored = await gql.ok(RESTORE_CONTACT, {"id": contact["id"]}, token=token)
    assert restored["restoreContact"]["contact"]["deletedAt"] is None
    assert await contact_ids(gql, token) == [contact["id"]]
    assert await timeline_kinds(gql, token, contact["id"]) == [
        "contact.restored",
        "contact.deleted",
        "contact.created",
    ]


async def test_a_trashed_contacts_email_is_free_but_restoring_it_then_is_a_duplicate(gql, workspace):
    token = workspace.token
    old = await create_contact(gql, token, name="Leo", email="leo@example.com")
    await gql.ok(DELETE_CONTACT, {"id": old["id"]}, token=token)
    # the e-mail of a trashed contact may be used again
    new = await create_contact(gql, token, name="Leo Novo", email="LEO@example.com")
    # so the old one cannot come back next to it
    data = await gql.ok(RESTORE_CONTACT, {"id": old["id"]}, token=token)
    assert data["restoreContact"]["contact"] is None
    [error] = data["restoreContact"]["userErrors"]
    assert (error["code"], error["field"]) == ("DUPLICATE", ["id"])
    assert "e-mail" in error["message"]
    assert await contact_ids(gql, token) == [new["id"]]
    assert (await gql.ok(CONTACT, {"id": old["id"]}, token=token))["contact"]["deletedAt"] is not None


async def test_an_agent_cannot_delete_or_restore_someone_elses_contact(gql, workspace):
    agent = await workspace.user("AGENT")
    contact = await create_contact(gql, workspace.token, name="Do admin")
    data = await gql.ok(DELETE_CONTACT, {"id": contact["id"]}, token=agent["token"])
    assert data["deleteContact"] == {
        "deletedId": None,
        "userErrors": [
            {"code": "NOT_FOUND", "message": "Contato: registro não encontrado.", "field": ["id"]}
        ],
    }
    assert await contact_ids(gql, workspace.token) == [contact["id"]]
    await gql.ok(DELETE_CONTACT, {"id": contact["id"]}, token=workspace.token)
    restore = await gql.ok(RESTORE_CONTACT, {"id": contact["id"]}, token=agent["token"])
    assert restore["restoreContact"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert await contact_ids(gql, workspace.token) == []


async def _trashed_contact_with_activity(gql, token, name):
    contact = await create_contact(gql, token, name=name)
    task = await gql.ok(CREATE_TASK, {"input": {"title": "T", "contactId": contact["id"]}}, token=token)
    await gql.ok(ADD_NOTE, {"input": {"subjectId": contact["id"], "body": "n"}}, token=token)
    await gql.ok(DELETE_CONTACT, {"id": contact["id"]}, token=token)
    return contact, task["createTask"]["task"]["id"]


async def test_purge_destroys_only_trash_older_than_the_retention(gql, workspace):
    from revgraph.resolvers.trash import purge_expired_trash

    token = workspace.token
    # given a live contact, a trashed contact with a task and a note, and a trashed company
    live = await create_contact(gql, token, name="Viva")
    trashed, task_id = await _trashed_contact_with_activity(gql, token, "Lixo")
    company = await create_company(gql, token, name="Lixo SA")
    await gql.ok(DELETE_COMPANY, {"id": company["id"]}, token=token)
    # when the purge runs within the retention, nothing goes
    assert await purge_expired_trash(datetime.now(UTC) + timedelta(days=29)) == {
        "Deal": 0,
        "Contact": 0,
        "Company": 0,
    }
    assert (await gql.ok(CONTACT, {"id": trashed["id"]}, token=token))["contact"] is not None
    from revgraph.models.events import Event
    from revgraph.resolvers.ids import pk_of

    assert any("Lixo" in e.summary for e in await Event.filter(contact_id=pk_of(trashed["id"], "Contact")))
    # when it runs after 30 days, the trash (with its tasks) is destroyed and the live contact stays
    later = datetime.now(UTC) + timedelta(days=31)
    assert await purge_expired_trash(later) == {"Deal": 0, "Contact": 1, "Company": 1}
    assert (await gql.ok(CONTACT, {"id": trashed["id"]}, token=token))["contact"] is None
    assert (await gql.ok(TASK_NODE, {"id": task_id}, token=token))["node"] is None
    assert (await gql.ok(COMPANY, {"id": company["id"]}, token=token))["company"] is None
    assert await contact_ids(gql, token) == [live["id"]]
    # and what the log said about the destroyed records is gone too (LGPD),
    # while the events themselves stay, so counts and sequences keep their shape
    from revgraph.resolvers.trash import REDACTED

    for column, gid in (("contact_id", trashed["id"]), ("company_id", company["id"])):
        events = await Event.filter(
            **{column: pk_of(gid, "Contact" if column == "contact_id" else "Company")}
        )
        assert events, column
        assert all(e.summary == REDACTED and e.data == {"redacted": True} for e in events)
    live_events = await Event.filter(contact_id=pk_of(live["id"], "Contact"))
    assert any("Viva" in e.summary for e in live_events)
    assert all(e.summary != REDACTED for e in live_events)
    # and running it again destroys nothing more
    assert await purge_expired_trash(later) == {"Deal": 0, "Contact": 0, "Company": 0}


async def test_purge_follows_each_workspaces_retention(gql, workspace, other_workspace):
    from revgraph.models.identity import Workspace
    from revgraph.resolvers.trash import purge_expired_trash

    short, _ = await _trashed_contact_with_activity(gql, workspace.token, "Curta")
    long, _ = await _trashed_contact_with_activity(gql, other_workspace.token, "Longa")
    # given the first workspace (named by the fixture) keeps its trash 7 days
    assert await Workspace.filter(name="Imobiliária Teste").update(trash_retention_days=7) == 1
    # when the purge runs 10 days from now, only the short-retention trash goes
    await purge_expired_trash(datetime.now(UTC) + timedelta(days=10))
    assert (await gql.ok(CONTACT, {"id": short["id"]}, token=workspace.token))["contact"] is None
    assert (await gql.ok(CONTACT, {"id": long["id"]}, token=other_workspace.token))["contact"] is not None


async def test_a_merged_duplicate_outlives_the_retention_while_its_primary_exists(gql, workspace):
    from revgraph.resolvers.trash import purge_expired_trash

    token = workspace.token
    primary = await create_contact(gql, token, name="Primário")
    duplicate = await create_contact(gql, token, name="Duplicado")
    await gql.ok(ADD_NOTE, {"input": {"subjectId": duplicate["id"], "body": "histórico"}}, token=token)
    await gql.ok(MERGE_CONTACTS, {"primaryId": primary["id"], "duplicateId": duplicate["id"]}, token=token)
    later = datetime.now(UTC) + timedelta(days=31)
    # the duplicate is kept: the primary's timeline reaches its history through it
    assert await purge_expired_trash(later) == {"Deal": 0, "Contact": 0, "Company": 0}
    assert "note.added" in await timeline_kinds(gql, token, primary["id"])
    # once the primary itself is purged, the duplicate goes too
    await gql.ok(DELETE_CONTACT, {"id": primary["id"]}, token=token)
    assert await purge_expired_trash(later) == {"Deal": 0, "Contact": 2, "Company": 0}
    assert (await gql.ok(CONTACT, {"id": duplicate["id"]}, token=token))["contact"] is None


async def _age_trash(days):
    from revgraph.models.crm import Contact

    await Contact.filter(deleted_at__isnull=False).update(deleted_at=datetime.now(UTC) - timedelta(days=days))


async def test_the_purge_actor_destroys_expired_trash_and_is_idempotent(gql, workspace):
    from revgraph.tasks.maintenance import purge_trash

    token = workspace.token
    expired, _ = await _trashed_contact_with_activity(gql, token, "Velho")
    await _age_trash(31)
    recent = await create_contact(gql, token, name="Recente")
    await gql.ok(DELETE_CONTACT, {"id": recent["id"]}, token=token)
    run = getattr(purge_trash.fn, "__wrapped__", purge_trash.fn)
    await run()
    await run()
    assert (await gql.ok(CONTACT, {"id": expired["id"]}, token=token))["contact"] is None
    assert (await gql.ok(CONTACT, {"id": recent["id"]}, token=token))["contact"]["deletedAt"] is not None


async def test_the_timer_sends_the_purge_to_the_embedded_runner(gql, workspace):
    from revgraph.tasks.broker import EmbeddedBroker, broker
    from revgraph.tasks.timers import run_timers

    if not isinstance(broker, EmbeddedBroker):
        pytest.skip("with Redis the purge runs in `revgraph worker`, not in this process")
    expired, _ = await _trashed_contact_with_activity(gql, workspace.token, "Expirado")
    await _age_trash(40)
    timers = asyncio.create_task(run_timers())
    try:
        for _ in range(100):
            if (await gql.ok(CONTACT, {"id": expired["id"]}, token=workspace.token))["contact"] is None:
                break
            await asyncio.sleep(0.02)
        assert (await gql.ok(CONTACT, {"id": expired["id"]}, token=workspace.token))["contact"] is None
    finally:
        timers.cancel()


async def test_deleting_a_company_keeps_its_contacts_linked_until_the_purge(gql, workspace):
    from revgraph.resolvers.trash import purge_expired_trash

    token = workspace.token
    company = await create_company(gql, token, name="Some")
    contact = await create_contact(gql, token, name="Funcionário", companyId=company["id"])
    await gql.ok(DELETE_COMPANY, {"id": company["id"]}, token=token)
    # a trashed company cannot be given to a contact, but existing links stay
    refused = await gql.ok(
        CREATE_CONTACT, {"input": {"name": "Novo", "companyId": company["id"]}}, token=token
    )
    assert refused["createContact"]["userErrors"][0]["code"] == "NOT_FOUND"
    linked = (await gql.ok(CONTACT, {"id": contact["id"]}, token=token))["contact"]
    assert linked["company"]["id"] == company["id"]
    await purge_expired_trash(datetime.now(UTC) + timedelta(days=31))
    unlinked = (await gql.ok(CONTACT, {"id": contact["id"]}, token=token))["contact"]
    assert (unlinked["company"], unlinked["deletedAt"]) == (None, None)
