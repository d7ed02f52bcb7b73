"""updateUser: an ADMIN changes anyone's name, role and team; anyone changes
their own name. The workspace keeps an active ADMIN, and a role or team
change closes the user's open websockets (4403) so they reconnect with the
new scope; a rename leaves them open."""

import time

from revgraph.models.events import Event
from revgraph.models.identity import ApiKey, User
from tests.live import closed_with, connect, run_on

UPDATE_USER = """
mutation UpdateUser($id: ID!, $input: UpdateUserInput!) {
  updateUser(id: $id, input: $input) {
    user { id name role active team { id name } }
    userErrors { code message field }
  }
}
"""
DEACTIVATE_USER = """
mutation Deactivate($id: ID!) { deactivateUser(id: $id, leadsGoTo: MANAGER) { userErrors { code } } }
"""
REACTIVATE_USER = "mutation Reactivate($id: ID!) { reactivateUser(id: $id) { userErrors { code } } }"
ME = "query { me { id name role team { id } } }"
API_KEYS = "query { apiKeys { id role } }"
CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } secret userErrors { code } }
}
"""
WITHIN = 1.0


async def user_rows():
    """Every user and API key, presence left out, and the user.updated events:
    what a refused change must leave as it was."""
    users = [{k: v for k, v in row.items() if k != "last_seen_at"} for row in await User.all().values()]
    keys = [{k: v for k, v in row.items() if k != "last_used_at"} for row in await ApiKey.all().values()]
    return sorted(users, key=lambda r: r["id"]), keys, await Event.filter(kind="user.updated").count()


async def update(gql, token, user_id, **input):
    return (await gql.ok(UPDATE_USER, {"id": user_id, "input": input}, token=token))["updateUser"]


def refusal(payload):
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_an_admin_changes_a_users_name_role_and_team(gql, workspace):
    # given an agent without a team, and a team
    agent = await workspace.user("AGENT", name="Bia")
    team = await workspace.team("Vendas")
    # when the admin renames them, makes them a manager and puts them in the team
    payload = await update(
        gql, workspace.token, agent["id"], name="Bia Corretora", role="MANAGER", teamId=team["id"]
    )
    # then the user is changed, and their next request already acts with the new role
    assert payload == {
        "user": {
            "id": agent["id"],
            "name": "Bia Corretora",
            "role": "MANAGER",
            "active": True,
            "team": {"id": team["id"], "name": "Vendas"},
        },
        "userErrors": [],
    }
    assert (await gql.ok(ME, token=agent["token"]))["me"]["role"] == "MANAGER"
    # and the change is on the log, saying what changed
    event = await Event.get(kind="user.updated")
    assert (
        event.summary
        == "Bia alterado: renomeado para Bia Corretora, papel de agente para gestor, equipe de nenhuma para Vendas"
    )
    assert event.data["changes"]["role"] == {"from": "AGENT", "to": "MANAGER"}
    # and a null team takes them out of it
    cleared = await update(gql, workspace.token, agent["id"], teamId=None)
    assert cleared["user"]["team"] is None


async def test_a_user_changes_their_own_name_and_nothing_else(gql, workspace):
    # given an agent, a colleague, a team and a manager of that team
    agent = await workspace.user("AGENT", name="Caio")
    colleague = await workspace.user("AGENT", name="Duda")
    manager = await workspace.user("MANAGER", name="Edu")
    team = await workspace.team("Vendas", manager_id=manager["id"])
    await update(gql, workspace.token, colleague["id"], teamId=team["id"])
    # when the agent renames themselves
    renamed = await update(gql, agent["token"], agent["id"], name="Caio Souza")
    # then it works
    assert renamed["userErrors"] == [] and renamed["user"]["name"] == "Caio Souza"
    before = await user_rows()
    # when they try to change their own role or team, or a colleague's name,
    # and a manager tries to rename someone of their team
    own_role = await update(gql, agent["token"], agent["id"], role="ADMIN")
    own_team = await update(gql, agent["token"], agent["id"], name="Outro", teamId=team["id"])
    colleague_name = await update(gql, agent["token"], colleague["id"], name="Intrusa")
    managed_name = await update(gql, manager["token"], colleague["id"], name="Intrusa")
    # then each is FORBIDDEN on what it named, and nothing changed
    assert refusal(own_role) == [("FORBIDDEN", ["input", "role"])]
    assert refusal(own_team) == [("FORBIDDEN", ["input", "teamId"])]
    assert refusal(colleague_name) == [("FORBIDDEN", ["id"])]
    assert refusal(managed_name) == [("FORBIDDEN", ["id"])]
    assert all(p["user"] is None for p in (own_role, own_team, colleague_name, managed_name))
    assert await user_rows() == before


async def test_the_last_active_admin_cannot_be_demoted(gql, workspace):
    # given the workspace's only admin, and a second admin who is deactivated
    second = await workspace.user("ADMIN", name="Segunda")
    await gql.ok(DEACTIVATE_USER, {"id": second["id"]}, token=workspace.token)
    before = await user_rows()
    # when the only active admin demotes themselves
    payload = await update(gql, workspace.token, workspace.admin["id"], role="MANAGER")
    # then it is refused on the role, and nothing changed
    assert refusal(payload) == [("RULE_VIOLATION", ["input", "role"])]
    assert "último administrador ativo" in payload["userErrors"][0]["message"]
    assert await user_rows() == before
    # while with the second admin active again, the first may step down
    await gql.ok(REACTIVATE_USER, {"id": second["id"]}, token=workspace.token)
    stepped_down = await update(gql, workspace.token, workspace.admin["id"], role="MANAGER")
    assert stepped_down["userErrors"] == [] and stepped_down["user"]["role"] == "MANAGER"


async def test_a_demoted_admins_open_websocket_closes_within_a_second_and_a_rename_does_not(gql, workspace):
    # given a second admin with an open websocket
    second = await workspace.user("ADMIN", name="Gabi")
    async with connect(gql.server.ws_url, second["token"]) as ws:
        # when they are renamed, the socket stays open and works
        await update(gql, workspace.token, second["id"], name="Gabriela")
        reply = await run_on(ws, "me", ME)
        assert reply["payload"]["data"]["me"]["name"] == "Gabriela"
        # when they are demoted to agent
        started = time.monotonic()
        payload = await update(gql, workspace.token, second["id"], role="AGENT")
        assert payload["userErrors"] == []
        # then their socket is closed with 4403 within a second
        code, _ = await closed_with(ws)
        assert code == 4403
        assert time.monotonic() - started < WITHIN
    # and they reconnect with the same session, now an agent, who may not read admin fields
    async with connect(gql.server.ws_url, second["token"]) as ws:
        reply = await run_on(ws, "me", ME)
        assert reply["payload"]["data"]["me"]["role"] == "AGENT"
    body = await gql(API_KEYS, token=second["token"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_team_change_closes_the_users_open_websocket(gql, workspace):
    # given an agent with an open websocket, and a team
    agent = await workspace.user("AGENT")
    team = await workspace.team("Lançamentos")
    async with connect(gql.server.ws_url, agent["token"]) as ws:
        # when the admin moves them into the team
        started = time.monotonic()
        assert (await update(gql, workspace.token, agent["id"], teamId=team["id"]))["userErrors"] == []
        # then the socket is closed with 4403 within a second
        assert (await closed_with(ws))[0] == 4403
        assert time.monotonic() - started < WITHIN


async def test_a_demoted_users_api_keys_are_lowered_to_the_new_role_and_keep_working(gql, workspace):
    # given a manager with a MANAGER key and an AGENT key
    manager = await workspace.user("MANAGER")
    secrets = []
    for role in ("MANAGER", "AGENT"):
        issued = await gql.ok(
            CREATE_API_KEY,
            {"input": {"name": f"{role} key", "role": role, "userId": manager["id"]}},
            token=workspace.token,
        )
        secrets.append(issued["createApiKey"]["secret"])
    # when the manager is demoted to agent
    await update(gql, workspace.token, manager["id"], role="AGENT")
    # then no key lists a role above its user's, and the lowered key still works
    assert [k["role"] for k in (await gql.ok(API_KEYS, token=workspace.token))["apiKeys"]] == [
        "AGENT",
        "AGENT",
    ]
    assert (await gql.ok(ME, token=secrets[0]))["me"]["id"] == manager["id"]
    event = await Event.get(kind="user.updated")
    assert len(event.data["apiKeysLowered"]) == 1
    # and promoting the user again does not widen the old key
    await update(gql, workspace.token, manager["id"], role="MANAGER")
    assert [k["role"] for k in (await gql.ok(API_KEYS, token=workspace.token))["apiKeys"]] == [
        "AGENT",
        "AGENT",
    ]


async def test_update_user_needs_a_caller(gql, workspace):
    # given a user, and nobody logged in
    before = await user_rows()
    # when an anonymous caller renames the admin
    body = await gql(UPDATE_USER, {"id": workspace.admin["id"], "input": {"name": "Anônimo"}})
    # then it is UNAUTHENTICATED, and nothing changed
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert await user_rows() == before
