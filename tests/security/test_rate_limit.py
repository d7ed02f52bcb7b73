"""Rate limits in cost points (RELIABILITY.md "Demand control"): GitHub-style
headers on authenticated responses, an exhausted budget refused with HTTP
429 and LIMIT_EXCEEDED, one budget per API key or user, kept in Redis when
configured so every server process shares it."""

import time

import httpx

from tests.conftest import free_port
from tests.support import CREATE_TEAM

ME = "query { me { id } }"  # costs 2
TEAMS = "query { teams { id } }"
CREATE_API_KEY = """
mutation Key($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { code } } }
"""
BUDGET = 10


async def call(http, server, query, token=None, variables=None):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        server.graphql_url, json={"query": query, "variables": variables or {}}, headers=headers
    )


async def test_authenticated_responses_carry_the_budget_headers(workspace, private_server):
    limited = await private_server(limits={"rate_limit_points": BUDGET})
    async with httpx.AsyncClient() as http:
        first = await call(http, limited, ME, workspace.token)
        second = await call(http, limited, ME, workspace.token)
        anonymous = await call(http, limited, ME)
    assert first.headers["x-ratelimit-limit"] == "10"
    assert first.headers["x-ratelimit-used"] == "2"
    assert first.headers["x-ratelimit-remaining"] == "8"
    assert second.headers["x-ratelimit-used"] == "4"
    assert second.headers["x-ratelimit-remaining"] == "6"
    reset = int(first.headers["x-ratelimit-reset"])
    assert time.time() < reset <= time.time() + 3600
    assert second.json()["extensions"]["cost"]["rateLimit"]["remaining"] == 6
    # anonymous callers have no budget of their own to report
    assert "x-ratelimit-limit" not in anonymous.headers


async def test_an_exhausted_budget_is_429_and_the_operation_changes_nothing(gql, workspace, private_server):
    limited = await private_server(limits={"rate_limit_points": BUDGET})
    async with httpx.AsyncClient() as http:
        # given a caller who spent the whole budget
        for _ in range(BUDGET // 2):
            assert (await call(http, limited, ME, workspace.token)).status_code == 200
        # when they try a mutation
        refused = await call(http, limited, CREATE_TEAM, workspace.token, {"input": {"name": "Late"}})
    # then it is refused with 429, LIMIT_EXCEEDED and when to come back
    assert refused.status_code == 429
    body = refused.json()
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "LIMIT_EXCEEDED"}
    assert "Limite de uso esgotado" in body["errors"][0]["message"]
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-used"] == "10"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    # and no team was created
    assert (await gql.ok(TEAMS, token=workspace.token))["teams"] == []


async def test_workspaces_users_and_api_keys_have_independent_budgets(
    gql, workspace, other_workspace, private_server
):
    agent = await workspace.user("AGENT")
    key = await gql.ok(CREATE_API_KEY, {"input": {"name": "partner", "role": "AGENT"}}, token=workspace.token)
    secret = key["createApiKey"]["secret"]
    limited = await private_server(limits={"rate_limit_points": BUDGET})
    async with httpx.AsyncClient() as http:
        # given the admin of one workspace exhausted their budget
        for _ in range(BUDGET // 2):
            await call(http, limited, ME, workspace.token)
        assert (await call(http, limited, ME, workspace.token)).status_code == 429
        # then the other workspace, a colleague and the admin's own API key each start afresh
        for token in (other_workspace.token, agent["token"], secret):
            response = await call(http, limited, ME, token)
            assert response.status_code == 200, token
            assert response.headers["x-ratelimit-used"] == "2"


async def test_budgets_are_shared_between_servers_through_redis_when_configured(
    server, workspace, private_server
):
    # given two server processes' worth of apps sharing one Redis prefix
    one = await private_server(
        limits={"rate_limit_points": BUDGET}, redis_prefix=server.settings.redis_prefix + "-rl"
    )
    two = await private_server(
        limits={"rate_limit_points": BUDGET}, redis_prefix=server.settings.redis_prefix + "-rl"
    )
    async with httpx.AsyncClient() as http:
        await call(http, one, ME, workspace.token)
        seen_by_two = await call(http, two, ME, workspace.token)
    if server.settings.redis_url:
        # then the second counts what the first charged
        assert seen_by_two.headers["x-ratelimit-used"] == "4"
    else:
        # without Redis each process keeps its own budget in memory
        assert seen_by_two.headers["x-ratelimit-used"] == "2"


async def test_an_unreachable_rate_limit_store_does_not_take_the_api_down(workspace, private_server):
    # given a server whose Redis does not answer
    broken = await private_server(
        limits={"rate_limit_points": BUDGET}, redis_url=f"redis://127.0.0.1:{free_port()}/0"
    )
    async with httpx.AsyncClient() as http:
        first = await call(http, broken, ME, workspace.token)
        second = await call(http, broken, ME, workspace.token)
    # then requests are served and counted in memory meanwhile
    assert first.status_code == second.status_code == 200
    assert first.json()["data"]["me"]["id"] == workspace.admin["id"]
    assert second.headers["x-ratelimit-used"] == "4"


USERS_PAGE = "query { users(first: 100) { edges { node { id } } } }"


async def test_admission_needs_the_requested_cost_but_the_charge_is_what_was_delivered(
    workspace, private_server
):
    # given a budget of 300 points and a page that may cost 202 but holds one user
    roomy = await private_server(limits={"rate_limit_points": 300})
    async with httpx.AsyncClient() as http:
        first = await call(http, roomy, USERS_PAGE, workspace.token)
        # then it is charged the 4 fields it delivered (users, edges, node, id)
        cost = first.json()["extensions"]["cost"]
        assert (cost["requested"], cost["actual"]) == (202, 4)
        assert first.headers["x-ratelimit-used"] == "4"
        # and a budget that cannot cover the worst case refuses it
        tight = await private_server(limits={"rate_limit_points": 100})
        refused = await call(http, tight, USERS_PAGE, workspace.token)
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert refused.headers["x-ratelimit-used"] == "0"
