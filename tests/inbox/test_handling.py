"""Who works a conversation and where it stands: assignment by the
hierarchy's rules, transfers with the reason in the thread, re-routing when
the assignee goes away, resolve/reopen/snooze, and the conversation's own
fields — each visible exactly as the contract part states."""

from datetime import UTC, datetime, timedelta

from tests.distribution.support import create_queue, eventually
from tests.inbox.support import CONVERSATIONS, conversation, create_inbox, receive

ASSIGN = """
mutation($id: ID!, $userId: ID) {
  assignConversation(id: $id, userId: $userId) { conversation { id assignee { id } } userErrors { code message field } }
}
"""
TRANSFER = """
mutation($input: TransferConversationInput!) {
  transferConversation(input: $input) { conversation { id assignee { id } } userErrors { code message field } }
}
"""
UPDATE = """
mutation($id: ID!, $input: ConversationUpdateInput!) {
  updateConversation(id: $id, input: $input) { conversation { id priority tags deal { id } } userErrors { code message field } }
}
"""
STATUS = """
mutation($id: ID!) {
  resolve: resolveConversation(id: $id) { conversation { status } userErrors { code field } }
}
"""
REOPEN = "mutation($id: ID!) { reopenConversation(id: $id) { conversation { status assignee { id } } userErrors { code field } } }"
SNOOZE = "mutation($id: ID!, $until: DateTime!) { snoozeConversation(id: $id, until: $until) { conversation { status } userErrors { code field } } }"
HAND_OFF = (
    "mutation($id: ID!) { handOffToHuman(id: $id) { conversation { status } userErrors { code field } } }"
)
ONLINE = "mutation($online: Boolean!) { setAvailability(online: $online) { user { online } } }"


def activities(conv: dict) -> list[str]:
    return [e["node"]["body"] for e in conv["messages"]["edges"] if e["node"]["kind"] == "ACTIVITY"]


async def test_agents_see_their_own_and_their_queues_unassigned_conversations(gql, workspace):
    # given two agents in a queue (ONLINE, both offline: nothing gets assigned) and an agent outside it
    ana = await workspace.user("AGENT")
    bia = await workspace.user("AGENT")
    outsider = await workspace.user("AGENT")
    queue = await create_queue(
        gql, workspace.token, [{"userId": ana["id"]}, {"userId": bia["id"]}], mode="ONLINE"
    )
    inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    waiting = await receive(gql, workspace.token, inbox["id"], phone="+5511911110001")
    # then both members see the unassigned conversation, the outsider does not
    for agent, sees in ((ana, True), (bia, True), (outsider, False)):
        assert (await conversation(gql, agent["token"], waiting["conversation"]["id"]) is not None) is sees
    # when the admin assigns it to Ana
    assigned = await gql.ok(
        ASSIGN, {"id": waiting["conversation"]["id"], "userId": ana["id"]}, token=workspace.token
    )
    assert assigned["assignConversation"]["userErrors"] == []
    # then Bia no longer sees it, Ana does, and lists agree
    assert await conversation(gql, bia["token"], waiting["conversation"]["id"]) is None
    assert (await gql.ok(CONVERSATIONS, token=bia["token"]))["conversations"]["totalCount"] == 0
    assert (await gql.ok(CONVERSATIONS, token=ana["token"]))["conversations"]["totalCount"] == 1
    # and the thread says who assigned it
    seen = await conversation(gql, ana["token"], waiting["conversation"]["id"])
    assert activities(seen) == [f"Atribuída a {ana['name']} por Ana Admin."]


async def test_managers_see_their_subtree_and_agents_assign_only_to_themselves(gql, workspace):
    # given a manager of a team with one agent, and an agent of another team
    manager = await workspace.user("MANAGER")
    team = await workspace.team("Vendas", manager_id=manager["id"])
    mine = await workspace.user("AGENT", team_id=team["id"])
    other = await workspace.user("AGENT")
    inbox = await create_inbox(gql, workspace.token)
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    # when an agent tries to give it to a colleague, or take one they cannot see
    to_colleague = await gql.ok(ASSIGN, {"id": conv["id"], "userId": other["id"]}, token=mine["token"])
    # then it is NOT_FOUND (they cannot see the conversation: no queue, unassigned)
    assert [e["code"] for e in to_colleague["assignConversation"]["userErrors"]] == ["NOT_FOUND"]
    # when the admin gives it to the team's agent
    await gql.ok(ASSIGN, {"id": conv["id"], "userId": mine["id"]}, token=workspace.token)
    # then the manager sees it and the other agent does not
    assert await conversation(gql, manager["token"], conv["id"]) is not None
    assert await conversation(gql, other["token"], conv["id"]) is None
    # and the manager may not give it outside their scope
    outside = await gql.ok(ASSIGN, {"id": conv["id"], "userId": other["id"]}, token=manager["token"])
    assert [(e["code"], e["field"]) for e in outside["assignConversation"]["userErrors"]] == [
        ("NOT_FOUND", ["userId"])
    ]
    assert (await conversation(gql, manager["token"], conv["id"]))["assignee"] == {"id": mine["id"]}


