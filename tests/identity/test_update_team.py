"""updateTeam: an ADMIN renames a team, changes its manager and moves it in
the tree; a cycle is RULE_VIOLATION on input.parentId and changes nothing.
A manager change takes effect at once: for reads, for the poll cache's
answers (keyed by scope and log position), and for open websockets, which
close so the managers reconnect with their new scope."""

import time
from datetime import UTC, datetime, timedelta

import pytest

from revgraph.models.events import Event
from tests.live import closed_with, connect, run_on
from tests.reports.test_poll_cache import graphql_view

UPDATE_TEAM = """
mutation UpdateTeam($id: ID!, $input: UpdateTeamInput!) {
  updateTeam(id: $id, input: $input) {
    team { id name manager { id } parent { id } }
    userErrors { code message field }
  }
}
"""
TEAMS = "{ teams { id name manager { id } parent { id } } }"
CREATE_CONTACT = """
mutation C($input: ContactInput!) { createContact(input: $input) { contact { id } userErrors { field } } }
"""
CONTACTS = "{ contacts { totalCount } }"
LEAD_REPORT = """
query Leads($range: ReportRange!) { leadReport(by: OWNER, range: $range) { key count } }
"""
UPDATE_USER = """
mutation U($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { userErrors { code } } }
"""
ME = "{ me { id } }"
WITHIN = 1.0


async def update(gql, token, team_id, **input):
    return (await gql.ok(UPDATE_TEAM, {"id": team_id, "input": input}, token=token))["updateTeam"]


async def teams(gql, token):
    return {t["id"]: t for t in (await gql.ok(TEAMS, token=token))["teams"]}


async def a_team_with_a_lead(gql, workspace):
    """Team Centro managed by Marta, with agent Ana owning one contact; Rui,
    another manager, manages nothing yet."""
    marta = await workspace.user("MANAGER", name="Marta")
    rui = await workspace.user("MANAGER", name="Rui")
    team = await workspace.team("Centro", manager_id=marta["id"])
    ana = await workspace.user("AGENT", team_id=team["id"], name="Ana")
    created = await gql.ok(CREATE_CONTACT, {"input": {"name": "Lead da Ana"}}, token=ana["token"])
    assert created["createContact"]["userErrors"] == []
    return marta, rui, team, ana


async def test_an_admin_renames_a_team_changes_its_manager_and_moves_it(gql, workspace):
    # given a root team and a team to move under it
    manager = await workspace.user("MANAGER", name="Marta")
    root = await workspace.team("Regional Sul")
    team = await workspace.team("Plantão")
    # when the admin renames it, gives it a manager and a parent at once
    payload = await update(
        gql, workspace.token, team["id"], name="Plantão Centro", managerId=manager["id"], parentId=root["id"]
    )
    # then the team is changed, and the read says so
    assert payload["userErrors"] == []
    assert payload["team"] == {
        "id": team["id"],
        "name": "Plantão Centro",
        "manager": {"id": manager["id"]},
        "parent": {"id": root["id"]},
    }
    assert (await teams(gql, workspace.token))[team["id"]] == payload["team"]
    # and one team.updated event lists the changes, its summary in pt-BR
    event = await Event.filter(kind="team.updated").get()
    assert set(event.data["changes"]) == {"name", "managerId", "parentId"}
    assert event.data["changes"]["name"] == {"from": "Plantão", "to": "Plantão Centro"}
    assert event.summary == (
        "Equipe Plantão alterada: nome Plantão Centro, gestor Marta, equipe acima Regional Sul"
    )
    # when it goes back to the root with no manager
    payload = await update(gql, workspace.token, team["id"], managerId=None, parentId=None)
    assert (
        payload["userErrors"] == []
        and payload["team"]["manager"] is None
        and payload["team"]["parent"] is None
    )
    # and sending what it already is records nothing
    again = await update(gql, workspace.token, team["id"], name="Plantão Centro")
    assert again["userErrors"] == []
    assert await Event.filter(kind="team.updated").count() == 2


@pytest.mark.parametrize("where", ["itself", "child", "grandchild"])
async def test_a_cycle_is_refused_and_the_tree_is_unchanged(gql, workspace, where):
    # given Sul > Centro > Plantão
    sul = await workspace.team("Sul")
    centro = await workspace.team("Centro", parent_id=sul["id"])
    plantao = await workspace.team("Plantão", parent_id=centro["id"])
    before = await teams(gql, workspace.token)
    parent = {"itself": sul, "child": centro, "grandchild": plantao}[where]
    # when the admin puts Sul under itself or under a team below it
    payload = await update(gql, workspace.token, sul["id"], parentId=parent["id"], name="Sul novo")
    # then it is refused on input.parentId, and nothing changed (not even the name)
    assert payload["team"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("RULE_VIOLATION", ["input", "parentId"])
    ]
    assert payload["userErrors"][0]["message"] == (
        "Uma equipe não pode ficar sob ela mesma nem sob uma equipe abaixo dela."
    )
    assert await teams(gql, workspace.token) == before
    assert await Event.filter(kind="team.updated").count() == 0


