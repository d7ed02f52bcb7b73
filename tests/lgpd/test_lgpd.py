"""LGPD requests end to end: a data subject's export holds every kind of
data kept about them; erasure leaves none of their identifiers in any
table while every count stays; only admins may ask, with a reason."""

from __future__ import annotations

import csv
import io
import json

from revgraph.models.crm import Contact
from revgraph.models.events import Event
from revgraph.models.imports import ImportChunk, ImportJob, ImportRowError
from revgraph.models.partners import MarketingConversion
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.lgpd import erasure
from revgraph.resolvers.lgpd.subject import REMOVED
from tests.graph.documents import DELETE_CONTACT, MERGE_CONTACTS, RESTORE_CONTACT, create_contact
from tests.inbox.support import CONVERSATIONS, create_inbox, receive
from tests.lgpd.support import (
    ATTACHMENT,
    CPF,
    EMAIL,
    ERASE,
    EXPORT,
    INBOUND,
    LEAD_MESSAGE,
    NAME,
    NOTE,
    ORIGINALS,
    OTHER_ROW,
    PHONE,
    REPLY,
    build,
    dump,
    found,
)
from tests.reports.test_lead_report import CONTACTS, around_now, lead_report
from tests.webhooks.support import eventually

REASON = "Solicitação do titular, protocolo 2026-0042"


async def test_the_export_holds_every_kind_of_data_about_the_contact_and_is_logged(gql, workspace):
    world = await build(gql, workspace)
    try:
        data = await gql.ok(EXPORT, {"id": world.contact_id, "reason": REASON}, token=workspace.token)
    finally:
        await world.receiver.stop()
    payload = data["exportContactData"]
    assert payload["userErrors"] == []
    export = payload["export"]
    assert export["format"] == "revgraph.lgpd.contact-export/1"
    assert export["reason"] == REASON and export["exportedBy"]
    record = export["contact"]
    assert (record["id"], record["name"], record["email"], record["phone"]) == (
        world.contact_id,
        NAME,
        EMAIL,
        PHONE,
    )
    assert record["customFields"] == {"cpf": CPF}
    # the consent ledger: the current state per channel and the whole history
    current = {c["channel"]: c["granted"] for c in export["consents"]["current"]}
    assert current == {"API": True, "EMAIL": False}
    assert [c["source"] for c in export["consents"]["history"]] == ["telefone", "inbound_message"]
    assert f"{NAME} pediu por telefone" in [c["note"] for c in export["consents"]["history"]]
    [conversation] = export["conversations"]
    assert conversation["id"] == world.conversation_id
    assert [m["body"] for m in conversation["messages"]] == [INBOUND, REPLY]
    inbound = conversation["messages"][0]
    assert inbound["attachments"][0]["name"] == ATTACHMENT
    assert inbound["channelData"]["headers"]["From"] == f"{NAME} <{EMAIL}>"
    assert [d["id"] for d in export["deals"]] == [world.deal_id]
    assert [t["title"] for t in export["tasks"]] == [f"Ligar para {NAME}"]
    assert [n["body"] for n in export["notes"]] == [NOTE]
    assert LEAD_MESSAGE in [t["message"] for t in export["touchpoints"]]
    assert len(export["assignments"]) == 1
    kinds = {e["kind"] for e in export["timeline"]}
    assert {"contact.created", "message.created", "consent.revoked", "deal.created", "note.added"} <= kinds
    # and the request is on the timeline: who, when, why
    event = await Event.filter(kind="contact.data_exported").get()
    assert event.contact_id == pk_of(world.contact_id, "Contact")
    assert event.actor_user_id == pk_of(workspace.admin["id"], "User")
    assert event.data["reason"] == REASON


async def _erasure_delivered(world) -> bool:
    bodies = [json.loads(r.body) for r in world.receiver.requests]
    return any(b["type"] == "contact.erased" and b["data"]["id"] == world.contact_id for b in bodies)


