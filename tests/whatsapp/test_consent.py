"""The consent ledger over WhatsApp end to end: a first message opts in,
PARAR/SAIR/STOP opt out (acknowledged through the Cloud API), nothing else
goes to an opted-out contact (NO_CONSENT), VOLTAR/START or a user's
record opt back in, and the contact shows it all."""

from __future__ import annotations

import pytest

from revgraph.models.consent import ConsentRecord
from revgraph.models.inbox import Message
from revgraph.resolvers.consent import OPT_IN_REPLY, OPT_OUT_REPLY
from revgraph.resolvers.ids import decode_id
from tests.automations.support import settle
from tests.distribution.support import eventually
from tests.inbox.automation_support import canned_response, conversation_rule, rule_runs
from tests.inbox.support import send
from tests.whatsapp.support import only_thread, post, text, thread, whatsapp_inbox

CONTACT_CONSENTS = """
query Contact($id: ID!) {
  node(id: $id) {
    ... on Contact {
      consents { channel granted source note recordedBy { id } }
      consentHistory { channel granted source note at }
      timeline(first: 50) { edges { node { kind summary } } }
    }
  }
}
"""
RECORD_CONSENT = """
mutation Record($input: RecordConsentInput!) {
  recordConsent(input: $input) { contact { id consents { channel granted source } } userErrors { code message field } }
}
"""
SEND_TEMPLATE = """
mutation SendTemplate($input: SendTemplateInput!) {
  sendTemplate(input: $input) { message { id } userErrors { code message field } }
}
"""
UPSERT_TEMPLATE = """
mutation Upsert($inboxId: ID!, $input: MessageTemplateInput!) {
  upsertMessageTemplate(inboxId: $inboxId, input: $input) { userErrors { code } }
}
"""


async def _write(gql, token, inbox, body, count):
    assert (await post(gql, text(inbox["number"], body))).status_code == 200
    return await only_thread(gql, token, inbox["id"], count)


async def _contact(gql, token, contact_id):
    return (await gql.ok(CONTACT_CONSENTS, {"id": contact_id}, token=token))["node"]


async def _template(gql, token, inbox, conv):
    body = {"name": "novidades", "language": "pt_BR", "body": "Novos lançamentos na sua região!"}
    await gql.ok(UPSERT_TEMPLATE, {"inboxId": inbox["id"], "input": body}, token=token)
    variables = {"conversationId": conv, "templateName": "novidades", "language": "pt_BR"}
    return (await gql.ok(SEND_TEMPLATE, {"input": variables}, token=token))["sendTemplate"]


async def test_a_contact_who_writes_is_opted_in(gql, workspace, cloud_api):
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    seen = await _write(gql, workspace.token, inbox, "Oi", 1)
    contact = await _contact(gql, workspace.token, seen["contact"]["id"])
    assert contact["consents"] == [
        {
            "channel": "WHATSAPP",
            "granted": True,
            "source": "inbound_message",
            "note": None,
            "recordedBy": None,
        }
    ]
    # and writing again records nothing new
    await _write(gql, workspace.token, inbox, "Tudo bem?", 2)
    assert len((await _contact(gql, workspace.token, seen["contact"]["id"]))["consentHistory"]) == 1


@pytest.mark.parametrize("keyword", ["PARAR", "  sair ", "Stop"])
async def test_a_stop_keyword_opts_out_and_is_acknowledged(gql, workspace, cloud_api, keyword):
    # given a contact in conversation
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    seen = await _write(gql, workspace.token, inbox, "Quero saber dos imóveis", 1)
    # when they send the keyword alone (any case, spaces around)
    seen = await _write(gql, workspace.token, inbox, keyword, 3)
    # then the opt-out is recorded with that message, and acknowledged in pt-BR through the Cloud API
    [stop] = [
        m for m in await Message.filter(inbox_id=decode_id(inbox["id"])[1]) if m.body == keyword.strip()
    ]
    [row] = await ConsentRecord.filter(granted=False)
    assert (row.source, row.note, row.message_id, row.channel) == (
        "keyword",
        keyword.strip().upper(),
        stop.id,
        "WHATSAPP",
    )

    async def acknowledged():
        return [m["text"]["body"] for m in cloud_api.sent()] == [OPT_OUT_REPLY]

    assert await eventually(acknowledged, timeout=10)
    # and the contact shows it, on the timeline too
    contact = await _contact(gql, workspace.token, seen["contact"]["id"])
    assert [(c["granted"], c["source"]) for c in contact["consents"]] == [(False, "keyword")]
    kinds = [e["node"]["kind"] for e in contact["timeline"]["edges"]]
    assert "consent.revoked" in kinds and "consent.granted" in kinds


async def test_a_keyword_inside_a_sentence_is_just_a_message(gql, workspace, cloud_api):
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    await _write(gql, workspace.token, inbox, "Não quero parar de receber, stop de brincadeira", 1)
    assert await ConsentRecord.filter(granted=False).count() == 0


async def test_nothing_goes_to_an_opted_out_contact(gql, workspace, cloud_api):
    # given a contact who sent PARAR (the window is open: they just wrote)
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    await _write(gql, workspace.token, inbox, "Oi", 1)
    seen = await _write(gql, workspace.token, inbox, "PARAR", 3)
    conv = seen["id"]
    await eventually(lambda: _sent_count(cloud_api, 1), timeout=10)
    # when an agent replies, or sends a template
    reply = await send(gql, workspace.token, conv, body="Mas temos uma oferta!")
    template = await _template(gql, workspace.token, inbox, conv)
    # then both are NO_CONSENT and nothing was stored or sent
    for payload in (reply, template):
        assert [e["code"] for e in payload["userErrors"]] == ["NO_CONSENT"]
        assert payload["userErrors"][0]["field"] == ["input", "conversationId"]
    assert len((await thread(gql, workspace.token, conv))["messages"]) == 3
    assert len(cloud_api.received) == 1


