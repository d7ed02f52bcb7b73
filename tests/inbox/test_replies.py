"""sendMessage and sendTemplate: the reply window, private notes, the
client's idempotency key, templates, and the channel sender's outcome."""

from datetime import UTC, datetime, timedelta

from tests.distribution.support import eventually
from tests.inbox.support import SEND, conversation, create_inbox, receive, send

UPSERT_TEMPLATE = """
mutation($inboxId: ID!, $input: MessageTemplateInput!) {
  upsertMessageTemplate(inboxId: $inboxId, input: $input) { inbox { id } userErrors { code field } }
}
"""
SEND_TEMPLATE = """
mutation($input: SendTemplateInput!) {
  sendTemplate(input: $input) {
    message { id kind body templateName status direction }
    conversation { canReply }
    userErrors { code message field }
  }
}
"""


async def test_a_reply_answers_the_wait_and_the_api_channel_marks_it_sent(gql, workspace):
    # given a waiting conversation of an API inbox
    inbox = await create_inbox(gql, workspace.token, channel="API")
    received = await receive(gql, workspace.token, inbox["id"])
    assert received["conversation"]["waitingSince"] is not None
    # when the admin replies
    sent = await send(
        gql, workspace.token, received["conversation"]["id"], body="Bom dia! Como posso ajudar?"
    )
    # then the reply is an outbound TEXT by the admin and the wait is over
    assert sent["userErrors"] == []
    message = sent["message"]
    assert (message["kind"], message["direction"], message["author"]) == (
        "TEXT",
        "OUTBOUND",
        {"id": workspace.admin["id"]},
    )
    assert sent["conversation"]["waitingSince"] is None

    # and the API channel's (no-op) sender marks it SENT after commit
    async def is_sent():
        seen = await conversation(gql, workspace.token, received["conversation"]["id"])
        return [m["node"]["status"] for m in seen["messages"]["edges"]] == ["RECEIVED", "SENT"]

    assert await eventually(is_sent)


async def test_whatsapp_free_text_outside_the_window_is_refused_and_stored_nowhere(gql, workspace):
    # given a WhatsApp conversation whose contact wrote 25 hours ago
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP")
    at = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    received = await receive(gql, workspace.token, inbox["id"], at=at)
    conv = received["conversation"]
    assert inbox["replyWindowHours"] == 24
    assert conv["canReply"] is False
    closes = datetime.fromisoformat(conv["replyWindowClosesAt"])
    assert closes == datetime.fromisoformat(received["message"]["at"]) + timedelta(hours=24)
    # when an agent sends free text
    refused = await send(gql, workspace.token, conv["id"], body="Oi, tudo bem?")
    # then it is WINDOW_CLOSED and nothing was stored
    assert refused["message"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("WINDOW_CLOSED", ["input", "body"])]
    assert (await conversation(gql, workspace.token, conv["id"]))["messages"]["totalCount"] == 1
    # but a private note is always allowed
    note = await send(gql, workspace.token, conv["id"], body="Cliente sumiu, tentar template", kind="NOTE")
    assert note["userErrors"] == [] and note["message"]["kind"] == "NOTE"
    assert note["message"]["direction"] is None and note["message"]["status"] is None
    # and a note does not answer the contact's wait
    assert note["conversation"]["waitingSince"] is not None


async def test_a_template_goes_outside_the_window_with_its_variables(gql, workspace):
    # given a WhatsApp inbox with a template and a closed window
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP")
    template = {"name": "retomada", "language": "pt_BR", "body": "Olá {{1}}, ainda tem interesse no {{2}}?"}
    upserted = await gql.ok(
        UPSERT_TEMPLATE, {"inboxId": inbox["id"], "input": template}, token=workspace.token
    )
    assert upserted["upsertMessageTemplate"]["userErrors"] == []
    received = await receive(
        gql, workspace.token, inbox["id"], at=(datetime.now(UTC) - timedelta(days=2)).isoformat()
    )
    base = {"conversationId": received["conversation"]["id"], "templateName": "retomada", "language": "pt_BR"}
    # when a template is sent with the wrong number of variables
    wrong = await gql.ok(SEND_TEMPLATE, {"input": {**base, "variables": ["Maria"]}}, token=workspace.token)
    # then it is INVALID on the variables
    assert [(e["code"], e["field"]) for e in wrong["sendTemplate"]["userErrors"]] == [
        ("INVALID", ["input", "variables"])
    ]
    # when sent with both
    ok = await gql.ok(
        SEND_TEMPLATE, {"input": {**base, "variables": ["Maria", "Jardins"]}}, token=workspace.token
    )
    # then it is a TEMPLATE message with the body filled in
    message = ok["sendTemplate"]["message"]
    assert message["kind"] == "TEMPLATE" and message["templateName"] == "retomada"
    assert message["body"] == "Olá Maria, ainda tem interesse no Jardins?"
    assert (message["direction"], message["status"]) == ("OUTBOUND", "QUEUED")
    # and an unknown template is NOT_FOUND
    unknown = await gql.ok(SEND_TEMPLATE, {"input": {**base, "templateName": "nope"}}, token=workspace.token)
    assert [(e["code"], e["field"]) for e in unknown["sendTemplate"]["userErrors"]] == [
        ("NOT_FOUND", ["input", "templateName"])
    ]


