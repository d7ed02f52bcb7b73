"""Contacts: create and update with normalisation, validation, duplicates,
ownership rules and the events they record."""

import asyncio

import pytest

from tests.graph.documents import (
    CONTACT,
    CREATE_CONTACT,
    UPDATE_CONTACT,
    contact_ids,
    create_company,
    create_contact,
    timeline_kinds,
)
from tests.graph.documents import TIMELINE as TIMELINE_DOC


async def test_create_contact_normalises_email_and_phone_and_records_the_event(gql, workspace):
    # given an admin
    # when they create a contact with a mixed-case e-mail and a local phone
    contact = await create_contact(
        gql,
        workspace.token,
        name="  João da Silva ",
        email="  Joao.Silva@Example.COM ",
        phone="(11) 98765-4321",
        source="whatsapp",
        tags=["vip", "imóvel", "vip"],
        customFields={"budget": 500000, "bairro": "Moema"},
    )
    # then it is stored normalised, as a LEAD, unowned (admins' contacts start unowned)
    assert contact["name"] == "João da Silva"
    assert contact["email"] == "joao.silva@example.com"
    assert contact["phone"] == "+5511987654321"
    assert contact["lifecycleStage"] == "LEAD"
    assert contact["score"] == 0
    assert contact["tags"] == ["vip", "imóvel"]
    assert contact["customFields"] == {"budget": 500000, "bairro": "Moema"}
    assert contact["owner"] is None
    assert contact["deletedAt"] is None
    # and the creation is on its timeline, by the admin
    data = await gql.ok(TIMELINE_DOC, {"id": contact["id"]}, token=workspace.token)
    [event] = [e["node"] for e in data["contact"]["timeline"]["edges"]]
    assert event["kind"] == "contact.created"
    assert event["summary"] == "Ana Admin criou o contato João da Silva"
    assert event["actor"] == {"id": workspace.admin["id"]}


async def test_an_agents_contact_is_theirs_by_default(gql, workspace):
    agent = await workspace.user("AGENT")
    contact = await create_contact(gql, agent["token"], name="Lead do Agente")
    assert contact["owner"] == {"id": agent["id"]}


