"""Outbound messages through the Cloud API stand-in: the request it gets,
the wamid kept, retries with backoff, and refusals that end FAILED."""

from __future__ import annotations

import asyncio

from revgraph.models.events import Event
from revgraph.models.inbox import Message
from revgraph.resolvers.ids import decode_id
from tests.distribution.support import eventually
from tests.inbox.support import create_inbox, receive, send
from tests.whatsapp.cloud_api import Answer, error_body
from tests.whatsapp.support import WA_ID, only_thread, post, text, thread, whatsapp_inbox

SEND_TEMPLATE = """
mutation SendTemplate($input: SendTemplateInput!) {
  sendTemplate(input: $input) { message { id kind status body } userErrors { code message field } }
}
"""
UPSERT_TEMPLATE = """
mutation Upsert($inboxId: ID!, $input: MessageTemplateInput!) {
  upsertMessageTemplate(inboxId: $inboxId, input: $input) { userErrors { code message field } }
}
"""


async def _conversation(gql, workspace, cloud_api, **inbox_options):
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api, **inbox_options)
    assert (await post(gql, text(inbox["number"], "Oi, tudo bem?"))).status_code == 200
    seen = await only_thread(gql, workspace.token, inbox["id"], 1)
    return inbox, seen["id"]


async def _outbound(gql, token, conversation_id, statuses):
    async def ready():
        seen = await thread(gql, token, conversation_id)
        out = [m for m in seen["messages"] if m["direction"] == "OUTBOUND"]
        return out if [m["status"] for m in out] == statuses else None

    return await eventually(ready, timeout=30)


async def test_a_reply_goes_to_the_cloud_api_as_text_and_keeps_its_wamid(gql, workspace, cloud_api):
    # given a conversation the contact started
    inbox, conv = await _conversation(gql, workspace, cloud_api)
    # when an agent replies
    assert (await send(gql, workspace.token, conv, body="Olá Maria! Posso ajudar?"))["userErrors"] == []
    # then the stand-in got the documented request, to the contact's wa_id, with the inbox's token
    [message] = await _outbound(gql, workspace.token, conv, ["SENT"])
    [request] = cloud_api.received
    assert request["number"] == inbox["number"]
    assert request["authorization"] == f"Bearer {inbox['settings']['accessToken']}"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"preview_url": False, "body": "Olá Maria! Posso ajudar?"},
    }
    # and the wamid it answered is the message's external id
    assert message["externalId"].startswith("wamid.")


async def test_a_template_goes_with_its_language_and_parameters_in_order(gql, workspace, cloud_api):
    # given an approved template with two placeholders
    inbox, conv = await _conversation(gql, workspace, cloud_api)
    template = {"name": "visita_confirmada", "language": "pt_BR", "body": "Olá {{1}}, sua visita é {{2}}."}
    assert (
        await gql.ok(UPSERT_TEMPLATE, {"inboxId": inbox["id"], "input": template}, token=workspace.token)
    )["upsertMessageTemplate"]["userErrors"] == []
    # when it is sent
    variables = {
        "conversationId": conv,
        "templateName": "visita_confirmada",
        "language": "pt_BR",
        "variables": ["Maria", "sábado às 10h"],
    }
    sent = (await gql.ok(SEND_TEMPLATE, {"input": variables}, token=workspace.token))["sendTemplate"]
    assert sent["userErrors"] == []
    # then it went as type template, language code and body parameters in order
    await _outbound(gql, workspace.token, conv, ["SENT"])
    assert cloud_api.sent()[0]["type"] == "template"
    assert cloud_api.sent()[0]["template"] == {
        "name": "visita_confirmada",
        "language": {"code": "pt_BR"},
        "components": [
            {
                "type": "body",
                "parameters": [{"type": "text", "text": "Maria"}, {"type": "text", "text": "sábado às 10h"}],
            }
        ],
    }


async def test_timeouts_5xx_and_throttling_are_retried_until_it_goes(gql, workspace, cloud_api):
    # given a Cloud API that fails three times: a 500, a throttle (429, code 4), a timeout
    _, conv = await _conversation(gql, workspace, cloud_api)
    cloud_api.fail_next(
        Answer(500, error_body("An unknown error occurred", "OAuthException", 1)),
        Answer(429, error_body("(#4) Application request limit reached", "OAuthException", 4)),
        Answer(200, {"messaging_product": "whatsapp"}, delay=4.0),
    )
    # when an agent replies
    assert (await send(gql, workspace.token, conv, body="Já te respondo"))["userErrors"] == []
    # then the message is SENT after the retries, and the contact got it once
    [message] = await _outbound(gql, workspace.token, conv, ["SENT"])
    assert len(cloud_api.received) == 4
    assert [r["json"]["text"]["body"] for r in cloud_api.received] == ["Já te respondo"] * 4
    assert message["externalId"].startswith("wamid.")


async def test_a_refusal_ends_failed_with_the_providers_error_and_an_event(gql, workspace, cloud_api):
    # given a Cloud API that refuses the message (outside the 24 h window at Meta's end)
    inbox, conv = await _conversation(gql, workspace, cloud_api)
    refusal = error_body("Re-engagement message", "OAuthException", 131047)
    refusal["error"]["error_data"] = {
        "messaging_product": "whatsapp",
        "details": "More than 24 hours have passed",
    }
    cloud_api.fail_next(Answer(400, refusal))
    # when an agent replies
    assert (await send(gql, workspace.token, conv, body="Oi"))["userErrors"] == []
    # then it is FAILED at once (no retry), with the provider's error on the message
    [failed] = await _outbound(gql, workspace.token, conv, ["FAILED"])
    assert failed["error"].startswith("131047 OAuthException: Re-engagement message")
    assert len(cloud_api.received) == 1
    [row] = await Message.filter(inbox_id=decode_id(inbox["id"])[1], direction="OUTBOUND")
    assert row.error.startswith(
        "131047 OAuthException: Re-engagement message (More than 24 hours have passed)"
    )
    assert refusal["error"]["fbtrace_id"] in row.error
    # and a message.updated event says so
    [event] = [e for e in await Event.filter(kind="message.updated") if e.data.get("status") == "FAILED"]
    assert event.data["error"] == row.error


