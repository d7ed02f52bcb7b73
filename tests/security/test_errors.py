"""Exposure and errors (RELIABILITY.md): unexpected exceptions are masked
with a request id and logged in full; auth failures are top-level errors
with a message and extensions.code; limit and validation errors stay
readable."""

import logging

from revgraph.resolvers import identity
from tests.support import CREATE_TEAM

TEAMS = "query { teams { id name } }"
ME = "query { me { id email } }"
WORKSPACE = "query { workspace { id name } }"
SECRET = "secret SQL detail: SELECT password_hash FROM users -- /srv/revgraph/resolvers/identity.py"


async def test_an_unexpected_exception_is_masked_and_logged_with_the_request_id(
    gql, workspace, monkeypatch, caplog
):
    # given a fault deep in a use case
    async def broken(ctx):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(identity, "list_teams", broken)
    caplog.set_level(logging.ERROR, logger="revgraph.errors")
    # when a client reads teams
    response = await gql.raw({"query": TEAMS}, token=workspace.token)
    # then it sees a generic error with a request id, and nothing of the fault
    assert response.status_code == 200
    body = response.json()
    [error] = body["errors"]
    request_id = response.headers["x-request-id"]
    assert error["message"] == "Erro inesperado."
    assert error["extensions"] == {"code": "INTERNAL", "requestId": request_id}
    assert error["path"] == ["teams"]
    for leak in ("secret", "SELECT", "password_hash", "/srv/", ".py", "Traceback", "RuntimeError"):
        assert leak not in response.text
    # and the log has the full trace under the same request id
    [record] = [r for r in caplog.records if r.name == "revgraph.errors"]
    assert request_id in record.getMessage()
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])
    assert "broken" in caplog.text  # the traceback names the failing function


async def test_every_response_carries_its_request_id(gql):
    first = await gql.raw({"query": "{ __typename }"})
    second = await gql.raw({"query": "{ __typename }"})
    assert len(first.headers["x-request-id"]) == 16
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_an_invalid_token_refuses_the_whole_operation_even_public_fields(gql, workspace):
    # given a request whose bearer token is not one we issued
    for header in ("Bearer rgs_not-a-real-token", "Basic dXNlcjpwYXNz", "Bearer"):
        response = await gql.raw({"query": ME}, headers={"authorization": header})
        body = response.json()
        # then even the public `me` is not answered anonymously
        assert body["data"] is None, header
        [error] = body["errors"]
        assert error["extensions"] == {"code": "UNAUTHENTICATED"}
        assert "inválido, expirou ou foi revogado" in error["message"]


async def test_a_revoked_session_is_unauthenticated(gql, workspace, server):
    # given a session that was valid and is revoked
    assert (await gql.ok(ME, token=workspace.token))["me"]["email"] == workspace.email
    logged_out = await gql.ok("mutation { logOut { ok } }", token=workspace.token)
    assert logged_out["logOut"]["ok"] is True
    # then the same token is refused for the whole operation
    body = await gql(ME, token=workspace.token)
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_missing_token_on_an_authenticated_field_is_unauthenticated(gql):
    body = await gql(WORKSPACE)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == "Autenticação necessária: envie Authorization: Bearer <token>."
    assert error["extensions"] == {"code": "UNAUTHENTICATED"}
    assert error["path"] == ["workspace"]


async def test_admin_only_mutations_are_forbidden_to_agents_and_managers_and_change_nothing(gql, workspace):
    agent = await workspace.user("AGENT")
    manager = await workspace.user("MANAGER")
    for caller in (agent, manager):
        body = await gql(CREATE_TEAM, {"input": {"name": "Sneaky"}}, token=caller["token"])
        [error] = body["errors"]
        assert error["message"] == "Só administradores do workspace podem fazer isto."
        assert error["extensions"] == {"code": "FORBIDDEN"}
        assert body["data"] is None
    # an anonymous caller is told to authenticate, not that their role is wrong
    anonymous = await gql(CREATE_TEAM, {"input": {"name": "Sneaky"}})
    assert anonymous["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    # and the agent still hears FORBIDDEN afterwards (no state leaks between calls)
    again = await gql(CREATE_TEAM, {"input": {"name": "Sneaky"}}, token=agent["token"])
    assert again["errors"][0]["extensions"] == {"code": "FORBIDDEN"}
    assert (await gql.ok(TEAMS, token=workspace.token))["teams"] == []


async def test_validation_errors_stay_readable(gql, workspace):
    body = await gql("query { workspace { id nmae } }", token=workspace.token)
    [error] = body["errors"]
    assert "Cannot query field 'nmae' on type 'Workspace'" in error["message"]
    assert error["message"] != "Erro inesperado."


async def test_what_the_client_got_wrong_is_not_logged_as_an_error(gql, workspace, caplog):
    # Strawberry would log each of these at ERROR with a traceback: a client
    # past its rate limit could fill the logs (and stall on a slow sink).
    caplog.set_level(logging.DEBUG)
    for document in ("{ nope }", "{ contacts(first: 1000) { totalCount } }", "{ teams { "):
        response = await gql.raw({"query": document}, token=workspace.token)
        assert response.json()["errors"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert any(r.name == "revgraph.client_errors" for r in caplog.records)
