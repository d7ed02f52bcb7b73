"""The README's Webhooks page is what the code does: its event-type table
is the registry, and its receiver snippet verifies a real delivery."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from revgraph.resolvers.webhooks.event_types import EVENT_TYPES
from tests.graph.documents import create_contact
from tests.webhooks.support import ROTATE, Receiver, create_endpoint

README = (Path(__file__).parents[2] / "README.md").read_text()


def receiver_snippet() -> dict:
    block = README.split("<!-- webhook-receiver-snippet -->", 1)[1]
    code = re.search(r"```python\n(.*?)```", block, re.S)
    assert code is not None
    namespace: dict = {}
    exec(code.group(1), namespace)
    return namespace


def test_the_readme_lists_every_event_type_of_the_registry():
    table = README.split("<!-- webhook-event-types -->", 1)[1].split("\n\n", 1)[0]
    listed = re.findall(r"^\| `([a-z_.]+)` \| (\w+) \|", table, re.M)
    assert listed == [(kind, subject) for kind, (subject, _) in EVENT_TYPES.items()]


async def test_the_readme_receiver_snippet_verifies_a_delivery_and_rejects_a_forgery(gql, workspace):
    verify_webhook = receiver_snippet()["verify_webhook"]
    receiver = await Receiver().start()
    try:
        endpoint, secret = await create_endpoint(gql, workspace.token, receiver.url)
        contact = await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        (sent,) = await receiver.wait_for(1)
        rotated = (await gql.ok(ROTATE, {"id": endpoint["id"]}, token=workspace.token))["rotateWebhookSecret"]
        await create_contact(gql, workspace.token, name="Bia", email="bia@cliente.com")
        _, during_overlap = await receiver.wait_for(2)
    finally:
        await receiver.stop()
    assert verify_webhook(secret, sent.headers, sent.body)["data"]["id"] == contact["id"]
    for key in (secret, rotated["secret"]):
        assert verify_webhook(key, during_overlap.headers, during_overlap.body)["type"] == "contact.created"
    with pytest.raises(ValueError):
        verify_webhook(secret, sent.headers, sent.body.replace(b"Ana", b"Eva"))
    with pytest.raises(ValueError):
        verify_webhook(rotated["secret"], sent.headers, sent.body)
    with pytest.raises(ValueError):
        verify_webhook(secret, {**sent.headers, "webhook-timestamp": "1000000000"}, sent.body)