async def test_an_expired_token_fails_the_send_with_its_oauth_error(gql, workspace, cloud_api):
    inbox, conv = await _conversation(gql, workspace, cloud_api)
    cloud_api.numbers[inbox["number"]] = "a-rotated-token"
    assert (await send(gql, workspace.token, conv, body="Oi"))["userErrors"] == []
    await _outbound(gql, workspace.token, conv, ["FAILED"])
    [row] = await Message.filter(inbox_id=decode_id(inbox["id"])[1], direction="OUTBOUND")
    assert row.error.startswith("190/463 OAuthException: Error validating access token")


async def test_an_inbox_without_credentials_fails_its_sends_saying_why(gql, workspace, cloud_api):
    # given a WhatsApp inbox created before it was connected
    inbox = await create_inbox(gql, workspace.token, channel="WHATSAPP")
    conv = (await receive(gql, workspace.token, inbox["id"]))["conversation"]["id"]
    # when an agent replies
    assert (await send(gql, workspace.token, conv, body="Oi"))["userErrors"] == []
    # then it is FAILED without reaching anyone, saying what to do
    await _outbound(gql, workspace.token, conv, ["FAILED"])
    [row] = await Message.filter(inbox_id=decode_id(inbox["id"])[1], direction="OUTBOUND")
    assert row.error.startswith("A caixa de entrada do WhatsApp não está conectada")
    assert cloud_api.received == []


async def test_a_message_in_flight_is_not_sent_again_by_another_task(gql, workspace, cloud_api):
    # given a reply whose send is in flight (the Cloud API takes 0.6 s to answer)
    from revgraph.resolvers.inbox import senders
    from revgraph.resolvers.settings import Settings

    _, conv = await _conversation(gql, workspace, cloud_api)
    cloud_api.fail_next(_accepted_after("wamid.slow", 0.6))
    sent = (await send(gql, workspace.token, conv, body="Só uma vez"))["message"]
    await eventually(lambda: _requested(cloud_api, 1), timeout=10)
    # when another task (the outbound sweep, a redelivered message) sends it meanwhile
    again = await senders.deliver(Settings.from_env(), decode_id(sent["id"])[1])
    # then it leaves it to the send in flight: the contact gets it once
    assert again is None
    [message] = await _outbound(gql, workspace.token, conv, ["SENT"])
    assert message["externalId"] == "wamid.slow"
    assert len(cloud_api.received) == 1


def _accepted_after(wamid, delay):
    """The Cloud API's answer accepting a message as `wamid`, `delay` seconds late."""
    body = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
        "messages": [{"id": wamid}],
    }
    return Answer(200, body, delay=delay)


async def _requested(cloud_api, count):
    return len(cloud_api.received) == count


async def test_a_conversations_replies_reach_the_contact_in_the_order_they_were_written(
    gql, workspace, cloud_api
):
    # given a reply whose first send failed (a 500: its task tries again later)
    _, conv = await _conversation(gql, workspace, cloud_api)
    cloud_api.fail_next(Answer(500, error_body("An unknown error occurred", "OAuthException", 1)))
    assert (await send(gql, workspace.token, conv, body="Primeira"))["userErrors"] == []
    await eventually(lambda: _requested(cloud_api, 1), timeout=10)
    # when a second reply is written before that retry
    assert (await send(gql, workspace.token, conv, body="Segunda"))["userErrors"] == []
    # then both leave, the first before the second, each once
    first, second = await _outbound(gql, workspace.token, conv, ["SENT", "SENT"])
    assert [m["text"]["body"] for m in cloud_api.sent()] == ["Primeira", "Segunda"]
    assert first["body"] == "Primeira" and second["body"] == "Segunda"


async def test_a_reply_waits_while_an_earlier_one_is_in_flight(gql, workspace, cloud_api):
    # given a reply whose send is in flight (the Cloud API takes 1.5 s to answer it)
    _, conv = await _conversation(gql, workspace, cloud_api)
    cloud_api.fail_next(_accepted_after("wamid.first", 1.5))
    assert (await send(gql, workspace.token, conv, body="Primeira"))["userErrors"] == []
    await eventually(lambda: _requested(cloud_api, 1), timeout=10)
    # when a second reply is written meanwhile
    assert (await send(gql, workspace.token, conv, body="Segunda"))["userErrors"] == []
    # then it does not overtake the one in flight: nothing more is sent while it is
    await asyncio.sleep(0.4)
    assert [r["json"]["text"]["body"] for r in cloud_api.received] == ["Primeira"]
    # and once the first is SENT, the second follows it, each once
    first, second = await _outbound(gql, workspace.token, conv, ["SENT", "SENT"])
    assert (first["body"], first["externalId"], second["body"]) == ("Primeira", "wamid.first", "Segunda")
    assert [r["json"]["text"]["body"] for r in cloud_api.received] == ["Primeira", "Segunda"]