async def test_a_transfer_keeps_the_history_and_writes_the_reason(gql, workspace):
    # given a conversation with a message, assigned to Ana
    ana = await workspace.user("AGENT")
    bia = await workspace.user("AGENT")
    inbox = await create_inbox(gql, workspace.token)
    conv = (await receive(gql, workspace.token, inbox["id"], body="Quero visitar"))["conversation"]
    await gql.ok(ASSIGN, {"id": conv["id"], "userId": ana["id"]}, token=workspace.token)
    # when Ana transfers it to Bia with a reason
    moved = await gql.ok(
        TRANSFER,
        {"input": {"conversationId": conv["id"], "userId": bia["id"], "reason": "Bia cuida da Zona Sul"}},
        token=ana["token"],
    )
    # then Bia has it, with the whole thread and the reason
    assert moved["transferConversation"]["conversation"]["assignee"] == {"id": bia["id"]}
    seen = await conversation(gql, bia["token"], conv["id"])
    bodies = [e["node"]["body"] for e in seen["messages"]["edges"]]
    assert bodies[0] == "Quero visitar"
    assert bodies[-1] == f"Transferida para {bia['name']} por {ana['name']}. Motivo: Bia cuida da Zona Sul"
    # and Ana no longer sees it
    assert await conversation(gql, ana["token"], conv["id"]) is None
    # and a transfer naming both a user and a queue, or neither, is INVALID and changes nothing
    both = await gql.ok(TRANSFER, {"input": {"conversationId": conv["id"]}}, token=workspace.token)
    assert [(e["code"], e["field"]) for e in both["transferConversation"]["userErrors"]] == [
        ("INVALID", ["input", "userId"])
    ]
    assert (await conversation(gql, workspace.token, conv["id"]))["assignee"] == {"id": bia["id"]}


async def test_a_transfer_through_a_queue_uses_its_strategy(gql, workspace):
    # given a conversation held by Ana and a queue of Bia
    ana = await workspace.user("AGENT")
    bia = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": bia["id"]}], name="Plantão")
    inbox = await create_inbox(gql, workspace.token)
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    await gql.ok(ASSIGN, {"id": conv["id"], "userId": ana["id"]}, token=workspace.token)
    # when Ana sends it back through the queue
    moved = await gql.ok(
        TRANSFER, {"input": {"conversationId": conv["id"], "queueId": queue["id"]}}, token=ana["token"]
    )
    # then the queue gives it to Bia and the thread says why
    assert moved["transferConversation"]["conversation"]["assignee"] == {"id": bia["id"]}
    last = activities(await conversation(gql, bia["token"], conv["id"]))[-1]
    assert last.startswith(f"Transferida para Plantão por {ana['name']}.")


async def test_an_assignee_going_offline_has_their_conversations_rerouted(gql, workspace):
    # given an ONLINE queue of two online agents and a conversation routed to one of them
    ana = await workspace.user("AGENT")
    bia = await workspace.user("AGENT")
    for agent in (ana, bia):
        await gql.ok(ONLINE, {"online": True}, token=agent["token"])
    queue = await create_queue(
        gql, workspace.token, [{"userId": ana["id"]}, {"userId": bia["id"]}], mode="ONLINE"
    )
    inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    first = conv["assignee"]["id"]
    holder, other = (ana, bia) if first == ana["id"] else (bia, ana)
    # when its assignee goes offline
    await gql.ok(ONLINE, {"online": False}, token=holder["token"])

    # then it goes to the other agent, with the reason in the thread
    async def moved():
        seen = await conversation(gql, workspace.token, conv["id"])
        return seen["assignee"] == {"id": other["id"]} and seen

    seen = await eventually(moved)
    assert activities(seen)[-1].startswith(f"Redirecionada: {holder['name']} está offline.")


async def test_resolve_reopen_and_snooze(gql, workspace):
    # given a conversation
    inbox = await create_inbox(gql, workspace.token)
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    # when it is snoozed into the past, then it is INVALID
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = await gql.ok(SNOOZE, {"id": conv["id"], "until": past}, token=workspace.token)
    assert [(e["code"], e["field"]) for e in refused["snoozeConversation"]["userErrors"]] == [
        ("INVALID", ["until"])
    ]
    # when resolved, it leaves the OPEN list and a second resolve is INVALID
    assert (await gql.ok(STATUS, {"id": conv["id"]}, token=workspace.token))["resolve"]["conversation"][
        "status"
    ] == "RESOLVED"
    again = await gql.ok(STATUS, {"id": conv["id"]}, token=workspace.token)
    assert [e["code"] for e in again["resolve"]["userErrors"]] == ["INVALID"]
    listed = await gql.ok(CONVERSATIONS, {"filter": {"status": ["OPEN"]}}, token=workspace.token)
    assert listed["conversations"]["totalCount"] == 0
    # when reopened, it is OPEN again
    reopened = await gql.ok(REOPEN, {"id": conv["id"]}, token=workspace.token)
    assert reopened["reopenConversation"]["conversation"]["status"] == "OPEN"
    # and a hand-off of a conversation that is not with a bot is INVALID
    handed = await gql.ok(HAND_OFF, {"id": conv["id"]}, token=workspace.token)
    assert [e["code"] for e in handed["handOffToHuman"]["userErrors"]] == ["INVALID"]


