"""API key scopes: READ_ONLY reads, INTAKE only sends data in, FULL does
what its role allows; every path refuses the rest with FORBIDDEN."""

from typing import Any

import pytest

from revgraph.models.crm import Contact
from revgraph.models.events import Event
from revgraph.models.imports import ImportJob
from tests.imports.support import csv_bytes, dry_run, mapped, upload, uploaded
from tests.live import connect, run_on
from tests.partners.test_handoff import UPDATE_FROM_PARTNER, handed_off_deal, partner_key
from tests.pipeline.support import create_pipeline

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


def http_forbidden(response: Any) -> str:
    assert response.status_code == 403, response.text
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "FORBIDDEN", error
    return error["message"]


@pytest.mark.parametrize(
    ("scope", "uploads", "reads_errors"),
    [(None, True, True), ("READ_ONLY", False, True), ("INTAKE", False, False)],
)
async def test_csv_import_paths_follow_the_keys_scope(gql, workspace, scope, uploads, reads_errors):
    """POST /imports is a write (FULL only); GET /imports/{id}/errors.csv is
    a read of the file's rows (FULL and READ_ONLY, as exports)."""
    secret = await key(gql, workspace.token, scope)
    # an import the workspace's admin uploaded and dry-ran, with a bad row
    rows = [["Ana", "ana@example.com", "", ""], ["Bruno Dias", "bruno@", "", ""]]
    job = await uploaded(gql, workspace.token, csv_bytes(rows))
    await mapped(gql, workspace.token, job["id"])
    assert (await dry_run(gql, workspace.token, job["id"]))["dryRun"]["invalid"] == 1
    # the key uploads a file
    response = await upload(gql, secret, csv_bytes([["Lia Prado", "lia@example.com", "", ""]]))
    if uploads:
        assert response.status_code == 201, response.text
        assert await ImportJob.all().count() == 2
    else:
        assert "(escopo " + str(scope) + ") não pode alterar dados" in http_forbidden(response)
        assert await ImportJob.all().count() == 1
    # the key downloads the dry run's error report
    url = f"{gql.server.url}/imports/{job['id']}/errors.csv?phase=DRY_RUN"
    report = await gql.http.get(url, headers={"authorization": f"Bearer {secret}"})
    if reads_errors:
        assert report.status_code == 200 and "Bruno Dias" in report.text
    else:
        assert http_forbidden(report) == "Esta chave de API (escopo INTAKE) não pode ler dados."
        assert "Bruno Dias" not in report.text
    assert await Contact.all().count() == 0


async def test_an_intake_key_reads_back_only_what_confirms_its_call(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    contact = await gql.ok(
        'mutation { createContact(input: {name: "Lia Prado", email: "lia@example.com", phone: "+5511987654321"}) { contact { id } } }',
        token=workspace.token,
    )
    deal = await handed_off_deal(
        gql, workspace.token, pipeline, contactId=contact["createContact"]["contact"]["id"]
    )
    secret = await partner_key(gql, workspace.token)
    report = {"input": {"dealId": deal["id"], "status": "Proposta enviada", "value": "480000.00"}}
    # the deal's contact, timeline, owner... are refused before anything runs, however selected
    update = "mutation U($input: UpdateDealFromPartnerInput!) { updateDealFromPartner(input: $input) { %s } }"
    reads = [
        update % "deal { id contact { name email phone } }",
        update % "deal { timeline { edges { node { summary } } } }",
        update % "...on DealPayload { deal { ...D } }" + " fragment D on Deal { customFields owner { id } }",
    ]
    for document in reads:
        message = forbidden(await gql(document, report, token=secret))
        assert "recusado: updateDealFromPartner.deal." in message, message
    assert await Event.filter(kind="deal.partner_updated").count() == 0
    # a returning lead's contact is not read back through captureLead either
    capture = "mutation C($input: CaptureLeadInput!) { captureLead(input: $input) { created contact { id name phone } } }"
    lead = {"name": "L", "email": "lia@example.com", "source": "api"}
    assert "captureLead.contact.name, captureLead.contact.phone" in forbidden(
        await gql(capture, {"input": lead}, token=secret)
    )
    assert await Contact.all().count() == 1
    # what confirms the report is open
    data = await gql.ok(UPDATE_FROM_PARTNER, report, token=secret)
    payload = data["updateDealFromPartner"]
    assert payload["userErrors"] == [] and payload["deal"]["value"] == "480000.00"
    typed = "mutation U($input: UpdateDealFromPartnerInput!) { updateDealFromPartner(input: $input) { __typename deal { __typename id title status version stage { id name kind } } } }"
    assert (await gql.ok(typed, report, token=secret))["updateDealFromPartner"]["deal"]["stage"]["name"]
    # and a FULL key reads the payload as its role allows
    full = await partner_key(gql, workspace.token, scope="FULL")
    read = await gql.ok(reads[0], {"input": {**report["input"], "partner": "x"}}, token=full)
    assert read["updateDealFromPartner"]["deal"]["contact"]["email"] == "lia@example.com"