async def _copies_kept(gql, token, world) -> None:
    """The CSV as uploaded: the subject's rows blanked (blank cells stay),
    the other person's row as it was; the job's counts and refused rows
    stay, and the error report shows the refused row erased; the RD
    Station conversion keeps its campaign."""
    [chunk] = await ImportChunk.all()
    assert chunk.rows == [[2, [REMOVED] * 5], [3, [REMOVED] * 5], [4, [*OTHER_ROW, ""]]]
    job = await ImportJob.get()
    assert (job.row_count, job.created_count, job.failed_count, job.dry_run["invalid"]) == (3, 2, 1, 1)
    errors = await ImportRowError.all().order_by("phase")
    assert [(e.phase, e.row, e.values) for e in errors] == [
        ("DRY_RUN", 3, [REMOVED] * 5),
        ("RUN", 3, [REMOVED] * 5),
    ]
    report = await gql.http.get(
        gql.server.url + world.import_report_url, headers={"authorization": f"Bearer {token}"}
    )
    assert report.status_code == 200
    [_, row] = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig")), delimiter=";"))
    assert row[:6] == ["3", *[REMOVED] * 5]
    assert row[6] == "Telefone: Telefone inválido: '[removido]' (inclua o DDD, ex.: 11 98765-4321).", row
    [conversion] = await MarketingConversion.all()
    assert conversion.payload["erased"] is True
    assert conversion.payload["last_conversion"]["content"]["utm_campaign"] == "lancamento-jardins"
    assert not {"email", "name", "mobile_phone", "company", "custom_fields"} & set(conversion.payload)
    assert conversion.processed_at is not None and conversion.error is None


async def _figures(gql, token) -> tuple:
    contacts = (await gql.ok(CONTACTS, {}, token=token))["contacts"]["totalCount"]
    conversations = (await gql.ok(CONVERSATIONS, {}, token=token))["conversations"]["totalCount"]
    by_source = await lead_report(gql, token, "SOURCE", around_now())
    events = await Event.all().count()
    return contacts, conversations, by_source, events


async def test_erasure_leaves_no_identifier_in_any_table_and_keeps_every_count(gql, workspace):
    # given a subject present in every table that keeps people
    token = workspace.token
    world = await build(gql, workspace)
    try:
        before = await dump()
        assert found(before) == ORIGINALS
        figures = await _figures(gql, token)
        # when an admin erases it
        data = await gql.ok(ERASE, {"id": world.contact_id, "reason": f"{REASON} ({EMAIL})"}, token=token)
        # and partners are told to erase their copy (a contact.erased delivery)
        await eventually(lambda: _erasure_delivered(world), what="the contact.erased delivery")
    finally:
        await world.receiver.stop()
    payload = data["eraseContact"]
    assert payload["userErrors"] == []
    contact = payload["contact"]
    assert (contact["name"], contact["email"], contact["phone"], contact["customFields"]) == (
        "Titular removido (LGPD)",
        None,
        None,
        {},
    )
    # then no table holds any of the originals
    assert found(await dump()) == []
    # and the copies that came in keep their place and their counts
    await _copies_kept(gql, token, world)
    # and every figure is what it was (plus the erasure's own event)
    contacts, conversations, by_source, events = await _figures(gql, token)
    assert (contacts, conversations, by_source, events) == (*figures[:3], figures[3] + 1)
    # and the log says who and why, without the identifiers
    event = await Event.filter(kind="contact.erased").get()
    assert event.actor_user_id == pk_of(workspace.admin["id"], "User")
    assert event.data["reason"] == f"{REASON} ([removido])"
    # when it is asked again, nothing changes
    again = await gql.ok(ERASE, {"id": world.contact_id, "reason": REASON}, token=token)
    assert again["eraseContact"]["userErrors"] == []
    assert again["eraseContact"]["contact"] == contact
    assert await Event.filter(kind="contact.erased").count() == 1
    # and a new message from the same phone opens a new contact
    inbox_id = world.inbox_id
    fresh = await receive(gql, token, inbox_id, phone=PHONE, name="Joana", body="Oi de novo")
    assert fresh["userErrors"] == []
    assert fresh["conversation"]["contact"]["id"] != world.contact_id
    assert fresh["conversation"]["id"] != world.conversation_id


