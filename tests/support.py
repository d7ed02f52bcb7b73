"""Helpers the tests share: a GraphQL client over real HTTP, and building
workspaces with users and teams through the public API."""

from __future__ import annotations

import asyncio
import functools
import uuid
from typing import Any


@functools.cache
def tls_context() -> Any:
    """The TLS context of the tests' HTTP clients, built once per run: httpx
    builds one for every client it makes (the CA bundle loaded again, ~20 ms
    of CPU each, as much as a sign-up) and the `gql` fixture makes one per
    test. The same context httpx would build, shared."""
    import httpx

    return httpx.create_ssl_context()


class GraphQLClient:
    """Speaks to the test server over HTTP like any client."""

    def __init__(self, server: Any, http: Any) -> None:
        self.server = server
        self.http = http

    async def raw(self, body: Any, *, token: str | None = None, headers: dict[str, str] | None = None) -> Any:
        all_headers = {"content-type": "application/json"}
        if token:
            all_headers["authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        return await self.http.post(self.server.graphql_url, json=body, headers=all_headers)

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        response = await self.raw({"query": query, "variables": variables or {}}, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    async def ok(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """Data of a successful operation (no top-level errors)."""
        body = await self(query, variables, token=token)
        assert not body.get("errors"), body["errors"]
        return body["data"]


SIGN_UP = """
mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { token user { id name email role } userErrors { code message field } }
}
"""

CREATE_USER = """
mutation CreateUser($input: CreateUserInput!) {
  createUser(input: $input) { user { id name email role } userErrors { code message field } }
}
"""

CREATE_TEAM = """
mutation CreateTeam($input: CreateTeamInput!) {
  createTeam(input: $input) { team { id name } userErrors { code message field } }
}
"""

LOG_IN = """
mutation LogIn($input: LogInInput!) {
  logIn(input: $input) { token user { id } userErrors { code message field } }
}
"""

PASSWORD = "correct horse battery"


class Workspace:
    """A signed-up workspace with helpers to add people to it."""

    def __init__(self, gql: GraphQLClient, token: str, admin: dict[str, Any], email: str) -> None:
        self.gql = gql
        self.token = token
        self.admin = admin
        self.email = email

    async def user(
        self, role: str = "AGENT", *, team_id: str | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """Create a user and log them in; returns the user with its token."""
        email = f"{role.lower()}-{uuid.uuid4().hex[:8]}@example.com"
        data = await self.gql.ok(
            CREATE_USER,
            {
                "input": {
                    "name": name or f"{role.title()} {email[:12]}",
                    "email": email,
                    "password": PASSWORD,
                    "role": role,
                    "teamId": team_id,
                }
            },
            token=self.token,
        )
        payload = data["createUser"]
        assert payload["userErrors"] == [], payload
        login = await self.gql.ok(LOG_IN, {"input": {"email": email, "password": PASSWORD}})
        return {**payload["user"], "token": login["logIn"]["token"]}

    async def team(
        self, name: str, *, manager_id: str | None = None, parent_id: str | None = None
    ) -> dict[str, Any]:
        data = await self.gql.ok(
            CREATE_TEAM,
            {"input": {"name": name, "managerId": manager_id, "parentId": parent_id}},
            token=self.token,
        )
        assert data["createTeam"]["userErrors"] == [], data
        return data["createTeam"]["team"]


async def sign_up(gql: GraphQLClient, name: str = "Imobiliária Teste") -> Workspace:
    email = f"admin-{uuid.uuid4().hex[:8]}@example.com"
    data = await gql.ok(
        SIGN_UP, {"input": {"workspaceName": name, "name": "Ana Admin", "email": email, "password": PASSWORD}}
    )
    payload = data["signUp"]
    assert payload["userErrors"] == [], payload
    return Workspace(gql, payload["token"], payload["user"], email)


class TaskCount:
    """Counts the asyncio tasks the loop creates while in a `with` block
    (the test server runs on the tests' loop): a list whose fields answer
    over what its page preloaded makes none per row."""

    def __init__(self) -> None:
        self.created = 0

    def __enter__(self) -> TaskCount:
        self.loop = asyncio.get_running_loop()
        self.previous = self.loop.get_task_factory()

        def counting_factory(loop, coro, **kwargs):
            self.created += 1
            return asyncio.Task(coro, loop=loop, **kwargs)

        self.loop.set_task_factory(counting_factory)
        return self

    def __exit__(self, *exc) -> None:
        self.loop.set_task_factory(self.previous)