async def test_a_managers_contact_starts_unowned_unless_an_owner_is_given(gql, workspace):
    manager = await workspace.user("MANAGER")
    team = await workspace.team("Vendas", manager_id=manager["id"])
    agent = await workspace.user("AGENT", team_id=team["id"])
    unowned = await create_contact(gql, manager["token"], name="Sem dono")
    assigned = await create_contact(gql, manager["token"], name="Com dono", ownerId=agent["id"])
    assert unowned["owner"] is None
    assert assigned["owner"] == {"id": agent["id"]}


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"name": "   "}, "INVALID", ["input", "name"]),
        ({"name": "x" * 201}, "INVALID", ["input", "name"]),
        ({"email": "not-an-email"}, "INVALID", ["input", "email"]),
        ({"email": "a@b"}, "INVALID", ["input", "email"]),
        ({"phone": "12345"}, "INVALID", ["input", "phone"]),
        ({"phone": "abc"}, "INVALID", ["input", "phone"]),
        ({"tags": ["ok", " "]}, "INVALID", ["input", "tags", "1"]),
        ({"customFields": [1, 2]}, "INVALID", ["input", "customFields"]),
        ({"companyId": "Q29tcGFueTo5OTk"}, "NOT_FOUND", ["input", "companyId"]),
        ({"ownerId": "VXNlcjo5OTk5"}, "NOT_FOUND", ["input", "ownerId"]),
    ],
)
async def test_invalid_contact_input_is_a_user_error_and_creates_nothing(gql, workspace, fields, code, field):
    # when an invalid contact is submitted
    data = await gql.ok(CREATE_CONTACT, {"input": {"name": "Maria", **fields}}, token=workspace.token)
    # then it is refused with the field path, and nothing was created
    payload = data["createContact"]
    assert payload["contact"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert await contact_ids(gql, workspace.token) == []


async def test_same_email_or_phone_in_another_format_is_a_duplicate(gql, workspace):
    # given a contact
    existing = await create_contact(gql, workspace.token, email="ana@example.com", phone="+55 11 98765-4321")
    # when another contact reuses the e-mail in capitals, or the phone in local format
    by_email = await gql.ok(
        CREATE_CONTACT, {"input": {"name": "Ana 2", "email": "ANA@Example.com"}}, token=workspace.token
    )
    by_phone = await gql.ok(
        CREATE_CONTACT, {"input": {"name": "Ana 3", "phone": "11987654321"}}, token=workspace.token
    )
    # then both are DUPLICATE on the field, and only the first contact exists
    assert by_email["createContact"]["userErrors"] == [
        {
            "code": "DUPLICATE",
            "message": "Já existe um contato com este e-mail.",
            "field": ["input", "email"],
        }
    ]
    assert by_phone["createContact"]["userErrors"][0]["code"] == "DUPLICATE"
    assert by_phone["createContact"]["userErrors"][0]["field"] == ["input", "phone"]
    assert await contact_ids(gql, workspace.token) == [existing["id"]]


async def test_the_same_email_in_another_workspace_is_not_a_duplicate(gql, workspace, other_workspace):
    await create_contact(gql, workspace.token, email="ana@example.com")
    other = await create_contact(gql, other_workspace.token, email="ana@example.com")
    assert other["email"] == "ana@example.com"


async def test_update_records_each_changed_field_from_and_to(gql, workspace):
    # given a contact
    company = await create_company(gql, workspace.token)
    contact = await create_contact(gql, workspace.token, name="Bruno", email="b@example.com", tags=["a"])
    # when the admin changes e-mail and phone and company, resending the same name
    data = await gql.ok(
        UPDATE_CONTACT,
        {
            "id": contact["id"],
            "input": {
                "name": "Bruno",
                "email": "Bruno@Example.com",
                "phone": "21 99876-5432",
                "companyId": company["id"],
            },
        },
        token=workspace.token,
    )
    # then the contact changed
    updated = data["updateContact"]["contact"]
    assert data["updateContact"]["userErrors"] == []
    assert updated["email"] == "bruno@example.com"
    assert updated["phone"] == "+5521998765432"
    assert updated["company"] == {"id": company["id"], "name": "Acme Imóveis"}
    assert updated["tags"] == ["a"]
    # and one contact.updated event lists exactly the changed fields
    timeline = await gql.ok(TIMELINE_DOC, {"id": contact["id"]}, token=workspace.token)
    newest = timeline["contact"]["timeline"]["edges"][0]["node"]
    assert newest["kind"] == "contact.updated"
    assert newest["summary"] == "Ana Admin alterou e-mail, telefone, empresa"
    assert newest["data"] == {
        "changes": {
            "email": {"from": "b@example.com", "to": "bruno@example.com"},
            "phone": {"from": None, "to": "+5521998765432"},
            "companyId": {"from": None, "to": company["id"]},
        }
    }


async def test_update_that_changes_nothing_records_no_event(gql, workspace):
    contact = await create_contact(gql, workspace.token, name="Carla", email="c@example.com", tags=["x"])
    data = await gql.ok(
        UPDATE_CONTACT,
        {"id": contact["id"], "input": {"name": "Carla", "email": "C@EXAMPLE.COM", "tags": ["x"]}},
        token=workspace.token,
    )
    assert data["updateContact"]["userErrors"] == []
    assert await timeline_kinds(gql, workspace.token, contact["id"]) == ["contact.created"]


async def test_update_clears_optional_fields_with_null_and_replaces_tags(gql, workspace):
    contact = await create_contact(
        gql, workspace.token, email="d@example.com", source="form", tags=["a", "b"]
    )
    data = await gql.ok(
        UPDATE_CONTACT,
        {"id": contact["id"], "input": {"email": None, "source": None, "tags": ["b", "c"]}},
        token=workspace.token,
    )
    updated = data["updateContact"]["contact"]
    assert (updated["email"], updated["source"], updated["tags"]) == (None, None, ["b", "c"])


async def test_update_to_a_taken_email_is_duplicate_and_changes_nothing(gql, workspace):
    await create_contact(gql, workspace.token, name="Primeiro", email="taken@example.com")
    second = await create_contact(gql, workspace.token, name="Segundo", email="mine@example.com")
    data = await gql.ok(
        UPDATE_CONTACT,
        {"id": second["id"], "input": {"email": "TAKEN@example.com", "name": "Renamed"}},
        token=workspace.token,
    )
    assert data["updateContact"]["contact"] is None
    assert data["updateContact"]["userErrors"][0]["code"] == "DUPLICATE"
    assert data["updateContact"]["userErrors"][0]["field"] == ["input", "email"]
    after = (await gql.ok(CONTACT, {"id": second["id"]}, token=workspace.token))["contact"]
    assert (after["name"], after["email"]) == ("Segundo", "mine@example.com")
    assert await timeline_kinds(gql, workspace.token, second["id"]) == ["contact.created"]


@pytest.mark.parametrize("value", [None, "   "])
async def test_name_cannot_be_cleared(gql, workspace, value):
    contact = await create_contact(gql, workspace.token, name="Dora")
    data = await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"name": value}}, token=workspace.token
    )
    assert data["updateContact"]["userErrors"][0]["field"] == ["input", "name"]
    after = (await gql.ok(CONTACT, {"id": contact["id"]}, token=workspace.token))["contact"]
    assert after["name"] == "Dora"


