"""The operation's name and type are read from the document once per
request (schema/extensions.py `OperationOnceContext`): Strawberry's
execution context looked for the operation again at each of ~12 reads
(the pipeline's, DemandControl's, the poll cache's). The answers must stay
the ones Strawberry gives: the named operation of a document with several,
its type for the operation-type checks, its cost."""

from strawberry.types import execution

TWO_OPERATIONS = """
query Mine { me { id } }
mutation Out { logOut { ok } }
"""
ME = "query Me { me { id } }"


def _counting(monkeypatch) -> list[str]:
    calls: list[str] = []
    for name in ("get_first_operation", "get_operation_type"):
        original = getattr(execution, name)

        def counted(*args, _original=original, _name=name):
            calls.append(_name)
            return _original(*args)

        monkeypatch.setattr(execution, name, counted)
    return calls


async def test_the_operation_is_looked_up_once_per_request(gql, workspace, monkeypatch):
    # given Strawberry's lookups of the operation in the document, counted
    calls = _counting(monkeypatch)
    # when an authenticated query runs
    data = await gql.ok(ME, token=workspace.token)
    # then it answered as always, the operation's name and type looked up
    # once each (they were 9 and 3)
    assert data["me"]["id"] == workspace.admin["id"]
    assert calls.count("get_first_operation") == 1, calls
    assert calls.count("get_operation_type") == 1, calls


async def test_the_named_operation_of_several_runs_with_its_cost(gql, workspace):
    # given a document with a query and a mutation
    # when the query is named
    response = await gql.raw({"query": TWO_OPERATIONS, "operationName": "Mine"}, token=workspace.token)
    # then the query ran, with its cost reported, and the session is intact
    body = response.json()
    assert response.status_code == 200, body
    assert body["data"] == {"me": {"id": workspace.admin["id"]}}
    assert body["extensions"]["cost"]["requested"] == 2
    assert (await gql.ok(ME, token=workspace.token))["me"]["id"] == workspace.admin["id"]


async def test_a_mutation_named_over_get_is_refused_as_before(gql, server, workspace):
    # given the same document, its mutation named, sent over GET
    response = await gql.http.get(
        server.graphql_url,
        params={"query": TWO_OPERATIONS, "operationName": "Out"},
        headers={"authorization": f"Bearer {workspace.token}"},
    )
    # then it is refused (mutations never run over GET) and nothing changed:
    # the session still works
    assert response.status_code in (400, 405), response.text
    assert (await gql.ok(ME, token=workspace.token))["me"]["id"] == workspace.admin["id"]