async def test_bad_changes_are_refused_and_change_nothing(gql, workspace, other_workspace):
    team = await workspace.team("Centro")
    await workspace.team("Norte")
    stranger = await other_workspace.user("MANAGER")
    foreign_team = await other_workspace.team("Deles")
    before = await teams(gql, workspace.token)
    cases = [
        ({"name": "Norte"}, "DUPLICATE", ["input", "name"]),
        ({"name": "  "}, "INVALID", ["input", "name"]),
        ({"managerId": stranger["id"]}, "NOT_FOUND", ["input", "managerId"]),
        ({"parentId": foreign_team["id"]}, "NOT_FOUND", ["input", "parentId"]),
    ]
    for input, code, field in cases:
        payload = await update(gql, workspace.token, team["id"], **input)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], input
    missing = await update(gql, workspace.token, foreign_team["id"], name="Nosso")
    assert [(e["code"], e["field"]) for e in missing["userErrors"]] == [("NOT_FOUND", ["id"])]
    # a manager may not change teams at all
    manager = await workspace.user("MANAGER")
    body = await gql(UPDATE_TEAM, {"id": team["id"], "input": {"name": "Meu"}}, token=manager["token"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await teams(gql, workspace.token) == before
    assert await Event.filter(kind="team.updated").count() == 0


async def test_a_manager_change_takes_effect_at_once_for_reads_and_cached_polls(gql, workspace, server):
    # given Marta managing Ana's team, and Rui managing nothing
    marta, rui, team, _ana = await a_team_with_a_lead(gql, workspace)
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(days=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}

    async def leads(user):
        report = (await gql.ok(LEAD_REPORT, {"range": window}, token=user["token"]))["leadReport"]
        return sum(row["count"] for row in report)

    async def contacts(user):
        return (await gql.ok(CONTACTS, token=user["token"]))["contacts"]["totalCount"]

    # and Marta's dashboard polled twice: the second answer came from the cache
    cache = graphql_view(server).poll_cache
    assert (await leads(marta), await contacts(marta)) == (1, 1)
    hits = cache.hits
    assert await leads(marta) == 1
    assert cache.hits == hits + 1
    assert (await leads(rui), await contacts(rui)) == (0, 0)
    # when the admin gives the team to Rui
    assert (await update(gql, workspace.token, team["id"], managerId=rui["id"]))["userErrors"] == []
    # then Marta's very next poll no longer counts Ana's lead (no stale cached answer), nor does any read
    assert (await leads(marta), await contacts(marta)) == (0, 0)
    # and Rui sees it at once
    assert (await leads(rui), await contacts(rui)) == (1, 1)


async def test_a_manager_or_parent_change_closes_managers_websockets_and_a_rename_does_not(gql, workspace):
    # given Marta with an open websocket, and Ana (an agent) with one
    marta, rui, team, ana = await a_team_with_a_lead(gql, workspace)
    async with (
        connect(gql.server.ws_url, marta["token"]) as marta_ws,
        connect(gql.server.ws_url, ana["token"]) as ana_ws,
    ):
        # when the team is renamed, Marta's socket stays open and works
        assert (await update(gql, workspace.token, team["id"], name="Centro Novo"))["userErrors"] == []
        reply = await run_on(marta_ws, "me", ME)
        assert reply["payload"]["data"]["me"]["id"] == marta["id"]
        # when the team gets another manager
        started = time.monotonic()
        assert (await update(gql, workspace.token, team["id"], managerId=rui["id"]))["userErrors"] == []
        # then Marta's socket closes with 4403 within a second (she reconnects with her new scope)
        assert (await closed_with(marta_ws))[0] == 4403
        assert time.monotonic() - started < WITHIN
        # while the agent's scope does not depend on the tree: hers stays open
        reply = await run_on(ana_ws, "me2", ME)
        assert reply["payload"]["data"]["me"]["id"] == ana["id"]
    # and a parent change closes the managers' sockets too
    parent = await workspace.team("Regional")
    async with connect(gql.server.ws_url, rui["token"]) as rui_ws:
        assert (await update(gql, workspace.token, team["id"], parentId=parent["id"]))["userErrors"] == []
        assert (await closed_with(rui_ws))[0] == 4403


async def test_moving_a_user_between_teams_closes_the_managers_websockets(gql, workspace):
    # given Marta managing Ana's team, with an open websocket
    marta, _rui, _team, ana = await a_team_with_a_lead(gql, workspace)
    other = await workspace.team("Outra")
    async with connect(gql.server.ws_url, marta["token"]) as ws:
        # when the admin moves Ana to another team
        body = await gql.ok(
            UPDATE_USER, {"id": ana["id"], "input": {"teamId": other["id"]}}, token=workspace.token
        )
        assert body["updateUser"]["userErrors"] == []
        # then Marta's socket closes too: her scope lost Ana
        assert (await closed_with(ws))[0] == 4403
    assert (await gql.ok(CONTACTS, token=marta["token"]))["contacts"]["totalCount"] == 0
