"""POST /api/leads: the authenticated JSON intake for marketing tools, with
Stripe-style idempotency keys."""

from __future__ import annotations

import asyncio
from typing import Any

from revgraph.models.distribution import Assignment
from revgraph.models.events import Event, IdempotencyKey
from revgraph.resolvers.ids import pk_of
from tests.distribution.support import create_queue
from tests.pipeline.support import create_pipeline

CREATE_API_KEY = """
mutation Key($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }
"""
CONTACT = """
query($id: ID!) {
  contact(id: $id) {
    id name email source owner { id }
    timeline(first: 20) { edges { node { kind data } } }
  }
}
"""
CONTACTS = "query { contacts(first: 100) { totalCount } }"
LEAD = {
    "name": "Marcos Lima",
    "email": "marcos@example.com",
    "phone": "11 98888-7777",
    "source": "rdstation",
    "media": "paid",
    "campaign": "black-friday",
    "utm": {"utm_source": "facebook", "utm_medium": "cpc"},
    "message": "Quero uma simulação",
    "customFields": {"renda": "10k"},
    "landingPage": "https://lp.example/bf",
}


async def api_key(gql: Any, token: str, role: str = "ADMIN") -> str:
    data = await gql.ok(CREATE_API_KEY, {"input": {"name": "RD Station", "role": role}}, token=token)
    return data["createApiKey"]["secret"]


async def post_lead(
    gql: Any, body: Any, *, token: str | None = None, key: str | None = None, **headers: str
) -> Any:
    all_headers = dict(headers)
    if token:
        all_headers["authorization"] = f"Bearer {token}"
    if key:
        all_headers["idempotency-key"] = key
    return await gql.http.post(gql.server.url + "/api/leads", json=body, headers=all_headers)


async def contact_count(gql: Any, token: str) -> int:
    return (await gql.ok(CONTACTS, token=token))["contacts"]["totalCount"]


async def test_a_marketing_tool_reports_a_lead_with_an_api_key(gql, workspace):
    secret = await api_key(gql, workspace.token)
    response = await post_lead(gql, LEAD, token=secret)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["ok"] is True and body["created"] is True
    assert body["dealId"] is None and body["assignmentId"] is None
    contact = (await gql.ok(CONTACT, {"id": body["contactId"]}, token=workspace.token))["contact"]
    assert (contact["name"], contact["email"], contact["source"]) == (
        "Marcos Lima",
        "marcos@example.com",
        "rdstation",
    )
    (captured,) = [
        e["node"]["data"] for e in contact["timeline"]["edges"] if e["node"]["kind"] == "lead.captured"
    ]
    assert captured["utm"] == LEAD["utm"] and captured["landingPage"] == LEAD["landingPage"]
    assert captured["campaign"] == "black-friday" and captured["formId"] is None
    event = await Event.get(kind="lead.captured")
    assert event.actor_user_id == pk_of(workspace.admin["id"], "User")


async def test_a_key_acting_for_an_agent_captures_their_lead_and_source_defaults_to_api(gql, workspace):
    agent = await workspace.user("AGENT")
    key = {"name": "Agent's tool", "role": "AGENT", "userId": agent["id"]}
    secret = (await gql.ok(CREATE_API_KEY, {"input": key}, token=workspace.token))["createApiKey"]["secret"]
    response = await post_lead(gql, {"name": "Lia", "phone": "11 97654-3210"}, token=secret)
    assert response.status_code == 201, response.text
    contact = (await gql.ok(CONTACT, {"id": response.json()["contactId"]}, token=workspace.token))["contact"]
    # an agent's lead is the agent's, as with captureLead
    assert contact["source"] == "api" and contact["owner"]["id"] == agent["id"]


