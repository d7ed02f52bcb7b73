"""A query or mutation has a wall-time limit after which it is cancelled
cleanly (RELIABILITY.md "Demand control"): the caller hears LIMIT_EXCEEDED,
a mutation's transaction rolls back, and the server goes on serving."""

import contextlib
import os
import time
from collections.abc import AsyncIterator

import httpx

from tests.conftest import REAL_DB

CREATE_CONTACT = """
mutation($input: ContactInput!) {
  createContact(input: $input) { contact { id } userErrors { code message field } }
}
"""
CONTACTS = '{ contacts(search: "Prazo", first: 10) { totalCount } }'


@contextlib.asynccontextmanager
async def contacts_locked() -> AsyncIterator[None]:
    """Another transaction holds the contact table so writes to it wait."""
    if REAL_DB:
        import asyncpg

        connection = await asyncpg.connect(os.environ["REVGRAPH_DATABASE_URL"])
        try:
            async with connection.transaction():
                await connection.execute("LOCK TABLE contact IN EXCLUSIVE MODE")
                yield
        finally:
            await connection.close()
    else:
        # Tortoise serialises SQLite transactions on one lock: holding one
        # makes every other statement of the process wait.
        from tortoise.transactions import in_transaction

        async with in_transaction():
            yield


async def test_an_operation_past_its_deadline_is_cancelled_and_changes_nothing(private_server, workspace):
    # given a server whose operations may run for 0.5 s
    server = await private_server(limits={"operation_timeout_seconds": 0.5})
    headers = {"authorization": f"Bearer {workspace.token}"}
    create = {"query": CREATE_CONTACT, "variables": {"input": {"name": "Prazo Esgotado"}}}
    async with httpx.AsyncClient(timeout=10) as http:
        # when a createContact has to wait for a lock longer than that
        async with contacts_locked():
            started = time.perf_counter()
            response = await http.post(server.graphql_url, json=create, headers=headers)
            elapsed = time.perf_counter() - started
        # then it is cancelled at its deadline with LIMIT_EXCEEDED, not an internal error
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["data"] is None, body
        [error] = body["errors"]
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
        assert "was cancelled" in error["message"]
        assert 0.5 <= elapsed < 3, f"{elapsed:.2f} s"
        # and nothing was written, while the same server serves the next operations
        count = await http.post(server.graphql_url, json={"query": CONTACTS}, headers=headers)
        assert count.json()["data"]["contacts"]["totalCount"] == 0, count.json()
        again = (await http.post(server.graphql_url, json=create, headers=headers)).json()
        assert again["data"]["createContact"]["userErrors"] == [], again
        count = await http.post(server.graphql_url, json={"query": CONTACTS}, headers=headers)
        assert count.json()["data"]["contacts"]["totalCount"] == 1
