"""Revocation is immediate everywhere (RELIABILITY.md "Authorisation and
tenancy"): a logged-out session, a revoked API key (and, through the same
event, any credential a later use case withdraws) closes its open
graphql-transport-ws sockets with 4403 on every server within a second, and
no operation runs on such a socket after the revocation committed.

The second server is another app in this process (sharing the process's
bus, which goes through Redis on the real-services run) and, on the
real-services run, a `revgraph serve` child process."""

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime

import httpx
import pytest

from revgraph.models.crm import Contact
from revgraph.models.identity import Session, User
from revgraph.resolvers.context import Actor
from revgraph.resolvers.events import unit_of_work
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.revocations import Revocation, current_revocation_watch, record_revocation
from revgraph.web import graphql_view
from tests.conftest import REAL_REDIS
from tests.live import closed_with, connect, run_on, subscribe
from tests.pipeline.support import create_deal, create_pipeline
from tests.support import LOG_IN, PASSWORD, GraphQLClient, sign_up

LOG_OUT = "mutation { logOut { ok userErrors { code } } }"
ME = "query { me { id } }"
CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } secret userErrors { code } }
}
"""
REVOKE_API_KEY = (
    "mutation Revoke($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } userErrors { code } } }"
)
CREATE_CONTACT = """
mutation CreateContact($input: ContactInput!) { createContact(input: $input) { contact { id } userErrors { code } } }
"""
BOARD_EVENTS = """
subscription Board($pipelineId: ID!) { boardEvents(pipelineId: $pipelineId) { sequence kind dealId } }
"""
WITHIN = 1.0


async def second_session(gql, workspace) -> str:
    logged_in = await gql.ok(LOG_IN, {"input": {"email": workspace.email, "password": PASSWORD}})
    return logged_in["logIn"]["token"]


async def test_log_out_through_one_server_closes_the_sessions_socket_on_another_within_a_second(
    gql, workspace, private_server
):
    # given sockets of two sessions of one user, open on a second server
    # whose periodic token check is a minute away
    other = await private_server()
    kept_token = await second_session(gql, workspace)
    async with connect(other.ws_url, workspace.token) as ws, connect(other.ws_url, kept_token) as kept:
        # when the first session logs out through the first server
        started = time.monotonic()
        assert (await gql.ok(LOG_OUT, token=workspace.token))["logOut"] == {"ok": True, "userErrors": []}
        # then its socket is closed with 4403 within a second, having received nothing
        code, messages = await closed_with(ws)
        assert (code, messages) == (4403, [])
        assert time.monotonic() - started < WITHIN
        # and the other session's socket still works
        reply = await run_on(kept, "me", ME)
        assert reply["payload"]["data"] == {"me": {"id": workspace.admin["id"]}}


async def test_revoking_an_api_key_closes_its_socket_within_a_second_and_its_subscription_stops(
    gql, workspace, private_server
):
    # given an API key with a live board subscription on a second server
    issued = await gql.ok(
        CREATE_API_KEY, {"input": {"name": "Parceiro", "role": "ADMIN"}}, token=workspace.token
    )
    key = issued["createApiKey"]
    pipeline = await create_pipeline(gql, workspace.token)
    other = await private_server()
    async with connect(other.ws_url, key["secret"]) as ws:
        board = await subscribe(ws, BOARD_EVENTS, {"pipelineId": pipeline["id"]})
        await create_deal(gql, workspace.token, pipeline["id"])
        assert (await board.next())["data"]["boardEvents"]["sequence"] == 1
        # when an admin revokes the key through the first server, and the board moves on
        started = time.monotonic()
        revoked = await gql.ok(REVOKE_API_KEY, {"id": key["apiKey"]["id"]}, token=workspace.token)
        assert revoked["revokeApiKey"]["userErrors"] == []
        await create_deal(gql, workspace.token, pipeline["id"], title="Depois da revogação")
        # then the socket is closed with 4403 within a second, and no event reached it
        code, messages = await closed_with(ws)
        assert code == 4403
        assert time.monotonic() - started < WITHIN
        assert [m for m in messages if m.get("type") == "next"] == []


async def test_no_operation_runs_on_a_socket_once_its_revocation_committed(gql, workspace, private_server):
    # given an open socket of a session
    other = await private_server()
    async with connect(other.ws_url, workspace.token) as ws:
        # when the session's revocation has committed but no event announced it yet
        await Session.filter(user_id=pk_of(workspace.admin["id"], "User")).update(
            revoked_at=datetime.now(UTC)
        )
        # and the socket asks for a contact to be created
        await ws.send(
            json.dumps(
                {
                    "id": "c",
                    "type": "subscribe",
                    "payload": {"query": CREATE_CONTACT, "variables": {"input": {"name": "Intruso"}}},
                }
            )
        )
        # then the socket is closed with 4403 without an answer
        assert await closed_with(ws) == (4403, [])
    # and no contact was created
    assert await Contact.all().count() == 0


async def test_a_revocation_of_every_credential_of_a_user_closes_their_session_and_key_sockets(
    gql, workspace, private_server
):
    # given an agent with a socket of a session and one of an API key
    agent = await workspace.user("AGENT")
    issued = await gql.ok(
        CREATE_API_KEY,
        {"input": {"name": "Integração", "role": "AGENT", "userId": agent["id"]}},
        token=workspace.token,
    )
    other = await private_server()
    async with (
        connect(other.ws_url, agent["token"]) as by_session,
        connect(other.ws_url, issued["createApiKey"]["secret"]) as by_key,
        connect(other.ws_url, workspace.token) as admins,
    ):
        # when a use case deactivates the agent and records that it withdrew all their credentials
        deactivated = await User.get(id=pk_of(agent["id"], "User"))
        async with unit_of_work():
            await User.filter(id=deactivated.id).update(active=False)
            await record_revocation(
                None,
                deactivated.workspace_id,
                "user.deactivated",
                "Agent deactivated",
                Revocation(user_ids=frozenset({deactivated.id})),
            )
        # then both of the agent's sockets close with 4403, and the admin's stays open
        assert await closed_with(by_session) == (4403, [])
        assert await closed_with(by_key) == (4403, [])
        reply = await run_on(admins, "me", ME)
        assert reply["payload"]["data"] == {"me": {"id": workspace.admin["id"]}}


async def test_a_revocation_heard_while_a_socket_authenticates_is_applied_when_it_registers(gql, workspace):
    # given a socket about to check a session's token: it notes what the process has heard
    watch = current_revocation_watch()
    seen = watch.generation
    session = await Session.get(user_id=pk_of(workspace.admin["id"], "User"))
    # when the session is revoked and the process hears it before the socket registers
    assert (await gql.ok(LOG_OUT, token=workspace.token))["logOut"]["ok"] is True
    for _ in range(100):
        if watch.generation > seen:
            break
        await asyncio.sleep(0.01)
    told = []
    admin = await User.get(id=session.user_id)
    actor = Actor(admin.workspace_id, admin.id, admin.role, session_id=session.id)
    unwatch = watch.register(actor, lambda: told.append("revoked"), since=seen)
    unwatch()
    # then it is told at once
    assert told == ["revoked"]
    # while a socket that noted the revocation already is not told about it again
    again = []
    watch.register(actor, lambda: again.append("revoked"), since=watch.generation)()
    assert again == []


@pytest.mark.skipif(not REAL_REDIS, reason="two processes share revocations through Redis (real services)")
async def test_revocations_through_this_process_close_sockets_on_another_process_within_a_second(server):
    from tests.infra.revgraph_process import ServeProcess

    # given a `revgraph serve` process beside the test server, on the same database and Redis
    process = ServeProcess().start()
    try:
        assert (await process.wait_ready()).status_code == 200
        async with httpx.AsyncClient(timeout=30) as http:
            here = GraphQLClient(server, http)
            workspace = await sign_up(here)
            issued = await here.ok(
                CREATE_API_KEY, {"input": {"name": "Parceiro", "role": "AGENT"}}, token=workspace.token
            )
            key = issued["createApiKey"]
            session = await second_session(here, workspace)
            async with (
                connect(process.ws_url, session) as by_session,
                connect(process.ws_url, key["secret"]) as by_key,
            ):
                # when the session logs out and the key is revoked through the test server
                started = time.monotonic()
                await here.ok(LOG_OUT, token=session)
                # then each socket on the other process is closed with 4403 within a second
                assert await closed_with(by_session) == (4403, [])
                assert time.monotonic() - started < WITHIN
                started = time.monotonic()
                await here.ok(REVOKE_API_KEY, {"id": key["apiKey"]["id"]}, token=workspace.token)
                assert await closed_with(by_key) == (4403, [])
                assert time.monotonic() - started < WITHIN
    finally:
        await process.stop()


async def test_a_role_changed_while_its_event_went_unheard_closes_the_socket_at_the_next_check(
    gql, workspace, private_server
):
    # given an agent's socket on a server that re-checks credentials every 0.2 s
    agent = await workspace.user("AGENT")
    other = await private_server(limits={"ws_presence_interval_seconds": 0.2})
    async with connect(other.ws_url, agent["token"]) as ws:
        # when their role changes with no event announcing it (as if the bus had been down)
        await User.filter(id=pk_of(agent["id"], "User")).update(role="MANAGER")
        # then the socket is closed with 4403 at the next check, not left with the old role
        assert await closed_with(ws, timeout=3) == (4403, [])


async def test_every_socket_of_a_process_is_checked_in_one_batch_per_interval(
    gql, workspace, private_server, monkeypatch
):
    # given five sockets of one session, one of a second session and one
    # each of three other users, on a server that re-checks credentials
    # every 0.2 s
    other = await private_server(limits={"ws_presence_interval_seconds": 0.2})
    kept_token = await second_session(gql, workspace)
    people = [await workspace.user("AGENT") for _ in range(3)]
    batches: list[list[str]] = []
    real = graphql_view.authenticate_many

    async def counted(settings, tokens):
        batches.append(list(tokens))
        return await real(settings, tokens)

    monkeypatch.setattr(graphql_view, "authenticate_many", counted)
    held = {workspace.token, kept_token, *(p["token"] for p in people)}
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(5):
            await stack.enter_async_context(connect(other.ws_url, workspace.token))
        lone = await stack.enter_async_context(connect(other.ws_url, kept_token))
        for person in people:
            await stack.enter_async_context(connect(other.ws_url, person["token"]))
        # when a second passes (five intervals)
        batches.clear()
        started = time.monotonic()
        await asyncio.sleep(1.0)
        elapsed = time.monotonic() - started
        # then the process checked about once per interval, not once per
        # socket or per user, each time every token it holds, once
        assert 1 <= len(batches) <= elapsed / 0.2 + 2, batches
        for batch in batches:
            assert sorted(batch) == sorted(held)
        reply = await run_on(lone, "me", ME)
        assert reply["payload"]["data"] == {"me": {"id": workspace.admin["id"]}}
    # and once they are closed, nothing is checked any more
    await asyncio.sleep(0.3)
    batches.clear()
    await asyncio.sleep(0.5)
    assert batches == []


async def test_every_socket_of_a_token_whose_role_changed_unheard_closes_at_the_shared_check(
    gql, workspace, private_server
):
    # given three sockets of one agent and one of another user, on a server
    # that re-checks credentials every 0.2 s
    agent = await workspace.user("AGENT")
    other = await private_server(limits={"ws_presence_interval_seconds": 0.2})
    async with (
        connect(other.ws_url, agent["token"]) as first,
        connect(other.ws_url, agent["token"]) as second,
        connect(other.ws_url, agent["token"]) as third,
        connect(other.ws_url, workspace.token) as admin,
    ):
        # when the agent's role changes with no event announcing it
        await User.filter(id=pk_of(agent["id"], "User")).update(role="MANAGER")
        # then all three of their sockets close with 4403 at the next check
        for ws in (first, second, third):
            assert await closed_with(ws, timeout=3) == (4403, [])
        # and the other user's socket still works
        reply = await run_on(admin, "me", ME)
        assert reply["payload"]["data"] == {"me": {"id": workspace.admin["id"]}}
