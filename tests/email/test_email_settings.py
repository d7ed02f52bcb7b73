"""An EMAIL inbox's settings: its address (checked, lower-cased, unique among
e-mail inboxes of every workspace) and the SMTP server its replies use."""

from __future__ import annotations

import pytest

from revgraph.models.inbox import Inbox
from tests.email.support import INBOX_ADDRESS, email_inbox
from tests.inbox.setup_support import CREATE_INBOX, events_of

UPDATE_INBOX = """
mutation($id: ID!, $input: InboxUpdateInput!) {
  updateInbox(id: $id, input: $input) { inbox { id } userErrors { code message field } }
}
"""


async def _create(gql, token, settings):
    variables = {"input": {"name": "E-mail", "channel": "EMAIL", "settings": settings}}
    return (await gql.ok(CREATE_INBOX, variables, token=token))["createInbox"]


async def test_the_address_is_stored_lower_case_as_the_inbox_address(gql, workspace):
    await email_inbox(gql, workspace.token, 2525, smtpUsername="contato", smtpPassword="s3nha")
    row = await Inbox.get()
    assert row.channel_address == INBOX_ADDRESS
    assert row.settings == {
        "address": INBOX_ADDRESS,
        "fromName": "Imobiliária Horizonte",
        "smtpHost": "127.0.0.1",
        "smtpPort": 2525,
        "smtpSecurity": "NONE",
        "smtpUsername": "contato",
        "smtpPassword": "s3nha",
    }
    # and the log names the address, never the credentials
    [event] = await events_of("inbox.created")
    assert event["data"]["inbox"]["channelAddress"] == INBOX_ADDRESS
    assert "s3nha" not in str(event)


BAD = [
    ({"fromName": "x"}, "address"),
    ({"address": "não é e-mail"}, "address"),
    ({"address": INBOX_ADDRESS, "smtpHots": "smtp.example.com"}, "smtpHots"),
    ({"address": INBOX_ADDRESS, "smtpHost": "smtp.example.com", "smtpPort": 70000}, "smtpPort"),
    ({"address": INBOX_ADDRESS, "smtpHost": "smtp.example.com", "smtpSecurity": "SSL"}, "smtpSecurity"),
    ({"address": INBOX_ADDRESS, "smtpHost": "smtp exemplo"}, "smtpHost"),
    ({"address": INBOX_ADDRESS, "smtpPort": 587}, "smtpPort"),
    ({"address": INBOX_ADDRESS, "fromName": "Loja\r\nBcc: todos@example.com"}, "fromName"),
    ({"address": INBOX_ADDRESS, "smtpHost": "smtp.example.com", "smtpPassword": "x"}, "smtpUsername"),
]


@pytest.mark.parametrize(("settings", "key"), BAD)
async def test_bad_settings_name_their_key_and_create_nothing(gql, workspace, settings, key):
    payload = await _create(gql, workspace.token, settings)
    assert payload["inbox"] is None
    [error] = payload["userErrors"]
    assert (error["code"], error["field"]) == ("INVALID", ["input", "settings", key])
    assert await Inbox.all().count() == 0


async def test_an_address_belongs_to_one_inbox_across_workspaces(gql, workspace, other_workspace):
    # given an inbox with the address in another workspace
    await email_inbox(gql, other_workspace.token)
    # when another is created with it, in any case, or an inbox is changed to it
    created = await _create(gql, workspace.token, {"address": INBOX_ADDRESS.upper()})
    mine = await _create(gql, workspace.token, {"address": "vendas@imobiliaria.example.com"})
    changed = (
        await gql.ok(
            UPDATE_INBOX,
            {"id": mine["inbox"]["id"], "input": {"settings": {"address": INBOX_ADDRESS}}},
            token=workspace.token,
        )
    )["updateInbox"]
    # then both are DUPLICATE on the address, and nothing changed
    for payload in (created, changed):
        assert payload["inbox"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("DUPLICATE", ["input", "settings", "address"])
        ]
    addresses = sorted(await Inbox.all().values_list("channel_address", flat=True))
    assert addresses == [INBOX_ADDRESS, "vendas@imobiliaria.example.com"]


async def test_new_settings_move_the_inbox_to_its_new_address(gql, workspace):
    inbox = await email_inbox(gql, workspace.token)
    payload = (
        await gql.ok(
            UPDATE_INBOX,
            {"id": inbox["id"], "input": {"settings": {"address": "Atendimento@Imobiliaria.example.com"}}},
            token=workspace.token,
        )
    )["updateInbox"]
    assert payload["userErrors"] == []
    row = await Inbox.get()
    assert (row.channel_address, row.settings) == (
        "atendimento@imobiliaria.example.com",
        {"address": "atendimento@imobiliaria.example.com"},
    )
    [event] = await events_of("inbox.updated")
    assert event["data"]["changes"]["channelAddress"] == {
        "from": INBOX_ADDRESS,
        "to": "atendimento@imobiliaria.example.com",
    }
