"""Events reach an endpoint from the log: signed per Standard Webhooks, in
log order, filtered by type, once each, from the endpoint's creation on."""

from __future__ import annotations

import asyncio
import base64
import time

from starlette.responses import PlainTextResponse

from revgraph.resolvers.webhooks.event_types import EVENT_TYPES
from tests.graph.documents import UPDATE_CONTACT, create_company, create_contact
from tests.webhooks.support import (
    ENDPOINTS,
    UPDATE_ENDPOINT,
    Receiver,
    create_endpoint,
    deliveries,
    eventually,
    verify,
)
from tests.webhooks.support import (
    EVENT_TYPES as EVENT_TYPES_QUERY,
)


async def test_events_committed_after_creation_arrive_signed_and_in_log_order(gql, workspace):
    # given a contact from before the endpoint, and a receiver
    await create_contact(gql, workspace.token, name="Antes", email="antes@cliente.com")
    receiver = await Receiver().start()
    try:
        endpoint, secret = await create_endpoint(gql, workspace.token, receiver.url)
        # when contacts are created and one updated
        first = await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        second = await create_contact(
            gql, workspace.token, name="Bia", email="bia@cliente.com", tags=["vip", "investidor"]
        )
        updated = await gql.ok(
            UPDATE_CONTACT, {"id": first["id"], "input": {"name": "Ana Lima"}}, token=workspace.token
        )
        assert updated["updateContact"]["userErrors"] == []
        requests = await receiver.wait_for(3)
        await asyncio.sleep(0.3)
    finally:
        await receiver.stop()
    # then the three events arrive in log order, each verified by the spec's algorithm
    assert len(receiver.requests) == 3
    bodies = [verify(secret, r.headers, r.body) for r in requests]
    assert [b["type"] for b in bodies] == ["contact.created", "contact.created", "contact.updated"]
    assert [b["data"]["id"] for b in bodies] == [first["id"], second["id"], first["id"]]
    assert bodies[2]["data"]["name"] == "Ana Lima"
    assert bodies[1]["data"]["email"] == "bia@cliente.com"
    assert bodies[1]["data"]["tags"] == ["investidor", "vip"]
    assert {"createdAt", "lifecycleStage", "ownerId"} <= set(bodies[1]["data"])
    assert all(b["timestamp"] for b in bodies)
    assert len(set(receiver.ids())) == 3
    assert all(r.headers["content-type"] == "application/json" for r in requests)
    # and the delivery log says so, with the same webhook-ids
    log = await deliveries(gql, workspace.token)
    assert log["totalCount"] == 3
    nodes = [e["node"] for e in log["edges"]]
    assert [n["status"] for n in nodes] == ["SUCCEEDED"] * 3
    assert sorted(n["messageId"] for n in nodes) == sorted(receiver.ids())
    assert all(n["attempts"] == 1 and n["responseStatus"] == 200 for n in nodes)
    assert endpoint["enabled"] is True


async def test_a_secret_is_whsec_base64_of_random_bytes_and_shown_once(gql, workspace):
    receiver = Receiver()
    endpoint, secret = await create_endpoint(gql, workspace.token, receiver.url)
    assert secret.startswith("whsec_")
    assert 24 <= len(base64.b64decode(secret.removeprefix("whsec_"))) <= 64
    listed = await gql.ok(ENDPOINTS, token=workspace.token)
    assert "secret" not in str(listed) and secret not in str(listed)
    other, other_secret = await create_endpoint(gql, workspace.token, receiver.url)
    assert other_secret != secret and other["id"] != endpoint["id"]


async def test_event_types_come_from_one_registry(gql, workspace):
    types = (await gql.ok(EVENT_TYPES_QUERY, token=workspace.token))["webhookEventTypes"]
    assert types == list(EVENT_TYPES)
    assert {"contact.created", "deal.stage_changed", "assignment.made", "message.created"} <= set(types)


async def test_an_endpoint_receives_only_the_types_it_subscribes_to(gql, workspace):
    receiver = await Receiver().start()
    try:
        endpoint, secret = await create_endpoint(gql, workspace.token, receiver.url, ["company.created"])
        await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        company = await create_company(gql, workspace.token, name="Acme")
        await receiver.wait_for(1)
        # when the filter changes, later events follow the new one
        changed = await gql.ok(
            UPDATE_ENDPOINT,
            {"id": endpoint["id"], "input": {"eventTypes": ["contact.created"]}},
            token=workspace.token,
        )
        assert changed["updateWebhookEndpoint"]["webhookEndpoint"]["eventTypes"] == ["contact.created"]
        await create_company(gql, workspace.token, name="Outra")
        contact = await create_contact(gql, workspace.token, name="Bia", email="bia@cliente.com")
        await receiver.wait_for(2)
        await asyncio.sleep(0.5)
    finally:
        await receiver.stop()
    bodies = [verify(secret, r.headers, r.body) for r in receiver.requests]
    assert [(b["type"], b["data"]["id"]) for b in bodies] == [
        ("company.created", company["id"]),
        ("contact.created", contact["id"]),
    ]


# More slow endpoints than the Redis worker has threads (tests/conftest.py
# start_worker: --threads 4): deliveries that held a thread each would make
# the last ones, and the fast one, wait for the first ones to answer.
SLOW_ENDPOINTS = 6
HOLD_SECONDS = 4.0


async def test_slow_receivers_never_delay_another_endpoint(gql, workspace):
    # given endpoints whose receivers hold each request 4 s, created first
    # (their tasks are sent first), and a fast one
    answered: list[float] = []

    async def slow(_):
        await asyncio.sleep(HOLD_SECONDS)
        answered.append(time.monotonic())
        return PlainTextResponse("ok")

    slow_receivers = [await Receiver(slow).start() for _ in range(SLOW_ENDPOINTS)]
    fast_receiver = await Receiver().start()
    try:
        for receiver in slow_receivers:
            await create_endpoint(gql, workspace.token, receiver.url, ["contact.created"])
        await create_endpoint(gql, workspace.token, fast_receiver.url, ["contact.created"])
        # when an event is logged
        started = time.monotonic()
        await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        (fast,) = await fast_receiver.wait_for(1, timeout=30)
        for receiver in slow_receivers:
            await receiver.wait_for(1, timeout=30)
        await eventually(
            lambda: _succeeded(gql, workspace.token, SLOW_ENDPOINTS + 1),
            timeout=30,
            what="every delivery to succeed",
        )
    finally:
        for receiver in [*slow_receivers, fast_receiver]:
            await receiver.stop()
    # then the fast one had its event while every slow one still held its request
    assert answered and fast.at < min(answered)
    assert fast.at - started < HOLD_SECONDS
    # and the slow ones were all sent at once, not in turns
    assert max(r.requests[0].at for r in slow_receivers) < min(answered)
    assert all(len(r.requests) == 1 for r in slow_receivers)


async def _succeeded(gql, token, count):
    data = await gql.ok(ENDPOINTS, {"status": "SUCCEEDED"}, token=token)
    return sum(e["deliveries"]["totalCount"] for e in data["webhookEndpoints"]) == count