async def _sent_count(cloud_api, count):
    return len(cloud_api.sent()) == count


async def test_voltar_opts_back_in_and_replies_go_again(gql, workspace, cloud_api):
    # given a contact who opted out
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    await _write(gql, workspace.token, inbox, "SAIR", 2)
    # when they write VOLTAR
    seen = await _write(gql, workspace.token, inbox, "voltar", 4)
    await eventually(lambda: _sent_count(cloud_api, 2), timeout=10)
    assert [m["text"]["body"] for m in cloud_api.sent()] == [OPT_OUT_REPLY, OPT_IN_REPLY]
    # then a reply inside the window goes
    assert (await send(gql, workspace.token, seen["id"], body="Que bom! Como posso ajudar?"))[
        "userErrors"
    ] == []
    await eventually(lambda: _sent_count(cloud_api, 3), timeout=10)
    contact = await _contact(gql, workspace.token, seen["contact"]["id"])
    assert [(c["granted"], c["source"], c["note"]) for c in contact["consentHistory"]] == [
        (True, "keyword", "VOLTAR"),
        (False, "keyword", "SAIR"),
    ]


async def test_a_user_records_consent_given_elsewhere(gql, workspace, cloud_api):
    # given a contact who opted out
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    seen = await _write(gql, workspace.token, inbox, "STOP", 2)
    contact_id = seen["contact"]["id"]
    await settle()  # the acknowledgement's send (the worker's, on Redis) is on the timeline first
    # when an agent records that they agreed again by phone
    agent = await workspace.user("AGENT")
    payload = (
        await gql.ok(
            RECORD_CONSENT,
            {
                "input": {
                    "contactId": contact_id,
                    "channel": "WHATSAPP",
                    "granted": True,
                    "source": "telefone",
                    "note": "Ligou pedindo novidades",
                }
            },
            token=workspace.token,
        )
    )["recordConsent"]
    # then the contact is opted in, by whom and how
    assert payload["userErrors"] == []
    assert payload["contact"]["consents"] == [{"channel": "WHATSAPP", "granted": True, "source": "telefone"}]
    contact = await _contact(gql, workspace.token, contact_id)
    assert contact["consents"][0]["recordedBy"] == {"id": workspace.admin["id"]}
    assert "registrou que" in contact["timeline"]["edges"][0]["node"]["summary"]
    # and a template goes again
    assert (await _template(gql, workspace.token, inbox, seen["id"]))["userErrors"] == []
    # and an agent who cannot see the contact cannot record anything about it
    refused = (
        await gql.ok(
            RECORD_CONSENT,
            {
                "input": {
                    "contactId": contact_id,
                    "channel": "WHATSAPP",
                    "granted": False,
                    "source": "telefone",
                }
            },
            token=agent["token"],
        )
    )["recordConsent"]
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_FOUND"]
    assert await ConsentRecord.all().count() == 2  # STOP as the first message, then the agent's record


async def test_record_consent_checks_its_input(gql, workspace, cloud_api):
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    seen = await _write(gql, workspace.token, inbox, "Oi", 1)
    base = {"contactId": seen["contact"]["id"], "channel": "WHATSAPP", "granted": False, "source": "telefone"}
    for change, field in (
        ({"source": "  "}, "source"),
        ({"source": "x" * 33}, "source"),
        ({"note": "x" * 501}, "note"),
    ):
        payload = (await gql.ok(RECORD_CONSENT, {"input": {**base, **change}}, token=workspace.token))[
            "recordConsent"
        ]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["input", field])]
    # and the same state as now records nothing
    same = {**base, "granted": True}
    assert (await gql.ok(RECORD_CONSENT, {"input": same}, token=workspace.token))["recordConsent"][
        "userErrors"
    ] == []
    assert await ConsentRecord.all().count() == 1


async def test_an_automation_send_to_an_opted_out_contact_fails_with_no_consent(gql, workspace, cloud_api):
    # given a rule that answers every message received with a canned response
    await canned_response(gql, workspace.token, "recebido", "Recebemos sua mensagem!")
    rule = await conversation_rule(
        gql,
        workspace.token,
        name="Confirmação",
        trigger={"kind": "MESSAGE_RECEIVED"},
        actions=[{"sendCannedResponse": {"shortCode": "recebido"}}],
    )
    inbox = await whatsapp_inbox(gql, workspace.token, cloud_api)
    # when the contact writes, then opts out
    await _write(gql, workspace.token, inbox, "Oi", 1)
    await settle()
    await eventually(lambda: _sent_count(cloud_api, 1), timeout=10)
    await _write(gql, workspace.token, inbox, "PARAR", 3)
    await settle()

    # then the run for PARAR failed with NO_CONSENT, and only the acknowledgement went
    async def failed():
        runs = await rule_runs(gql, workspace.token, rule["id"])
        return [r for r in runs if r["status"] == "FAILED"]

    [run] = await eventually(failed, timeout=20)
    assert "optou por não receber" in run["error"]
    await eventually(lambda: _sent_count(cloud_api, 2), timeout=10)
    assert [m["text"]["body"] for m in cloud_api.sent()] == ["Recebemos sua mensagem!", OPT_OUT_REPLY]
