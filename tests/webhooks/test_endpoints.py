"""Managing endpoints: ADMIN only, input checked (URL, event types), SSRF
refused in production (on save and at delivery, redirects not followed),
secret rotation with both signatures, deletion, and a deliver task run
several times at once sending nothing twice."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

import httpx
import pytest
from starlette.responses import RedirectResponse

import revgraph.tasks.webhooks as webhook_tasks
from revgraph.models.webhooks import WebhookDelivery, WebhookEndpoint
from revgraph.resolvers.webhooks import delivery, targets
from revgraph.web.graphql_view import RevGraphView
from tests.graph.documents import create_contact
from tests.webhooks.clock import worker_paused
from tests.webhooks.support import (
    CREATE_ENDPOINT,
    DELETE_ENDPOINT,
    ENDPOINTS,
    ROTATE,
    UPDATE_ENDPOINT,
    Receiver,
    VerificationError,
    create_endpoint,
    eventually,
    verify,
)
from tests.webhooks.test_retries import pk

PRIVATE_URLS = [
    "http://127.0.0.1:8080/hooks",
    "http://localhost/hooks",
    "http://10.1.2.3/hooks",
    "http://192.168.0.10/hooks",
    "http://169.254.169.254/latest/meta-data",
    "http://[::1]/hooks",
    "https://0.0.0.0/hooks",
]


def view_of(server):
    return next(r.app for r in server.app.routes if isinstance(getattr(r, "app", None), RevGraphView))


def production(server, monkeypatch, **changes):
    view = view_of(server)
    settings = dataclasses.replace(view.settings, env="production", **changes)
    monkeypatch.setattr(view, "settings", settings)
    return settings


async def create(gql, token, url, event_types=None):
    variables = {"input": {"url": url, **({"eventTypes": event_types} if event_types is not None else {})}}
    return (await gql.ok(CREATE_ENDPOINT, variables, token=token))["createWebhookEndpoint"]


async def test_bad_urls_and_unknown_event_types_are_refused_on_their_field(gql, workspace):
    cases = [
        ("ftp://example.com/hooks", None, ["input", "url"]),
        ("javascript:alert(1)", None, ["input", "url"]),
        ("http:///hooks", None, ["input", "url"]),
        ("https://user:pw@example.com/hooks", None, ["input", "url"]),
        ("https://example.com/" + "a" * 2000, None, ["input", "url"]),
        ("https://example.com/hooks", ["contact.created", "contact.exploded"], ["input", "eventTypes", "1"]),
    ]
    for url, types, field in cases:
        payload = await create(gql, workspace.token, url, types)
        assert payload["webhookEndpoint"] is None and payload["secret"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", field)], url
    assert (await gql.ok(ENDPOINTS, token=workspace.token))["webhookEndpoints"] == []
    # an update with a bad URL changes nothing either
    endpoint, _ = await create_endpoint(gql, workspace.token, "https://example.com/hooks")
    refused = await gql.ok(
        UPDATE_ENDPOINT, {"id": endpoint["id"], "input": {"url": "gopher://x"}}, token=workspace.token
    )
    assert [e["code"] for e in refused["updateWebhookEndpoint"]["userErrors"]] == ["INVALID"]
    assert (await WebhookEndpoint.get(id=pk(endpoint["id"]))).url == "https://example.com/hooks"


@pytest.mark.parametrize("url", PRIVATE_URLS)
async def test_production_refuses_private_loopback_and_link_local_targets(
    gql, workspace, server, monkeypatch, url
):
    production(server, monkeypatch)
    payload = await create(gql, workspace.token, url)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("FORBIDDEN", ["input", "url"])]
    assert await WebhookEndpoint.all().count() == 0


async def test_production_allows_private_targets_when_configured(gql, workspace, server, monkeypatch):
    production(server, monkeypatch, webhook_allow_private=True)
    payload = await create(gql, workspace.token, "http://127.0.0.1:8080/hooks")
    assert payload["userErrors"] == []


async def test_production_refuses_a_private_target_again_at_delivery_time(
    gql, workspace, server, monkeypatch
):
    # given an endpoint saved while private targets were allowed
    receiver = await Receiver().start()
    try:
        with worker_paused(server):
            endpoint, _ = await create_endpoint(gql, workspace.token, receiver.url)
            # when the server runs in production (the API and the actors)
            settings = production(server, monkeypatch)
            monkeypatch.setattr(webhook_tasks, "settings", lambda: settings)
            await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")

            async def attempted() -> bool:
                await delivery.run_endpoint(settings, pk(endpoint["id"]))
                return await WebhookDelivery.filter(endpoint_id=pk(endpoint["id"]), attempts__gte=1).exists()

            await eventually(attempted, what="an attempt")
            # then the attempt is refused before any request
            row = await WebhookDelivery.get(endpoint_id=pk(endpoint["id"]))
            assert row.status == "RETRYING" and row.last_error.startswith("refused:")
            assert receiver.requests == []
    finally:
        await receiver.stop()


async def test_the_production_transport_checks_the_address_it_connects_to():
    # a name resolving to loopback is refused at the connection itself, even
    # when nothing checked the URL before (DNS answering differently later)
    receiver = await Receiver().start()
    try:
        async with httpx.AsyncClient(transport=targets.GuardedTransport()) as client:
            for url in (receiver.url.replace("127.0.0.1", "localhost"), receiver.url):
                with pytest.raises(httpx.ConnectError, match="refused"):
                    await client.post(url, content=b"{}")
    finally:
        await receiver.stop()
    assert receiver.requests == []


async def test_redirects_are_not_followed(gql, workspace):
    target = await Receiver().start()
    bouncer = await Receiver(lambda _: RedirectResponse(target.url, status_code=307)).start()
    try:
        endpoint, _ = await create_endpoint(gql, workspace.token, bouncer.url)
        await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        await bouncer.wait_for(1)
        await asyncio.sleep(0.5)
    finally:
        await bouncer.stop()
        await target.stop()
    assert target.requests == []
    row = await WebhookDelivery.get(endpoint_id=pk(endpoint["id"]))
    assert (row.response_status, row.last_error) == (307, "HTTP 307")


async def test_rotation_signs_with_both_secrets_during_the_overlap(gql, workspace):
    receiver = await Receiver().start()
    try:
        endpoint, old = await create_endpoint(gql, workspace.token, receiver.url)
        await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        await receiver.wait_for(1)
        rotated = (await gql.ok(ROTATE, {"id": endpoint["id"]}, token=workspace.token))["rotateWebhookSecret"]
        new = rotated["secret"]
        assert rotated["userErrors"] == [] and new.startswith("whsec_") and new != old
        await create_contact(gql, workspace.token, name="Bia", email="bia@cliente.com")
        before, after = await receiver.wait_for(2)
    finally:
        await receiver.stop()
    assert len(before.headers["webhook-signature"].split(" ")) == 1
    signatures = after.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert verify(new, after.headers, after.body)["type"] == "contact.created"
    assert verify(old, after.headers, after.body)["type"] == "contact.created"
    with pytest.raises(VerificationError):
        verify(new, before.headers, before.body)
    # after the overlap only the new secret signs
    row = await WebhookEndpoint.get(id=pk(endpoint["id"]))
    assert delivery.secrets_in_use(row, row.previous_secret_until - timedelta(seconds=1)) == [new, old]
    assert delivery.secrets_in_use(row, row.previous_secret_until + timedelta(seconds=1)) == [new]


async def test_a_deleted_endpoint_is_sent_nothing_more(gql, workspace):
    receiver = await Receiver().start()
    try:
        endpoint, _ = await create_endpoint(gql, workspace.token, receiver.url)
        await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        await receiver.wait_for(1)
        deleted = (await gql.ok(DELETE_ENDPOINT, {"id": endpoint["id"]}, token=workspace.token))[
            "deleteWebhookEndpoint"
        ]
        assert deleted == {"deletedId": endpoint["id"], "userErrors": []}
        await create_contact(gql, workspace.token, name="Bia", email="bia@cliente.com")
        await asyncio.sleep(1)
    finally:
        await receiver.stop()
    assert len(receiver.requests) == 1
    assert (await gql.ok(ENDPOINTS, token=workspace.token))["webhookEndpoints"] == []
    assert await WebhookDelivery.all().count() == 0


async def test_a_changed_url_receives_the_next_event_and_the_old_one_nothing_more(gql, workspace):
    old = await Receiver().start()
    new = await Receiver().start()
    try:
        endpoint, secret = await create_endpoint(gql, workspace.token, old.url)
        first = await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        await old.wait_for(1)
        # when the URL changes to another valid one
        changed = (
            await gql.ok(
                UPDATE_ENDPOINT, {"id": endpoint["id"], "input": {"url": new.url}}, token=workspace.token
            )
        )["updateWebhookEndpoint"]
        assert changed["userErrors"] == []
        assert changed["webhookEndpoint"]["url"] == new.url
        assert changed["secret"] is None  # the secret stays
        second = await create_contact(gql, workspace.token, name="Bia", email="bia@cliente.com")
        await new.wait_for(1)
        await asyncio.sleep(1)
    finally:
        await old.stop()
        await new.stop()
    # then the next event went to the new URL only, signed with the same secret
    assert [verify(secret, r.headers, r.body)["data"]["id"] for r in old.requests] == [first["id"]]
    assert [verify(secret, r.headers, r.body)["data"]["id"] for r in new.requests] == [second["id"]]


async def test_a_deliver_task_run_several_times_at_once_sends_each_event_once(gql, workspace):
    receiver = await Receiver().start()
    try:
        endpoint, secret = await create_endpoint(gql, workspace.token, receiver.url)
        created = [
            await create_contact(gql, workspace.token, name=f"Cliente {i}", email=f"c{i}@cliente.com")
            for i in range(5)
        ]
        # when Dramatiq delivers the endpoint's task again and again, concurrently
        # (the actor's own coroutine, as the embedded broker runs it)
        run = getattr(webhook_tasks.deliver.fn, "__wrapped__", webhook_tasks.deliver.fn)
        await asyncio.gather(*(run(pk(endpoint["id"])) for _ in range(4)))
        await receiver.wait_for(5)
        await asyncio.sleep(1)
    finally:
        await receiver.stop()
    # then each event was sent once, in order
    assert len(receiver.requests) == 5
    bodies = [verify(secret, r.headers, r.body) for r in receiver.requests]
    assert [b["data"]["id"] for b in bodies] == [c["id"] for c in created]


WEBHOOK_OPERATIONS = [
    ("query { webhookEndpoints { id } }", {}),
    (CREATE_ENDPOINT, {"input": {"url": "https://example.com/hooks"}}),
    (UPDATE_ENDPOINT, {"id": "ENDPOINT", "input": {"enabled": False}}),
    (ROTATE, {"id": "ENDPOINT"}),
    (DELETE_ENDPOINT, {"id": "ENDPOINT"}),
    (
        "mutation($id: ID!) { redeliverWebhook(deliveryId: $id) { userErrors { code } } }",
        {"id": "ENDPOINT"},
    ),
]


@pytest.mark.parametrize("role", ["AGENT", "MANAGER"])
async def test_only_admins_manage_webhooks(gql, workspace, role):
    endpoint, _ = await create_endpoint(gql, workspace.token, "https://example.com/hooks")
    before = await WebhookEndpoint.get(id=pk(endpoint["id"]))
    user = await workspace.user(role)
    for document, variables in WEBHOOK_OPERATIONS:
        variables = {k: (endpoint["id"] if v == "ENDPOINT" else v) for k, v in variables.items()}
        body = await gql(document, variables, token=user["token"])
        assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], document
        assert body["data"] is None
    after = await WebhookEndpoint.get(id=pk(endpoint["id"]))
    assert await WebhookEndpoint.all().count() == 1
    assert (after.secret, after.enabled, after.url) == (before.secret, before.enabled, before.url)


async def test_every_attempt_takes_the_processs_one_tls_context(monkeypatch):
    # httpx reads and parses the CA bundle for every client it builds (~20 ms
    # of CPU); an attempt builds a client, so the context is made once
    import ssl

    from revgraph.resolvers.settings import Settings
    from revgraph.resolvers.webhooks.signing import new_secret

    made = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: made.append(a or k) or real(*a, **k))
    targets.tls_context.cache_clear()
    receiver = await Receiver().start()
    try:
        endpoint = WebhookEndpoint(url=receiver.url, secret=new_secret())
        for number in range(3):
            attempt = WebhookDelivery(message_id=f"msg_{number}", body=f'{{"n": {number}}}')
            result = await delivery.post(Settings.from_env(), endpoint, attempt)
            assert result["ok"], result
    finally:
        await receiver.stop()
    assert receiver.ids() == ["msg_0", "msg_1", "msg_2"]
    assert len(made) == 1
    # and production's guarded transport makes its own once (no CAs from the environment)
    targets.GuardedTransport()
    targets.GuardedTransport()
    assert len(made) == 2
    assert targets.tls_context(False).verify_mode == ssl.CERT_REQUIRED
