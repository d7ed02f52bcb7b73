"""The work a small document can cause is bounded before any expensive step
(RELIABILITY.md "Demand control"): fragments that spread each other twice
per level expand to a million fields from ~100 tokens. Such a document is
refused as too complex within milliseconds, over HTTP and websockets, and
every walk of a document (shape, validation, cost) is linear in its size."""

import asyncio
import json
import time

from tests.live import connect

FIELDS_OVER_LIMIT = "campos com os fragmentos expandidos"


def doubling_fragments(levels: int, leaf: str = "__typename") -> str:
    """`query{...F<levels>}` where each fragment spreads the one below it
    twice: 2**levels copies of `leaf` once expanded, in ~5 tokens a level."""
    return f"query {{ ...F{levels} }} fragment F0 on Query {{ {leaf} }} " + " ".join(
        f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)
    )


def top_level_error(body: dict) -> dict:
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body["errors"]
    return body["errors"][0]


async def test_doubling_fragments_are_refused_at_once_without_sql(gql, workspace, count_sql):
    # given the reproducer: ~105 tokens that expand to 2**20 fields, anonymously
    # and (with `me { id }` as the leaf) authenticated, plus deeper variants
    documents = [
        (doubling_fragments(20), None),
        (doubling_fragments(20, "me { id }"), workspace.token),
        (doubling_fragments(40), None),
    ]
    for document, token in documents:
        # when it is sent (the test server runs in this process: its CPU
        # time is the work the document caused, whatever else the machine
        # runs; CI's four test processes share two cores)
        started = time.process_time()
        with count_sql() as sql:
            body = await gql(document, token=token)
        spent = time.process_time() - started
        # then it is refused as too complex, within a second of work
        # (expanding it would take many), before any SQL
        error = top_level_error(body)
        assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
        assert FIELDS_OVER_LIMIT in error["message"]
        assert spent < 1.0, f"{spent:.2f} s of CPU to refuse"
        assert sql.statements == []
    # and the server answers health checks at once afterwards (nothing of
    # the documents still runs: that would take seconds)
    started = time.perf_counter()
    health = await gql.http.get(f"{gql.server.url}/healthz")
    assert health.status_code == 200
    assert time.perf_counter() - started < 2


async def test_the_expanded_field_limit_admits_n_and_refuses_n_plus_one(private_server):
    # given a server whose documents may expand to 64 fields
    server = await private_server(limits={"max_fields": 64})
    import httpx

    async with httpx.AsyncClient(timeout=10) as http:

        async def ask(document: str) -> dict:
            response = await http.post(server.graphql_url, json={"query": document})
            assert response.status_code == 200, response.text
            return response.json()

        # when fragments expand to exactly 64 copies of __typename, and to 128
        at_limit, over = await ask(doubling_fragments(6)), await ask(doubling_fragments(7))
    # then the first is answered (graphql-core collects a fragment once) and the second refused
    assert at_limit == {"data": {"__typename": "Query"}, "extensions": at_limit["extensions"]}
    error = top_level_error(over)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["message"].startswith("O documento seleciona 128 campos")


async def test_cost_and_validation_stay_linear_when_the_field_limit_is_lifted(private_server, workspace):
    # given a server with no practical expansion limit
    server = await private_server(limits={"max_fields": 10**15})
    import httpx

    # when 2**40 copies of `me { id }` are asked for through doubling fragments
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.post(
            server.graphql_url,
            json={"query": doubling_fragments(40, "me { id }")},
            headers={"authorization": f"Bearer {workspace.token}"},
        )
    elapsed = time.perf_counter() - started
    # then validation, the cost estimate and execution each see every fragment
    # once: the answer is the one field, fast, and costs what it delivers
    body = response.json()
    assert body["data"] == {"me": {"id": workspace.admin["id"]}}, body
    assert body["extensions"]["cost"]["requested"] == 2
    # (a walk that expanded the fragments would visit 2**40 nodes and never answer
    # within the client's 10 s; a linear one takes well under a second when the
    # machine is quiet, so 5 s separates the two even on a loaded CI machine)
    assert elapsed < 5.0, f"{elapsed:.2f} s"


async def test_over_a_websocket_refusals_are_the_protocols_error_message(server, workspace):
    # given an acknowledged socket
    async with connect(server.ws_url, workspace.token) as ws:
        documents = {
            "syntax": "query { me { id ",
            "tokens": "{" + " ... on Query { __typename }" * 340 + " }",
            "fragments": doubling_fragments(22),
            "depth": "query { me { team { " + "parent { " * 12 + "id" + " }" * 12 + " } } }",
        }
        replies = {}
        for name, document in documents.items():
            # when each refused document is subscribed
            await ws.send(json.dumps({"id": name, "type": "subscribe", "payload": {"query": document}}))
            replies[name] = json.loads(await asyncio.wait_for(ws.recv(), 5))
        # and then a valid operation on the same socket
        await ws.send(json.dumps({"id": "ok", "type": "subscribe", "payload": {"query": "{ me { id } }"}}))
        after = json.loads(await asyncio.wait_for(ws.recv(), 5))
    # then each got an `error` message carrying its GraphQL errors (not a bare complete)
    for name, reply in replies.items():
        assert reply["id"] == name, reply
        assert reply["type"] == "error", reply
        assert reply["payload"] and reply["payload"][0]["message"], reply
    assert replies["syntax"]["payload"][0]["message"].startswith("Syntax Error")
    for name in ("tokens", "fragments", "depth"):
        assert replies[name]["payload"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX", replies[name]
    assert FIELDS_OVER_LIMIT in replies["fragments"]["payload"][0]["message"]
    # and the socket stayed open for the next operation
    assert after == {"id": "ok", "type": "next", "payload": after["payload"]}
    assert after["payload"]["data"] == {"me": {"id": workspace.admin["id"]}}
