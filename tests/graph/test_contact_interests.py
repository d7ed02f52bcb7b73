"""A contact's developments of interest: set, add and remove them, filter
contacts by them, and see the changes on the contact's timeline."""

from __future__ import annotations

from tests.graph.development_support import (
    ADD_INTEREST,
    ARCHIVE_DEVELOPMENT,
    CONTACT_INTERESTS,
    DEVELOPMENT,
    REMOVE_INTEREST,
    SET_INTERESTS,
    create_development,
    interests,
)
from tests.graph.documents import CONTACTS, MERGE_CONTACTS, create_contact

CONTACT_IDS = (
    "query($filter: ContactFilter) { contacts(filter: $filter, first: 100) { edges { node { name } } } }"
)


async def _names(gql, token, **filter_):
    data = await gql.ok(CONTACT_IDS, {"filter": filter_}, token=token)
    return sorted(e["node"]["name"] for e in data["contacts"]["edges"])


async def test_an_agent_sets_adds_and_removes_their_leads_interests(gql, workspace):
    # given three developments and an agent's lead
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    mirante = await create_development(gql, workspace.token, name="Edifício Mirante Sul")
    solaris = await create_development(gql, workspace.token, name="Solaris Tatuapé")
    agent = await workspace.user("AGENT")
    lead = await create_contact(gql, agent["token"], name="Carla Dias")
    token = agent["token"]
    # when the agent sets two interests, adds a third (and one it already has) and removes one
    data = await gql.ok(
        SET_INTERESTS,
        {"contactId": lead["id"], "developmentIds": [ipe["id"], mirante["id"], ipe["id"]]},
        token=token,
    )
    assert data["setContactInterests"]["userErrors"] == []
    assert [d["name"] for d in data["setContactInterests"]["contact"]["interests"]] == [
        "Reserva Ipê",
        "Edifício Mirante Sul",
    ]
    await gql.ok(ADD_INTEREST, {"contactId": lead["id"], "developmentId": solaris["id"]}, token=token)
    await gql.ok(ADD_INTEREST, {"contactId": lead["id"], "developmentId": ipe["id"]}, token=token)
    removed = await gql.ok(
        REMOVE_INTEREST, {"contactId": lead["id"], "developmentId": mirante["id"]}, token=token
    )
    # then the contact is interested in what is left, in the order added
    assert [d["name"] for d in removed["removeContactInterest"]["contact"]["interests"]] == [
        "Reserva Ipê",
        "Solaris Tatuapé",
    ]
    # and each change (not the repeated add) is on its timeline
    seen = (await gql.ok(CONTACT_INTERESTS, {"id": lead["id"]}, token=token))["contact"]
    changes = [
        e["node"] for e in seen["timeline"]["edges"] if e["node"]["kind"] == "contact.interests_changed"
    ]
    assert [c["summary"] for c in changes] == [
        "Carla Dias: não está mais interessado(a) em Edifício Mirante Sul",
        "Carla Dias: interessado(a) em Solaris Tatuapé",
        "Carla Dias: interessado(a) em Reserva Ipê, Edifício Mirante Sul",
    ]
    assert changes[0]["data"]["removed"] == [mirante["id"]]
    # and an empty list clears them
    cleared = await gql.ok(SET_INTERESTS, {"contactId": lead["id"], "developmentIds": []}, token=token)
    assert cleared["setContactInterests"]["contact"]["interests"] == []


