import asyncio

from revgraph.models.identity import Workspace as WorkspaceRow
from revgraph.resolvers.ids import pk_of
from tests.distribution.support import capture, contact, create_queue, distribute
from tests.pipeline.support import create_pipeline

TIMELINE = "query($id: ID!) { contact(id: $id) { timeline(first: 20) { edges { node { kind data } } } } }"
CONTACTS = "query { contacts(first: 100) { totalCount } }"
NEXT = "query { nextPending { id name } }"
NOTE = "mutation($input: NoteInput!) { addNote(input: $input) { userErrors { code } } }"
TASK = "mutation($input: TaskInput!) { createTask(input: $input) { task { id } userErrors { code } } }"


async def test_capture_creates_a_lead_with_its_origin(gql, workspace):
    result = await capture(
        gql,
        workspace.token,
        email="Maria@Example.com",
        phone="(11) 98765-4321",
        media="paid",
        campaign="lancamento",
        utm={"utm_source": "google"},
        message="Quero visitar",
    )
    assert result["userErrors"] == [] and result["created"] is True
    lead = result["contact"]
    assert (lead["email"], lead["phone"], lead["source"]) == ("maria@example.com", "+5511987654321", "form")
    kinds = [
        e["node"]
        for e in (await gql.ok(TIMELINE, {"id": lead["id"]}, token=workspace.token))["contact"]["timeline"][
            "edges"
        ]
    ]
    captured = next(e for e in kinds if e["kind"] == "lead.captured")
    assert captured["data"]["campaign"] == "lancamento" and captured["data"]["utm"] == {
        "utm_source": "google"
    }


async def test_capture_needs_a_way_to_reach_the_lead(gql, workspace):
    result = await capture(gql, workspace.token)
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("INVALID", ["input", "email"])]
    assert (await gql.ok(CONTACTS, token=workspace.token))["contacts"]["totalCount"] == 0


async def test_returning_lead_reenters_and_keeps_its_owner_during_the_lock(gql, workspace):
    a1, a2 = await workspace.user("AGENT"), await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": a1["id"]}, {"userId": a2["id"]}])
    first = await capture(gql, workspace.token, email="joao@example.com", queueId=queue["id"])
    assert first["assignment"]["user"]["id"] == a1["id"]
    again = await capture(
        gql,
        workspace.token,
        phone="11 91234-5678",
        email="JOAO@example.com",
        source="whatsapp",
        queueId=queue["id"],
    )
    assert again["created"] is False and again["contact"]["id"] == first["contact"]["id"]
    assert again["assignment"] is None and again["contact"]["owner"]["id"] == a1["id"]
    assert again["contact"]["phone"] == "+5511912345678"  # filled in, it was missing
    kinds = [
        e["node"]["kind"]
        for e in (await gql.ok(TIMELINE, {"id": first["contact"]["id"]}, token=workspace.token))["contact"][
            "timeline"
        ]["edges"]
    ]
    assert kinds.count("lead.captured") == 2 and kinds.count("lead.reentered") == 1


async def test_after_the_lead_lock_a_returning_lead_is_redistributed(gql, workspace):
    a1, a2 = await workspace.user("AGENT"), await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": a1["id"]}, {"userId": a2["id"]}])
    first = await capture(gql, workspace.token, email="ana@example.com", queueId=queue["id"])
    await WorkspaceRow.all().update(lead_lock_days=0)
    again = await capture(gql, workspace.token, email="ana@example.com", queueId=queue["id"])
    assert again["created"] is False
    assert again["assignment"]["user"]["id"] == a2["id"] != first["assignment"]["user"]["id"]


async def test_concurrent_captures_of_one_person_make_one_contact(gql, workspace):
    results = await asyncio.gather(
        *(capture(gql, workspace.token, email="race@example.com") for _ in range(8))
    )
    assert all(r["userErrors"] == [] for r in results)
    assert len({r["contact"]["id"] for r in results}) == 1
    assert sum(r["created"] for r in results) == 1
    assert (await gql.ok(CONTACTS, token=workspace.token))["contacts"]["totalCount"] == 1


