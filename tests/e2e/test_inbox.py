"""The web inbox end to end in headless Chromium: an agent sees a
conversation arrive live, opens it, replies (stored once, even after a
double click or a retry whose first answer was lost), adds a private note,
uses a canned response; outside WhatsApp's 24-hour window sends an approved
template; transfers a conversation to a colleague (it leaves her list live)
and resolves another; a dropped connection resumes with `since`; on a phone
the list and the thread take turns."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.distribution.support import create_queue
from tests.inbox.support import CREATE_SLA_POLICY, conversation, create_inbox, receive
from tests.support import PASSWORD

CREATE_CANNED = """
mutation Canned($input: CannedResponseInput!) {
  createCannedResponse(input: $input) { cannedResponse { id } userErrors { code message field } }
}
"""

UPSERT_TEMPLATE = """
mutation Template($inboxId: ID!, $input: MessageTemplateInput!) {
  upsertMessageTemplate(inboxId: $inboxId, input: $input) { inbox { id } userErrors { code message field } }
}
"""

INBOX_SEQUENCE = "query { inboxSequence }"


async def given_an_agent_with_an_inbox(
    gql: Any, workspace: Any, *, channel: str = "API", name: str = "Site"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An agent who is the only member of the queue of a new inbox: what
    comes in is hers."""
    agent = await workspace.user("AGENT", name="Ana Atendente")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    inbox = await create_inbox(gql, workspace.token, channel=channel, queue_id=queue["id"], name=name)
    return agent, inbox


async def log_in(page: Any, user: dict[str, Any]) -> None:
    await page.get_by_label("E-mail").fill(user["email"])
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()


async def inbox_page(open_page: Any, server: Any, user: dict[str, Any], where: str = "#/inbox") -> Any:
    """A new tab logged in as `user` on the inbox (or a conversation), live."""
    return await enter_inbox(await open_page(), server, user, where)


async def enter_inbox(page: Any, server: Any, user: dict[str, Any], where: str = "#/inbox") -> Any:
    await page.goto(f"{server.url}/{where}")
    await log_in(page, user)
    await expect(page.get_by_role("search", name="Filtros")).to_be_visible()
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")
    return page


def item(page: Any, conversation_id: str) -> Any:
    return page.locator(f'.conversation-item[data-conversation-id="{conversation_id}"]')


def messages(stored: dict[str, Any], **match: Any) -> list[dict[str, Any]]:
    nodes = [edge["node"] for edge in stored["messages"]["edges"]]
    return [node for node in nodes if all(node[key] == value for key, value in match.items())]


