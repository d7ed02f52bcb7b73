"""A WEBCHAT inbox's widget setup: a public key on creation, the snippet and
settings for administrators only, settings checked (nothing stored on a
refusal); the widget served from the package; its configuration only to
the inbox's allowed sites; the socket refused to other sites' pages."""

from __future__ import annotations

import httpx
import pytest

from tests.inbox.support import CREATE_INBOX
from tests.webchat.support import WEBCHAT_INBOX, refused, visit, webchat_inbox

UPDATE_INBOX = """
mutation Update($id: ID!, $input: InboxUpdateInput!) {
  updateInbox(id: $id, input: $input) { inbox { id webchat { publicKey allowedOrigins title greeting color } } userErrors { code field } }
}
"""
SITE = "https://www.imobiliaria.com.br"


async def test_a_webchat_inbox_gets_a_public_key_and_a_snippet_its_admins_read(gql, workspace, server):
    # given a WEBCHAT inbox with settings, and an agent
    inbox = await webchat_inbox(
        gql,
        workspace.token,
        settings={
            "allowedOrigins": [SITE + "/", "HTTP://Localhost:8080"],
            "greeting": "Oi! Fale com a gente.",
            "color": "#aa3300",
        },
    )
    agent = await workspace.user("AGENT")
    widget = inbox["webchat"]
    # then the administrator reads the key, the snippet and the normalised settings
    assert len(widget["publicKey"]) >= 32
    assert widget["snippet"] == (
        f'<script src="{server.url}/widget.js" data-inbox="{widget["publicKey"]}" async></script>'
    )
    assert widget["allowedOrigins"] == [SITE, "http://localhost:8080"]
    assert (widget["title"], widget["greeting"], widget["color"]) == (
        "Fale conosco",
        "Oi! Fale com a gente.",
        "#AA3300",
    )
    # and an agent reads the inbox but not its widget setup
    rows = (await gql.ok(WEBCHAT_INBOX, token=agent["token"]))["inboxes"]
    assert [row["webchat"] for row in rows] == [None]
    # and other channels have none
    api = await gql.ok(CREATE_INBOX, {"input": {"name": "API", "channel": "API"}}, token=workspace.token)
    rows = (await gql.ok(WEBCHAT_INBOX, token=workspace.token))["inboxes"]
    assert next(r for r in rows if r["id"] == api["createInbox"]["inbox"]["id"])["webchat"] is None
    # when the settings change, the key stays
    data = await gql.ok(
        UPDATE_INBOX,
        {"id": inbox["id"], "input": {"settings": {"title": "Atendimento"}}},
        token=workspace.token,
    )
    changed = data["updateInbox"]["inbox"]["webchat"]
    assert (changed["publicKey"], changed["title"], changed["allowedOrigins"]) == (
        widget["publicKey"],
        "Atendimento",
        [],
    )


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"allowedOrigins": ["www.site.com"]}, ["input", "settings", "allowedOrigins", "0"]),
        ({"allowedOrigins": ["https://site.com/pagina"]}, ["input", "settings", "allowedOrigins", "0"]),
        ({"allowedOrigins": "https://site.com"}, ["input", "settings", "allowedOrigins"]),
        ({"color": "azul"}, ["input", "settings", "color"]),
        ({"greeting": "x" * 501}, ["input", "settings", "greeting"]),
        ({"title": "linha\nquebrada"}, ["input", "settings", "title"]),
        ({"allowedOrigin": ["https://site.com"]}, ["input", "settings", "allowedOrigin"]),
    ],
)
async def test_bad_webchat_settings_are_refused_and_nothing_is_created(gql, workspace, settings, field):
    data = await gql.ok(
        CREATE_INBOX,
        {"input": {"name": "Chat", "channel": "WEBCHAT", "settings": settings}},
        token=workspace.token,
    )
    assert data["createInbox"]["inbox"] is None
    assert data["createInbox"]["userErrors"][0]["code"] == "INVALID"
    assert data["createInbox"]["userErrors"][0]["field"] == field
    assert (await gql.ok(WEBCHAT_INBOX, token=workspace.token))["inboxes"] == []