async def test_capture_can_open_a_deal_owned_like_its_lead(gql, workspace):
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    pipeline = await create_pipeline(gql, workspace.token)
    result = await capture(
        gql, workspace.token, email="deal@example.com", queueId=queue["id"], pipelineId=pipeline["id"]
    )
    assert result["deal"]["stage"]["name"] == "Novo lead"
    assert result["deal"]["owner"]["id"] == agent["id"] == result["assignment"]["user"]["id"]


async def test_deal_handoff_through_another_queue_keeps_both_owners_on_the_timeline(gql, workspace):
    sdr, closer = await workspace.user("AGENT"), await workspace.user("AGENT")
    sdrs = await create_queue(gql, workspace.token, [{"userId": sdr["id"]}], name="SDR")
    closers = await create_queue(gql, workspace.token, [{"userId": closer["id"]}], name="Closers")
    pipeline = await create_pipeline(gql, workspace.token)
    lead = await capture(
        gql, workspace.token, email="handoff@example.com", queueId=sdrs["id"], pipelineId=pipeline["id"]
    )
    handed = await distribute(gql, sdr["token"], closers["id"], deal_id=lead["deal"]["id"])
    assert handed["userErrors"] == [] and handed["assignment"]["deal"] is None  # no longer the SDR's to see
    deal_owner = await gql.ok(
        "query($id: ID!) { deal(id: $id) { owner { id } } }",
        {"id": lead["deal"]["id"]},
        token=workspace.token,
    )
    assert deal_owner["deal"]["owner"]["id"] == closer["id"]
    events = [
        e["node"]
        for e in (await gql.ok(TIMELINE, {"id": lead["contact"]["id"]}, token=workspace.token))["contact"][
            "timeline"
        ]["edges"]
    ]
    made = [e["data"] for e in events if e["kind"] == "assignment.made"]
    # newest first: the hand-off names both owners, the capture named the SDR
    assert (made[0]["previousOwnerId"], made[0]["userId"]) == (
        pk_of(sdr["id"], "User"),
        pk_of(closer["id"], "User"),
    )
    assert made[-1]["userId"] == pk_of(sdr["id"], "User")


async def test_next_pending_orders_overdue_returns_then_unworked_leads(gql, workspace):
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    older = await contact(gql, workspace.token, "Mais antigo")
    newer = await contact(gql, workspace.token, "Mais novo")
    returning = await contact(gql, workspace.token, "Retorno")
    for lead in (older, newer, returning):
        await distribute(gql, workspace.token, queue["id"], contact_id=lead)
    # a return scheduled for the future makes that lead wait
    await gql.ok(
        TASK,
        {"input": {"title": "Ligar", "contactId": returning, "dueAt": "2099-01-01T12:00:00Z"}},
        token=agent["token"],
    )
    assert (await gql.ok(NEXT, token=agent["token"]))["nextPending"]["name"] == "Mais antigo"
    # working the oldest lead moves on to the next one
    await gql.ok(NOTE, {"input": {"subjectId": older, "body": "Liguei, sem resposta"}}, token=agent["token"])
    assert (await gql.ok(NEXT, token=agent["token"]))["nextPending"]["name"] == "Mais novo"
    # an overdue return comes before everything else
    await gql.ok(
        TASK,
        {"input": {"title": "Retornar", "contactId": returning, "dueAt": "2020-01-01T12:00:00Z"}},
        token=agent["token"],
    )
    assert (await gql.ok(NEXT, token=agent["token"]))["nextPending"]["name"] == "Retorno"


DEAL_TIMELINE = "query($id: ID!) { deal(id: $id) { timeline(first: 20) { edges { node { kind data } } } } }"
CONTACT_DEALS = (
    "query($id: ID!) { contact(id: $id) { deals(first: 10) { totalCount edges { node { id status } } } } }"
)
LOSE = """
mutation($input: MoveDealInput!) { moveDeal(input: $input) { deal { status } userErrors { code field } } }
"""


