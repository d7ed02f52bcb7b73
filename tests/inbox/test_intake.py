"""receiveMessage: intake for any inbox, idempotent by the provider's id,
contacts found or created from the sender, one unresolved conversation per
(inbox, contact), routing through the inbox's queue in the same
transaction, and bad input refused with nothing written."""

from datetime import UTC, datetime, timedelta

from tests.distribution.support import create_queue
from tests.inbox.support import RECEIVE, conversation, create_inbox, receive

CONTACTS = "query { contacts(first: 20) { totalCount edges { node { id name phone source } } } }"
TIMELINE = "query($id: ID!) { contact(id: $id) { timeline(first: 20) { edges { node { kind summary } } } } }"
COUNTS = "query { conversations(first: 1) { totalCount } contacts(first: 1) { totalCount } }"
RESOLVE = "mutation($id: ID!) { resolveConversation(id: $id) { conversation { id status } userErrors { code field } } }"
SNOOZE = "mutation($id: ID!, $until: DateTime!) { snoozeConversation(id: $id, until: $until) { conversation { status snoozedUntil } userErrors { code message field } } }"


async def test_a_first_message_creates_the_contact_and_a_routed_conversation(gql, workspace):
    # given an inbox whose queue has one agent
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP", queue_id=queue["id"])
    # when a new person writes
    payload = await receive(gql, workspace.token, inbox["id"], phone="(11) 98765-4321", name="Maria Souza")
    # then the message is stored, the contact created, the conversation open and routed
    assert payload["userErrors"] == []
    message, conv = payload["message"], payload["conversation"]
    assert (message["kind"], message["direction"], message["status"]) == ("TEXT", "INBOUND", "RECEIVED")
    assert conv["status"] == "OPEN" and conv["number"] == 1
    assert conv["assignee"] == {"id": agent["id"]}
    assert conv["contact"]["phone"] == "+5511987654321" and conv["contact"]["name"] == "Maria Souza"
    assert conv["waitingSince"] == message["at"] and conv["canReply"] is True
    # and the agent sees it and its contact
    seen = await conversation(gql, agent["token"], conv["id"])
    assert seen["messages"]["totalCount"] == 1
    # and the contact's timeline shows the conversation and the message
    kinds = [
        e["node"]["kind"]
        for e in (await gql.ok(TIMELINE, {"id": conv["contact"]["id"]}, token=workspace.token))["contact"][
            "timeline"
        ]["edges"]
    ]
    assert {"contact.created", "conversation.created", "message.created"} <= set(kinds)


async def test_the_same_provider_id_is_stored_once_and_answered_with_the_first_message(gql, workspace):
    # given a message delivered once
    inbox = await create_inbox(gql, workspace.token)
    first = await receive(gql, workspace.token, inbox["id"], external_id="wamid.1", body="Oi")
    # when the provider delivers it again (even with another body)
    again = await receive(gql, workspace.token, inbox["id"], external_id="wamid.1", body="Outro texto")
    # then the stored message comes back, and nothing changed
    assert again["userErrors"] == []
    assert again["message"]["id"] == first["message"]["id"] and again["message"]["body"] == "Oi"
    seen = await conversation(gql, workspace.token, first["conversation"]["id"])
    assert seen["messages"]["totalCount"] == 1


async def test_later_messages_join_the_unresolved_conversation_and_a_resolved_one_is_not_reused(
    gql, workspace
):
    # given a conversation with one message
    inbox = await create_inbox(gql, workspace.token)
    first = await receive(gql, workspace.token, inbox["id"], phone="+5511900000001")
    # when the same person writes again (by the same phone)
    second = await receive(gql, workspace.token, inbox["id"], phone="11 90000-0001")
    # then it joins the same conversation
    assert second["conversation"]["id"] == first["conversation"]["id"]
    # when the conversation is resolved and the person writes again
    resolved = await gql.ok(RESOLVE, {"id": first["conversation"]["id"]}, token=workspace.token)
    assert resolved["resolveConversation"]["userErrors"] == []
    third = await receive(gql, workspace.token, inbox["id"], phone="+5511900000001")
    # then a new conversation is opened for the same contact
    assert third["conversation"]["id"] != first["conversation"]["id"]
    assert third["conversation"]["number"] == first["conversation"]["number"] + 1
    assert third["conversation"]["contact"]["id"] == first["conversation"]["contact"]["id"]


async def test_an_existing_contact_is_found_by_email_first(gql, workspace):
    # given a contact with an e-mail and another with a phone
    created = await gql.ok(
        'mutation { a: createContact(input: {name: "Por Email", email: "cliente@example.com"}) { contact { id } } '
        'b: createContact(input: {name: "Por Fone", phone: "+5511911112222"}) { contact { id } } }',
        token=workspace.token,
    )
    inbox = await create_inbox(gql, workspace.token, channel="EMAIL")
    # when someone writes with both
    payload = await receive(
        gql, workspace.token, inbox["id"], phone="+5511911112222", email="Cliente@Example.com", name=None
    )
    # then the e-mail's contact takes the conversation
    assert payload["conversation"]["contact"]["id"] == created["a"]["contact"]["id"]


