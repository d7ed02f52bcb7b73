"""Every message type the Cloud API documents, read into the inbox: its
body, content type, attachments (media id, mime type, sha256) and facts."""

from __future__ import annotations

import time

from revgraph.resolvers.ids import decode_id
from tests.whatsapp.support import inbound, only_thread, post, stored_messages, wamid, whatsapp_inbox


async def test_every_documented_message_type_is_recorded_with_its_facts(gql, workspace, cloud_api):
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    number = inbox["number"]
    replied_to = wamid()
    kinds = [
        (
            {
                "type": "image",
                "image": {
                    "caption": "Fachada",
                    "mime_type": "image/jpeg",
                    "sha256": "81d3bd8a",
                    "id": "2754859441498128",
                },
            },
            "image",
            "Fachada",
        ),
        (
            {
                "type": "audio",
                "audio": {
                    "mime_type": "audio/ogg; codecs=opus",
                    "sha256": "aa11",
                    "id": "9001",
                    "voice": True,
                },
            },
            "audio",
            "[mensagem de voz]",
        ),
        (
            {"type": "video", "video": {"mime_type": "video/mp4", "sha256": "bb22", "id": "9002"}},
            "video",
            "[vídeo]",
        ),
        (
            {
                "type": "document",
                "document": {
                    "filename": "contrato.pdf",
                    "mime_type": "application/pdf",
                    "sha256": "cc33",
                    "id": "9003",
                },
            },
            "document",
            "[documento: contrato.pdf]",
        ),
        (
            {
                "type": "sticker",
                "sticker": {"mime_type": "image/webp", "sha256": "dd44", "id": "9004", "animated": False},
            },
            "sticker",
            "[figurinha]",
        ),
        (
            {
                "type": "location",
                "location": {
                    "latitude": -23.5614,
                    "longitude": -46.6559,
                    "name": "Masp",
                    "address": "Av. Paulista, 1578",
                },
            },
            "location",
            "📍 Masp — Av. Paulista, 1578 (-23.5614, -46.6559)",
        ),
        (
            {
                "type": "contacts",
                "contacts": [
                    {
                        "name": {"formatted_name": "João Corretor", "first_name": "João"},
                        "phones": [{"phone": "+55 11 91234-5678", "wa_id": "5511912345678", "type": "CELL"}],
                    }
                ],
            },
            "contacts",
            "Contato compartilhado: João Corretor (+55 11 91234-5678)",
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "visita-sim", "title": "Quero visitar"},
                },
            },
            "interactive",
            "Quero visitar",
        ),
        (
            {
                "type": "interactive",
                "interactive": {
                    "type": "list_reply",
                    "list_reply": {"id": "2q", "title": "2 quartos", "description": "até R$ 500 mil"},
                },
            },
            "interactive",
            "2 quartos",
        ),
        (
            {
                "type": "button",
                "button": {"text": "Parar promoções", "payload": "OPT_OUT_PROMO"},
                "context": {"from": "15550783881", "id": replied_to},
            },
            "button",
            "Parar promoções",
        ),
        (
            {"type": "reaction", "reaction": {"message_id": replied_to, "emoji": "👍"}},
            "reaction",
            "Reagiu com 👍",
        ),
        (
            {
                "type": "unsupported",
                "errors": [
                    {
                        "code": 131051,
                        "title": "Message type unknown",
                        "message": "Message type unknown",
                        "error_data": {"details": "Message type is currently not supported."},
                    }
                ],
            },
            "unsupported",
            "[mensagem não suportada pelo WhatsApp Cloud API]",
        ),
    ]
    # when one delivery of each type arrives, in order
    for at, (fields, _, _) in enumerate(kinds):
        assert (await post(gql, inbound(number, fields, at=int(time.time()) - 100 + at))).status_code == 200
    # then each is an inbound message with its body, content type and facts
    seen = await only_thread(gql, workspace.token, inbox["id"], len(kinds))
    assert [m["body"] for m in seen["messages"]] == [body for _, _, body in kinds]
    assert [m["contentType"] for m in seen["messages"]] == [kind for _, kind, _ in kinds]
    assert seen["messages"][0]["attachments"] == [
        {
            "kind": "image",
            "mediaId": "2754859441498128",
            "name": None,
            "mimeType": "image/jpeg",
            "size": None,
            "sha256": "81d3bd8a",
        }
    ]
    rows = await stored_messages(decode_id(inbox["id"])[1])
    assert [r.content_type for r in rows] == [kind for _, kind, _ in kinds]
    image, voice, _, document = rows[0], rows[1], rows[2], rows[3]
    assert image.attachments == [
        {
            "kind": "image",
            "mediaId": "2754859441498128",
            "mimeType": "image/jpeg",
            "sha256": "81d3bd8a",
            "name": None,
        }
    ]
    assert (
        voice.channel_data["voice"] is True and voice.attachments[0]["mimeType"] == "audio/ogg; codecs=opus"
    )
    assert document.attachments[0]["name"] == "contrato.pdf"
    assert rows[5].channel_data["location"]["latitude"] == -23.5614
    assert rows[6].channel_data["contacts"] == [{"name": "João Corretor", "phones": ["+55 11 91234-5678"]}]
    assert rows[8].channel_data["reply"] == {
        "type": "list_reply",
        "id": "2q",
        "title": "2 quartos",
        "description": "até R$ 500 mil",
    }
    assert rows[9].channel_data["button"] == {"text": "Parar promoções", "payload": "OPT_OUT_PROMO"}
    assert rows[9].channel_data["context"]["id"] == replied_to
    assert rows[10].channel_data["reaction"] == {"messageId": replied_to, "emoji": "👍"}
    assert rows[11].channel_data["errors"][0]["code"] == 131051
    assert all(r.channel_data["waId"] == "5511987650001" for r in rows)