async def test_the_widget_is_served_from_the_package_and_its_config_only_to_allowed_sites(
    gql, workspace, server
):
    inbox = await webchat_inbox(gql, workspace.token, settings={"allowedOrigins": [SITE]})
    key = inbox["webchat"]["publicKey"]
    async with httpx.AsyncClient(base_url=server.url) as http:
        script = await http.get("/widget.js")
        allowed = await http.get("/webchat/config", params={"inbox": key}, headers={"Origin": SITE})
        other = await http.get(
            "/webchat/config", params={"inbox": key}, headers={"Origin": "https://evil.example"}
        )
        unknown = await http.get("/webchat/config", params={"inbox": "nope"}, headers={"Origin": SITE})
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "data-inbox" in script.text and "/webchat/ws" in script.text
    assert "http://" not in script.text.replace("https://<server>", "")  # loads nothing from elsewhere
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == SITE
    assert allowed.json() == {
        "title": "Fale conosco",
        "greeting": "Olá! Como podemos ajudar?",
        "color": "#1F6FEB",
    }
    assert other.status_code == 403
    assert "access-control-allow-origin" not in other.headers
    assert unknown.status_code == 404


async def test_the_socket_refuses_pages_of_other_sites_and_unknown_inboxes(gql, workspace, server):
    # given an inbox that allows one site
    inbox = await webchat_inbox(gql, workspace.token, settings={"allowedOrigins": [SITE]})
    key = inbox["webchat"]["publicKey"]
    # then a page of another site, or a client without an Origin, is closed 4403
    assert await refused(server, key, [{"type": "hello"}], origin="https://evil.example") == (
        4403,
        "origem não permitida",
    )
    assert await refused(server, key, [{"type": "hello"}]) == (4403, "origem não permitida")
    # and an unknown key 4404
    assert await refused(server, "unknown", [{"type": "hello"}], origin=SITE) == (
        4404,
        "caixa de entrada desconhecida",
    )
    # and a page of the site gets in
    async with visit(server, key, origin=SITE) as visitor:
        assert visitor.ready["type"] == "ready"


async def test_bad_frames_close_the_socket_with_a_clear_code(gql, workspace, server):
    inbox = await webchat_inbox(gql, workspace.token)
    key = inbox["webchat"]["publicKey"]
    assert await refused(server, key, ["not json"]) == (4400, "os quadros são objetos JSON")
    assert await refused(server, key, [{"type": "message"}]) == (4400, "o primeiro quadro deve ser hello")
    assert await refused(server, key, [{"type": "hello"}, {"type": "subscribe"}]) == (
        4400,
        "tipo de quadro desconhecido 'subscribe'",
    )
    too_big = '{"type":"message","body":"' + "a" * 30_000 + '"}'
    assert await refused(server, key, [{"type": "hello"}, too_big]) == (1009, "mensagem grande demais")
    # a visitor whose browser asks for English is told in English
    english = {"Accept-Language": "en-US,en;q=0.9"}
    assert await refused(server, key, [{"type": "message"}], headers=english) == (
        4400,
        "the first frame must be hello",
    )
    # and a reason never passes the 123 bytes of UTF-8 a close frame holds
    code, reason = await refused(server, key, [{"type": "hello"}, {"type": "ç" * 200}])
    assert code == 4400 and reason.startswith("tipo de quadro desconhecido 'ççç")
    assert len(reason.encode("utf-8")) <= 123


async def test_an_empty_or_too_long_message_is_an_error_frame_and_stores_nothing(gql, workspace, server):
    inbox = await webchat_inbox(gql, workspace.token)
    async with visit(server, inbox["webchat"]["publicKey"]) as visitor:
        empty = await visitor.write("   ")
        long = await visitor.write("a" * 5001)
        bad_id = await visitor.write("oi", client_message_id="não vale")
        bad_email = await visitor.send({"type": "identify", "email": "não é e-mail"})
        error = await visitor.frame_of("error")
    assert (empty["type"], empty["code"], empty["field"]) == ("error", "INVALID", ["body"])
    assert (long["code"], long["field"]) == ("INVALID", ["body"])
    assert bad_id["type"] == "error" and bad_id["field"] == ["clientMessageId"]
    assert bad_email is None and error["field"] == ["email"]
    from tests.webchat.test_visitors import agent_sees

    assert await agent_sees(gql, workspace.token, inbox["id"]) == []


