"""The browser's session (web/browser_session.py): an HttpOnly SameSite=Lax
cookie with a CSRF token beside it; cookie-authenticated requests from
another site, or without the token, are refused; bearer tokens work as
before; log out everywhere revokes every session of the user."""

from __future__ import annotations

import asyncio
import json
from contextlib import aclosing
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from revgraph.web.browser_session import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from tests.security.test_websocket import PROTOCOL, acknowledged, close_code, init, send
from tests.support import LOG_IN, PASSWORD

ME = "query { me { id name } }"
CREATE_CONTACT = """
mutation CreateContact($input: ContactInput!) {
  createContact(input: $input) { contact { id } userErrors { code message field } }
}
"""
CONTACTS = "query { contacts(first: 10) { totalCount } }"
LOG_OUT_EVERYWHERE = "mutation { logOutEverywhere { sessionsRevoked userErrors { code message } } }"


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """Each Set-Cookie header by cookie name, lowercased for flag checks."""
    return {h.split("=", 1)[0]: h.lower() for h in response.headers.get_list("set-cookie")}


async def browser_log_in(server: Any, email: str, **headers: str) -> httpx.AsyncClient:
    """A client holding a browser session (its cookie jar), as the web app logs in."""
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    response = await client.post(
        "/session", json={"email": email, "password": PASSWORD}, headers={"origin": server.url, **headers}
    )
    assert response.status_code == 200, response.text
    return client


def csrf_of(client: httpx.AsyncClient) -> dict[str, str]:
    return {CSRF_HEADER: client.cookies[CSRF_COOKIE]}


async def post_graphql(client: httpx.AsyncClient, query: str, variables: Any = None, **headers: str) -> Any:
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


async def test_logging_in_sets_an_httponly_lax_cookie_and_a_readable_csrf_token(server, workspace):
    # when the web app logs in over http://
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(
            "/session", json={"email": workspace.email, "password": PASSWORD}, headers={"origin": server.url}
        )
    # then the session cookie is HttpOnly, SameSite=Lax, for the whole site,
    # not Secure (plain http on localhost), and the CSRF cookie is readable
    assert response.status_code == 200, response.text
    assert response.json()["user"]["name"] == "Ana Admin"
    cookies = set_cookies(response)
    session = cookies[SESSION_COOKIE]
    assert "httponly" in session and "samesite=lax" in session and "path=/" in session
    assert "secure" not in session
    assert "httponly" not in cookies[CSRF_COOKIE] and "samesite=lax" in cookies[CSRF_COOKIE]
    assert response.headers["cache-control"] == "no-store"


async def test_over_https_the_cookies_are_secure(workspace, private_server):
    # given a server behind a trusted proxy that says the request came over https
    proxied = await private_server(forwarded_allow_ips=("127.0.0.1",))
    async with httpx.AsyncClient(base_url=proxied.url) as client:
        response = await client.post(
            "/session",
            json={"email": workspace.email, "password": PASSWORD},
            headers={"x-forwarded-proto": "https", "origin": proxied.url.replace("http:", "https:")},
        )
    assert response.status_code == 200, response.text
    cookies = set_cookies(response)
    assert "; secure" in cookies[SESSION_COOKIE] and "httponly" in cookies[SESSION_COOKIE]
    assert "; secure" in cookies[CSRF_COOKIE]


async def test_a_wrong_password_or_a_foreign_page_gets_no_cookie(server, workspace):
    async with httpx.AsyncClient(base_url=server.url) as client:
        wrong = await client.post(
            "/session",
            json={"email": workspace.email, "password": "errada-123"},
            headers={"origin": server.url},
        )
        foreign = await client.post(
            "/session",
            json={"email": workspace.email, "password": PASSWORD},
            headers={"origin": "https://evil.example"},
        )
        # the refusals are in the browser's language (pt-BR by default)
        foreign_en = await client.post(
            "/session",
            json={"email": workspace.email, "password": PASSWORD},
            headers={"origin": "https://evil.example", "accept-language": "en-US,en;q=0.9"},
        )
        shapeless = await client.post(
            "/session", json={"email": workspace.email}, headers={"origin": server.url}
        )
    assert wrong.status_code == 400
    assert wrong.json()["errors"][0]["extensions"]["code"] == "INVALID"
    assert foreign.status_code == 403
    assert foreign.json()["errors"][0]["message"] == (
        "Pedido de outro site recusado: a sessão do navegador só vale nesta página."
    )
    assert foreign_en.status_code == 403
    assert foreign_en.json()["errors"][0]["message"] == (
        "Request from another site refused: the browser's session only works on this page."
    )
    assert shapeless.status_code == 400
    assert shapeless.json()["errors"][0]["message"] == "Envie JSON com email e password."
    assert SESSION_COOKIE not in set_cookies(wrong) and SESSION_COOKIE not in set_cookies(foreign)


async def test_a_cookie_request_with_the_csrf_token_works_and_without_it_is_refused(server, workspace):
    client = await browser_log_in(server, workspace.email)
    async with aclosing(client):
        # with the token, from the app's own origin: the session works
        ok = await post_graphql(client, ME, origin=server.url, **csrf_of(client))
        assert ok.status_code == 200 and ok.json()["data"]["me"]["name"] == "Ana Admin"
        contact = {"input": {"name": "Forjado Silva"}}
        # without the token, with a wrong one, or from another site: refused, nothing written
        missing = await post_graphql(client, CREATE_CONTACT, contact, origin=server.url)
        wrong = await post_graphql(
            client, CREATE_CONTACT, contact, origin=server.url, **{CSRF_HEADER: "x" * 64}
        )
        foreign = await post_graphql(
            client, CREATE_CONTACT, contact, origin="https://evil.example", **csrf_of(client)
        )
        cross_site = await post_graphql(client, CREATE_CONTACT, contact, **{"sec-fetch-site": "cross-site"})
        exported = await client.get("/export/contacts.csv", headers={"origin": "https://evil.example"})
    for refused in (missing, wrong, foreign, cross_site, exported):
        assert refused.status_code == 403, refused.text
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await workspace.gql.ok(CONTACTS, token=workspace.token))["contacts"]["totalCount"] == 0