async def test_a_repeated_client_message_id_returns_the_first_message_and_sends_nothing(gql, workspace):
    # given a conversation
    inbox = await create_inbox(gql, workspace.token)
    received = await receive(gql, workspace.token, inbox["id"])
    conversation_id = received["conversation"]["id"]
    # when the client sends, then retries with the same key
    first = await send(gql, workspace.token, conversation_id, body="Resposta", clientMessageId="c-1")
    again = await send(gql, workspace.token, conversation_id, body="Resposta", clientMessageId="c-1")
    # then the same message comes back and only one was stored
    assert again["userErrors"] == [] and again["message"]["id"] == first["message"]["id"]
    assert again["message"]["clientMessageId"] == "c-1"
    assert (await conversation(gql, workspace.token, conversation_id))["messages"]["totalCount"] == 2


async def test_replies_refuse_bad_input_and_invisible_conversations(gql, workspace):
    # given a conversation assigned to nobody in an inbox without a queue, and an agent
    inbox = await create_inbox(gql, workspace.token)
    received = await receive(gql, workspace.token, inbox["id"])
    conversation_id = received["conversation"]["id"]
    agent = await workspace.user("AGENT")
    # when the agent (who cannot see it) replies
    hidden = (
        await gql.ok(SEND, {"input": {"conversationId": conversation_id, "body": "x"}}, token=agent["token"])
    )["sendMessage"]
    # then it is NOT_FOUND
    assert [(e["code"], e["field"]) for e in hidden["userErrors"]] == [
        ("NOT_FOUND", ["input", "conversationId"])
    ]
    # when the admin sends an empty body, or a TEMPLATE through sendMessage
    empty = await send(gql, workspace.token, conversation_id, body="  ")
    template = await send(gql, workspace.token, conversation_id, kind="TEMPLATE")
    # then each is INVALID on its field, and nothing was stored
    assert [(e["code"], e["field"]) for e in empty["userErrors"]] == [("INVALID", ["input", "body"])]
    assert [(e["code"], e["field"]) for e in template["userErrors"]] == [("INVALID", ["input", "kind"])]
    assert (await conversation(gql, workspace.token, conversation_id))["messages"]["totalCount"] == 1


async def test_a_reply_the_channel_never_takes_ends_failed_after_a_day_not_retried_for_ever(gql, workspace):
    from revgraph.models.inbox import Message
    from revgraph.tasks import inbox as inbox_tasks
    from tests.reports.test_poll_cache import settled

    # given two replies its channel has not taken (still QUEUED), one written a day ago
    inbox = await create_inbox(gql, workspace.token)
    received = await receive(gql, workspace.token, inbox["id"])
    conversation_id = received["conversation"]["id"]
    await send(gql, workspace.token, conversation_id, "Olá, ontem")
    await send(gql, workspace.token, conversation_id, "Olá, hoje")
    await settled()  # their own sends are done (the worker's, on Redis), so nothing else moves them
    old = await Message.get(body="Olá, ontem")
    new = await Message.get(body="Olá, hoje")
    now = datetime.now(UTC)
    await Message.filter(id=old.id).update(status="QUEUED", created_at=now - timedelta(hours=25))
    await Message.filter(id=new.id).update(status="QUEUED", created_at=now - timedelta(minutes=10))
    sent: list[int] = []
    resend = inbox_tasks.deliver_message.send
    inbox_tasks.deliver_message.send = sent.append  # type: ignore[method-assign]
    try:
        # when the outbound sweep runs
        await inbox_tasks.resend_or_give_up(now)
    finally:
        inbox_tasks.deliver_message.send = resend  # type: ignore[method-assign]
    # then the day-old one ended FAILED saying why, and the recent one is sent again
    old, new = await Message.get(id=old.id), await Message.get(id=new.id)
    assert (old.status, old.error) == ("FAILED", inbox_tasks.GAVE_UP)
    assert new.status == "QUEUED" and sent == [new.id]