async def test_a_session_token_is_refused_and_captures_nothing(gql, workspace):
    # given a valid session token of an admin and one of an agent
    agent = await workspace.user("AGENT")
    for token in (workspace.token, agent["token"]):
        # when a tool posts a lead with it
        response = await post_lead(gql, LEAD, token=token)
        # then it is told this endpoint takes an API key
        assert response.status_code == 401
        body = response.json()
        assert body["ok"] is False and body["error"] == "UNAUTHENTICATED"
        assert "recebe uma chave de API, não um token de sessão" in body["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    # and nothing was captured
    assert await contact_count(gql, workspace.token) == 0


async def test_without_valid_credentials_the_intake_answers_401(gql, workspace):
    secret = await api_key(gql, workspace.token)
    for headers in (
        {},
        {"authorization": "Bearer rgk_nope"},
        {"authorization": "Bearer rg_nope"},
        {"authorization": f"Basic {secret}"},
    ):
        response = await gql.http.post(gql.server.url + "/api/leads", json=LEAD, headers=headers)
        assert response.status_code == 401
        body = response.json()
        assert (body["ok"], body["error"]) == (False, "UNAUTHENTICATED") and "chave de API" in body["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")
    # a cookie is no credential here
    response = await gql.http.post(
        gql.server.url + "/api/leads", json=LEAD, headers={"cookie": f"session={workspace.token}"}
    )
    assert response.status_code == 401
    assert await contact_count(gql, workspace.token) == 0


async def test_one_lead_per_request_and_invalid_leads_are_refused(gql, workspace):
    secret = await api_key(gql, workspace.token)
    batch = await post_lead(gql, [LEAD, {**LEAD, "email": "other@example.com"}], token=secret)
    assert batch.status_code == 400 and "um lead por requisição" in batch.json()["message"]
    invalid = await post_lead(gql, {**LEAD, "email": "nope", "telefone": "x", "name": 3}, token=secret)
    assert invalid.status_code == 422
    assert sorted((e["code"], tuple(e["field"])) for e in invalid.json()["errors"]) == [
        ("INVALID", ("name",)),
        ("INVALID", ("telefone",)),
    ]
    bad_email = await post_lead(gql, {**LEAD, "email": "nope"}, token=secret)
    assert [(e["code"], e["field"]) for e in bad_email.json()["errors"]] == [("INVALID", ["email"])]
    foreign = await post_lead(gql, {**LEAD, "queueId": "UXVldWU6OTk5"}, token=secret)
    assert [(e["code"], e["field"]) for e in foreign.json()["errors"]] == [("NOT_FOUND", ["queueId"])]
    form_body = await gql.http.post(
        gql.server.url + "/api/leads", data={"name": "x"}, headers={"authorization": f"Bearer {secret}"}
    )
    assert form_body.status_code == 415
    assert await contact_count(gql, workspace.token) == 0


async def test_intake_distributes_and_opens_a_deal(gql, workspace):
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    pipeline = await create_pipeline(gql, workspace.token)
    secret = await api_key(gql, workspace.token)
    response = await post_lead(
        gql, {**LEAD, "queueId": queue["id"], "pipelineId": pipeline["id"]}, token=secret
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assignment = await Assignment.get(id=pk_of(body["assignmentId"], "Assignment"))
    assert assignment.user_id == pk_of(agent["id"], "User")
    assert assignment.contact_id == pk_of(body["contactId"], "Contact")
    assert pk_of(body["dealId"], "Deal") is not None


async def test_an_idempotency_key_replays_the_first_answer_and_captures_once(gql, workspace):
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    secret = await api_key(gql, workspace.token)
    lead = {**LEAD, "queueId": queue["id"]}
    first = await post_lead(gql, lead, token=secret, key="rd-evt-123")
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    # when the tool retries the webhook, keys in another order
    again = await post_lead(gql, dict(reversed(list(lead.items()))), token=secret, key="rd-evt-123")
    # then it gets the first answer again, and nothing more happened
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert await contact_count(gql, workspace.token) == 1
    assert await Event.filter(kind="lead.captured").count() == 1
    assert await Event.filter(kind="lead.reentered").count() == 0
    assert await Assignment.all().count() == 1
    # the same key with another body is a conflict and changes nothing
    conflict = await post_lead(gql, {**lead, "email": "outra@example.com"}, token=secret, key="rd-evt-123")
    assert conflict.status_code == 409 and conflict.json()["error"] == "IDEMPOTENCY_CONFLICT"
    assert await contact_count(gql, workspace.token) == 1
    assert await Event.filter(kind__startswith="lead.").count() == 1
    # a new key is a new request: the same person re-enters
    other = await post_lead(gql, lead, token=secret, key="rd-evt-124")
    assert other.status_code == 201 and other.json()["created"] is False


async def test_a_refused_lead_does_not_use_up_its_idempotency_key(gql, workspace):
    secret = await api_key(gql, workspace.token)
    refused = await post_lead(gql, {**LEAD, "email": "nope", "phone": None}, token=secret, key="k-1")
    assert refused.status_code == 422
    assert await IdempotencyKey.all().count() == 0
    fixed = await post_lead(gql, LEAD, token=secret, key="k-1")
    assert fixed.status_code == 201 and fixed.json()["created"] is True


async def test_concurrent_requests_with_one_key_capture_once(gql, workspace):
    secret = await api_key(gql, workspace.token)
    responses = await asyncio.gather(*(post_lead(gql, LEAD, token=secret, key="burst") for _ in range(6)))
    # the later ones wait for the first and get its answer
    assert [r.status_code for r in responses] == [201] * 6
    assert [r.headers.get("idempotent-replayed") for r in responses].count(None) == 1
    assert all(r.json() == responses[0].json() for r in responses)
    assert await Event.filter(kind="lead.captured").count() == 1
    assert await contact_count(gql, workspace.token) == 1


async def test_idempotency_keys_are_per_workspace(gql, workspace, other_workspace):
    ours = await post_lead(gql, LEAD, token=await api_key(gql, workspace.token), key="shared")
    theirs = await post_lead(gql, LEAD, token=await api_key(gql, other_workspace.token), key="shared")
    assert ours.status_code == theirs.status_code == 201
    assert theirs.json()["created"] is True and theirs.json()["contactId"] != ours.json()["contactId"]
    assert await contact_count(gql, workspace.token) == await contact_count(gql, other_workspace.token) == 1
