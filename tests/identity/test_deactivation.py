"""deactivateUser and reactivateUser: only an ADMIN, never themselves; a
deactivated user cannot log in, their sessions and API keys stop working
and their open websockets close with 4403 within a second; reactivation
lets them log in again, with no old credential and no queue back.
(Where their leads go: tests/distribution/test_departure.py.)"""

import time

from revgraph.models.events import Event
from revgraph.models.identity import ApiKey, Session, User
from revgraph.resolvers.ids import pk_of
from tests.distribution.support import contact, create_queue, distribute
from tests.live import closed_with, connect, run_on
from tests.support import LOG_IN, PASSWORD

DEACTIVATE_USER = """
mutation Deactivate($id: ID!, $to: LeadsDestination!) {
  deactivateUser(id: $id, leadsGoTo: $to) {
    user { id active } leadsToQueues leadsToManager manager { id } userErrors { code message field }
  }
}
"""
REACTIVATE_USER = """
mutation Reactivate($id: ID!) {
  reactivateUser(id: $id) { user { id active } userErrors { code message field } }
}
"""
CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } secret userErrors { code } }
}
"""
QUEUES = "query { queues { id members { user { id } } } }"
USERS = "query { users(first: 100) { edges { node { id active } } } }"
ME = "query { me { id } }"
WITHIN = 1.0


async def deactivate(gql, token, user_id, to="MANAGER"):
    return await gql(DEACTIVATE_USER, {"id": user_id, "to": to}, token=token)


async def log_in(gql, user):
    email = (await User.get(id=pk_of(user["id"], "User"))).email
    return (await gql.ok(LOG_IN, {"input": {"email": email, "password": PASSWORD}}))["logIn"]


async def refused_token(gql, token):
    body = await gql(ME, token=token)
    return [e["extensions"]["code"] for e in body.get("errors") or []] == ["UNAUTHENTICATED"]


async def identity_rows():
    """Users, sessions, keys and lifecycle events: what a refusal must leave as it was."""
    users = [{k: v for k, v in r.items() if k != "last_seen_at"} for r in await User.all().values()]
    sessions = await Session.all().order_by("id").values("id", "revoked_at")
    keys = await ApiKey.all().order_by("id").values("id", "revoked_at")
    events = await Event.filter(kind__startswith="user.").count()
    return sorted(users, key=lambda r: r["id"]), sessions, keys, events


async def test_only_an_admin_deactivates_or_reactivates_and_never_themselves(gql, workspace):
    # given a manager and an agent
    manager = await workspace.user("MANAGER")
    agent = await workspace.user("AGENT")
    before = await identity_rows()
    # when the manager and the agent deactivate or reactivate someone, and the admin deactivates themselves
    by_manager = await deactivate(gql, manager["token"], agent["id"])
    by_agent = await deactivate(gql, agent["token"], manager["id"], to="QUEUES")
    reactivated = await gql(REACTIVATE_USER, {"id": agent["id"]}, token=manager["token"])
    themselves = (await deactivate(gql, workspace.token, workspace.admin["id"]))["data"]["deactivateUser"]
    # then the first three are FORBIDDEN, the last a rule violation on the id
    for body in (by_manager, by_agent, reactivated):
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert [(e["code"], e["field"]) for e in themselves["userErrors"]] == [("RULE_VIOLATION", ["id"])]
    assert themselves["user"] is None
    # and nothing changed
    assert await identity_rows() == before


async def test_a_deactivated_user_cannot_log_in_and_their_session_and_key_sockets_close(gql, workspace):
    # given an agent with a socket of their session and one of their API key, and a colleague's socket
    agent = await workspace.user("AGENT")
    colleague = await workspace.user("AGENT")
    issued = await gql.ok(
        CREATE_API_KEY,
        {"input": {"name": "Integração", "role": "AGENT", "userId": agent["id"]}},
        token=workspace.token,
    )
    key = issued["createApiKey"]["secret"]
    url = gql.server.ws_url
    async with (
        connect(url, agent["token"]) as by_session,
        connect(url, key) as by_key,
        connect(url, colleague["token"]) as other,
    ):
        # when the admin deactivates the agent
        started = time.monotonic()
        body = await deactivate(gql, workspace.token, agent["id"])
        payload = body["data"]["deactivateUser"]
        assert payload["userErrors"] == [] and payload["user"] == {"id": agent["id"], "active": False}
        # then both of the agent's sockets close with 4403 within a second
        assert (await closed_with(by_session))[0] == 4403
        assert (await closed_with(by_key))[0] == 4403
        assert time.monotonic() - started < WITHIN
        # while the colleague's stays open
        reply = await run_on(other, "me", ME)
        assert reply["payload"]["data"] == {"me": {"id": colleague["id"]}}
    # and the session and the key are refused over HTTP, and logging in fails like a wrong password
    assert await refused_token(gql, agent["token"])
    assert await refused_token(gql, key)
    refused = await log_in(gql, agent)
    assert refused["token"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID", ["input", "password"])]
    # and the revocation is stored, the users list says so, and the log has it
    pk = pk_of(agent["id"], "User")
    assert await Session.filter(user_id=pk, revoked_at=None).count() == 0
    assert await ApiKey.filter(user_id=pk, revoked_at=None).count() == 0
    users = (await gql.ok(USERS, token=workspace.token))["users"]["edges"]
    assert {"id": agent["id"], "active": False} in [e["node"] for e in users]
    event = await Event.get(kind="user.deactivated")
    assert event.data["userId"] == pk and event.data["leadsGoTo"] == "MANAGER"


async def test_deactivating_an_inactive_user_changes_nothing(gql, workspace):
    # given a deactivated agent
    agent = await workspace.user("AGENT")
    await deactivate(gql, workspace.token, agent["id"])
    before = await identity_rows()
    # when they are deactivated again
    again = (await deactivate(gql, workspace.token, agent["id"], to="QUEUES"))["data"]["deactivateUser"]
    # then the answer is the inactive user, and nothing changed
    assert again["userErrors"] == [] and again["user"]["active"] is False
    assert await identity_rows() == before


async def test_reactivation_lets_them_log_in_without_old_credentials_or_queues(gql, workspace):
    # given an agent in a queue with a colleague, deactivated
    agent = await workspace.user("AGENT")
    colleague = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}, {"userId": colleague["id"]}])
    await deactivate(gql, workspace.token, agent["id"], to="QUEUES")
    # when the admin reactivates them
    payload = (await gql.ok(REACTIVATE_USER, {"id": agent["id"]}, token=workspace.token))["reactivateUser"]
    # then they are active and log in again, while their old session stays revoked
    assert payload == {"user": {"id": agent["id"], "active": True}, "userErrors": []}
    logged_in = await log_in(gql, agent)
    assert logged_in["token"] and logged_in["userErrors"] == []
    assert (await gql.ok(ME, token=logged_in["token"]))["me"] == {"id": agent["id"]}
    assert await refused_token(gql, agent["token"])
    # and they are not back in the queue: its next leads go to the colleague
    queues = (await gql.ok(QUEUES, token=workspace.token))["queues"]
    assert [m["user"]["id"] for m in queues[0]["members"]] == [colleague["id"]]
    for _ in range(2):
        lead = await contact(gql, workspace.token)
        result = await distribute(gql, workspace.token, queue["id"], contact_id=lead)
        assert result["assignment"]["user"]["id"] == colleague["id"]
    assert await Event.filter(kind="user.reactivated").count() == 1