async def test_an_agent_cannot_hand_their_contact_to_a_colleague(gql, workspace):
    # given two agents of the workspace
    agent = await workspace.user("AGENT")
    colleague = await workspace.user("AGENT")
    contact = await create_contact(gql, agent["token"], name="Meu lead")
    # when the agent gives their lead to the colleague, on create or on update
    on_create = await gql.ok(
        CREATE_CONTACT, {"input": {"name": "Outro", "ownerId": colleague["id"]}}, token=agent["token"]
    )
    on_update = await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"ownerId": colleague["id"]}}, token=agent["token"]
    )
    # then both are FORBIDDEN on ownerId, and the lead is still theirs
    for payload in (on_create["createContact"], on_update["updateContact"]):
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("FORBIDDEN", ["input", "ownerId"])
        ]
    after = (await gql.ok(CONTACT, {"id": contact["id"]}, token=agent["token"]))["contact"]
    assert after["owner"] == {"id": agent["id"]}
    assert await contact_ids(gql, workspace.token) == [contact["id"]]


async def test_a_manager_cannot_assign_outside_their_teams(gql, workspace):
    manager = await workspace.user("MANAGER")
    await workspace.team("Time M", manager_id=manager["id"])
    outsider = await workspace.user("AGENT")
    data = await gql.ok(
        CREATE_CONTACT, {"input": {"name": "X", "ownerId": outsider["id"]}}, token=manager["token"]
    )
    assert [(e["code"], e["field"]) for e in data["createContact"]["userErrors"]] == [
        ("NOT_FOUND", ["input", "ownerId"])
    ]
    assert await contact_ids(gql, workspace.token) == []


async def test_an_admin_reassigns_and_the_owner_change_is_recorded(gql, workspace):
    agent = await workspace.user("AGENT")
    contact = await create_contact(gql, workspace.token, name="Eva")
    data = await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"ownerId": agent["id"]}}, token=workspace.token
    )
    assert data["updateContact"]["contact"]["owner"] == {"id": agent["id"]}
    timeline = await gql.ok(TIMELINE_DOC, {"id": contact["id"]}, token=agent["token"])
    newest = timeline["contact"]["timeline"]["edges"][0]["node"]
    assert newest["data"] == {"changes": {"ownerId": {"from": None, "to": agent["id"]}}}


async def test_concurrent_creates_with_the_same_email_make_one_contact(gql, workspace):
    # when eight identical contacts are created at once
    results = await asyncio.gather(
        *(
            gql.ok(
                CREATE_CONTACT,
                {"input": {"name": f"Rita {i}", "email": "rita@example.com"}},
                token=workspace.token,
            )
            for i in range(8)
        )
    )
    # then exactly one is created and every other one is a DUPLICATE on e-mail
    payloads = [r["createContact"] for r in results]
    created = [p for p in payloads if p["contact"]]
    refused = [p["userErrors"] for p in payloads if not p["contact"]]
    assert len(created) == 1
    assert all(
        errors
        == [
            {
                "code": "DUPLICATE",
                "message": "Já existe um contato com este e-mail.",
                "field": ["input", "email"],
            }
        ]
        for errors in refused
    )
    assert await contact_ids(gql, workspace.token) == [created[0]["contact"]["id"]]
