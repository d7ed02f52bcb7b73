"""A query or mutation has a wall-time limit after which it is cancelled
cleanly (RELIABILITY.md "Demand control"): the caller hears LIMIT_EXCEEDED,
a mutation's transaction rolls back, and the server goes on serving."""

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator

import httpx

from tests.conftest import REAL_DB
from tests.inbox.test_report import around_now
from tests.reports.test_poll_cache import RESOLVED, conversations

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
        assert "foi cancelada" in error["message"]
        assert 0.5 <= elapsed < 3, f"{elapsed:.2f} s"
        # and nothing was written, while the same server serves the next operations
        count = await http.post(server.graphql_url, json={"query": CONTACTS}, headers=headers)
        assert count.json()["data"]["contacts"]["totalCount"] == 0, count.json()
        again = (await http.post(server.graphql_url, json=create, headers=headers)).json()
        assert again["data"]["createContact"]["userErrors"] == [], again
        count = await http.post(server.graphql_url, json={"query": CONTACTS}, headers=headers)
        assert count.json()["data"]["contacts"]["totalCount"] == 1


async def test_a_poll_waiting_for_anothers_computation_past_its_deadline_is_limit_exceeded_not_a_500(
    gql, private_server, workspace, monkeypatch
):
    # given a server whose operations may run for 1 s, a report that takes longer to
    # compute, and a first poll whose admission is slow (a loaded rate-limit store)
    from revgraph.resolvers.inbox import report
    from revgraph.schema.extensions import DemandControl

    server = await private_server(limits={"operation_timeout_seconds": 1.0})
    token = workspace.token
    await conversations(gql, token, 1)
    slow_report, admit = report.inbox_report, DemandControl._admit
    admissions = []

    async def slower_report(*args, **kwargs):
        await asyncio.sleep(1.5)
        return await slow_report(*args, **kwargs)

    async def admit_first_slowly(self):
        admissions.append(1)
        if len(admissions) == 1:
            await asyncio.sleep(0.5)
        return await admit(self)

    monkeypatch.setattr(report, "inbox_report", slower_report)
    monkeypatch.setattr(DemandControl, "_admit", admit_first_slowly)
    body = {"query": RESOLVED, "variables": {"range": around_now()}}
    # when the slow-admitted poll finds the same poll being computed by a later one
    # and its own deadline passes while it waits
    async with httpx.AsyncClient(timeout=10) as http:
        headers = {"authorization": f"Bearer {token}"}
        waiter = asyncio.create_task(http.post(server.graphql_url, json=body, headers=headers))
        await asyncio.sleep(0.1)
        computer = await http.post(server.graphql_url, json=body, headers=headers)
        waited = await waiter
    # then both hear LIMIT_EXCEEDED in a 200, never an internal error
    for response in (waited, computer):
        assert response.status_code == 200, response.text
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error


async def test_a_scoped_poll_whose_deadline_passes_while_its_owners_are_read_is_limit_exceeded_not_a_500(
    gql, private_server, workspace, monkeypatch
):
    # given a server whose operations may run for 1 s, an agent's funnel (a report
    # counted by deal owner), and the read of her owners' position slower than that
    from revgraph.schema import poll
    from tests.reports.test_owner_positions import FUNNEL, around_now, given

    server = await private_server(limits={"operation_timeout_seconds": 1.0})
    world = await given(gql, workspace)
    narrow = poll.narrow_position

    async def slow_narrow(*args, **kwargs):
        await asyncio.sleep(1.5)
        return await narrow(*args, **kwargs)

    monkeypatch.setattr(poll, "narrow_position", slow_narrow)
    body = {"query": FUNNEL, "variables": {"pipelineId": world["pipeline"]["id"], "range": around_now()}}
    async with httpx.AsyncClient(timeout=10) as http:
        headers = {"authorization": f"Bearer {world['ana']['token']}"}
        # when she polls and her deadline passes in that read
        response = await http.post(server.graphql_url, json=body, headers=headers)
        # then she hears LIMIT_EXCEEDED in a 200, never an internal error
        assert response.status_code == 200, response.text
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
        # and the server answers her next poll once the read is quick again
        monkeypatch.setattr(poll, "narrow_position", narrow)
        again = (await http.post(server.graphql_url, json=body, headers=headers)).json()
        assert "errors" not in again, again
        assert again["data"]["funnel"]["stages"], again


async def test_a_waiting_poll_whose_deadline_fires_before_its_own_margin_is_limit_exceeded_not_a_500(
    gql, private_server, workspace, monkeypatch
):
    # given the two polls of the test above, on a loop so late that the waiter's
    # deadline fires before its margin does (a margin past the deadline stands for
    # a lag longer than the margin)
    from revgraph.schema import poll

    monkeypatch.setattr(poll, "DEADLINE_MARGIN", -0.3)
    await test_a_poll_waiting_for_anothers_computation_past_its_deadline_is_limit_exceeded_not_a_500(
        gql, private_server, workspace, monkeypatch
    )


async def test_a_poll_queued_for_a_turn_past_its_deadline_is_limit_exceeded_and_gives_the_turn_back(
    gql, private_server, workspace, monkeypatch
):
    # given a server whose operations may run for 1 s and that computes one report at
    # a time, busy with a dashboard's report that takes longer than that
    from revgraph.resolvers.inbox import report
    from tests.reports.test_computation_turns import until
    from tests.reports.test_poll_cache import graphql_view

    server = await private_server(limits={"operation_timeout_seconds": 1.0})
    turns = graphql_view(server).poll_cache.turns
    monkeypatch.setattr(turns, "limit", 1)
    token = workspace.token
    await conversations(gql, token, 1)
    quick = report.inbox_report

    async def slower_report(*args, **kwargs):
        await asyncio.sleep(1.5)
        return await quick(*args, **kwargs)

    monkeypatch.setattr(report, "inbox_report", slower_report)
    headers = {"authorization": f"Bearer {token}"}
    busy = {"query": RESOLVED, "variables": {"range": around_now(2)}}
    queued = {"query": RESOLVED, "variables": {"range": around_now(1)}}
    async with httpx.AsyncClient(timeout=10) as http:
        computing = asyncio.create_task(http.post(server.graphql_url, json=busy, headers=headers))
        await until(lambda: turns.running == 1)
        # when another dashboard's poll waits for the turn past its deadline
        waited = await http.post(server.graphql_url, json=queued, headers=headers)
        # then both hear LIMIT_EXCEEDED in a 200, never an internal error
        for response in (waited, await computing):
            assert response.status_code == 200, response.text
            [error] = response.json()["errors"]
            assert error["extensions"]["code"] == "LIMIT_EXCEEDED", error
        # and the turns are given back (once rested): when reports are quick again,
        # the next poll is answered
        await until(lambda: (turns.running, turns.waiting) == (0, 0))
        monkeypatch.setattr(report, "inbox_report", quick)
        again = (await http.post(server.graphql_url, json=queued, headers=headers)).json()
        assert again["data"]["inboxReport"] == {"conversations": 1, "resolved": 0}, again
