"""A WhatsApp inbox's settings: checked on create and update with clear
userErrors, stored whole, never returned; the phoneNumberId names one
inbox in the whole installation (webhooks find their inbox by it)."""

from __future__ import annotations

import json

from revgraph.models.inbox import Inbox
from revgraph.resolvers.ids import decode_id
from tests.inbox.support import CREATE_INBOX
from tests.whatsapp.support import credentials, post, text

UPDATE_INBOX = """
mutation($id: ID!, $input: InboxUpdateInput!) {
  updateInbox(id: $id, input: $input) { inbox { id } userErrors { code message field } }
}
"""


async def _create(gql, token, settings, name="WhatsApp Vendas"):
    data = await gql.ok(
        CREATE_INBOX, {"input": {"name": name, "channel": "WHATSAPP", "settings": settings}}, token=token
    )
    return data["createInbox"]


async def test_complete_settings_connect_the_number(gql, workspace):
    payload = await _create(gql, workspace.token, credentials("106540352242922"))
    assert payload["userErrors"] == []
    row = await Inbox.get(id=decode_id(payload["inbox"]["id"])[1])
    assert row.channel_address == "106540352242922"
    assert "tokenXYZ" not in json.dumps(payload)


async def test_each_bad_setting_is_a_userError_on_its_key_and_nothing_is_created(gql, workspace):
    bad = {
        "phoneNumberId": "+55 11 9999",
        "accessToken": "short",
        "appSecret": "has spaces in it 0123456789",
        "verifyToken": "",
        "phone_number_id": "typo",
    }
    payload = await _create(gql, workspace.token, bad)
    assert payload["inbox"] is None
    assert sorted((e["code"], tuple(e["field"])) for e in payload["userErrors"]) == [
        ("INVALID", ("input", "settings", key))
        for key in sorted(["phoneNumberId", "accessToken", "appSecret", "verifyToken", "phone_number_id"])
    ]
    assert "verifyToken é obrigatório" in {e["message"].split(":")[0] for e in payload["userErrors"]}
    assert await Inbox.all().count() == 0


async def test_a_number_connected_anywhere_cannot_be_connected_again(gql, workspace, other_workspace):
    # given a number connected in another workspace
    assert (await _create(gql, other_workspace.token, credentials("106540352242922")))["userErrors"] == []
    # when this workspace connects the same number, on create or on update
    created = await _create(gql, workspace.token, credentials("106540352242922"))
    fresh = (await _create(gql, workspace.token, credentials("200000000000001"), name="Outro"))["inbox"]
    updated = (
        await gql.ok(
            UPDATE_INBOX,
            {"id": fresh["id"], "input": {"settings": credentials("106540352242922")}},
            token=workspace.token,
        )
    )["updateInbox"]
    # then both are DUPLICATE on the phoneNumberId, and nothing changed
    for payload in (created, updated):
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("DUPLICATE", ["input", "settings", "phoneNumberId"])
        ]
    row = await Inbox.get(id=decode_id(fresh["id"])[1])
    assert row.channel_address == "200000000000001"
    assert await Inbox.filter(channel_address="106540352242922").count() == 1


async def test_new_settings_move_the_inbox_to_the_new_number(gql, workspace, cloud_api):
    # given an inbox on one number, moved to another
    inbox = (await _create(gql, workspace.token, credentials("300000000000001")))["inbox"]
    moved = (
        await gql.ok(
            UPDATE_INBOX,
            {"id": inbox["id"], "input": {"settings": credentials("300000000000002")}},
            token=workspace.token,
        )
    )["updateInbox"]
    assert moved["userErrors"] == []
    # then webhooks of the old number are refused, the new one's taken
    assert (await post(gql, text("300000000000001", "Oi"))).status_code == 403
    assert (await post(gql, text("300000000000002", "Oi"))).status_code == 200
    # and null disconnects it: its number is free again
    cleared = (
        await gql.ok(UPDATE_INBOX, {"id": inbox["id"], "input": {"settings": None}}, token=workspace.token)
    )["updateInbox"]
    assert cleared["userErrors"] == []
    assert (await Inbox.get(id=decode_id(inbox["id"])[1])).channel_address is None
    assert (await post(gql, text("300000000000002", "Oi"))).status_code == 403