async def test_what_a_visitor_says_of_themselves_goes_on_their_own_contact(gql, workspace, server):
    from tests.inbox.support import receive
    from tests.webchat.test_visitors import agent_sees

    # given a known contact with an e-mail, who wrote through the API inbox
    api = await gql.ok(CREATE_INBOX, {"input": {"name": "API", "channel": "API"}}, token=workspace.token)
    await receive(
        gql, workspace.token, api["createInbox"]["inbox"]["id"], email="maria@example.com", name="Maria"
    )
    inbox = await webchat_inbox(gql, workspace.token)
    async with visit(server, inbox["webchat"]["publicKey"]) as visitor:
        # when a visitor types that e-mail and a name
        await visitor.send({"type": "identify", "name": "Maria Souza", "email": "MARIA@example.com"})
        identified = await visitor.frame_of("identified")
        await visitor.write("Sou a Maria")
    # then the visitor is their own contact, named as they said, without the taken e-mail
    assert identified["visitor"] == {"name": "Maria Souza", "email": "maria@example.com"}
    [conversation] = await agent_sees(gql, workspace.token, inbox["id"])
    assert conversation["contact"]["name"] == "Maria Souza"
    from tests.inbox.support import conversation as read_conversation

    found = await read_conversation(gql, workspace.token, conversation["id"])
    assert found["contact"]["email"] is None


async def test_webchat_inboxes_made_before_the_widget_get_their_key_from_migration_0021(
    gql, workspace, server
):
    import importlib

    from tortoise import connections

    from revgraph.models.inbox import Inbox
    from revgraph.resolvers.ids import decode_id

    # given a WEBCHAT and an API inbox as they were before migration 0021 (no key)
    webchat = await webchat_inbox(gql, workspace.token, name="Antigo")
    api = await gql.ok(CREATE_INBOX, {"input": {"name": "API", "channel": "API"}}, token=workspace.token)
    webchat_pk = decode_id(webchat["id"])[1]
    api_pk = decode_id(api["createInbox"]["inbox"]["id"])[1]
    await Inbox.filter(id=webchat_pk).update(channel_address=None)
    assert [r["webchat"] for r in (await gql.ok(WEBCHAT_INBOX, token=workspace.token))["inboxes"]] == [
        None,
        None,
    ]

    # when the migration's data step runs
    class Editor:
        client = connections.get("default")

    migration = importlib.import_module("revgraph.models.migrations.0021_webchat")
    await migration.give_webchat_keys(None, Editor())

    # then the WEBCHAT inbox has a new key its administrators read, and the API inbox none
    rows = (await gql.ok(WEBCHAT_INBOX, token=workspace.token))["inboxes"]
    widget = next(r for r in rows if r["id"] == webchat["id"])["webchat"]
    assert len(widget["publicKey"]) >= 32
    assert widget["publicKey"] != webchat["webchat"]["publicKey"]
    assert (await Inbox.get(id=api_pk)).channel_address is None
    async with visit(server, widget["publicKey"]) as visitor:
        assert visitor.ready["type"] == "ready"


async def test_a_visitor_who_names_themselves_after_writing_renames_their_contact_on_its_timeline(
    gql, workspace, server
):
    from tests.graph.documents import TIMELINE
    from tests.inbox.support import conversation as read_conversation
    from tests.webchat.test_visitors import agent_sees

    # given a visitor who wrote without saying who they are
    inbox = await webchat_inbox(gql, workspace.token)
    async with visit(server, inbox["webchat"]["publicKey"]) as visitor:
        await visitor.write("Oi")
        [conversation] = await agent_sees(gql, workspace.token, inbox["id"])
        placeholder = conversation["contact"]["name"]
        assert placeholder.startswith("Visitante do site ")
        # when they give their name and e-mail
        await visitor.send({"type": "identify", "name": "Carlos Dias", "email": "carlos@example.com"})
        await visitor.frame_of("identified")
        # and later another name (the contact keeps the first: it is no longer a placeholder)
        await visitor.send({"type": "identify", "name": "Outro Nome"})
        await visitor.frame_of("identified")
    # then their contact carries them, and its timeline says the visitor changed it
    found = await read_conversation(gql, workspace.token, conversation["id"])
    assert (found["contact"]["name"], found["contact"]["email"]) == ("Carlos Dias", "carlos@example.com")
    events = (await gql.ok(TIMELINE, {"id": found["contact"]["id"]}, token=workspace.token))["contact"][
        "timeline"
    ]
    updates = [e["node"] for e in events["edges"] if e["node"]["kind"] == "contact.updated"]
    assert [u["data"]["changes"] for u in updates] == [
        {
            "name": {"from": placeholder, "to": "Carlos Dias"},
            "email": {"from": None, "to": "carlos@example.com"},
        }
    ]
    assert updates[0]["summary"] == "O visitante do webchat informou nome, e-mail"
