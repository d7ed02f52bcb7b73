"""Where a deactivated user's open leads go (deactivateUser leadsGoTo):
QUEUES sends each lead they hold through a queue back through that queue
(waiting QUEUED when nobody is eligible) and the rest to their manager;
MANAGER sends everything to the nearest active manager up their team tree,
or to the admin who deactivates them. They leave every queue, and every
move is on the lead's timeline with the reason."""

from revgraph.models.distribution import Assignment
from revgraph.models.events import Event
from revgraph.resolvers.ids import pk_of
from tests.distribution.support import backlog, contact, create_queue, distribute, eventually
from tests.graph.documents import TIMELINE
from tests.pipeline.support import create_deal, create_pipeline

DEACTIVATE_USER = """
mutation Deactivate($id: ID!, $to: LeadsDestination!) {
  deactivateUser(id: $id, leadsGoTo: $to) {
    user { id active } leadsToQueues leadsToManager manager { id } userErrors { code message field }
  }
}
"""
DISQUALIFY = """
mutation Disqualify($id: ID!) { disqualifyLead(contactId: $id, reason: "Sem interesse") { userErrors { code } } }
"""
SET_QUEUE_MEMBER = """
mutation SetMember($queueId: ID!, $userId: ID!) {
  setQueueMember(queueId: $queueId, input: {userId: $userId}) { userErrors { code } }
}
"""
CONTACT_OWNER = "query($id: ID!) { contact(id: $id) { owner { id } } }"
DEAL_TIMELINE = """
query DealTimeline($id: ID!) {
  deal(id: $id) { owner { id } timeline { edges { node { kind summary data } } } }
}
"""
QUEUES = "query { queues { id members { user { id } } } }"


async def deactivate(gql, token, user_id, to):
    payload = (await gql.ok(DEACTIVATE_USER, {"id": user_id, "to": to}, token=token))["deactivateUser"]
    assert payload["userErrors"] == [], payload
    return payload


async def contact_owner(gql, token, contact_id):
    return (await gql.ok(CONTACT_OWNER, {"id": contact_id}, token=token))["contact"]["owner"]["id"]


async def contact_timeline(gql, token, contact_id):
    data = await gql.ok(TIMELINE, {"id": contact_id}, token=token)
    return [edge["node"] for edge in data["contact"]["timeline"]["edges"]]


async def deal_view(gql, token, deal_id):
    deal = (await gql.ok(DEAL_TIMELINE, {"id": deal_id}, token=token))["deal"]
    return deal["owner"]["id"], [edge["node"] for edge in deal["timeline"]["edges"]]


def returned(events):
    return [e["summary"] for e in events if e["kind"] == "lead.returned"]


async def test_queues_sends_queued_leads_back_through_their_queue_and_the_rest_to_the_manager(gql, workspace):
    # given agents A and B in a team run by M, and a round-robin queue of A then B
    manager = await workspace.user("MANAGER", name="Marta")
    team = await workspace.team("Vendas", manager_id=manager["id"])
    a = await workspace.user("AGENT", team_id=team["id"], name="Ana")
    b = await workspace.user("AGENT", team_id=team["id"], name="Beto")
    queue = await create_queue(gql, workspace.token, [{"userId": a["id"]}, {"userId": b["id"]}])
    pipeline = await create_pipeline(gql, workspace.token)
    # and A holding a contact and a deal through the queue, a contact and a
    # deal of their own, and a disqualified contact
    queued_contact = await contact(gql, workspace.token, "Pelo site")
    assert (await distribute(gql, workspace.token, queue["id"], contact_id=queued_contact))["assignment"][
        "user"
    ]["id"] == a["id"]
    for_b = await create_deal(gql, workspace.token, pipeline["id"], title="Do Beto")
    await distribute(gql, workspace.token, queue["id"], deal_id=for_b["id"])
    queued_deal = await create_deal(gql, workspace.token, pipeline["id"], title="Pela roleta")
    assert (await distribute(gql, workspace.token, queue["id"], deal_id=queued_deal["id"]))["assignment"][
        "user"
    ]["id"] == a["id"]
    own_contact = await contact(gql, a["token"], "Indicação")
    own_deal = await create_deal(gql, a["token"], pipeline["id"], title="Da Ana")
    lost = await contact(gql, a["token"], "Desistiu")
    await gql.ok(DISQUALIFY, {"id": lost}, token=a["token"])
    # when the admin deactivates A, their leads going to the queues
    payload = await deactivate(gql, workspace.token, a["id"], "QUEUES")
    # then the two queued leads went through the queue to B, the two others to M
    assert (payload["leadsToQueues"], payload["leadsToManager"]) == (2, 2)
    assert payload["manager"] == {"id": manager["id"]}
    token = workspace.token
    assert await contact_owner(gql, token, queued_contact) == b["id"]
    assert await contact_owner(gql, token, own_contact) == manager["id"]
    assert (await deal_view(gql, token, queued_deal["id"]))[0] == b["id"]
    assert (await deal_view(gql, token, own_deal["id"]))[0] == manager["id"]
    # and the disqualified contact is left as it was
    assert await contact_owner(gql, token, lost) == a["id"]
    # and each move is on the lead's timeline with the reason
    queued_events = await contact_timeline(gql, token, queued_contact)
    assert returned(queued_events) == ["Lead de volta à fila Roleta SP: Ana foi desativado(a)"]
    assert queued_events[0]["kind"] == "assignment.made"  # newest first: the new assignment
    assert returned(await contact_timeline(gql, token, own_contact)) == [
        "Lead passado para Marta: Ana foi desativado(a)"
    ]
    assert returned((await deal_view(gql, token, queued_deal["id"]))[1]) == [
        "Lead de volta à fila Roleta SP: Ana foi desativado(a)"
    ]
    own_deal_events = (await deal_view(gql, token, own_deal["id"]))[1]
    assert returned(own_deal_events) == ["Lead passado para Marta: Ana foi desativado(a)"]
    [move] = [e for e in own_deal_events if e["kind"] == "lead.returned"]
    assert move["data"]["throughQueue"] is False and move["data"]["reason"] == "user deactivated"
    # the board hears of the new owner, and the hand-over is an assignment of the manager's
    assert [e["kind"] for e in own_deal_events[:2]] == ["assignment.made", "deal.updated"]
    assert own_deal_events[0]["data"]["strategy"] == "MANUAL"
    # and A holds nothing and has left the queue
    assert (
        await Assignment.filter(user_id=pk_of(a["id"], "User"), status="ASSIGNED", released_at=None).count()
        == 0
    )
    queues = (await gql.ok(QUEUES, token=token))["queues"]
    assert [m["user"]["id"] for m in queues[0]["members"]] == [b["id"]]
    assert await Event.filter(kind="queue.member_removed").count() == 1


