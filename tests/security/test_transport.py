"""HTTP transport hygiene (RELIABILITY.md "Demand control", "Exposure and
errors"): body size, batching, content types (CSRF), mutations over GET,
GraphiQL and anonymous introspection."""

import json

import httpx
from graphql import get_introspection_query

from tests.support import LOG_IN, PASSWORD, SIGN_UP

MEGABYTE = 1024 * 1024
ME = "query { me { id } }"


def sign_up_body(email: str) -> dict:
    return {
        "query": SIGN_UP,
        "variables": {"input": {"workspaceName": "W", "name": "N", "email": email, "password": PASSWORD}},
    }


def sign_up_inline(email: str) -> str:
    return (
        f'mutation {{ signUp(input: {{workspaceName: "W", name: "N", email: "{email}", '
        f'password: "{PASSWORD}"}}) {{ token }} }}'
    )


async def can_log_in(gql, email: str) -> bool:
    data = await gql.ok(LOG_IN, {"input": {"email": email, "password": PASSWORD}})
    return data["logIn"]["token"] is not None


async def test_a_body_over_one_mebibyte_is_413_before_parsing(gql, server):
    # given a sign-up padded past 1 MiB, declared and streamed without a length
    body = sign_up_body("big@example.com")
    body["extensions"] = {"padding": "x" * MEGABYTE}
    raw = json.dumps(body).encode()
    declared = await gql.http.post(
        server.graphql_url, content=raw, headers={"content-type": "application/json"}
    )

    async def chunks():
        for start in range(0, len(raw), 64 * 1024):
            yield raw[start : start + 64 * 1024]

    streamed = await gql.http.post(
        server.graphql_url, content=chunks(), headers={"content-type": "application/json"}
    )
    # then both are refused as too large, and the operation never ran
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.json()["errors"][0]["message"] == "O corpo da requisição passa de 1048576 bytes."
    assert not await can_log_in(gql, "big@example.com")


async def test_a_body_just_under_the_limit_is_served(gql):
    body = {"query": "{ __typename }", "extensions": {"padding": "x" * (MEGABYTE - 200)}}
    response = await gql.raw(body)
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_json_array_batching_is_refused_with_a_clear_message(gql):
    response = await gql.raw([sign_up_body("one@example.com"), sign_up_body("two@example.com")])
    assert response.status_code == 400
    assert "Lotes (um array JSON de operações) não são aceitos" in response.json()["errors"][0]["message"]
    assert not await can_log_in(gql, "one@example.com")


async def test_a_request_guard_refusal_speaks_the_browsers_language(gql, server):
    # given a client whose Accept-Language is English, and one with none
    batch = [sign_up_body("one@example.com")]
    english = await gql.http.post(
        server.graphql_url, json=batch, headers={"accept-language": "en-US,en;q=0.9"}
    )
    default = await gql.http.post(server.graphql_url, json=batch)
    # then the same refusal is in English for the first, pt-BR for the other
    assert english.status_code == default.status_code == 400
    assert english.json()["errors"][0]["message"] == (
        "Batching (a JSON array of operations) is not supported: send one operation per request."
    )
    assert default.json()["errors"][0]["message"] == (
        "Lotes (um array JSON de operações) não são aceitos: envie uma operação por requisição."
    )
    assert english.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_non_json_posts_are_refused_so_forms_cannot_forge_requests(gql, server):
    # given what a cross-site HTML form (or a no-preflight fetch) could send
    form = await gql.http.post(
        server.graphql_url, data={"query": sign_up_inline("form@example.com")}, headers={}
    )
    text = await gql.http.post(
        server.graphql_url,
        content=json.dumps(sign_up_body("text@example.com")),
        headers={"content-type": "text/plain"},
    )
    # then neither is executed
    for response in (form, text):
        assert response.status_code == 415
        assert "application/json" in response.json()["errors"][0]["message"]
    assert not await can_log_in(gql, "form@example.com")
    assert not await can_log_in(gql, "text@example.com")


async def test_mutations_never_run_over_get(gql, server):
    response = await gql.http.get(server.graphql_url, params={"query": sign_up_inline("get@example.com")})
    assert response.status_code == 400
    assert "mutations are not allowed" in response.text
    assert not await can_log_in(gql, "get@example.com")


async def test_queries_run_over_get(gql, server, workspace):
    response = await gql.http.get(
        server.graphql_url,
        params={"query": ME},
        headers={"authorization": f"Bearer {workspace.token}"},
    )
    assert response.status_code == 200
    assert response.json()["data"]["me"]["id"] == workspace.admin["id"]


async def test_graphiql_is_served_in_development_only(server, private_server):
    # given the development test server and a production one
    production = await private_server(env="production")
    async with httpx.AsyncClient() as http:
        development = await http.get(server.graphql_url, headers={"accept": "text/html"})
        refused = await http.get(production.graphql_url, headers={"accept": "text/html"})
        query_in_production = await http.get(production.graphql_url, params={"query": "{ __typename }"})
    assert development.status_code == 200
    assert "graphiql" in development.text.lower()
    assert refused.status_code == 404
    assert "graphiql" not in refused.text.lower()
    # the API itself still answers in production
    assert query_in_production.json()["data"] == {"__typename": "Query"}


CREATE_API_KEY = """
mutation Key($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }
"""


async def test_anonymous_introspection_can_be_switched_off_but_partners_keep_it(
    gql, workspace, private_server
):
    # given a server configured without anonymous introspection, and a partner's API key
    closed = await private_server(anonymous_introspection=False)
    key = await gql.ok(CREATE_API_KEY, {"input": {"name": "partner", "role": "AGENT"}}, token=workspace.token)
    secret = key["createApiKey"]["secret"]
    introspection = {"query": get_introspection_query()}
    async with httpx.AsyncClient() as http:
        anonymous = (await http.post(closed.graphql_url, json=introspection)).json()
        type_probe = (
            await http.post(closed.graphql_url, json={"query": '{ __type(name: "User") { name } }'})
        ).json()
        typename = (await http.post(closed.graphql_url, json={"query": "{ __typename }"})).json()
        partner = (
            await http.post(
                closed.graphql_url, json=introspection, headers={"authorization": f"Bearer {secret}"}
            )
        ).json()
    # then anonymous callers are told to authenticate
    for body in (anonymous, type_probe):
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "A introspecção exige autenticação" in body["errors"][0]["message"]
    # while __typename is not introspection of the schema, and the partner gets it all
    assert typename["data"] == {"__typename": "Query"}
    assert "errors" not in partner
    assert partner["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_an_idle_connection_is_kept_past_the_clients_and_balancers_idle_timeouts(server):
    import asyncio

    async def ask(reader, writer) -> bytes:
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: revgraph\r\n\r\n")
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
        lengths = [line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
        await reader.readexactly(int(lengths[0].split(b":")[1]))
        return head

    # given a connection that asked once
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        assert (await ask(reader, writer)).startswith(b"HTTP/1.1 200")
        # when it stays idle longer than uvicorn's default keep-alive (5 s),
        # as a balancer's pooled connection does, and asks again
        await asyncio.sleep(6)
        # then it is still open and answered
        assert (await ask(reader, writer)).startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