async def test_a_conversation_arrives_live_and_the_agent_replies_once_and_adds_a_note(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given an agent on the inbox, and a canned response of the workspace
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace)
    canned = await gql.ok(
        CREATE_CANNED,
        {"input": {"shortCode": "bomdia", "title": "Bom dia", "body": "Bom dia! Como posso ajudar?"}},
        token=workspace.token,
    )
    assert canned["createCannedResponse"]["userErrors"] == []
    page = await inbox_page(open_page, server, agent)
    await expect(page.locator(".conversation-items .empty")).to_have_text("Nenhuma conversa aqui.")

    # when a customer writes (the admin delivers the message through the API)
    received = await receive(
        gql, workspace.token, inbox["id"], name="Maria Cliente", body="Quero visitar o apartamento"
    )
    assert received["userErrors"] == []
    conversation_id = received["conversation"]["id"]

    # then it appears in the agent's list while the page is open, waiting for an answer
    listed = item(page, conversation_id)
    await expect(listed.locator(".contact-name")).to_have_text("Maria Cliente")
    await expect(listed).to_contain_text(f"#{received['conversation']['number']}")
    await expect(listed.locator(".waiting")).to_contain_text("aguardando há")
    await expect(listed.locator(".badge-status")).to_have_text("Aberta")
    await expect(listed.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d$"))

    # when she opens it
    await listed.get_by_role("link").click()

    # then the thread shows the message, and the address names the conversation
    thread = page.locator(".thread-pane")
    await expect(thread.locator(".message.inbound")).to_contain_text("Quero visitar o apartamento")
    assert page.url.endswith(f"#/inbox/{conversation_id}")

    # when she types "/bom", picks the suggested canned response and double-clicks Enviar
    box = thread.get_by_role("textbox", name="Resposta")
    await box.fill("/bom")
    await expect(thread.get_by_role("option", name="/bomdia")).to_be_visible()
    await box.press("Enter")
    await expect(box).to_have_value("Bom dia! Como posso ajudar?")
    await thread.get_by_role("button", name="Enviar", exact=True).dblclick()

    # then the reply shows once, the box empties, and the API stored it once
    await expect(box).to_have_value("")
    await expect(thread.locator(".message.outbound")).to_have_count(1)
    stored = await conversation(gql, workspace.token, conversation_id)
    assert [m["body"] for m in messages(stored, direction="OUTBOUND")] == ["Bom dia! Como posso ajudar?"]
    await expect(listed.locator(".waiting")).to_have_count(0)

    # when the answer to the next reply is lost on its way back, and she sends again
    sent_keys: list[str] = []

    async def lose_the_first_answer(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        if "sendMessage" not in body.get("query", ""):
            await route.continue_()
            return
        sent_keys.append(body["variables"]["input"]["clientMessageId"])
        if len(sent_keys) == 1:
            await route.fetch()  # the server stores it...
            await route.abort()  # ...but the page never hears back
        else:
            await route.continue_()

    await page.route(re.compile(r"/graphql$"), lose_the_first_answer)
    await box.fill("Posso às 15h?")
    await box.press("Enter")
    await expect(page.locator(".toast").last).to_contain_text("não foi enviada")
    await expect(box).to_have_value("Posso às 15h?")
    await thread.get_by_role("button", name="Enviar", exact=True).click()

    # then both attempts carried the same key, and the message exists once
    await expect(box).to_have_value("")
    assert len(sent_keys) == 2 and sent_keys[0] == sent_keys[1]
    await expect(thread.locator(".message.outbound", has_text="Posso às 15h?")).to_have_count(1)
    stored = await conversation(gql, workspace.token, conversation_id)
    assert [m["body"] for m in messages(stored, direction="OUTBOUND")] == [
        "Bom dia! Como posso ajudar?",
        "Posso às 15h?",
    ]
    await page.unroute(re.compile(r"/graphql$"))

    # when she adds a private note
    await thread.get_by_label("Nota interna").check()
    await box.fill("Cliente prefere visitas à tarde")
    await thread.get_by_role("button", name="Adicionar nota").click()

    # then it shows as a note, and it is stored as one (never sent to the contact)
    note = thread.locator(".message.note")
    await expect(note).to_contain_text("Cliente prefere visitas à tarde")
    await expect(note.locator(".bubble-label")).to_have_text("Nota interna")
    stored = await conversation(gql, workspace.token, conversation_id)
    [stored_note] = messages(stored, kind="NOTE")
    assert (stored_note["body"], stored_note["direction"], stored_note["status"]) == (
        "Cliente prefere visitas à tarde",
        None,
        None,
    )

    # and a reload keeps the place, loading nothing from anywhere but RevGraph
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    await page.reload()
    await expect(thread.locator(".message.note")).to_contain_text("Cliente prefere visitas à tarde")
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")
    host = server.url.split("//", 1)[1]
    assert requested and all(re.match(rf"(https?|wss?)://{re.escape(host)}/", url) for url in requested), (
        requested
    )


async def test_outside_the_whatsapp_window_the_agent_sends_an_approved_template(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given a WhatsApp conversation whose customer wrote two days ago, and an approved template
    agent, inbox = await given_an_agent_with_an_inbox(
        gql, workspace, channel="WHATSAPP", name="WhatsApp Vendas"
    )
    template = {"name": "retomada", "language": "pt_BR", "body": "Olá {{1}}, ainda tem interesse no {{2}}?"}
    upserted = await gql.ok(
        UPSERT_TEMPLATE, {"inboxId": inbox["id"], "input": template}, token=workspace.token
    )
    assert upserted["upsertMessageTemplate"]["userErrors"] == []
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    received = await receive(gql, workspace.token, inbox["id"], name="João Antigo", at=two_days_ago)
    conversation_id = received["conversation"]["id"]
    assert received["conversation"]["canReply"] is False

    # when the agent follows a link to it
    page = await inbox_page(open_page, server, agent, f"#/inbox/{conversation_id}")

    # then the thread says the window is closed, and free text cannot go (a note still can)
    thread = page.locator(".thread-pane")
    await expect(thread.locator(".window-banner")).to_have_text(
        "A janela de 24 h está fechada: envie um modelo aprovado"
    )
    await expect(thread.get_by_role("button", name="Enviar", exact=True)).to_be_disabled()
    await thread.get_by_label("Nota interna").check()
    await expect(thread.get_by_role("button", name="Adicionar nota")).to_be_enabled()
    await thread.get_by_label("Nota interna").uncheck()

    # when she picks the template and fills its variables
    picker = thread.get_by_role("form", name="Modelos")
    await picker.get_by_label("Modelo", exact=True).select_option(label="retomada (pt_BR)")
    await picker.get_by_label("Variável {{1}}").fill("João")
    await picker.get_by_label("Variável {{2}}").fill("Jardins")
    await expect(picker.locator(".template-preview")).to_have_text(
        "Olá João, ainda tem interesse no Jardins?"
    )
    await picker.get_by_role("button", name="Enviar modelo").click()

    # then the template shows in the thread, and the API stored it once, filled in
    sent = thread.locator('.message[data-kind="TEMPLATE"]')
    await expect(sent).to_contain_text("Olá João, ainda tem interesse no Jardins?")
    await expect(sent.locator(".bubble-label")).to_have_text("Modelo: retomada")
    stored = await conversation(gql, workspace.token, conversation_id)
    [message] = messages(stored, kind="TEMPLATE")
    assert (message["templateName"], message["body"]) == (
        "retomada",
        "Olá João, ainda tem interesse no Jardins?",
    )


async def test_a_transfer_takes_the_conversation_out_of_the_agents_list_live_and_resolving_closes_another(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given two conversations of the agent, and a colleague
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace)
    colleague = await workspace.user("AGENT", name="Bia Colega")
    carla = (
        await receive(gql, workspace.token, inbox["id"], name="Carla Compradora", phone="+5511900000001")
    )["conversation"]
    davi = (await receive(gql, workspace.token, inbox["id"], name="Davi Inquilino", phone="+5511900000002"))[
        "conversation"
    ]
    assert carla["assignee"]["id"] == agent["id"] and davi["assignee"]["id"] == agent["id"]
    page = await inbox_page(open_page, server, agent)
    await page.get_by_role("button", name="Minhas").click()
    await expect(page.locator(".conversation-item")).to_have_count(2)
    await page.get_by_role("button", name="Todas").click()
    await expect(page.locator(".conversation-item")).to_have_count(2)

    # when she transfers Carla's conversation to her colleague, with a reason
    await item(page, carla["id"]).get_by_role("link").click()
    thread = page.locator(".thread-pane")
    await thread.get_by_role("button", name="Transferir").click()
    dialog = page.get_by_role("dialog", name="Transferir conversa")
    await dialog.get_by_label("Pessoa", exact=True).select_option(label="Bia Colega")
    await dialog.get_by_label("Motivo").fill("Cliente prefere falar com a Bia")
    await dialog.get_by_role("button", name="Transferir").click()

    # then the conversation leaves her list (she may no longer see it) and the thread says so
    await expect(item(page, carla["id"])).to_have_count(0)
    await expect(thread.locator(".gone-notice")).to_be_visible()
    stored = await conversation(gql, workspace.token, carla["id"])
    assert stored["assignee"]["id"] == colleague["id"]
    assert any("Cliente prefere falar com a Bia" in m["body"] for m in messages(stored, kind="ACTIVITY"))

    # when she resolves Davi's conversation
    await item(page, davi["id"]).get_by_role("link").click()
    await thread.get_by_role("button", name="Resolver").click()

    # then it is resolved, out of the list of open conversations, and can be reopened
    await expect(thread.locator(".badge-status")).to_have_text("Resolvida")
    await expect(item(page, davi["id"])).to_have_count(0)
    await expect(thread.get_by_role("button", name="Reabrir")).to_be_visible()
    assert (await conversation(gql, workspace.token, davi["id"]))["status"] == "RESOLVED"

    # when Davi writes again (a new conversation) and she tries to reopen the old one
    again = await receive(gql, workspace.token, inbox["id"], name="Davi Inquilino", phone="+5511900000002")
    await expect(item(page, again["conversation"]["id"])).to_be_visible()
    await thread.get_by_role("button", name="Reabrir").click()

    # then she is told why not, in Portuguese, and nothing changed
    await expect(page.locator(".toast").last).to_contain_text(
        "Já existe uma conversa aberta com este contato"
    )
    assert (await conversation(gql, workspace.token, davi["id"]))["status"] == "RESOLVED"


async def test_a_dropped_live_connection_resumes_with_since_and_catches_up(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given an inbox tab whose websocket goes through a proxy the test can cut
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace)
    sockets: list[Any] = []
    subscribed: list[dict[str, Any]] = []

    async def proxy(ws: Any) -> None:
        upstream = ws.connect_to_server()

        def from_page(message: Any) -> None:
            parsed = json.loads(message)
            if parsed.get("type") == "subscribe":
                subscribed.append(parsed["payload"]["variables"])
            upstream.send(message)

        ws.on_message(from_page)
        sockets.append(ws)

    page = await open_page()
    await page.route_web_socket(re.compile(r"/graphql$"), proxy)
    await enter_inbox(page, server, agent)
    sequence = (await gql.ok(INBOX_SEQUENCE, token=workspace.token))["inboxSequence"]
    assert subscribed == [{"since": sequence}]

    # when the connection drops and a customer writes meanwhile
    await sockets[-1].close(code=1012, reason="restarting")
    received = await receive(gql, workspace.token, inbox["id"], name="Eva Noturna")

    # then the tab reconnects from the last sequence it applied and shows the conversation
    await expect(item(page, received["conversation"]["id"])).to_contain_text("Eva Noturna")
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")
    assert len(subscribed) >= 2
    assert subscribed[1] == {"since": sequence}


async def test_on_a_phone_the_list_and_the_thread_take_turns_and_more_pages_load(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given more conversations than one page holds
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace)
    first = None
    for n in range(32):
        received = await receive(
            gql, workspace.token, inbox["id"], name=f"Cliente {n:02d}", phone=f"+55119000{n:05d}"
        )
        first = first or received["conversation"]
    page = await inbox_page(open_page, server, agent)
    await page.set_viewport_size({"width": 390, "height": 800})
    await expect(page.locator(".conversation-item")).to_have_count(30)

    # when the end of the list comes into view
    await page.get_by_role("button", name="Carregar mais").scroll_into_view_if_needed()

    # then the rest loads, the oldest last
    await expect(page.locator(".conversation-item")).to_have_count(32)
    await expect(page.locator(".conversation-item").last.locator(".contact-name")).to_have_text("Cliente 00")

    # when a conversation is opened on the phone
    await item(page, first["id"]).get_by_role("link").click()

    # then the thread takes the screen, and "Voltar" brings the list back
    thread = page.locator(".thread-pane")
    await expect(thread.locator(".message.inbound")).to_be_visible()
    await expect(page.locator(".inbox-list-pane")).to_be_hidden()
    await thread.get_by_role("link", name=re.compile("Voltar")).first.click()
    await expect(page.locator(".inbox-list-pane")).to_be_visible()
    await expect(thread).to_be_hidden()


async def test_the_list_filters_by_sla_search_and_assignee_and_the_header_sets_priority_and_snoozes(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given an inbox whose policy wants a first answer within 30 minutes, with
    # one customer waiting for two hours and one who just wrote (nobody assigned)
    policy = await gql.ok(
        CREATE_SLA_POLICY,
        {"input": {"name": "Atendimento", "firstResponseMinutes": 30, "businessHoursOnly": False}},
        token=workspace.token,
    )
    assert policy["createSlaPolicy"]["userErrors"] == []
    inbox = await create_inbox(
        gql, workspace.token, name="Site", slaPolicyId=policy["createSlaPolicy"]["slaPolicy"]["id"]
    )
    two_hours_ago = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    late = (
        await receive(
            gql,
            workspace.token,
            inbox["id"],
            name="Antônio Atrasado",
            phone="+5511900000011",
            at=two_hours_ago,
        )
    )["conversation"]
    recent = (
        await receive(gql, workspace.token, inbox["id"], name="Beatriz Recente", phone="+5511900000012")
    )["conversation"]
    admin = {"email": workspace.email}
    page = await inbox_page(open_page, server, admin)
    await expect(page.locator(".conversation-item")).to_have_count(2)

    # when the list shows only breached SLAs
    await page.get_by_label("SLA", exact=True).select_option(label="SLA estourado")

    # then only the late one is there, marked
    await expect(page.locator(".conversation-item")).to_have_count(1)
    await expect(item(page, late["id"]).locator(".badge-sla")).to_have_text("SLA estourado")
    await page.get_by_label("SLA", exact=True).select_option(label="Qualquer SLA")
    await expect(page.locator(".conversation-item")).to_have_count(2)

    # when searching by name, accents aside
    await page.get_by_role("searchbox", name="Buscar").fill("beatriz")

    # then only Beatriz is listed
    await expect(page.locator(".conversation-item")).to_have_count(1)
    await expect(item(page, recent["id"])).to_be_visible()

    # when the admin takes Beatriz's conversation
    await item(page, recent["id"]).get_by_role("link").click()
    thread = page.locator(".thread-pane")
    await thread.get_by_role("button", name="Atribuir a mim").click()
    await expect(thread.locator(".thread-meta .assignee")).to_have_text("Ana Admin")
    await expect(thread.locator(".message.activity")).to_contain_text("Ana Admin")
    await page.get_by_role("searchbox", name="Buscar").fill("")

    # then "Sem responsável" lists Antônio only and "Minhas" Beatriz only
    await page.get_by_role("button", name="Sem responsável").click()
    await expect(page.locator(".conversation-item")).to_have_count(1)
    await expect(item(page, late["id"])).to_be_visible()
    await page.get_by_role("button", name="Minhas").click()
    await expect(page.locator(".conversation-item")).to_have_count(1)
    await expect(item(page, recent["id"])).to_be_visible()

    # when she makes it urgent, then snoozes it for an hour
    await thread.get_by_label("Prioridade").select_option(label="Urgente")
    await expect(item(page, recent["id"]).locator(".badge-priority")).to_have_text("Urgente")
    await thread.get_by_label("Adiar").select_option(label="Por 1 hora")

    # then it says until when, leaves the open ones, and the API agrees
    await expect(thread.locator(".badge-status")).to_have_text("Adiada")
    await expect(thread.locator(".thread-meta")).to_contain_text("Adiada até")
    await expect(item(page, recent["id"])).to_have_count(0)
    stored = await conversation(gql, workspace.token, recent["id"])
    assert (stored["priority"], stored["status"], stored["assignee"]["id"]) == (
        "URGENT",
        "SNOOZED",
        workspace.admin["id"],
    )


async def test_older_messages_load_above_the_thread(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given a conversation with more messages than a thread first shows
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace)
    start = datetime.now(UTC) - timedelta(hours=1)
    for n in range(53):
        at = (start + timedelta(seconds=n)).isoformat()
        received = await receive(gql, workspace.token, inbox["id"], body=f"Mensagem {n:02d}", at=at)
    page = await inbox_page(open_page, server, agent, f"#/inbox/{received['conversation']['id']}")
    thread = page.locator(".thread-pane")
    await expect(thread.locator(".message")).to_have_count(50)
    await expect(thread.locator(".message").first).to_contain_text("Mensagem 03")

    # when the older ones are asked for
    await thread.get_by_role("button", name="Carregar mensagens anteriores").click()

    # then they come first, oldest at the top, and there is nothing more to load
    await expect(thread.locator(".message")).to_have_count(53)
    await expect(thread.locator(".message").first).to_contain_text("Mensagem 00")
    await expect(thread.locator(".message").last).to_contain_text("Mensagem 52")
    await expect(thread.get_by_role("button", name="Carregar mensagens anteriores")).to_be_hidden()


async def test_a_reply_the_channel_could_not_deliver_shows_why_live(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given an agent on a WhatsApp inbox that is not connected yet, and a customer's message
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace, channel="WHATSAPP", name="WhatsApp")
    received = await receive(gql, workspace.token, inbox["id"], body="Oi, tudo bem?")
    conversation_id = received["conversation"]["id"]
    page = await inbox_page(open_page, server, agent, f"#/inbox/{conversation_id}")
    thread = page.locator(".thread-pane")
    await expect(thread.locator(".message.inbound")).to_contain_text("Oi, tudo bem?")

    # when she replies
    await thread.get_by_role("textbox", name="Resposta").fill("Olá! Posso ajudar?")
    await thread.get_by_role("button", name="Enviar", exact=True).click()

    # then the reply turns "falhou" live, saying why in Portuguese
    reply = thread.locator(".message.outbound")
    await expect(reply.locator(".delivery")).to_have_text("falhou")
    await expect(reply.locator(".delivery-error")).to_contain_text(
        "Não entregue: A caixa de entrada do WhatsApp não está conectada"
    )
