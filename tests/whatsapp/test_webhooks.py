"""POST/GET /webhooks/whatsapp against Cloud API deliveries in their real
shapes: the handshake, signatures (refused ones store nothing), every
message type, idempotency by wamid, and statuses."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from revgraph.models.channels import InboundWebhook
from revgraph.models.crm import Contact
from revgraph.resolvers.ids import decode_id
from tests.distribution.support import eventually
from tests.inbox.support import send
from tests.whatsapp.cloud_api import Answer
from tests.whatsapp.support import (
    APP_SECRET,
    WA_ID,
    conversations_of,
    delivery,
    only_thread,
    post,
    sign,
    status,
    stored_messages,
    text,
    thread,
    wamid,
    whatsapp_inbox,
)


def pk(global_id: str) -> int:
    return decode_id(global_id)[1]


async def test_the_handshake_echoes_the_challenge_for_a_known_verify_token(gql, workspace, cloud_api):
    # given a connected inbox
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    url = f"{gql.server.url}/webhooks/whatsapp"
    good = {
        "hub.mode": "subscribe",
        "hub.verify_token": inbox["settings"]["verifyToken"],
        "hub.challenge": "1158201444",
    }
    # when Meta checks the subscription with its verify token, the challenge comes back as the body
    answer = await gql.http.get(url, params=good)
    assert (answer.status_code, answer.text) == (200, "1158201444")
    # and another token, another mode or no challenge is 403
    for wrong in (
        {**good, "hub.verify_token": "not-the-token"},
        {**good, "hub.mode": "unsubscribe"},
        {k: v for k, v in good.items() if k != "hub.challenge"},
        {},
    ):
        assert (await gql.http.get(url, params=wrong)).status_code == 403


async def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_stored(gql, workspace, cloud_api):
    # given a connected inbox
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    payload = text(inbox["number"], "Olá")
    # when a delivery comes unsigned, signed with another secret, or tampered with after signing
    unsigned = await post(gql, payload, secret=None)
    forged = await post(gql, payload, secret="another-app-secret-0123456789")
    body = json.dumps(payload).encode()
    tampered = await post(
        gql, body.replace(b"Ol", b"Xx"), secret=None, headers={"x-hub-signature-256": sign(body)}
    )
    # then it is 401 without a signature, 403 with a wrong one
    assert (unsigned.status_code, forged.status_code, tampered.status_code) == (401, 403, 403)
    # and a delivery for a number no inbox has is refused too
    assert (await post(gql, text("999000111222", "Olá"))).status_code == 403
    # and nothing was stored: no delivery, no message, no contact
    assert await InboundWebhook.all().count() == 0
    assert await stored_messages(pk(inbox["id"])) == []
    assert await Contact.filter(phone="+5511987650001").count() == 0


async def test_a_text_becomes_an_inbound_message_at_its_own_time(gql, workspace, cloud_api):
    # given a connected inbox routed to nobody, and a text sent 3 hours ago
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    sent_at = int(time.time()) - 3 * 3600
    id = wamid()
    # when Meta delivers it
    answer = await post(gql, text(inbox["number"], "Oi, quero ver o apartamento", at=sent_at, id=id))
    assert answer.status_code == 200
    # then the conversation holds it, from the contact with the sender's wa_id and profile name
    seen = await only_thread(gql, workspace.token, inbox["id"], 1)
    [message] = seen["messages"]
    assert (
        message["direction"],
        message["kind"],
        message["body"],
        message["status"],
        message["externalId"],
    ) == (
        "INBOUND",
        "TEXT",
        "Oi, quero ver o apartamento",
        "RECEIVED",
        id,
    )
    assert datetime.fromisoformat(message["at"]) == datetime.fromtimestamp(sent_at, UTC)
    assert seen["contact"]["name"] == "Maria Cliente" and seen["contact"]["phone"] == "+5511987650001"
    # and the window runs from the message's time (21 hours left)
    assert seen["canReply"] is True
    # and the stored delivery is marked worked
    [row] = await InboundWebhook.all()
    assert row.processed_at is not None and row.error is None


async def test_a_repeated_wamid_is_stored_once(gql, workspace, cloud_api):
    # given a delivery Meta retries (the same wamid, twice, and once more inside a batch)
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    id = wamid()
    first = text(inbox["number"], "Oi", id=id)
    for _ in range(2):
        assert (await post(gql, first)).status_code == 200
    batch = delivery(
        inbox["number"],
        {
            "contacts": [{"profile": {"name": "Maria Cliente"}, "wa_id": "5511987650001"}],
            "messages": [
                {
                    "from": "5511987650001",
                    "id": id,
                    "timestamp": str(int(time.time())),
                    "type": "text",
                    "text": {"body": "Oi"},
                },
                {
                    "from": "5511987650001",
                    "id": wamid(),
                    "timestamp": str(int(time.time())),
                    "type": "text",
                    "text": {"body": "Tudo bem?"},
                },
            ],
        },
    )
    assert (await post(gql, batch)).status_code == 200
    # then the conversation has each message once
    await eventually(lambda: _all_worked(), timeout=10)
    seen = await only_thread(gql, workspace.token, inbox["id"], 2)
    assert [m["body"] for m in seen["messages"]] == ["Oi", "Tudo bem?"]


async def _all_worked() -> bool:
    return await InboundWebhook.filter(processed_at__isnull=True).count() == 0


async def test_a_brazilian_wa_id_without_the_ninth_digit_finds_the_contact(gql, workspace, cloud_api):
    # given a contact filed with the 9 (+55 11 98765-0001) and an old wa_id without it
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    await post(gql, text(inbox["number"], "Primeira", wa_id="5511987650001"))
    await only_thread(gql, workspace.token, inbox["id"], 1)
    # when the same person writes from the 8-digit wa_id
    await post(gql, text(inbox["number"], "Segunda", wa_id="551187650001"))
    # then it is the same contact and conversation
    seen = await only_thread(gql, workspace.token, inbox["id"], 2)
    assert [m["body"] for m in seen["messages"]] == ["Primeira", "Segunda"]
    assert len(await conversations_of(gql, workspace.token, inbox["id"])) == 1


async def test_statuses_move_the_delivery_status_and_a_failure_keeps_its_error(gql, workspace, cloud_api):
    # given two messages sent through the stand-in
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    await post(gql, text(inbox["number"], "Oi"))
    conv = (await only_thread(gql, workspace.token, inbox["id"], 1))["id"]
    for body in ("Primeira resposta", "Segunda resposta"):
        assert (await send(gql, workspace.token, conv, body=body))["userErrors"] == []

    async def both_sent():
        seen = await thread(gql, workspace.token, conv)
        out = [m for m in seen["messages"] if m["direction"] == "OUTBOUND"]
        return out if [m["status"] for m in out] == ["SENT", "SENT"] else None

    first, second = await eventually(both_sent, timeout=10)
    # when Meta reports delivered then read for the first (read first, out of order) and failed for the second
    failure = {
        "errors": [
            {
                "code": 131026,
                "title": "Message undeliverable",
                "message": "Message undeliverable",
                "error_data": {"details": "Recipient is not a valid WhatsApp user"},
            }
        ]
    }
    for payload in (
        status(inbox["number"], first["externalId"], "read"),
        status(inbox["number"], first["externalId"], "delivered"),
        status(inbox["number"], second["externalId"], "failed", **failure),
    ):
        assert (await post(gql, payload)).status_code == 200

    # then the first is READ (a status never goes back) and the second FAILED with the provider's error
    async def settled():
        seen = await thread(gql, workspace.token, conv)
        out = [m["status"] for m in seen["messages"] if m["direction"] == "OUTBOUND"]
        return out == ["READ", "FAILED"]

    assert await eventually(settled, timeout=10)
    rows = [r for r in await stored_messages(pk(inbox["id"])) if r.direction == "OUTBOUND"]
    assert rows[1].error == "131026 Message undeliverable (Recipient is not a valid WhatsApp user)"


async def test_a_status_that_overtakes_its_send_waits_for_it(gql, workspace, cloud_api):
    # given a conversation, and the wamid the Cloud API will give the next send
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    await post(gql, text(inbox["number"], "Oi"))
    conv = (await only_thread(gql, workspace.token, inbox["id"], 1))["id"]
    early = wamid()
    accepted = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": WA_ID, "wa_id": WA_ID}],
        "messages": [{"id": early}],
    }
    cloud_api.fail_next(Answer(200, accepted))
    # when its "delivered" status arrives before the send stored that wamid
    assert (await post(gql, status(inbox["number"], early, "delivered"))).status_code == 200
    await eventually(lambda: _attempted_once(), timeout=10)
    assert (await send(gql, workspace.token, conv, body="Resposta"))["userErrors"] == []

    # then the delivery, retried, applies it once the send is stored
    async def delivered():
        seen = await thread(gql, workspace.token, conv)
        return [m["status"] for m in seen["messages"] if m["direction"] == "OUTBOUND"] == ["DELIVERED"]

    assert await eventually(delivered, timeout=20)
    assert await eventually(_all_worked, timeout=20)


async def _attempted_once() -> bool:
    return await InboundWebhook.filter(attempts__gte=1, processed_at__isnull=True).exists()


async def test_a_body_over_the_limit_is_refused_unread(gql, workspace, cloud_api):
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    huge = text(inbox["number"], "x" * 4000)
    huge["padding"] = "y" * (1024 * 1024)
    answer = await post(gql, huge)
    assert answer.status_code == 413
    assert await InboundWebhook.all().count() == 0


async def test_a_signed_body_that_is_not_a_whatsapp_delivery_is_a_clear_400(gql, workspace, cloud_api):
    await whatsapp_inbox(gql, workspace.token, cloud_api)
    for body in (b"not json", b"[]", json.dumps({"object": "page", "entry": []}).encode()):
        answer = await post(gql, body, secret=APP_SECRET)
        assert answer.status_code == 400, answer.text
    assert await InboundWebhook.all().count() == 0


async def test_a_delivery_stored_but_never_worked_is_swept_up(gql, workspace, cloud_api):
    # given a delivery stored and answered 200 by a process that died before its task ran
    from datetime import timedelta

    from revgraph.tasks.whatsapp import sweep_whatsapp_webhooks

    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    change = text(inbox["number"], "Alguém aí?")["entry"][0]["changes"][0]["value"]
    await InboundWebhook.create(
        inbox_id=pk(inbox["id"]), payload=[change], received_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    # when the sweep runs (at start, then every 30 s)
    sweep_whatsapp_webhooks.send()
    # then the message is in the inbox
    seen = await only_thread(gql, workspace.token, inbox["id"], 1)
    assert seen["messages"][0]["body"] == "Alguém aí?"
    assert await eventually(_all_worked, timeout=10)