async def test_queues_with_nobody_eligible_leaves_the_lead_waiting_until_someone_joins(gql, workspace):
    # given an agent alone in a queue, holding a lead through it
    agent = await workspace.user("AGENT", name="Sozinha")
    later = await workspace.user("AGENT", name="Chegou")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    lead = await contact(gql, workspace.token)
    await distribute(gql, workspace.token, queue["id"], contact_id=lead)
    # when the agent is deactivated, their leads going to the queues
    payload = await deactivate(gql, workspace.token, agent["id"], "QUEUES")
    # then the lead waits in the queue
    assert (payload["leadsToQueues"], payload["leadsToManager"]) == (1, 0)
    assert await backlog(gql, workspace.token, queue["id"]) == 1
    kinds = [e["kind"] for e in await contact_timeline(gql, workspace.token, lead)]
    assert kinds[:2] == ["assignment.queued", "lead.returned"]
    # when someone joins the queue
    await gql.ok(SET_QUEUE_MEMBER, {"queueId": queue["id"], "userId": later["id"]}, token=workspace.token)

    # then the waiting lead goes to them
    async def taken():
        return await contact_owner(gql, workspace.token, lead) == later["id"]

    await eventually(taken)
    assert await backlog(gql, workspace.token, queue["id"]) == 0


async def test_manager_sends_every_lead_to_the_nearest_active_manager_up_the_tree(gql, workspace):
    # given team T1 run by M1, and below it team T2 run by M2, who is deactivated
    m1 = await workspace.user("MANAGER", name="Mário")
    m2 = await workspace.user("MANAGER", name="Nina")
    t1 = await workspace.team("Regional", manager_id=m1["id"])
    t2 = await workspace.team("Loja Centro", manager_id=m2["id"], parent_id=t1["id"])
    await deactivate(gql, workspace.token, m2["id"], "MANAGER")
    # and an agent of T2 holding a lead through a queue and one of their own
    agent = await workspace.user("AGENT", team_id=t2["id"], name="Otávio")
    colleague = await workspace.user("AGENT", team_id=t2["id"])
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}, {"userId": colleague["id"]}])
    queued = await contact(gql, workspace.token)
    await distribute(gql, workspace.token, queue["id"], contact_id=queued)
    own = await contact(gql, agent["token"])
    # when the agent is deactivated, their leads going to their manager
    payload = await deactivate(gql, workspace.token, agent["id"], "MANAGER")
    # then both leads go to M1, queued one included
    assert (payload["leadsToQueues"], payload["leadsToManager"]) == (0, 2)
    assert payload["manager"] == {"id": m1["id"]}
    for lead in (queued, own):
        assert await contact_owner(gql, workspace.token, lead) == m1["id"]
        assert returned(await contact_timeline(gql, workspace.token, lead)) == [
            "Lead passado para Mário: Otávio foi desativado(a)"
        ]
    # and the agent's assignment through the queue no longer holds their capacity
    assert await Assignment.filter(user_id=pk_of(agent["id"], "User"), released_at=None).count() == 0


async def test_manager_without_any_manager_sends_the_leads_to_the_admin_who_deactivates(gql, workspace):
    # given an agent without a team, with a lead of their own
    agent = await workspace.user("AGENT")
    own = await contact(gql, agent["token"])
    # when the admin deactivates them, their leads going to their manager
    payload = await deactivate(gql, workspace.token, agent["id"], "MANAGER")
    # then the lead goes to the admin
    assert payload["manager"] == {"id": workspace.admin["id"]}
    assert await contact_owner(gql, workspace.token, own) == workspace.admin["id"]


async def test_a_deactivated_user_is_skipped_by_distribution(gql, workspace):
    # given a queue of three agents, the first of whom is deactivated
    agents = [await workspace.user("AGENT") for _ in range(3)]
    queue = await create_queue(gql, workspace.token, [{"userId": a["id"]} for a in agents])
    await deactivate(gql, workspace.token, agents[0]["id"], "QUEUES")
    # when four leads are distributed
    owners = []
    for _ in range(4):
        result = await distribute(
            gql, workspace.token, queue["id"], contact_id=await contact(gql, workspace.token)
        )
        owners.append(result["assignment"]["user"]["id"])
    # then only the two active agents receive them, in turn
    assert owners == [agents[1]["id"], agents[2]["id"]] * 2
