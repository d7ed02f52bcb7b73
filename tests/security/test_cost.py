"""The cost ceiling (RELIABILITY.md "Demand control"): computed before
execution from connection multipliers, reported in `extensions.cost`, and
refusing an over-budget query with zero SQL executed."""

from graphql import get_introspection_query, parse

from revgraph.schema import build_schema
from revgraph.schema.demand import measure_demand
from tests.pipeline.support import create_deal, create_pipeline

ME = "query { me { id } }"
USERS = "query Users($n: Int) { users(first: $n) { edges { node { id } } } }"
USERS_DEFAULT_PAGE = "query { users { edges { node { id } } } }"

# 100 users × 20 members × 20 members × 20 members: each unpaginated list is
# estimated at 20 items, each connection at its `first`.
NESTED = """query {
  users(first: 100) { edges { node { team { members { team { members { team { members { id } } } } } } } } }
}"""

# What a user directory page really asks for.
DIRECTORY_PAGE = """query {
  users(first: 100) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name email role online team { id name manager { id name } parent { id name } } } }
  }
}"""


async def test_cost_is_reported_in_every_response(gql, workspace):
    # given an anonymous and an authenticated query
    anonymous = await gql(ME)
    authenticated = await gql(ME, token=workspace.token)
    # then both report what they cost against the ceiling: 1 per field
    assert anonymous["extensions"]["cost"] == {"requested": 2, "limit": 50000}
    cost = authenticated["extensions"]["cost"]
    assert cost["requested"] == 2
    assert cost["limit"] == 50000
    # and the caller's rate-limit budget after this operation
    assert cost["rateLimit"]["limit"] == 500000
    assert cost["rateLimit"]["used"] >= 2
    assert cost["rateLimit"]["remaining"] == 500000 - cost["rateLimit"]["used"]


async def test_a_connection_multiplies_its_edges_by_its_page_size(gql, workspace):
    # users(first: n) { edges { node { id } } } = users 1 + edges (1 + n × (node 1 + id 1))
    ten = await gql(USERS, {"n": 10}, token=workspace.token)
    hundred = await gql(USERS, {"n": 100}, token=workspace.token)
    default = await gql(USERS_DEFAULT_PAGE, token=workspace.token)
    assert ten["extensions"]["cost"]["requested"] == 22
    assert hundred["extensions"]["cost"]["requested"] == 202
    # no `first`: the default page of 50
    assert default["extensions"]["cost"]["requested"] == 102


async def test_a_nested_query_over_the_ceiling_is_refused_with_zero_sql(gql, workspace, count_sql):
    # given a team in the workspace, so the nested query would have work to do
    await workspace.team("Vendas", manager_id=workspace.admin["id"])
    # when a 100 × 20 × 20 × 20 nested query is sent
    with count_sql() as sql:
        body = await gql(NESTED, token=workspace.token)
    # then it is refused as too complex before any SQL (not even authentication)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "o limite é 50000" in error["message"]
    assert body["extensions"]["cost"]["requested"] > 800_000
    assert sql.statements == []


async def test_a_full_page_with_nested_objects_fits_the_ceiling(gql, workspace):
    body = await gql(DIRECTORY_PAGE, token=workspace.token)
    assert "errors" not in body, body
    assert body["data"]["users"]["totalCount"] == 1
    assert body["extensions"]["cost"]["requested"] < 50000


async def test_full_introspection_is_exempt_from_depth_and_cost(gql):
    # given the introspection query GraphiQL and codegen tools send (depth > 10)
    body = await gql(get_introspection_query(descriptions=True, input_value_deprecation=True))
    # then it runs, anonymously in development, and costs nothing
    assert "errors" not in body, body.get("errors")
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"
    assert body["extensions"]["cost"]["requested"] == 0


# 100 deals × 100 deals of each one's stage × 100 again: a real connection
# nesting. With edges/node in between it is also deeper than 10.
DEALS_CUBED = """query {
  deals(first: 100) { edges { node { stage { deals(first: 100) { edges { node {
    stage { deals(first: 100) { edges { node { id } } } }
  } } } } } } }
}"""

# Within the depth limit: 20 pipelines × 20 stages × 100 deals × 100 deals.
PIPELINES_NESTED = """query {
  pipelines { stages { deals(first: 100) { edges { node { stage { deals(first: 100) { edges { node { id } } } } } } } } }
}"""

# What the web board asks for: every column with 100 cards and their owners.
BOARD = """query Board($id: ID!) {
  pipeline(id: $id) {
    id name boardSequence
    stages {
      id name kind probability requiredFields requiresScheduledTask dealCount totalValue
      deals(first: 100) { totalCount edges { cursor node {
        id title value currency version customFields stageEnteredAt stage { id } owner { id name }
      } } }
    }
  }
}"""

EIGHT_STAGES = [{"name": f"Etapa {i}"} for i in range(7)] + [
    {"name": "Ganho", "kind": "WON", "probability": 100}
]


def test_the_estimate_of_a_hundred_cubed_is_over_a_million():
    document = parse(DEALS_CUBED)
    demand = measure_demand(
        build_schema()._schema, document, None, {}, max_page_size=100, default_page_size=50
    )
    assert demand.cost > 1_000_000


async def test_a_hundred_cubed_nested_connections_are_refused_with_zero_sql(gql, workspace, count_sql):
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(gql, workspace.token, pipeline["id"])
    with count_sql() as sql:
        cubed = await gql(DEALS_CUBED, token=workspace.token)
        nested = await gql(PIPELINES_NESTED, token=workspace.token)
    for body in (cubed, nested):
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # the one within the depth limit is refused by its cost
    assert "o limite é 50000" in nested["errors"][0]["message"]
    assert nested["extensions"]["cost"]["requested"] > 1_000_000
    assert sql.statements == []


async def test_a_board_of_eight_columns_with_a_hundred_cards_each_fits_the_ceiling(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token, stages=EIGHT_STAGES)
    for title in ("Casa", "Sala", "Loja"):
        await create_deal(gql, workspace.token, pipeline["id"], title=title)
    body = await gql(BOARD, {"id": pipeline["id"]}, token=workspace.token)
    assert "errors" not in body, body
    assert len(body["data"]["pipeline"]["stages"]) == 8
    cost = body["extensions"]["cost"]
    assert cost["requested"] < 50000
    # and it is charged for the three cards it has, not the 800 it could have had
    assert cost["actual"] < 200