async def test_contacts_are_filtered_by_interest_within_the_callers_scope(gql, workspace):
    # given leads of two agents interested in developments
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    mirante = await create_development(gql, workspace.token, name="Edifício Mirante Sul")
    agent = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    for token, name, wanted in (
        (agent["token"], "Ana", [ipe["id"]]),
        (agent["token"], "Bruno", [mirante["id"]]),
        (agent["token"], "Caio", []),
        (other["token"], "Dora", [ipe["id"], mirante["id"]]),
    ):
        contact = await create_contact(gql, token, name=name)
        await gql.ok(SET_INTERESTS, {"contactId": contact["id"], "developmentIds": wanted}, token=token)
    # then interestedIn keeps contacts interested in any of the developments given
    assert await _names(gql, workspace.token, interestedIn=[ipe["id"]]) == ["Ana", "Dora"]
    assert await _names(gql, workspace.token, interestedIn=[ipe["id"], mirante["id"]]) == [
        "Ana",
        "Bruno",
        "Dora",
    ]
    assert await _names(gql, workspace.token, interestedIn=[]) == ["Ana", "Bruno", "Caio", "Dora"]
    assert await _names(gql, workspace.token, **{"not": {"interestedIn": [ipe["id"]]}}) == ["Bruno", "Caio"]
    # and an agent only finds their own
    assert await _names(gql, agent["token"], interestedIn=[ipe["id"]]) == ["Ana"]
    listed = (await gql.ok(DEVELOPMENT, {"id": ipe["id"]}, token=agent["token"]))["development"]
    assert [e["node"]["name"] for e in listed["interestedContacts"]["edges"]] == ["Ana"]
    # and an id of another type or a malformed one matches nothing
    assert await _names(gql, workspace.token, interestedIn=["nope"]) == []
    body = await gql(CONTACTS, {"filter": {"interestedIn": ["x" * 1000]}}, token=workspace.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def test_an_interest_needs_a_live_development_and_a_contact_the_caller_sees(gql, workspace):
    # given an agent's lead interested in a development that is then archived, and another agent's lead
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    old = await create_development(gql, workspace.token, name="Parque Horizonte")
    agent = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    mine = await create_contact(gql, agent["token"], name="Ana")
    theirs = await create_contact(gql, other["token"], name="Dora")
    await gql.ok(
        SET_INTERESTS, {"contactId": mine["id"], "developmentIds": [old["id"]]}, token=agent["token"]
    )
    await gql.ok(ARCHIVE_DEVELOPMENT, {"id": old["id"]}, token=workspace.token)
    # when the agent names a contact they may not see
    hidden = await gql.ok(
        ADD_INTEREST, {"contactId": theirs["id"], "developmentId": ipe["id"]}, token=agent["token"]
    )
    # then it is NOT_FOUND, and the contact is unchanged
    assert hidden["addContactInterest"] == {
        "contact": None,
        "userErrors": [
            {"code": "NOT_FOUND", "message": "Contato: registro não encontrado.", "field": ["contactId"]}
        ],
    }
    assert await interests(gql, other["token"], theirs["id"]) == []
    # when an archived development is newly added
    archived = await gql.ok(
        SET_INTERESTS, {"contactId": theirs["id"], "developmentIds": [old["id"]]}, token=other["token"]
    )
    # then it is NOT_FOUND on that id, and nothing changed
    assert [(e["code"], e["field"]) for e in archived["setContactInterests"]["userErrors"]] == [
        ("NOT_FOUND", ["developmentIds", "0"])
    ]
    assert await interests(gql, other["token"], theirs["id"]) == []
    # while a contact keeps the archived one it has, next to a new one, and may drop it
    kept = await gql.ok(
        SET_INTERESTS,
        {"contactId": mine["id"], "developmentIds": [old["id"], ipe["id"]]},
        token=agent["token"],
    )
    assert [d["name"] for d in kept["setContactInterests"]["contact"]["interests"]] == [
        "Parque Horizonte",
        "Reserva Ipê",
    ]
    await gql.ok(REMOVE_INTEREST, {"contactId": mine["id"], "developmentId": old["id"]}, token=agent["token"])
    assert await interests(gql, agent["token"], mine["id"]) == ["Reserva Ipê"]


async def test_a_merge_moves_the_duplicates_interests_to_the_primary(gql, workspace):
    # given two records of one person with overlapping interests
    ipe = await create_development(gql, workspace.token, name="Reserva Ipê")
    mirante = await create_development(gql, workspace.token, name="Edifício Mirante Sul")
    primary = await create_contact(gql, workspace.token, name="Ana Souza", email="ana@example.com")
    duplicate = await create_contact(gql, workspace.token, name="Ana S.", phone="11 98888-1234")
    await gql.ok(
        SET_INTERESTS, {"contactId": primary["id"], "developmentIds": [ipe["id"]]}, token=workspace.token
    )
    await gql.ok(
        SET_INTERESTS,
        {"contactId": duplicate["id"], "developmentIds": [mirante["id"], ipe["id"]]},
        token=workspace.token,
    )
    # when they are merged
    merged = await gql.ok(
        MERGE_CONTACTS, {"primaryId": primary["id"], "duplicateId": duplicate["id"]}, token=workspace.token
    )
    assert merged["mergeContacts"]["userErrors"] == []
    # then the primary is interested in both, once each
    assert await interests(gql, workspace.token, primary["id"]) == ["Reserva Ipê", "Edifício Mirante Sul"]
