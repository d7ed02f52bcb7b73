"""`revgraph serve --demo`: the demo workspace a newcomer logs into."""

from revgraph.web.demo import load_demo
from tests.support import LOG_IN

WHO_IS_HERE = """
query {
  me { name role }
  workspace { name currency }
  teams { name manager { name } parent { name } members { role } }
  users(first: 100) { totalCount }
}
"""


async def _log_in(gql, email, password):
    data = await gql.ok(LOG_IN, {"input": {"email": email, "password": password}})
    assert data["logIn"]["userErrors"] == []
    return data["logIn"]["token"]


async def test_demo_loads_a_real_estate_pre_sales_workspace(gql, server):
    # given an empty database
    # when the demo is loaded
    email, password = await load_demo(server.settings)
    # then its admin logs in and finds the sales hierarchy
    token = await _log_in(gql, email, password)
    data = await gql.ok(WHO_IS_HERE, token=token)
    assert data["me"]["role"] == "ADMIN"
    assert data["workspace"] == {"name": "Imobiliária Horizonte", "currency": "BRL"}
    teams = {t["name"]: t for t in data["teams"]}
    assert teams["Comercial"]["parent"] is None
    assert teams["Comercial"]["manager"]["name"] == "Ricardo Almeida"
    sub_teams = [t for t in teams.values() if t["parent"]]
    assert len(sub_teams) == 3
    assert all(t["parent"]["name"] == "Comercial" for t in sub_teams)
    assert all(len(t["members"]) == 2 and {m["role"] for m in t["members"]} == {"AGENT"} for t in sub_teams)
    assert data["users"]["totalCount"] == 1 + 2 + 6


async def test_demo_is_not_loaded_into_a_database_that_has_a_workspace(gql, server):
    # given a database with the demo already in it
    email, password = await load_demo(server.settings)
    token = await _log_in(gql, email, password)
    before = await gql.ok(WHO_IS_HERE, token=token)
    # when the demo is asked for again
    again = await load_demo(server.settings)
    # then nothing is loaded and nothing changed
    assert again is None
    assert await gql.ok(WHO_IS_HERE, token=token) == before