async def test_only_admins_may_export_or_erase_and_a_reason_is_required(gql, workspace):
    contact = await create_contact(gql, workspace.token, name=NAME, email=EMAIL)
    for role in ("AGENT", "MANAGER"):
        user = await workspace.user(role)
        for document in (EXPORT, ERASE):
            body = await gql(document, {"id": contact["id"], "reason": REASON}, token=user["token"])
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], (role, document)
    for document, name in ((EXPORT, "exportContactData"), (ERASE, "eraseContact")):
        data = await gql.ok(document, {"id": contact["id"], "reason": "  "}, token=workspace.token)
        assert [(e["code"], e["field"]) for e in data[name]["userErrors"]] == [("INVALID", ["reason"])]
    assert await Event.filter(kind__in=("contact.erased", "contact.data_exported")).count() == 0
    stored = await Event.filter(kind="contact.created").count()
    assert stored == 1


async def test_a_merged_duplicate_is_erased_with_the_contact_it_went_into(gql, workspace):
    token = workspace.token
    primary = await create_contact(gql, token, name=NAME, email=EMAIL)
    duplicate = await create_contact(gql, token, name="Joana P. Vasconcelos", phone=PHONE)
    merged = await gql.ok(
        MERGE_CONTACTS, {"primaryId": primary["id"], "duplicateId": duplicate["id"]}, token=token
    )
    assert merged["mergeContacts"]["userErrors"] == [], merged
    # naming the merged duplicate points to the contact it went into
    data = await gql.ok(ERASE, {"id": duplicate["id"], "reason": REASON}, token=token)
    [error] = data["eraseContact"]["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID", ["id"])
    data = await gql.ok(ERASE, {"id": primary["id"], "reason": REASON}, token=token)
    assert data["eraseContact"]["userErrors"] == []
    text = await dump()
    assert [s for s in (NAME, EMAIL, PHONE, "Joana P. Vasconcelos") if s.lower() in text] == []


async def test_a_contact_in_the_trash_is_erased_now_and_stays_in_the_trash(gql, workspace):
    # given a contact with a conversation, moved to the trash
    token = workspace.token
    contact = await create_contact(gql, token, name=NAME, email=EMAIL, phone=PHONE)
    inbox = await create_inbox(gql, token)
    received = await receive(gql, token, inbox["id"], phone=PHONE, name=NAME, body=INBOUND)
    assert received["conversation"]["contact"]["id"] == contact["id"]
    deleted = await gql.ok(DELETE_CONTACT, {"id": contact["id"]}, token=token)
    assert deleted["deleteContact"]["userErrors"] == [], deleted
    # when an admin erases it (without waiting for the trash's retention)
    data = await gql.ok(ERASE, {"id": contact["id"], "reason": REASON}, token=token)
    # then it is erased now, and logged
    assert data["eraseContact"]["userErrors"] == [], data
    assert (data["eraseContact"]["contact"]["name"], data["eraseContact"]["contact"]["email"]) == (
        "Titular removido (LGPD)",
        None,
    )
    assert [s for s in (NAME, EMAIL, PHONE, PHONE[1:], INBOUND) if s.lower() in await dump()] == []
    event = await Event.filter(kind="contact.erased").get()
    assert event.contact_id == pk_of(contact["id"], "Contact")
    # and it is still in the trash: restoring it brings back no one
    row = await Contact.get(id=pk_of(contact["id"], "Contact"))
    assert row.deleted_at is not None and row.name == "Titular removido (LGPD)"
    restored = await gql.ok(RESTORE_CONTACT, {"id": contact["id"]}, token=token)
    assert restored["restoreContact"]["userErrors"] == [], restored
    back = restored["restoreContact"]["contact"]
    assert (back["name"], back["email"], back["phone"]) == ("Titular removido (LGPD)", None, None)


async def test_an_erasure_that_fails_midway_changes_nothing(gql, workspace, monkeypatch):
    # given a contact with a conversation
    token = workspace.token
    contact = await create_contact(gql, token, name=NAME, email=EMAIL, phone=PHONE)
    inbox = await create_inbox(gql, token)
    received = await receive(gql, token, inbox["id"], phone=PHONE, name=NAME, body=INBOUND)
    assert received["conversation"]["contact"]["id"] == contact["id"]
    before = await dump()

    # when the erasure breaks after the contact and its messages were rewritten
    async def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(erasure, "_inbound_payloads", broken)
    body = await gql(ERASE, {"id": contact["id"], "reason": REASON}, token=token)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL"]
    # then nothing of it was kept: the same rows, no erasure logged
    assert await dump() == before
    assert not await Event.filter(kind="contact.erased").exists()
