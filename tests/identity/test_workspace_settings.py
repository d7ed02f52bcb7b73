"""The workspace's settings (updateWorkspace, ADMIN): each is validated with
the field named, a refused change changes nothing, and each takes effect
where it is used (the lead lock on the next returning lead)."""

import pytest
from tortoise import connections

from revgraph.resolvers import workspace_settings
from tests.distribution.support import capture, create_queue

WORKSPACE = """
query { workspace { name timezone currency leadLockDays trashRetentionDays emailSenderName
                    emailSenderAddress defaultLocale } }
"""
UPDATE = """
mutation($input: WorkspaceInput!) {
  updateWorkspace(input: $input) {
    workspace { name timezone currency leadLockDays trashRetentionDays emailSenderName emailSenderAddress defaultLocale }
    userErrors { code message field }
  }
}
"""


async def test_an_admin_changes_every_setting_and_the_change_is_recorded(gql, workspace):
    # when the admin changes every setting at once
    values = {
        "name": "Horizonte Imóveis",
        "timezone": "America/Manaus",
        "currency": "usd",
        "leadLockDays": 7,
        "trashRetentionDays": 60,
        "emailSenderName": "Horizonte",
        "emailSenderAddress": "Contato@Horizonte.example",
        "defaultLocale": "en",
    }
    payload = (await gql.ok(UPDATE, {"input": values}, token=workspace.token))["updateWorkspace"]
    # then they are all kept, normalised
    assert payload["userErrors"] == []
    expected = {**values, "currency": "USD", "emailSenderAddress": "contato@horizonte.example"}
    assert payload["workspace"] == expected
    assert (await gql.ok(WORKSPACE, token=workspace.token))["workspace"] == expected
    # and clearing the sender sends null
    cleared = await gql.ok(UPDATE, {"input": {"emailSenderAddress": None}}, token=workspace.token)
    assert cleared["updateWorkspace"]["workspace"]["emailSenderAddress"] is None


async def test_bad_settings_name_their_field_and_change_nothing(gql, workspace):
    before = (await gql.ok(WORKSPACE, token=workspace.token))["workspace"]
    cases = [
        ({"timezone": "Brasil/Paulista"}, ["input", "timezone"]),
        ({"currency": "REAIS"}, ["input", "currency"]),
        ({"leadLockDays": -1}, ["input", "leadLockDays"]),
        ({"trashRetentionDays": 0}, ["input", "trashRetentionDays"]),
        ({"emailSenderAddress": "não é e-mail"}, ["input", "emailSenderAddress"]),
        ({"defaultLocale": "fr"}, ["input", "defaultLocale"]),
        ({"name": "Novo nome", "currency": "X"}, ["input", "currency"]),
    ]
    for values, field in cases:
        payload = (await gql.ok(UPDATE, {"input": values}, token=workspace.token))["updateWorkspace"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)], values
    assert (await gql.ok(WORKSPACE, token=workspace.token))["workspace"] == before


async def test_only_admins_change_settings(gql, workspace):
    manager = await workspace.user("MANAGER")
    body = await gql(UPDATE, {"input": {"name": "Tomada"}}, token=manager["token"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.ok(WORKSPACE, token=workspace.token))["workspace"]["name"] != "Tomada"


async def test_a_lead_lock_of_zero_days_redistributes_a_returning_lead_at_once(gql, workspace):
    # given a workspace without a lead lock and a queue of two agents
    await gql.ok(UPDATE, {"input": {"leadLockDays": 0}}, token=workspace.token)
    a1, a2 = await workspace.user("AGENT"), await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": a1["id"]}, {"userId": a2["id"]}])
    first = await capture(gql, workspace.token, email="volta@example.com", queueId=queue["id"])
    # when the lead comes back
    again = await capture(gql, workspace.token, email="volta@example.com", queueId=queue["id"])
    # then it is distributed again instead of staying with its owner
    assert first["assignment"]["user"]["id"] == a1["id"]
    assert again["assignment"]["user"]["id"] == a2["id"]


async def test_on_postgresql_a_zone_its_database_does_not_know_is_refused(gql, workspace, monkeypatch):
    # PostgreSQL dates a move's stage entries in the workspace's zone itself
    # (resolvers/stage_entries.py _PG_RECORD): a zone Python's tz database
    # knows and PostgreSQL's does not would fail every move.
    if connections.get("default").capabilities.dialect != "postgres":
        pytest.skip("SQLite's days are taken in Python")
    # given a zone Python knows (a newer tz database than the server's, say)
    known = workspace_settings.available_timezones() | {"America/Nova_Cidade"}
    monkeypatch.setattr(workspace_settings, "available_timezones", lambda: known)
    monkeypatch.setattr(workspace_settings, "ZoneInfo", lambda name: name)
    before = (await gql.ok(WORKSPACE, token=workspace.token))["workspace"]
    # when the admin sets it
    values = {"input": {"timezone": "America/Nova_Cidade", "name": "Outro nome"}}
    payload = (await gql.ok(UPDATE, values, token=workspace.token))["updateWorkspace"]
    # then it is refused on its field, and nothing changed
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["input", "timezone"])]
    assert "America/Nova_Cidade" in payload["userErrors"][0]["message"]
    assert (await gql.ok(WORKSPACE, token=workspace.token))["workspace"] == before
