"""Automations on the inbox's events, through the rules engine: each
conversation trigger fires exactly once per event it means (and not on
the events it does not), conditions read the conversation, and rules that
put conversation actions or conditions on triggers without a conversation
are refused with nothing saved. (The actions: test_automation_actions.py.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from revgraph.models.events import Event
from revgraph.tasks.automations import evaluate
from tests.automations.support import NOTIFICATIONS, settle
from tests.distribution.support import create_queue
from tests.inbox.automation_support import (
    ASSIGN,
    RESOLVE,
    RULE_COUNT,
    SNOOZE,
    canned_response,
    conversation_rule,
    refused_rule,
    rule_runs,
    sla_policy,
    thread,
)
from tests.inbox.support import create_inbox, receive, send

TAG = {"addConversationTag": {"tag": "visto"}}


def conversations_of(runs: list[dict]) -> list[str]:
    return sorted(run["conversation"]["id"] for run in runs)


async def test_conversation_created_fires_once_per_conversation_however_often_delivered(gql, workspace):
    # given a rule on new conversations
    rule = await conversation_rule(
        gql, workspace.token, trigger={"kind": "CONVERSATION_CREATED"}, actions=[TAG]
    )
    inbox = await create_inbox(gql, workspace.token)

    # when two people write, one of them twice
    first = await receive(gql, workspace.token, inbox["id"], phone="+5511900000001")
    await receive(gql, workspace.token, inbox["id"], phone="+5511900000001")
    second = await receive(gql, workspace.token, inbox["id"], phone="+5511900000002")
    await settle()

    # then one run per conversation, each about its conversation and contact, each tagging it
    runs = await rule_runs(gql, workspace.token, rule["id"])
    assert conversations_of(runs) == sorted([first["conversation"]["id"], second["conversation"]["id"]])
    assert {run["status"] for run in runs} == {"SUCCEEDED"}
    assert {run["eventKind"] for run in runs} == {"conversation.created"}
    assert {run["contact"]["id"] for run in runs} == {
        first["conversation"]["contact"]["id"],
        second["conversation"]["contact"]["id"],
    }
    assert (await thread(gql, workspace.token, first["conversation"]["id"]))["tags"] == ["visto"]

    # when the broker delivers the events again
    for event_id in await Event.filter(kind="conversation.created").values_list("id", flat=True):
        evaluate.send(event_id)
    await settle()

    # then nothing more ran
    assert len(await rule_runs(gql, workspace.token, rule["id"])) == 2


async def test_conversation_assigned_fires_when_someone_gets_it_and_not_when_it_is_unassigned(gql, workspace):
    # given a rule on assignments, an inbox routed through a queue and one without a queue
    agent = await workspace.user("AGENT")
    colleague = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    routed_inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    open_inbox = await create_inbox(gql, workspace.token)
    rule = await conversation_rule(
        gql, workspace.token, trigger={"kind": "CONVERSATION_ASSIGNED"}, actions=[TAG]
    )

    # when a conversation opens routed to the agent, and one opens with nobody
    routed = (await receive(gql, workspace.token, routed_inbox["id"], phone="+5511900000011"))["conversation"]
    waiting = (await receive(gql, workspace.token, open_inbox["id"], phone="+5511900000012"))["conversation"]
    assert routed["assignee"] == {"id": agent["id"]} and waiting["assignee"] is None
    await settle()

    # then only the routed opening fired it
    runs = await rule_runs(gql, workspace.token, rule["id"])
    assert [(r["eventKind"], r["conversation"]["id"]) for r in runs] == [
        ("conversation.created", routed["id"])
    ]

    # when the admin gives the waiting one to a colleague, then unassigns it
    for user_id in (colleague["id"], None):
        payload = (await gql.ok(ASSIGN, {"id": waiting["id"], "userId": user_id}, token=workspace.token))[
            "assignConversation"
        ]
        assert payload["userErrors"] == []
    await settle()

    # then the assignment fired it once more, the unassignment did not
    runs = await rule_runs(gql, workspace.token, rule["id"])
    assert [(r["eventKind"], r["conversation"]["id"]) for r in runs] == [
        ("conversation.assigned", waiting["id"]),
        ("conversation.created", routed["id"]),
    ]


async def test_conversation_resolved_fires_on_resolution_and_not_on_other_status_changes(gql, workspace):
    # given a rule on resolutions and an open conversation
    rule = await conversation_rule(
        gql, workspace.token, trigger={"kind": "CONVERSATION_RESOLVED"}, actions=[TAG]
    )
    inbox = await create_inbox(gql, workspace.token)
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]

    # when it is snoozed, then resolved
    until = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    snoozed = await gql.ok(SNOOZE, {"id": conv["id"], "until": until}, token=workspace.token)
    assert snoozed["snoozeConversation"]["userErrors"] == []
    await settle()
    assert await rule_runs(gql, workspace.token, rule["id"]) == []
    resolved = await gql.ok(RESOLVE, {"id": conv["id"]}, token=workspace.token)
    assert resolved["resolveConversation"]["userErrors"] == []
    await settle()

    # then the resolution alone fired it
    [run] = await rule_runs(gql, workspace.token, rule["id"])
    assert (run["eventKind"], run["conversation"]["id"], run["status"]) == (
        "conversation.status_changed",
        conv["id"],
        "SUCCEEDED",
    )
    assert (await thread(gql, workspace.token, conv["id"]))["tags"] == ["visto"]


async def test_message_received_fires_per_inbound_message_only(gql, workspace):
    # given a rule on the contact's messages
    rule = await conversation_rule(gql, workspace.token, trigger={"kind": "MESSAGE_RECEIVED"}, actions=[TAG])
    inbox = await create_inbox(gql, workspace.token)

    # when the contact writes twice, and the admin replies and writes a note
    first = await receive(gql, workspace.token, inbox["id"], body="Oi")
    await receive(gql, workspace.token, inbox["id"], body="Tem vaga?")
    conversation_id = first["conversation"]["id"]
    assert (await send(gql, workspace.token, conversation_id, body="Tem sim!"))["userErrors"] == []
    assert (await send(gql, workspace.token, conversation_id, body="VIP", kind="NOTE"))["userErrors"] == []
    await settle()

    # then it ran once per inbound message, on that conversation
    runs = await rule_runs(gql, workspace.token, rule["id"])
    assert len(runs) == 2
    assert {(r["eventKind"], r["conversation"]["id"], r["status"]) for r in runs} == {
        ("message.created", conversation_id, "SUCCEEDED")
    }


async def test_sla_warning_and_breach_fire_once_each_when_the_timer_records_them(gql, workspace, server):
    from revgraph.resolvers.inbox.sla import check_due

    # given rules raising the priority (and warning the assignee) on an SLA warning and a breach,
    # and an inbox routed to an agent with a 30-minute first response
    warn = await conversation_rule(
        gql,
        workspace.token,
        trigger={"kind": "SLA_WARNING"},
        actions=[
            {"setConversationPriority": {"priority": "HIGH"}},
            {"notify": {"to": "OWNER", "message": "Responda {{contact.name}}, {{owner.name}}"}},
        ],
    )
    breach = await conversation_rule(
        gql,
        workspace.token,
        trigger={"kind": "SLA_BREACHED"},
        actions=[{"setConversationPriority": {"priority": "URGENT"}}, {"addConversationTag": {"tag": "sla"}}],
    )
    agent = await workspace.user("AGENT", name="Caio Corretor")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    policy = await sla_policy(gql, workspace.token, firstResponseMinutes=30, warnBeforeMinutes=10)
    inbox = await create_inbox(gql, workspace.token, slaPolicyId=policy["id"], queue_id=queue["id"])
    conv = (await receive(gql, workspace.token, inbox["id"], name="Maria Cliente"))["conversation"]
    now = datetime.now(UTC)

    # when the timer runs 25 minutes later (within the warning)
    assert await check_due(server.settings, now + timedelta(minutes=25)) == 1
    await settle()

    # then the warning rule ran once: the priority is HIGH and the assignee was notified
    assert len(await rule_runs(gql, workspace.token, warn["id"])) == 1
    assert await rule_runs(gql, workspace.token, breach["id"]) == []
    assert (await thread(gql, workspace.token, conv["id"]))["priority"] == "HIGH"
    notified = (await gql.ok(NOTIFICATIONS, token=agent["token"]))["notifications"]["edges"]
    assert [n["node"]["message"] for n in notified] == ["Responda Maria Cliente, Caio Corretor"]

    # when it runs after the deadline, and again
    assert await check_due(server.settings, now + timedelta(minutes=31)) == 1
    assert await check_due(server.settings, now + timedelta(minutes=32)) == 0
    await settle()

    # then the breach rule ran once: URGENT and tagged; the warning did not run again
    [run] = await rule_runs(gql, workspace.token, breach["id"])
    assert (run["eventKind"], run["conversation"]["id"], run["status"]) == (
        "conversation.sla_breached",
        conv["id"],
        "SUCCEEDED",
    )
    assert len(await rule_runs(gql, workspace.token, warn["id"])) == 1
    seen = await thread(gql, workspace.token, conv["id"])
    assert (seen["priority"], seen["tags"]) == ("URGENT", ["sla"])


async def test_conversation_conditions_choose_which_conversations_a_rule_runs_on(gql, workspace):
    # given a rule for WhatsApp conversations of one contact name
    api_inbox = await create_inbox(gql, workspace.token, channel="API")
    whatsapp = await create_inbox(gql, workspace.token, channel="WHATSAPP")
    rule = await conversation_rule(
        gql,
        workspace.token,
        trigger={"kind": "CONVERSATION_CREATED"},
        conversationConditions={"channel": ["WHATSAPP"], "status": ["OPEN"], "not": {"tags": ["spam"]}},
        contactConditions={"name": {"startsWith": "Maria"}},
        actions=[TAG],
    )
    assert rule["conversationConditions"] == {
        "channel": ["WHATSAPP"],
        "status": ["OPEN"],
        "not": {"tags": ["spam"]},
    }

    # when Maria writes to both inboxes and João to WhatsApp
    await receive(gql, workspace.token, api_inbox["id"], phone="+5511900000021", name="Maria Silva")
    chosen = await receive(gql, workspace.token, whatsapp["id"], phone="+5511900000021", name="Maria Silva")
    await receive(gql, workspace.token, whatsapp["id"], phone="+5511900000022", name="João Souza")
    await settle()

    # then it ran on Maria's WhatsApp conversation only
    runs = await rule_runs(gql, workspace.token, rule["id"])
    assert conversations_of(runs) == [chosen["conversation"]["id"]]


async def test_a_rule_does_not_run_on_what_it_caused_itself(gql, workspace):
    # given a rule that passes every assigned conversation to a second queue
    first = await workspace.user("AGENT")
    second = await workspace.user("AGENT")
    inbox_queue = await create_queue(gql, workspace.token, [{"userId": first["id"]}], name="Entrada")
    onward = await create_queue(gql, workspace.token, [{"userId": second["id"]}], name="Segundo nível")
    inbox = await create_inbox(gql, workspace.token, queue_id=inbox_queue["id"])
    rule = await conversation_rule(
        gql,
        workspace.token,
        trigger={"kind": "CONVERSATION_ASSIGNED"},
        actions=[{"transferConversation": {"queueId": onward["id"], "reason": "Triagem"}}],
    )

    # when a conversation opens routed to the first agent
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]
    await settle()

    # then the rule transferred it once and did not run on its own transfer
    [run] = await rule_runs(gql, workspace.token, rule["id"])
    assert run["status"] == "SUCCEEDED" and run["depth"] == 1
    assert (await thread(gql, workspace.token, conv["id"]))["assignee"] == {"id": second["id"]}


async def test_conversation_actions_and_conditions_are_refused_without_a_conversation(gql, workspace):
    # given a canned response and a queue
    await canned_response(gql, workspace.token, "ola", "Olá!")
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    conversation_actions = [
        ("assignConversation", {"queueId": queue["id"]}),
        ("transferConversation", {"queueId": queue["id"]}),
        ("resolveConversation", True),
        ("sendCannedResponse", {"shortCode": "ola"}),
        ("setConversationPriority", {"priority": "HIGH"}),
        ("addConversationTag", {"tag": "x"}),
    ]
    # when each is put on a contact trigger (after a valid first action)
    for name, settings in conversation_actions:
        refusal = await refused_rule(
            gql,
            workspace.token,
            trigger={"kind": "CONTACT_CREATED"},
            actions=[{"addTag": {"tag": "a"}}, {name: settings}],
        )
        # then it is INVALID on that action
        assert refusal == [("INVALID", ["input", "actions", "1", name])], name
    # and conversation conditions on a deal trigger are INVALID too
    assert await refused_rule(
        gql,
        workspace.token,
        trigger={"kind": "DEAL_CREATED"},
        conversationConditions={"status": ["OPEN"]},
        actions=[{"addTag": {"tag": "a"}}],
    ) == [("INVALID", ["input", "conversationConditions"])]
    # and nothing was saved
    assert (await gql.ok(RULE_COUNT, token=workspace.token))["automationRules"] == []


async def test_bad_conversation_action_settings_are_refused_with_their_field(gql, workspace):
    # given a user, a queue and a conversation trigger
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    trigger = {"kind": "MESSAGE_RECEIVED"}
    cases = [
        (
            {"sendCannedResponse": {"shortCode": "/nao-existe"}},
            "NOT_FOUND",
            ["sendCannedResponse", "shortCode"],
        ),
        (
            {"assignConversation": {"userId": agent["id"], "queueId": queue["id"]}},
            "INVALID",
            ["assignConversation", "userId"],
        ),
        ({"assignConversation": {}}, "INVALID", ["assignConversation", "userId"]),
        ({"transferConversation": {"reason": "x"}}, "INVALID", ["transferConversation", "userId"]),
        (
            {"transferConversation": {"queueId": queue["id"], "reason": "x" * 501}},
            "INVALID",
            ["transferConversation", "reason"],
        ),
        ({"resolveConversation": False}, "INVALID", ["resolveConversation"]),
        ({"addConversationTag": {"tag": " "}}, "INVALID", ["addConversationTag", "tag", "0"]),
    ]
    for action, code, field in cases:
        # when a rule says it
        refusal = await refused_rule(gql, workspace.token, trigger=trigger, actions=[action])
        # then it is refused on that setting
        assert refusal == [(code, ["input", "actions", "0", *field])], action
    # and conditions with a value longer than a search are refused on its path
    assert await refused_rule(
        gql,
        workspace.token,
        trigger=trigger,
        conversationConditions={"or": [{"tags": ["a"]}, {"tags": ["x" * 1000]}]},
        actions=[TAG],
    ) == [("INVALID", ["input", "conversationConditions", "or", "1", "tags", "0"])]
    # and nothing was saved
    assert (await gql.ok(RULE_COUNT, token=workspace.token))["automationRules"] == []