async def test_a_message_on_a_snoozed_conversation_wakes_it(gql, workspace):
    # given a snoozed conversation
    inbox = await create_inbox(gql, workspace.token)
    first = await receive(gql, workspace.token, inbox["id"])
    until = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    snoozed = await gql.ok(SNOOZE, {"id": first["conversation"]["id"], "until": until}, token=workspace.token)
    assert snoozed["snoozeConversation"]["conversation"]["status"] == "SNOOZED"
    # when the contact writes
    woke = await receive(gql, workspace.token, inbox["id"])
    # then it is the same conversation, OPEN again
    assert woke["conversation"]["id"] == first["conversation"]["id"]
    assert woke["conversation"]["status"] == "OPEN"


async def test_intake_with_nobody_available_leaves_the_conversation_waiting(gql, workspace):
    # given an ONLINE queue whose only agent is offline
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}], mode="ONLINE")
    inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    # when a message arrives
    payload = await receive(gql, workspace.token, inbox["id"])
    # then the conversation waits unassigned, and the agent (a queue member) sees it
    assert payload["conversation"]["assignee"] is None
    assert (await conversation(gql, agent["token"], payload["conversation"]["id"]))["assignee"] is None
    # when the agent comes online, the backlog drains to them
    await gql.ok("mutation { setAvailability(online: true) { user { online } } }", token=agent["token"])
    from tests.distribution.support import eventually

    async def assigned():
        seen = await conversation(gql, agent["token"], payload["conversation"]["id"])
        return seen and seen["assignee"] == {"id": agent["id"]}

    assert await eventually(assigned)


async def test_only_admins_and_api_keys_deliver_messages(gql, workspace):
    # given an inbox and an agent
    inbox = await create_inbox(gql, workspace.token)
    agent = await workspace.user("AGENT")
    # when the agent calls receiveMessage
    body = await gql(
        RECEIVE,
        {
            "input": {
                "inboxId": inbox["id"],
                "from": {"phone": "+5511911110000"},
                "body": "x",
                "externalId": "a",
            }
        },
        token=agent["token"],
    )
    # then it is FORBIDDEN and nothing is stored
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    counts = await gql.ok(COUNTS, token=workspace.token)
    assert counts["conversations"]["totalCount"] == 0 and counts["contacts"]["totalCount"] == 0


async def test_bad_input_is_refused_with_the_field_and_nothing_is_written(gql, workspace, other_workspace):
    # given a WhatsApp inbox and another workspace's inbox
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP")
    theirs = await create_inbox(gql, other_workspace.token)
    base = {"inboxId": inbox["id"], "from": {"phone": "+5511911110000"}, "body": "Oi", "externalId": "x-1"}
    future = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    cases = [
        ({"inboxId": theirs["id"]}, "NOT_FOUND", ["input", "inboxId"]),
        ({"body": "   "}, "INVALID", ["input", "body"]),
        ({"body": "a" * 4097}, "INVALID", ["input", "body"]),
        ({"from": {"name": "Sem contato"}}, "INVALID", ["input", "from", "phone"]),
        ({"from": {"phone": "abc"}}, "INVALID", ["input", "from", "phone"]),
        ({"externalId": ""}, "INVALID", ["input", "externalId"]),
        ({"at": future}, "INVALID", ["input", "at"]),
    ]
    for change, code, field in cases:
        # when the input is bad
        payload = (await gql.ok(RECEIVE, {"input": {**base, **change}}, token=workspace.token))[
            "receiveMessage"
        ]
        # then the userError names the field
        assert payload["message"] is None, change
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], change
    # and nothing was written
    counts = await gql.ok(COUNTS, token=workspace.token)
    assert counts["conversations"]["totalCount"] == 0 and counts["contacts"]["totalCount"] == 0


async def test_a_slightly_future_time_is_clamped_and_a_past_one_backfills(gql, workspace):
    # given an inbox
    inbox = await create_inbox(gql, workspace.token)
    # when a message says it was sent 2 minutes ahead (a drifting provider clock)
    ahead = await receive(
        gql, workspace.token, inbox["id"], at=(datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    )
    # then it is stored at (about) now
    at = datetime.fromisoformat(ahead["message"]["at"])
    assert at <= datetime.now(UTC)
    # when history is backfilled
    old = await receive(
        gql, workspace.token, inbox["id"], phone="+5511911113333", at="2026-01-02T10:00:00+00:00"
    )
    # then its time is kept
    assert datetime.fromisoformat(old["message"]["at"]) == datetime(2026, 1, 2, 10, tzinfo=UTC)
