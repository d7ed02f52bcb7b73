"""The SDR -> closer hand-off: whoever owns a deal sees its contact and its
company and can work them (notes, tasks, timeline), on every path that
applies visibility; "atender pendentes" offers the deals handed to them.
Nobody else gains anything."""

from tests.distribution.support import capture, create_queue, distribute
from tests.graph.documents import (
    ADD_NOTE,
    CREATE_TASK,
    NODE,
    TIMELINE,
    contact_ids,
    create_company,
    create_contact,
)
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline

DEAL_CONTACT = "query($id: ID!) { deal(id: $id) { contact { id name company { id name } } company { id } } }"
CONTACT = "query($id: ID!) { contact(id: $id) { id name company { id } } }"
COMPANY = "query($id: ID!) { company(id: $id) { id name } }"
SEARCH = 'query { contacts(search: "Lúcia", first: 10) { totalCount edges { node { id } } } }'
NEXT = "query { nextPending { id name } }"


async def _handed_deal(gql, workspace):
    """A qualified lead of the SDR (its contact and company owned by the SDR)
    whose deal the admin gives to a closer; a third agent looks on."""
    sdr, closer, bystander = [await workspace.user("AGENT") for _ in range(3)]
    company = await create_company(gql, sdr["token"], name="Construtora Aurora")
    contact = await create_contact(gql, sdr["token"], name="Lúcia Prado", companyId=company["id"])
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        title="Apto Vila Mariana",
        contactId=contact["id"],
        ownerId=sdr["id"],
    )
    return sdr, closer, bystander, company, contact, deal


async def test_the_closer_a_deal_was_handed_to_sees_and_works_its_contact_and_company(gql, workspace):
    # given the SDR's deal handed to the closer with updateDeal(ownerId)
    _sdr, closer, bystander, company, contact, deal = await _handed_deal(gql, workspace)
    handed = await gql.ok(
        UPDATE_DEAL, {"id": deal["id"], "input": {"ownerId": closer["id"]}}, token=workspace.token
    )
    assert handed["updateDeal"]["userErrors"] == []
    token = closer["token"]
    # then the closer sees the deal's contact and company, by every path
    seen = (await gql.ok(DEAL_CONTACT, {"id": deal["id"]}, token=token))["deal"]
    assert seen["contact"] == {
        "id": contact["id"],
        "name": "Lúcia Prado",
        "company": {"id": company["id"], "name": "Construtora Aurora"},
    }
    assert seen["company"] is None  # the deal names no company itself
    assert (await gql.ok(CONTACT, {"id": contact["id"]}, token=token))["contact"]["id"] == contact["id"]
    assert (await gql.ok(COMPANY, {"id": company["id"]}, token=token))["company"]["id"] == company["id"]
    assert (await gql.ok(NODE, {"id": contact["id"]}, token=token))["node"]["id"] == contact["id"]
    assert await contact_ids(gql, token) == [contact["id"]]
    found = (await gql.ok(SEARCH, token=token))["contacts"]
    assert found["totalCount"] == 1 and found["edges"][0]["node"]["id"] == contact["id"]
    # and works it: a note, a task, the timeline
    note = await gql.ok(
        ADD_NOTE, {"input": {"subjectId": contact["id"], "body": "Visita marcada"}}, token=token
    )
    assert note["addNote"]["userErrors"] == []
    task = await gql.ok(
        CREATE_TASK,
        {"input": {"title": "Enviar proposta", "contactId": contact["id"], "dueAt": "2099-01-01T12:00:00Z"}},
        token=token,
    )
    assert task["createTask"]["userErrors"] == []
    kinds = [
        e["node"]["kind"]
        for e in (await gql.ok(TIMELINE, {"id": contact["id"]}, token=token))["contact"]["timeline"]["edges"]
    ]
    assert "note.added" in kinds and "task.created" in kinds
    # while the bystander still sees nothing of it
    assert (await gql.ok(CONTACT, {"id": contact["id"]}, token=bystander["token"]))["contact"] is None
    assert (await gql.ok(COMPANY, {"id": company["id"]}, token=bystander["token"]))["company"] is None
    assert await contact_ids(gql, bystander["token"]) == []
    refused = await gql.ok(
        ADD_NOTE, {"input": {"subjectId": contact["id"], "body": "x"}}, token=bystander["token"]
    )
    assert [e["code"] for e in refused["addNote"]["userErrors"]] == ["NOT_FOUND"]


async def test_a_deal_taken_back_takes_its_contact_out_of_sight(gql, workspace):
    # given a deal handed to the closer and then handed back to the SDR
    sdr, closer, _, _, contact, deal = await _handed_deal(gql, workspace)
    for owner in (closer, sdr):
        await gql.ok(
            UPDATE_DEAL, {"id": deal["id"], "input": {"ownerId": owner["id"]}}, token=workspace.token
        )
    # then the closer no longer sees the contact
    assert (await gql.ok(CONTACT, {"id": contact["id"]}, token=closer["token"]))["contact"] is None
    assert await contact_ids(gql, closer["token"]) == []


async def test_next_pending_offers_a_deal_handed_through_the_closers_queue(gql, workspace):
    # given a lead captured by the SDRs' queue with a deal, then handed to the closers' queue
    sdr, closer = await workspace.user("AGENT"), await workspace.user("AGENT")
    sdrs = await create_queue(gql, workspace.token, [{"userId": sdr["id"]}], name="SDR")
    closers = await create_queue(gql, workspace.token, [{"userId": closer["id"]}], name="Closers")
    pipeline = await create_pipeline(gql, workspace.token)
    lead = await capture(
        gql,
        workspace.token,
        name="Lúcia Prado",
        email="lucia@example.com",
        queueId=sdrs["id"],
        pipelineId=pipeline["id"],
    )
    handed = await distribute(gql, workspace.token, closers["id"], deal_id=lead["deal"]["id"])
    assert handed["assignment"]["user"]["id"] == closer["id"]
    # then the closer is told to attend the lead, and sees it
    assert (await gql.ok(NEXT, token=closer["token"]))["nextPending"] == {
        "id": lead["contact"]["id"],
        "name": "Lúcia Prado",
    }
    # and once the closer writes a note, the lead is no longer pending for them
    await gql.ok(
        ADD_NOTE, {"input": {"subjectId": lead["deal"]["id"], "body": "Liguei"}}, token=closer["token"]
    )
    assert (await gql.ok(NEXT, token=closer["token"]))["nextPending"] is None
