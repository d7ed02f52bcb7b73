"""Which client IP throttles see: the address that connected, unless it is
a proxy named in REVGRAPH_FORWARDED_ALLOW_IPS. By default no proxy is
trusted, so a process on the same host cannot spoof X-Forwarded-For to
dodge per-IP limits (uvicorn's own default believes 127.0.0.1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from revgraph.resolvers.settings import Settings, SettingsError
from revgraph.web.cli import SERVER_OPTIONS
from tests.distribution.test_forms import create_form

BOT = {"name": "Bot", "email": "bot@example.com", "website": "x"}  # honeypot: counts, captures nothing


async def post_from(http: Any, server: Any, form: dict[str, Any], forwarded_for: str) -> int:
    response = await http.post(
        server.url + form["endpoint"], json=BOT, headers={"x-forwarded-for": forwarded_for}
    )
    return response.status_code


async def test_by_default_x_forwarded_for_from_loopback_does_not_change_the_throttled_ip(
    gql, workspace, private_server
):
    # given a server with default proxy settings and a form allowing 2 posts per IP
    server = await private_server(forwarded_allow_ips=(), limits={"form_posts_per_window": 2})
    form = await create_form(gql, workspace.token)
    async with httpx.AsyncClient(timeout=30) as http:
        # when a client on loopback spends the budget and then claims to be someone else
        assert [await post_from(http, server, form, f"203.0.113.{i}") for i in (1, 2)] == [201, 201]
        spoofed = await post_from(http, server, form, "198.51.100.9")
    # then the header changed nothing: it is still the same client, throttled
    assert spoofed == 429


async def test_a_named_proxy_s_x_forwarded_for_gives_each_client_its_own_budget(
    gql, workspace, private_server
):
    # given a server told that loopback is its proxy, and the same form limit
    server = await private_server(forwarded_allow_ips=("127.0.0.1",), limits={"form_posts_per_window": 2})
    form = await create_form(gql, workspace.token)
    async with httpx.AsyncClient(timeout=30) as http:
        # when one client spends its budget and another arrives through the proxy
        assert [await post_from(http, server, form, "203.0.113.7") for _ in range(2)] == [201, 201]
        first_again = await post_from(http, server, form, "203.0.113.7")
        other = await post_from(http, server, form, "198.51.100.9")
    # then the first is throttled and the other is not
    assert (first_again, other) == (429, 201)


def test_no_proxy_is_trusted_unless_the_setting_names_it():
    key = {"REVGRAPH_SECRET_KEY": "unused"}
    # the servers `revgraph serve` starts leave proxy headers to the app
    assert SERVER_OPTIONS["proxy_headers"] is False
    assert Settings.from_env(key).forwarded_allow_ips == ()
    named = Settings.from_env({**key, "REVGRAPH_FORWARDED_ALLOW_IPS": "10.0.0.0/8, 192.0.2.10"})
    assert named.forwarded_allow_ips == ("10.0.0.0/8", "192.0.2.10")
    with pytest.raises(SettingsError, match="REVGRAPH_FORWARDED_ALLOW_IPS"):
        Settings.from_env({**key, "REVGRAPH_FORWARDED_ALLOW_IPS": "loadbalancer"})
