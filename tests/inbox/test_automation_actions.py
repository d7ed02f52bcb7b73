"""The conversation actions of automations, each through the inbox's own
use case, visible on the conversation: assign (to a user, through a
queue), transfer with a reason, resolve, send a canned response (a bot's
message, inside the reply window only), set the priority, add a tag."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.automations.support import settle
from tests.distribution.support import create_queue, eventually
from tests.inbox.automation_support import (
    canned_response,
    conversation_rule,
    rule_runs,
    thread,
)
from tests.inbox.support import create_inbox, receive

RULES = """
query Rules {
  automationRules {
    id
    actions {
      type tag shortCode priority
      assignConversation { user { id } queue { id } reason }
      transferConversation { user { id } queue { id } reason }
    }
  }
}
"""


def activities(conversation: dict) -> list[str]:
    return [m["body"] for m in conversation["messages"] if m["kind"] == "ACTIVITY"]


async def test_assign_conversation_gives_it_to_a_user_or_through_a_queue(gql, workspace):
    # given two inboxes without a queue, and rules assigning each one's new conversations
    ana = await workspace.user("AGENT", name="Ana Corretora")
    bia = await workspace.user("AGENT", name="Bia Corretora")
    queue = await create_queue(gql, workspace.token, [{"userId": bia["id"]}], name="Plantão")
    to_user = await create_inbox(gql, workspace.token, name="Site")
    to_queue = await create_inbox(gql, workspace.token, name="Portal")
    for inbox, target in ((to_user, {"userId": ana["id"]}), (to_queue, {"queueId": queue["id"]})):
        await conversation_rule(
            gql,
            workspace.token,
            name=f"Atribuir {inbox['name']}",
            trigger={"kind": "CONVERSATION_CREATED"},
            conversationConditions={"inboxId": {"eq": inbox["id"]}},
            actions=[{"assignConversation": target}],
        )

    # when a person writes to each
    first = (await receive(gql, workspace.token, to_user["id"], phone="+5511900000031"))["conversation"]
    second = (await receive(gql, workspace.token, to_queue["id"], phone="+5511900000032"))["conversation"]
    assert first["assignee"] is None and second["assignee"] is None
    await settle()

    # then the first is Ana's, the second went through the queue to Bia, and the thread says who did it
    mine = await thread(gql, workspace.token, first["id"])
    assert mine["assignee"] == {"id": ana["id"]}
    assert activities(mine) == ["Atribuída a Ana Corretora por Automação 'Atribuir Site'."]
    routed = await thread(gql, workspace.token, second["id"])
    assert routed["assignee"] == {"id": bia["id"]}
    assert activities(routed)[0].startswith("Atribuída pela fila Plantão por Automação 'Atribuir Portal'.")
    # and Bia sees hers
    assert (await thread(gql, bia["token"], second["id"]))["assignee"] == {"id": bia["id"]}
    # and the rules read back what they say
    rules = (await gql.ok(RULES, token=workspace.token))["automationRules"]
    assert [r["actions"][0]["assignConversation"] for r in rules] == [
        {"user": {"id": ana["id"]}, "queue": None, "reason": None},
        {"user": None, "queue": {"id": queue["id"]}, "reason": None},
    ]


async def test_transfer_conversation_moves_it_with_the_reason_in_the_thread(gql, workspace):
    # given an inbox routed to Ana and a rule transferring new conversations to Bia
    ana = await workspace.user("AGENT", name="Ana Corretora")
    bia = await workspace.user("AGENT", name="Bia Gerente")
    queue = await create_queue(gql, workspace.token, [{"userId": ana["id"]}])
    inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    await conversation_rule(
        gql,
        workspace.token,
        name="VIP",
        trigger={"kind": "CONVERSATION_CREATED"},
        actions=[{"transferConversation": {"userId": bia["id"], "reason": "Cliente VIP"}}],
    )

    # when a person writes
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    assert conv["assignee"] == {"id": ana["id"]}
    await settle()

    # then it is Bia's, with the reason in the thread, and Ana no longer sees it
    seen = await thread(gql, workspace.token, conv["id"])
    assert seen["assignee"] == {"id": bia["id"]}
    assert activities(seen)[-1] == "Transferida para Bia Gerente por Automação 'VIP'. Motivo: Cliente VIP"
    assert (
        await gql.ok(
            "query($id: ID!) { conversation(id: $id) { id } }", {"id": conv["id"]}, token=ana["token"]
        )
    )["conversation"] is None


async def test_resolve_set_priority_and_add_tag_change_the_conversation(gql, workspace):
    # given a rule that tags, prioritises and resolves conversations whose contact writes "cancelar"
    rule = await conversation_rule(
        gql,
        workspace.token,
        name="Cancelamento",
        trigger={"kind": "MESSAGE_RECEIVED"},
        conversationConditions={"status": ["OPEN"]},
        actions=[
            {"addConversationTag": {"tag": "cancelamento"}},
            {"setConversationPriority": {"priority": "LOW"}},
            {"resolveConversation": True},
            {"resolveConversation": True},
        ],
    )
    inbox = await create_inbox(gql, workspace.token)

    # when a person writes
    conv = (await receive(gql, workspace.token, inbox["id"], body="quero cancelar"))["conversation"]
    await settle()

    # then the conversation is tagged, LOW and RESOLVED (resolving twice is harmless)
    seen = await thread(gql, workspace.token, conv["id"])
    assert (seen["status"], seen["priority"], seen["tags"]) == ("RESOLVED", "LOW", ["cancelamento"])
    [run] = await rule_runs(gql, workspace.token, rule["id"])
    assert (run["status"], run["stepsDone"]) == ("SUCCEEDED", 4)
    rules = (await gql.ok(RULES, token=workspace.token))["automationRules"]
    assert [(a["type"], a["tag"], a["priority"]) for a in rules[0]["actions"]] == [
        ("ADD_CONVERSATION_TAG", "cancelamento", None),
        ("SET_CONVERSATION_PRIORITY", None, "LOW"),
        ("RESOLVE_CONVERSATION", None, None),
        ("RESOLVE_CONVERSATION", None, None),
    ]


async def test_a_canned_response_goes_out_as_a_bot_message_that_leaves_the_contact_waiting(gql, workspace):
    # given a canned response and a rule that sends it on new conversations (named as a person types it)
    await canned_response(gql, workspace.token, "boas-vindas", "Olá! Já vamos te atender.")
    rule = await conversation_rule(
        gql,
        workspace.token,
        name="Boas-vindas",
        trigger={"kind": "CONVERSATION_CREATED"},
        actions=[{"sendCannedResponse": {"shortCode": "/Boas-Vindas"}}],
    )
    assert rule["actions"][0]["shortCode"] == "boas-vindas"
    inbox = await create_inbox(gql, workspace.token, channel="API")

    # when a person writes
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    await settle()

    # then the reply is an outbound TEXT without an author, sent by the channel
    async def sent() -> dict | None:
        seen = await thread(gql, workspace.token, conv["id"])
        return seen if seen["messages"][-1]["status"] == "SENT" else None

    seen = await eventually(sent)
    reply = seen["messages"][-1]
    assert (reply["kind"], reply["direction"], reply["body"], reply["author"]) == (
        "TEXT",
        "OUTBOUND",
        "Olá! Já vamos te atender.",
        None,
    )
    # and it is no human reply: the contact still waits
    assert seen["waitingSince"] == conv["waitingSince"] is not None


async def test_a_canned_response_outside_the_whatsapp_window_fails_visibly_and_sends_nothing(gql, workspace):
    # given a rule sending a canned response on new conversations of a WhatsApp inbox
    await canned_response(gql, workspace.token, "boas-vindas", "Olá! Já vamos te atender.")
    rule = await conversation_rule(
        gql,
        workspace.token,
        name="Boas-vindas",
        trigger={"kind": "CONVERSATION_CREATED"},
        actions=[{"sendCannedResponse": {"shortCode": "boas-vindas"}}],
    )
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP")

    # when history from 25 hours ago arrives (the 24-hour window is closed)
    at = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    conv = (await receive(gql, workspace.token, inbox["id"], at=at))["conversation"]
    assert conv["canReply"] is False
    await settle()

    # then the run failed after its attempts, saying why, and nothing was sent
    [run] = await rule_runs(gql, workspace.token, rule["id"])
    assert (run["status"], run["attempts"], run["stepsDone"]) == ("FAILED", 5, 0)
    assert "janela de resposta" in run["error"] and "/boas-vindas não foi enviada" in run["error"]
    seen = await thread(gql, workspace.token, conv["id"])
    assert [m["direction"] for m in seen["messages"]] == ["INBOUND"]
