"""A data subject with something in every place the CRM keeps people, and
the whole database read back as text (to look for them in every table)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise, connections

from revgraph.models.automation import Notification
from revgraph.models.channels import InboundWebhook
from revgraph.models.crm import Contact
from revgraph.models.inbox import EmailSource, Message
from revgraph.models.webchat import WebchatVisitor
from revgraph.models.webhooks import WebhookDelivery
from revgraph.resolvers.ids import encode_id, pk_of
from tests.distribution.support import capture, create_queue, distribute
from tests.graph.custom_field_support import define
from tests.graph.documents import ADD_NOTE, CREATE_TASK
from tests.imports.support import MAPPING, csv_bytes, imported
from tests.inbox.support import create_inbox, receive, send
from tests.partners.test_rdstation import captured, configure, post, rd_lead
from tests.pipeline.support import create_deal, create_pipeline
from tests.webhooks.support import Receiver, create_endpoint, eventually

NAME = "Joana Prado Vasconcelos"
EMAIL = "joana.vasconcelos@cliente-lgpd.com.br"
PHONE = "+5511976543210"
CPF = "321.654.987-00"
INBOUND = "Bom dia, aqui é a Joana, moro na Rua das Acácias 1234"
REPLY = "Olá Joana Prado Vasconcelos, já separei as plantas"
NOTE = "Prefere visitas no sábado; marido se chama Otávio Barreto"
LEAD_MESSAGE = "Quero o decorado da Vila Sônia, falar com Joana"
ATTACHMENT = "comprovante-renda-joana.pdf"
# The phone as a spreadsheet or RD Station writes it.
PHONE_WRITTEN = "(11) 97654-3210"
# What must not survive erasure anywhere in the database.
ORIGINALS = [
    NAME,
    EMAIL,
    PHONE,
    PHONE[1:],
    PHONE[3:],
    PHONE_WRITTEN,
    CPF,
    INBOUND,
    REPLY,
    NOTE,
    LEAD_MESSAGE,
    ATTACHMENT,
]
# Someone else in the same CSV: their row stays as it was.
OTHER_ROW = [
    "Carlos Mendes Albuquerque",
    "carlos.albuquerque@outro-cliente.com.br",
    "(21) 99888-7766",
    "Feirão",
]

EXPORT = """
mutation Export($id: ID!, $reason: String!) {
  exportContactData(id: $id, reason: $reason) { export userErrors { code message field } }
}
"""
ERASE = """
mutation Erase($id: ID!, $reason: String!) {
  eraseContact(id: $id, reason: $reason) {
    contact { id name email phone customFields } userErrors { code message field }
  }
}
"""
CREATE_SEGMENT = """
mutation($input: SegmentInput!) { createSegment(input: $input) { segment { id } userErrors { code message field } } }
"""
RECORD_CONSENT = """
mutation($input: RecordConsentInput!) { recordConsent(input: $input) { userErrors { code message field } } }
"""


@dataclass
class World:
    contact_id: str
    deal_id: str
    conversation_id: str
    inbox_id: str
    receiver: Receiver
    # The CSV import that created the contact: its error report's URL.
    import_report_url: str = ""


async def build(gql: Any, workspace: Any) -> World:
    token = workspace.token
    receiver = await Receiver().start()
    await create_endpoint(gql, token, receiver.url)
    await define(gql, token, key="cpf", label="CPF", type="TEXT")
    contact, job = await _imported_contact(gql, token)
    await _rdstation_conversion(gql, token)
    inbox = await create_inbox(gql, token)
    received = await receive(gql, token, inbox["id"], phone=PHONE, name=NAME, email=EMAIL, body=INBOUND)
    assert received["userErrors"] == [], received
    conversation = received["conversation"]
    assert conversation["contact"]["id"] == contact["id"]
    sent = await send(gql, token, conversation["id"], body=REPLY)
    assert sent["userErrors"] == [], sent
    consent = await gql.ok(
        RECORD_CONSENT,
        {
            "input": {
                "contactId": contact["id"],
                "channel": "EMAIL",
                "granted": False,
                "source": "telefone",
                "note": f"{NAME} pediu por telefone",
            }
        },
        token=token,
    )
    assert consent["recordConsent"]["userErrors"] == []
    pipeline = await create_pipeline(gql, token)
    deal = await create_deal(
        gql, token, pipeline["id"], title=f"Apto 3 dorms - {NAME}", contactId=contact["id"]
    )
    task = await gql.ok(
        CREATE_TASK, {"input": {"title": f"Ligar para {NAME}", "contactId": contact["id"]}}, token=token
    )
    assert task["createTask"]["userErrors"] == [], task
    note = await gql.ok(ADD_NOTE, {"input": {"body": NOTE, "subjectId": contact["id"]}}, token=token)
    assert note["addNote"]["userErrors"] == [], note
    lead = await capture(
        gql,
        token,
        name=NAME,
        email=EMAIL,
        message=LEAD_MESSAGE,
        utm={"utm_term": EMAIL},
        campaign="Vila Sônia",
    )
    assert lead["userErrors"] == [] and lead["contact"]["id"] == contact["id"], lead
    queue = await create_queue(gql, token, [{"userId": workspace.admin["id"]}])
    assigned = await distribute(gql, token, queue["id"], contact_id=contact["id"])
    assert assigned["userErrors"] == [], assigned
    segment = await gql.ok(CREATE_SEGMENT, {"input": {"name": "Pedido LGPD", "search": EMAIL}}, token=token)
    assert segment["createSegment"]["userErrors"] == [], segment
    await _channel_rows(received["message"]["id"], inbox["id"])
    await _side_rows(workspace, contact["id"], inbox["id"])
    # Deliveries of the log so far exist (and the receiver got them).
    await eventually(lambda: _delivered(workspace), what="webhook deliveries")
    return World(contact["id"], deal["id"], conversation["id"], inbox["id"], receiver, job["errorReportUrl"])


# A CSV import that creates the subject (and someone else), and refuses a
# second row naming the subject (its phone is short).
IMPORT_MAPPING = [*MAPPING, {"column": "CPF", "field": "customFields.cpf"}]
IMPORT_HEADER = ["Nome", "E-mail", "Telefone", "Origem", "CPF"]
IMPORT_ROWS = [
    [NAME, EMAIL, PHONE_WRITTEN, "Feirão", CPF],
    [NAME, EMAIL, "(11) 9765", "Feirão", CPF],
    [*OTHER_ROW, ""],
]


async def _imported_contact(gql: Any, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    content = csv_bytes(IMPORT_ROWS, header=IMPORT_HEADER)
    job = await imported(gql, token, content, columns=IMPORT_MAPPING)
    assert (job["status"], job["createdCount"], job["failedCount"]) == ("COMPLETED", 2, 1), job
    contact = await Contact.get(email=EMAIL)
    return {"id": encode_id("Contact", contact.id)}, job


async def _rdstation_conversion(gql: Any, token: str) -> None:
    """RD Station posts a conversion of the subject (captured into the
    existing contact); its lead payload is stored."""
    config = await configure(gql, token)
    lead = rd_lead(
        email=EMAIL,
        name=NAME,
        mobile_phone=PHONE_WRITTEN,
        personal_phone=PHONE_WRITTEN,
        custom_fields={"cpf": CPF},
    )
    lead["last_conversion"]["content"] |= {"nome": NAME, "telefone": PHONE_WRITTEN}
    lead["first_conversion"]["content"] |= {"nome": NAME}
    response = await post(gql, config["intake"]["webhookPath"], config["secret"], [lead])
    assert response.status_code == 200 and response.json()["stored"] == 1, response.text
    await eventually(lambda: captured(1), what="the RD Station capture")


async def _delivered(workspace: Any) -> bool:
    rows = await WebhookDelivery.all().values_list("status", "body")
    return any(NAME in body for _, body in rows) and all(status == "SUCCEEDED" for status, _ in rows)


async def _channel_rows(message_id: str, inbox_id: str) -> None:
    """What the e-mail and WhatsApp channels keep beside a message: the
    raw source of an e-mail, an attachment and the e-mail's headers, and a provider webhook's payload (the Cloud
    API's `changes[].value` shape) naming the sender."""
    message_pk = pk_of(message_id, "Message")
    raw = f"From: {NAME} <{EMAIL}>\r\nSubject: Apartamento\r\n\r\n{INBOUND}\r\n".encode()
    await EmailSource.create(message_id=message_pk, source=raw, size=len(raw))
    await Message.filter(id=message_pk).update(
        content_type="document",
        attachments=[
            {"kind": "document", "mediaId": "m-1", "name": ATTACHMENT, "mimeType": "application/pdf"}
        ],
        channel_data={"headers": {"From": f"{NAME} <{EMAIL}>", "Message-ID": "<a1@cliente-lgpd.com.br>"}},
    )
    await InboundWebhook.create(
        inbox_id=pk_of(inbox_id, "Inbox"),
        payload={
            "messaging_product": "whatsapp",
            "contacts": [{"profile": {"name": NAME}, "wa_id": PHONE[1:]}],
            "messages": [{"from": PHONE[1:], "id": "wamid.X1", "type": "text", "text": {"body": INBOUND}}],
        },
        received_at=datetime.now(UTC),
        processed_at=datetime.now(UTC),
    )


async def _side_rows(workspace: Any, contact_id: str, inbox_id: str) -> None:
    """A webchat visitor who typed their name and e-mail, and a user's
    notification naming the lead."""
    contact_pk, inbox_pk = pk_of(contact_id, "Contact"), pk_of(inbox_id, "Inbox")
    workspace_pk = (await Contact.get(id=contact_pk)).workspace_id
    await WebchatVisitor.create(
        workspace_id=workspace_pk,
        inbox_id=inbox_pk,
        key="v-lgpd",
        contact_id=contact_pk,
        name=NAME,
        email=EMAIL,
    )
    await Notification.create(
        workspace_id=workspace_pk,
        user_id=pk_of(workspace.admin["id"], "User"),
        message=f"Novo lead para você: {NAME} ({PHONE})",
        contact_id=contact_pk,
    )


async def dump() -> str:
    """Every row of every table, as text (bytes decoded), lower-cased."""
    connection = connections.get("default")
    parts: list[str] = []
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        _, rows = await connection.execute_query(f'SELECT * FROM "{table}"')
        for row in rows:
            for value in dict(row).values():
                if isinstance(value, bytes | bytearray | memoryview):
                    value = bytes(value).decode("utf-8", "replace")
                parts.append(str(value))
    return "\n".join(parts).lower()


def found(text: str) -> list[str]:
    return [s for s in ORIGINALS if s.lower() in text]