async def test_a_returning_lead_reenters_its_open_deal_instead_of_opening_a_second(gql, workspace):
    # given a lead captured into the pre-sales pipeline, which opened a deal
    pipeline = await create_pipeline(gql, workspace.token)
    first = await capture(gql, workspace.token, email="volta@example.com", pipelineId=pipeline["id"])
    deal_id = first["deal"]["id"]
    # when the same person comes back through another channel, into the same pipeline
    again = await capture(
        gql, workspace.token, email="VOLTA@example.com", source="whatsapp", pipelineId=pipeline["id"]
    )
    # then the capture answers with the same deal, and the contact still has one
    assert again["userErrors"] == [] and again["created"] is False
    assert again["deal"]["id"] == deal_id
    deals = (await gql.ok(CONTACT_DEALS, {"id": first["contact"]["id"]}, token=workspace.token))["contact"]
    assert deals["deals"]["totalCount"] == 1
    # and the re-entry is on that deal's timeline, with where it came from
    timeline = (await gql.ok(DEAL_TIMELINE, {"id": deal_id}, token=workspace.token))["deal"]["timeline"]
    reentries = [e["node"] for e in timeline["edges"] if e["node"]["kind"] == "lead.reentered"]
    assert len(reentries) == 1
    assert reentries[0]["data"]["source"] == "whatsapp" and reentries[0]["data"]["dealReentered"] is True


async def test_a_returning_lead_whose_deal_closed_opens_a_new_one(gql, workspace):
    # given a lead whose deal was lost
    pipeline = await create_pipeline(gql, workspace.token)
    first = await capture(gql, workspace.token, email="perdido@example.com", pipelineId=pipeline["id"])
    lost = await gql.ok(
        LOSE,
        {
            "input": {
                "dealId": first["deal"]["id"],
                "stageId": pipeline["stage"]["Perdido"],
                "lostReason": "Sem crédito",
            }
        },
        token=workspace.token,
    )
    assert lost["moveDeal"]["deal"]["status"] == "LOST"
    # when the person comes back into that pipeline
    again = await capture(gql, workspace.token, email="perdido@example.com", pipelineId=pipeline["id"])
    # then a new deal opens in the first stage, beside the lost one
    assert again["deal"]["id"] != first["deal"]["id"] and again["deal"]["stage"]["name"] == "Novo lead"
    deals = (await gql.ok(CONTACT_DEALS, {"id": first["contact"]["id"]}, token=workspace.token))["contact"]
    assert sorted(e["node"]["status"] for e in deals["deals"]["edges"]) == ["LOST", "OPEN"]


async def test_concurrent_returns_of_one_known_lead_open_no_second_deal(gql, workspace):
    # given a known lead with an open deal
    pipeline = await create_pipeline(gql, workspace.token)
    first = await capture(gql, workspace.token, email="pressa@example.com", pipelineId=pipeline["id"])
    # when it comes back eight times at once
    results = await asyncio.gather(
        *(
            capture(gql, workspace.token, email="pressa@example.com", pipelineId=pipeline["id"])
            for _ in range(8)
        )
    )
    # then every capture re-entered the one open deal
    assert all(r["userErrors"] == [] for r in results)
    assert {r["deal"]["id"] for r in results} == {first["deal"]["id"]}
    deals = (await gql.ok(CONTACT_DEALS, {"id": first["contact"]["id"]}, token=workspace.token))["contact"]
    assert deals["deals"]["totalCount"] == 1


async def test_an_agent_capturing_someone_elses_returning_lead_is_not_shown_that_lead(gql, workspace):
    # given a contact another agent owns, with a deal
    other, me = await workspace.user("AGENT"), await workspace.user("AGENT")
    pipeline = await create_pipeline(gql, workspace.token)
    theirs = await capture(gql, other["token"], email="alheio@example.com", pipelineId=pipeline["id"])
    assert theirs["contact"]["owner"]["id"] == other["id"]
    # when I capture a lead with that person's e-mail into the same pipeline
    mine = await capture(gql, me["token"], email="alheio@example.com", pipelineId=pipeline["id"])
    # then the duplicate is blocked (it re-entered their lead), and I am not
    # shown their contact or deal: what I may not see does not exist for me
    assert mine["userErrors"] == [] and mine["created"] is False
    assert mine["contact"] is None and mine["deal"] is None
    # while its owner still has one contact with one deal
    deals = (await gql.ok(CONTACT_DEALS, {"id": theirs["contact"]["id"]}, token=other["token"]))["contact"]
    assert deals["deals"]["totalCount"] == 1
