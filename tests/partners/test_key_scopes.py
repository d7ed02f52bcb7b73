"""API key scopes: READ_ONLY reads, INTAKE only sends data in, FULL does
what its role allows; every path refuses the rest with FORBIDDEN."""

from typing import Any

import pytest

from revgraph.models.crm import Contact
from tests.live import connect, run_on

CREATE_API_KEY = """
mutation Key($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id role scope } secret userErrors { code message field } }
}
"""
CONTACTS = "query { contacts(first: 5) { edges { node { id name } } } }"
CREATE_CONTACT = """
mutation { createContact(input: {name: "Ana Souza", email: "ana@example.com"}) { contact { id } userErrors { code } } }
"""
CAPTURE = """
mutation Capture($input: CaptureLeadInput!) { captureLead(input: $input) { contact { id } userErrors { code } } }
"""
NOTIFICATIONS = "subscription { notifications { id } }"
FRAGMENT_MUTATION = """
mutation { ...M }
fragment M on Mutation { createContact(input: {name: "Bia"}) { contact { id } } }
"""
LEAD = {"name": "Lia Prado", "email": "lia@example.com", "source": "rdstation"}


async def key(gql: Any, token: str, scope: str | None) -> str:
    body = {"name": f"Parceiro {scope}", "role": "ADMIN"} | ({"scope": scope} if scope else {})
    data = await gql.ok(CREATE_API_KEY, {"input": body}, token=token)
    payload = data["createApiKey"]
    assert payload["userErrors"] == []
    assert payload["apiKey"]["scope"] == (scope or "FULL")
    return payload["secret"]


def forbidden(body: dict[str, Any]) -> str:
    [error] = body["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    assert body.get("data") is None
    return error["message"]


def ws_refusal(reply: dict[str, Any]) -> str:
    """The code of an operation refused on a socket: an `error` message for
    a query or mutation; a subscription's refusal comes as its one result."""
    if reply["type"] == "next":
        assert reply["payload"]["data"] is None, reply
        [error] = reply["payload"]["errors"]
    else:
        assert reply["type"] == "error", reply
        [error] = reply["payload"]
    return error["extensions"]["code"]


async def post_lead(gql: Any, secret: str) -> Any:
    return await gql.http.post(
        gql.server.url + "/api/leads", json=LEAD, headers={"authorization": f"Bearer {secret}"}
    )


async def test_a_key_without_a_scope_is_full_and_may_do_what_its_role_allows(gql, workspace):
    secret = await key(gql, workspace.token, None)
    assert (await gql.ok(CREATE_CONTACT, token=secret))["createContact"]["userErrors"] == []
    assert len((await gql.ok(CONTACTS, token=secret))["contacts"]["edges"]) == 1
    assert (await post_lead(gql, secret)).status_code == 201


async def test_a_read_only_key_reads_but_changes_nothing_on_any_path(gql, workspace):
    secret = await key(gql, workspace.token, "READ_ONLY")
    # it reads
    assert (await gql.ok(CONTACTS, token=secret))["contacts"]["edges"] == []
    # and every write is refused before running: directly, through a fragment, or as intake
    assert "somente leitura (escopo READ_ONLY)" in forbidden(await gql(CREATE_CONTACT, token=secret))
    forbidden(await gql(FRAGMENT_MUTATION, token=secret))
    forbidden(await gql(CAPTURE, {"input": LEAD}, token=secret))
    response = await post_lead(gql, secret)
    assert response.status_code == 403 and response.json()["error"] == "FORBIDDEN"
    assert await Contact.all().count() == 0


async def test_an_intake_key_only_sends_data_in(gql, workspace):
    secret = await key(gql, workspace.token, "INTAKE")
    # it captures through GraphQL and over HTTP
    captured = await gql.ok(CAPTURE, {"input": LEAD}, token=secret)
    assert captured["captureLead"]["userErrors"] == []
    assert (await post_lead(gql, secret)).status_code == 201
    # and reads nothing and changes nothing else
    assert "recusado: contacts" in forbidden(await gql(CONTACTS, token=secret))
    assert "recusado: createContact" in forbidden(await gql(CREATE_CONTACT, token=secret))
    mixed = 'mutation M($input: CaptureLeadInput!) { captureLead(input: $input) { contact { id } } createContact(input: {name: "X"}) { contact { id } } }'
    forbidden(await gql(mixed, {"input": LEAD}, token=secret))
    assert await Contact.all().count() == 1
    # introspection stays open: partners integrate through it
    assert (await gql.ok("{ __schema { queryType { name } } }", token=secret))["__schema"]
    # and it exports nothing (a read), while a read-only key does
    url = f"{gql.server.url}/export/contacts.csv"
    exported = await gql.http.get(url, headers={"authorization": f"Bearer {secret}"})
    assert exported.status_code == 403 and exported.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert exported.json()["errors"][0]["message"] == "Esta chave de API (escopo INTAKE) não pode ler dados."
    reader = await key(gql, workspace.token, "READ_ONLY")
    read = await gql.http.get(url, headers={"authorization": f"Bearer {reader}"})
    assert read.status_code == 200 and "Lia Prado" in read.text


@pytest.mark.parametrize("scope", ["READ_ONLY", "INTAKE"])
async def test_scopes_hold_on_websockets(gql, workspace, scope):
    secret = await key(gql, workspace.token, scope)
    async with connect(gql.server.ws_url, secret) as ws:
        assert ws_refusal(await run_on(ws, "1", CREATE_CONTACT)) == "FORBIDDEN"
        if scope == "INTAKE":
            assert ws_refusal(await run_on(ws, "2", CONTACTS)) == "FORBIDDEN"
            assert ws_refusal(await run_on(ws, "3", NOTIFICATIONS)) == "FORBIDDEN"
    assert await Contact.all().count() == 0


async def test_an_unknown_scope_is_refused_by_the_schema(gql, workspace):
    body = await gql(
        CREATE_API_KEY, {"input": {"name": "X", "role": "ADMIN", "scope": "WRITE"}}, token=workspace.token
    )
    assert "WRITE" in body["errors"][0]["message"]
    assert (await gql.ok("query { apiKeys { id } }", token=workspace.token))["apiKeys"] == []