async def test_reopening_when_another_conversation_is_open_is_a_duplicate(gql, workspace):
    # given a resolved conversation and a newer open one of the same contact
    inbox = await create_inbox(gql, workspace.token)
    old = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    await gql.ok(STATUS, {"id": old["id"]}, token=workspace.token)
    new = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    assert new["id"] != old["id"]
    # when the old one is reopened
    refused = await gql.ok(REOPEN, {"id": old["id"]}, token=workspace.token)
    # then it is DUPLICATE and stays resolved
    assert [e["code"] for e in refused["reopenConversation"]["userErrors"]] == ["DUPLICATE"]
    assert (await conversation(gql, workspace.token, old["id"]))["status"] == "RESOLVED"


async def test_priority_tags_and_deal_are_updated_and_filtered(gql, workspace):
    # given two conversations
    inbox = await create_inbox(gql, workspace.token)
    one = (await receive(gql, workspace.token, inbox["id"], phone="+5511911110011", name="Carla"))[
        "conversation"
    ]
    two = (await receive(gql, workspace.token, inbox["id"], phone="+5511911110022", name="Davi"))[
        "conversation"
    ]
    # when one gets a priority and tags
    updated = await gql.ok(
        UPDATE,
        {"id": one["id"], "input": {"priority": "URGENT", "tags": ["vip", "visita"]}},
        token=workspace.token,
    )
    assert updated["updateConversation"]["conversation"]["tags"] == ["vip", "visita"]
    # then filters and ordering find it
    by_tag = await gql.ok(CONVERSATIONS, {"filter": {"tags": ["vip"]}}, token=workspace.token)
    assert [e["node"]["id"] for e in by_tag["conversations"]["edges"]] == [one["id"]]
    by_priority = await gql.ok(
        CONVERSATIONS, {"orderBy": [{"field": "PRIORITY", "direction": "DESC"}]}, token=workspace.token
    )
    assert [e["node"]["id"] for e in by_priority["conversations"]["edges"]] == [one["id"], two["id"]]
    # and search by the contact's name or the number
    by_name = await gql.ok(CONVERSATIONS, {"search": "davi"}, token=workspace.token)
    assert [e["node"]["id"] for e in by_name["conversations"]["edges"]] == [two["id"]]
    by_number = await gql.ok(CONVERSATIONS, {"search": f"#{one['number']}"}, token=workspace.token)
    assert one["id"] in [e["node"]["id"] for e in by_number["conversations"]["edges"]]
    # when something that is not a deal is linked, it is NOT_FOUND and nothing changes
    bad = await gql.ok(UPDATE, {"id": one["id"], "input": {"dealId": one["id"]}}, token=workspace.token)
    assert [(e["code"], e["field"]) for e in bad["updateConversation"]["userErrors"]] == [
        ("NOT_FOUND", ["input", "dealId"])
    ]
    # and bad tags are INVALID on the field
    bad_tags = await gql.ok(UPDATE, {"id": one["id"], "input": {"tags": ["a\x00b"]}}, token=workspace.token)
    assert [e["field"][:2] for e in bad_tags["updateConversation"]["userErrors"]] == [["input", "tags"]]
    assert (await conversation(gql, workspace.token, one["id"]))["tags"] == ["vip", "visita"]


async def test_a_deactivated_assignee_hands_on_every_open_conversation(gql, workspace):
    # given two agents; Ana holds a conversation of a routed inbox and one of an inbox without a queue
    ana = await workspace.user("AGENT")
    bia = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": ana["id"]}, {"userId": bia["id"]}])
    routed_inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    plain_inbox = await create_inbox(gql, workspace.token)
    routed = (await receive(gql, workspace.token, routed_inbox["id"], phone="+5511933330001"))["conversation"]
    plain = (await receive(gql, workspace.token, plain_inbox["id"], phone="+5511933330002"))["conversation"]
    for conv in (routed, plain):
        await gql.ok(ASSIGN, {"id": conv["id"], "userId": ana["id"]}, token=workspace.token)
    # when Ana is deactivated
    deactivated = await gql.ok(
        "mutation($id: ID!) { deactivateUser(id: $id, leadsGoTo: QUEUES) { userErrors { code message } } }",
        {"id": ana["id"]},
        token=workspace.token,
    )
    assert deactivated["deactivateUser"]["userErrors"] == []

    # then the routed one goes to Bia through the queue, the other waits unassigned
    async def handed_on():
        a = await conversation(gql, workspace.token, routed["id"])
        b = await conversation(gql, workspace.token, plain["id"])
        return a["assignee"] == {"id": bia["id"]} and b["assignee"] is None and (a, b)

    a, b = await eventually(handed_on)
    assert activities(a)[-1].startswith(f"Redirecionada: {ana['name']} está desativado(a).")
    assert activities(b)[-1] == f"Redirecionada: {ana['name']} está desativado(a)."
