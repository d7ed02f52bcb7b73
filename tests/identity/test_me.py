"""`me`: the caller's user read as a row through the request's users loader
(resolvers/identity.py `me`), so a request that also shows the caller as an
owner reads the caller's user once, and answers what it answered before."""

from tests.graph.documents import create_company

ME_AND_COMPANIES = """
query {
  me { id name email role active locale online team { id } }
  companies(first: 10) { edges { node { name owner { id name } } } }
}
"""


async def test_me_and_the_owners_of_a_page_read_the_callers_user_once(gql, workspace, count_sql):
    # given companies owned by the caller
    for index in range(3):
        await create_company(gql, workspace.token, name=f"Empresa {index}", ownerId=workspace.admin["id"])
    await gql.ok("{ me { id } }", token=workspace.token)  # presence refreshed: no write below
    # when the caller asks for themselves and the companies with their owners
    with count_sql() as counter:
        data = await gql.ok(ME_AND_COMPANIES, token=workspace.token)
    # then the caller is read once: the session, the companies page, the
    # caller's user (on the old code also a second read of the same user)
    assert data["me"]["id"] == workspace.admin["id"]
    assert {edge["node"]["owner"]["id"] for edge in data["companies"]["edges"]} == {workspace.admin["id"]}
    users = [sql for sql in counter.statements if '"app_user"' in sql and "session" not in sql]
    assert len(users) == 1, counter.statements
    assert len(counter.statements) == 3, counter.statements


async def test_me_answers_every_field_as_before(gql, workspace):
    # given an agent in a team, and an anonymous caller
    team = await workspace.team("Vendas")
    agent = await workspace.user("AGENT", team_id=team["id"], name="Agente")
    # when each asks for themselves
    seen = (await gql.ok(ME_AND_COMPANIES, token=agent["token"]))["me"]
    anonymous = await gql.ok("{ me { id } }")
    # then the agent reads their own user, and nobody reads null
    assert seen == {
        "id": agent["id"],
        "name": "Agente",
        "email": agent["email"],
        "role": "AGENT",
        "active": True,
        "locale": None,
        "online": False,
        "team": {"id": team["id"]},
    }
    assert anonymous == {"me": None}