async def test_bearer_tokens_work_unchanged_beside_a_cookie(server, workspace, gql):
    # an API client sends its bearer token (even with a stray cookie or Origin): no CSRF token needed
    client = await browser_log_in(server, workspace.email)
    async with aclosing(client):
        response = await post_graphql(
            client, ME, authorization=f"Bearer {workspace.token}", origin="https://tool.example"
        )
    assert response.status_code == 200 and response.json()["data"]["me"]["name"] == "Ana Admin"
    assert (await gql.ok(ME, token=workspace.token))["me"]["name"] == "Ana Admin"


def cookie_socket(server: Any, client: httpx.AsyncClient, origin: str) -> Any:
    cookie = f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}"
    return connect(
        server.ws_url,
        subprotocols=[PROTOCOL],
        open_timeout=5,
        origin=origin,
        additional_headers={"cookie": cookie},
    )


async def test_a_websocket_rides_the_cookie_only_from_this_origin_with_the_csrf_token(server, workspace):
    client = await browser_log_in(server, workspace.email)
    async with aclosing(client):
        # a page on another site cannot even open the socket (cross-site websocket hijacking)
        with pytest.raises(InvalidStatus) as refused:
            async with cookie_socket(server, client, "https://evil.example"):
                pass
        assert refused.value.response.status_code == 403
        # this origin without the CSRF token in connection_init: closed 4403
        async with cookie_socket(server, client, server.url) as ws:
            await init(ws, None)
            assert await close_code(ws) == 4403
        # this origin with it: acknowledged, and it runs operations as the user
        async with cookie_socket(server, client, server.url) as ws:
            await send(ws, {"type": "connection_init", "payload": {"csrf": client.cookies[CSRF_COOKIE]}})
            await acknowledged(ws)
            await send(ws, {"id": "1", "type": "subscribe", "payload": {"query": ME}})
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["payload"]["data"]["me"]["name"] == "Ana Admin"


async def test_log_out_everywhere_revokes_cookie_and_bearer_sessions_and_closes_sockets(
    server, workspace, gql
):
    # given the user logged in in two browsers and by a bearer session token with a socket open
    laptop = await browser_log_in(server, workspace.email)
    phone = await browser_log_in(server, workspace.email)
    bearer = (await gql.ok(LOG_IN, {"input": {"email": workspace.email, "password": PASSWORD}}))["logIn"][
        "token"
    ]
    async with (
        aclosing(laptop),
        aclosing(phone),
        connect(server.ws_url, subprotocols=[PROTOCOL], open_timeout=5) as ws,
    ):
        await init(ws, bearer)
        await acknowledged(ws)
        # when the laptop logs out everywhere
        ended = await laptop.delete("/sessions", headers={"origin": server.url, **csrf_of(laptop)})
        assert ended.status_code == 200, ended.text
        # then its cookies are cleared, and every session of the user stops working
        assert "max-age=0" in set_cookies(ended)[SESSION_COOKIE]
        assert await close_code(ws) == 4403
        after = await post_graphql(phone, ME, origin=server.url, **csrf_of(phone))
        assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        for token in (bearer, workspace.token):
            body = await gql(ME, token=token)
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_log_out_everywhere_as_a_mutation_for_api_clients(server, workspace, gql):
    # given a browser session and a bearer session of the same user
    browser = await browser_log_in(server, workspace.email)
    async with aclosing(browser):
        # when the API client logs out everywhere
        done = await gql.ok(LOG_OUT_EVERYWHERE, token=workspace.token)
        assert done["logOutEverywhere"] == {"sessionsRevoked": 2, "userErrors": []}
        # then the browser's cookie stops working too
        after = await post_graphql(browser, ME, origin=server.url, **csrf_of(browser))
    assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_logging_out_this_browser_leaves_the_other_sessions(server, workspace, gql):
    browser = await browser_log_in(server, workspace.email)
    async with aclosing(browser):
        refused = await browser.delete(
            "/session", headers={"origin": "https://evil.example", **csrf_of(browser)}
        )
        assert refused.status_code == 403
        ended = await browser.delete("/session", headers={"origin": server.url, **csrf_of(browser)})
        assert ended.status_code == 200
    assert (await gql.ok(ME, token=workspace.token))["me"]["name"] == "Ana Admin"


async def test_graphiql_opens_in_a_browser_holding_the_cookie_and_queries_with_its_token(server, workspace):
    client = await browser_log_in(server, workspace.email)
    async with aclosing(client):
        # the page itself runs no operation: no CSRF token needed to load it
        page = await client.get("/graphql", headers={"accept": "text/html"})
        assert page.status_code == 200 and "graphiql" in page.text.lower()
        # but a query over GET with the cookie needs it, as a POST does
        bare = await client.get("/graphql", params={"query": ME})
        with_token = await client.get("/graphql", params={"query": ME}, headers=csrf_of(client))
    assert bare.status_code == 403
    assert with_token.json()["data"]["me"]["name"] == "Ana Admin"
