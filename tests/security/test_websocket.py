"""graphql-transport-ws (RELIABILITY.md "Subscriptions"; enisdenjo/graphql-ws
PROTOCOL.md): authentication in connection_init, the protocol's close
codes, the legacy protocol off, cross-origin handshakes refused, and
presence kept fresh while a socket is open."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from revgraph.models.identity import User
from revgraph.resolvers.ids import pk_of
from tests.pipeline.support import create_deal, create_pipeline

PROTOCOL = "graphql-transport-ws"
ME = "query { me { id } }"


def socket(server, **kwargs):
    kwargs.setdefault("subprotocols", [PROTOCOL])
    return connect(server.ws_url, open_timeout=5, **kwargs)


async def send(ws, message: dict) -> None:
    await ws.send(json.dumps(message))


async def init(ws, token: str | None) -> None:
    payload = {"authorization": f"Bearer {token}"} if token else {}
    await send(ws, {"type": "connection_init", "payload": payload})


async def close_code(ws, timeout: float = 7.0) -> int:
    """Read until the server closes the socket; its close code."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await ws.recv()
    except ConnectionClosed as closed:
        assert closed.rcvd is not None, "the client closed, not the server"
        return closed.rcvd.code
    raise AssertionError("unreachable")


async def acknowledged(ws) -> None:
    frame = await asyncio.wait_for(ws.recv(), 5)
    # graphql-transport-ws is text frames only: a browser drops a binary one
    assert isinstance(frame, str), f"binary frame: {frame!r}"
    message = json.loads(frame)
    assert message["type"] == "connection_ack", message


async def test_an_authenticated_socket_is_acknowledged_and_runs_operations(server, workspace):
    async with socket(server) as ws:
        assert ws.subprotocol == PROTOCOL
        await init(ws, workspace.token)
        await acknowledged(ws)
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ME}})
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["type"] == "next"
        assert reply["payload"]["data"] == {"me": {"id": workspace.admin["id"]}}


@pytest.mark.parametrize(
    "payload", [{}, {"authorization": "Bearer rgs_forged"}, {"authorization": "Basic abc"}]
)
async def test_connection_init_without_a_valid_token_is_closed_4403(server, payload):
    async with socket(server) as ws:
        await send(ws, {"type": "connection_init", "payload": payload})
        assert await close_code(ws) == 4403


async def test_subscribe_before_the_ack_is_closed_4401(server):
    async with socket(server) as ws:
        await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ME}})
        assert await close_code(ws) == 4401


async def test_a_second_connection_init_is_closed_4429(server, workspace):
    async with socket(server) as ws:
        await init(ws, workspace.token)
        await acknowledged(ws)
        await init(ws, workspace.token)
        assert await close_code(ws) == 4429


@pytest.mark.parametrize("raw", ["not json", json.dumps({"type": "shout"}), json.dumps({"id": "1"})])
async def test_a_malformed_message_is_closed_4400(server, workspace, raw):
    async with socket(server) as ws:
        await init(ws, workspace.token)
        await acknowledged(ws)
        await ws.send(raw)
        assert await close_code(ws) == 4400


async def test_no_connection_init_in_time_is_closed_4408(private_server):
    hurried = await private_server(limits={"ws_init_timeout_seconds": 0.3})
    async with socket(hurried) as ws:
        started = asyncio.get_running_loop().time()
        assert await close_code(ws) == 4408
        assert asyncio.get_running_loop().time() - started < 3


async def test_the_shared_server_waits_at_most_five_seconds_for_init(server):
    assert 0 < server.settings.limits.ws_init_timeout_seconds <= 5


async def test_the_legacy_graphql_ws_protocol_is_refused(server):
    async with socket(server, subprotocols=["graphql-ws"]) as ws:
        assert ws.subprotocol is None
        assert await close_code(ws) == 4406


async def test_cross_origin_handshakes_are_refused_unless_allowed(server, private_server):
    with pytest.raises(InvalidStatus) as refused:
        async with socket(server, origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    # a configured origin (REVGRAPH_ALLOWED_ORIGINS) may connect
    open_to_app = await private_server(allowed_origins=("https://app.example",))
    async with socket(open_to_app, origin="https://app.example") as ws:
        assert ws.subprotocol == PROTOCOL


async def last_seen(user_id: str) -> datetime | None:
    return (await User.get(id=pk_of(user_id, "User"))).last_seen_at


async def age_presence(user_id: str) -> datetime:
    """Pretend the user was last seen ten minutes ago."""
    stale = datetime.now(UTC) - timedelta(minutes=10)
    await User.filter(id=pk_of(user_id, "User")).update(last_seen_at=stale)
    return stale


async def test_an_open_socket_keeps_its_user_present_until_it_closes(workspace, private_server):
    lively = await private_server(limits={"ws_presence_interval_seconds": 0.1})
    user_id = workspace.admin["id"]
    async with socket(lively) as ws:
        await init(ws, workspace.token)
        await acknowledged(ws)
        # given the user's presence went stale while the socket stays open
        stale = await age_presence(user_id)
        # then the socket refreshes it
        for _ in range(60):
            if (await last_seen(user_id)) > stale:
                break
            await asyncio.sleep(0.05)
        assert (await last_seen(user_id)) > stale
    # and once closed, it no longer does
    await asyncio.sleep(0.2)
    stale = await age_presence(user_id)
    await asyncio.sleep(0.4)
    assert await last_seen(user_id) == stale


async def test_a_socket_whose_token_is_revoked_is_closed_4403(server, workspace, private_server, gql):
    lively = await private_server(limits={"ws_presence_interval_seconds": 0.1})
    async with socket(lively) as ws:
        await init(ws, workspace.token)
        await acknowledged(ws)
        logged_out = await gql.ok("mutation { logOut { ok } }", token=workspace.token)
        assert logged_out["logOut"]["ok"] is True
        assert await close_code(ws, timeout=3) == 4403


BOARD_EVENTS = """
subscription Board($pipelineId: ID!) { boardEvents(pipelineId: $pipelineId) { sequence kind dealId } }
"""


async def subscribe_board(ws, sub_id: str, pipeline_id: str) -> None:
    await send(
        ws,
        {
            "id": sub_id,
            "type": "subscribe",
            "payload": {"query": BOARD_EVENTS, "variables": {"pipelineId": pipeline_id}},
        },
    )


async def live_subscription(gql, workspace, ws, sub_id: str, pipeline_id: str) -> None:
    """Subscribe and wait for a first event, so the subscription is surely
    live (graphql-transport-ws does not acknowledge a subscribe)."""
    await subscribe_board(ws, sub_id, pipeline_id)
    await create_deal(gql, workspace.token, pipeline_id)
    event = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert (event["id"], event["type"]) == (sub_id, "next"), event


async def test_a_duplicate_subscription_id_is_closed_4409(server, gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    async with socket(server) as ws:
        await init(ws, workspace.token)
        await acknowledged(ws)
        await live_subscription(gql, workspace, ws, "board", pipeline["id"])
        await subscribe_board(ws, "board", pipeline["id"])
        assert await close_code(ws) == 4409


async def test_subscriptions_per_connection_are_bounded(gql, workspace, private_server):
    # given a server allowing one subscription per socket
    bounded = await private_server(limits={"max_subscriptions_per_connection": 1})
    pipeline = await create_pipeline(gql, workspace.token)
    async with socket(bounded) as ws:
        await init(ws, workspace.token)
        await acknowledged(ws)
        # when a second one is opened while the first is live
        await live_subscription(gql, workspace, ws, "1", pipeline["id"])
        await subscribe_board(ws, "2", pipeline["id"])
        # then only the second is refused, and the socket stays open
        refusal = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert refusal == {"id": "2", "type": "error", "payload": [{"message": "Subscription limit reached"}]}
        await send(ws, {"type": "ping"})
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "pong"}


async def test_the_shared_server_bounds_subscriptions_per_connection(server):
    assert 0 < server.settings.limits.max_subscriptions_per_connection <= 100


def test_the_servers_keep_alive_pings_follow_their_setting():
    from revgraph.resolvers.settings import Settings, SettingsError
    from revgraph.web.cli import websocket_pings

    base = {
        "REVGRAPH_SECRET_KEY": "a-test-secret-of-some-length",
        "REVGRAPH_DATABASE_URL": "sqlite://:memory:",
    }
    # by default every 30 s (uvicorn's 20 s cost ~16 ms/s of CPU per 2,500 idle
    # sockets), well under proxies' 60 s idle timeouts, a pong awaited as long
    assert websocket_pings(Settings.from_env(base)) == {"ws_ping_interval": 30.0, "ws_ping_timeout": 30.0}
    # REVGRAPH_WS_PING_INTERVAL_SECONDS sets both
    slower = Settings.from_env({**base, "REVGRAPH_WS_PING_INTERVAL_SECONDS": "45"})
    assert websocket_pings(slower) == {"ws_ping_interval": 45.0, "ws_ping_timeout": 45.0}
    # and 0 turns them off
    off = Settings.from_env({**base, "REVGRAPH_WS_PING_INTERVAL_SECONDS": "0"})
    assert websocket_pings(off) == {"ws_ping_interval": None, "ws_ping_timeout": None}
    # the presence checks' interval is a setting too
    rarer = Settings.from_env({**base, "REVGRAPH_WS_PRESENCE_INTERVAL_SECONDS": "120"})
    assert rarer.limits.ws_presence_interval_seconds == 120.0
    # and what cannot be an interval stops the process with the setting's name
    # (a presence check every 0 s would spin; a negative ping interval is no setting)
    for name, raw in (
        ("REVGRAPH_WS_PRESENCE_INTERVAL_SECONDS", "0"),
        ("REVGRAPH_WS_PRESENCE_INTERVAL_SECONDS", "-5"),
        ("REVGRAPH_WS_PRESENCE_INTERVAL_SECONDS", "nan"),
        ("REVGRAPH_WS_PING_INTERVAL_SECONDS", "-1"),
        ("REVGRAPH_WS_PING_INTERVAL_SECONDS", "inf"),
        ("REVGRAPH_WS_PING_INTERVAL_SECONDS", "trinta"),
    ):
        with pytest.raises(SettingsError, match=name):
            Settings.from_env({**base, name: raw})
