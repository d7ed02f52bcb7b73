"""Hot read paths (resolvers/read_rows.py, schema/lean_execution.py): lists
read plain rows and execute lean, and must answer exactly what the model
path answers, in SQL statements that do not grow with the page size, with
the delivered cost counted during execution equal to the fields delivered."""

import json

from graphql import parse

from revgraph.schema import lean_execution, lean_plans, lean_row_plans, lean_rows
from revgraph.schema.demand import counted_delivery, delivered_cost
from tests.graph.documents import create_company, create_contact
from tests.pipeline.support import create_deal, create_pipeline

CONTACT_FIELDS = """
  id name email phone lifecycleStage score number source customFields createdAt updatedAt deletedAt tags
  company { id name domain customFields createdAt deletedAt owner { id name email role active } }
  owner { id name email role active }
"""
CONTACT_PAGE = f"query {{ contacts(first: 10) {{ edges {{ node {{ {CONTACT_FIELDS} }} }} }} }}"
ONE_CONTACT = f"query($id: ID!) {{ contact(id: $id) {{ {CONTACT_FIELDS} }} }}"

COMPANIES = """
query($first: Int) {
  companies(first: $first) { totalCount edges { cursor node { id name createdAt owner { id name } } } }
}
"""
DEALS = """
query($first: Int) {
  deals(first: $first) {
    totalCount
    edges { cursor node { id title value currency status createdAt owner { id name } contact { id name }
                          company { id name } } }
  }
}
"""
# Aliases, a fragment spread twice, __typename and a nested connection:
# what the delivered cost counts must match what the response holds.
TRICKY = """
fragment Person on Contact { id name tags owner { id name } }
query {
  first: contacts(first: 3) { totalCount edges { node { ...Person __typename company { name } } } }
  again: contacts(first: 2) { edges { cursor node { ...Person ...Person } } pageInfo { hasNextPage } }
  me { id }
}
"""


async def test_a_listed_contact_reads_exactly_as_the_contact_read_by_id(gql, workspace):
    # given a contact with every kind of column: datetimes, JSON, enums, a company and an owner
    agent = await workspace.user("AGENT")
    company = await create_company(
        gql, workspace.token, name="Acme Imóveis", domain="acme.com.br", ownerId=agent["id"]
    )
    contact = await create_contact(
        gql,
        workspace.token,
        name="Ana Lima",
        email="ana@lima.com",
        phone="11 98765-0001",
        companyId=company["id"],
        ownerId=agent["id"],
        tags=["vip", "sp"],
        customFields={"orcamento": "ate 500 mil", "quartos": 3, "nested": {"a": [1, 2.5, None]}},
    )
    # when it is read in a list (plain rows, lean execution) and by id (models)
    listed = (await gql.ok(CONTACT_PAGE, token=workspace.token))["contacts"]["edges"][0]["node"]
    by_id = (await gql.ok(ONE_CONTACT, {"id": contact["id"]}, token=workspace.token))["contact"]
    # then both answers are the same, value for value
    assert listed == by_id
    assert listed["customFields"]["nested"] == {"a": [1, 2.5, None]}
    assert listed["company"]["owner"]["id"] == agent["id"]


async def _statements(gql, token, count_sql, document, size):
    with count_sql() as counter:
        data = await gql.ok(document, {"first": size}, token=token)
    assert len(next(iter(data.values()))["edges"]) == size
    return counter.statements


async def test_a_companies_page_with_owners_costs_the_same_sql_at_any_size(gql, workspace, count_sql):
    # given 12 companies owned by three agents
    agents = [await workspace.user("AGENT") for _ in range(3)]
    for index in range(12):
        await create_company(gql, workspace.token, name=f"Empresa {index}", ownerId=agents[index % 3]["id"])
    # when a page of 2 and a page of 12 are listed with their owners
    small = await _statements(gql, workspace.token, count_sql, COMPANIES, 2)
    large = await _statements(gql, workspace.token, count_sql, COMPANIES, 12)
    # then the statements do not grow with the page size
    assert len(large) == len(small), (small, large)


async def test_a_deals_page_with_owner_contact_and_company_costs_the_same_sql_at_any_size(
    gql, workspace, count_sql
):
    # given 12 deals, each with an owner, a contact and a company
    pipeline = await create_pipeline(gql, workspace.token)
    agents = [await workspace.user("AGENT") for _ in range(2)]
    company = await create_company(gql, workspace.token, name="Construtora")
    for index in range(12):
        contact = await create_contact(gql, workspace.token, name=f"Cliente {index}")
        await create_deal(
            gql,
            workspace.token,
            pipeline["id"],
            title=f"Apto {index}",
            value="350000.00",
            ownerId=agents[index % 2]["id"],
            contactId=contact["id"],
            companyId=company["id"],
        )
    # when a page of 2 and a page of 12 are listed with their edges
    small = await _statements(gql, workspace.token, count_sql, DEALS, 2)
    large = await _statements(gql, workspace.token, count_sql, DEALS, 12)
    # then the statements do not grow with the page size, and every card has its edges
    assert len(large) == len(small), (small, large)
    cards = (await gql.ok(DEALS, {"first": 12}, token=workspace.token))["deals"]["edges"]
    assert all(
        card["node"]["owner"] and card["node"]["contact"] and card["node"]["company"] for card in cards
    )


async def test_the_delivered_cost_counted_during_execution_is_the_fields_in_the_response(gql, workspace):
    # given contacts with owners, companies and tags
    agent = await workspace.user("AGENT")
    company = await create_company(gql, workspace.token, name="Acme")
    for index in range(4):
        await create_contact(
            gql,
            workspace.token,
            name=f"Pessoa {index}",
            ownerId=agent["id"],
            companyId=company["id"] if index % 2 else None,
            tags=["t"],
        )
    # when a query with aliases, repeated fragments and __typename runs
    body = await gql(TRICKY, token=workspace.token)
    assert "errors" not in body
    # then the cost it was charged is the count of fields in its response,
    # as the walk over the response measures it
    token = counted_delivery.set(None)
    try:
        walked = delivered_cost(parse(TRICKY), None, body["data"])
    finally:
        counted_delivery.reset(token)
    assert walked > 30
    assert body["extensions"]["cost"]["actual"] == walked


CONTACTS_BENCH = """
query($first: Int!, $withTags: Boolean!) {
  contacts(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { __typename id name email phone lifecycleStage source tags @include(if: $withTags)
                          createdAt number company { id name } boss: owner { id name } ...Who } }
  }
}
fragment Who on Node { id ... on Contact { owner { email role } } }
"""
BOARD = """
query Board($id: ID!, $first: Int!) {
  pipeline(id: $id) {
    boardSequence
    stages { id name dealCount totalValue
             deals(first: $first) { edges { node { id title value owner { name } contact { name } } } } }
  }
}
"""


def count_plan_runs(patch, runs):
    """Record the type of every object a compiled plan completes: over the
    object (run_plan), from its row (a plan's row function,
    schema/lean_row_plans.py), and each edge of a page made from its row
    (edges_from_rows). Plans are this execution's own meanwhile, so each
    row function is written (and counted) here."""
    run_plan, row_function, edges_from_rows = (
        lean_plans.CompiledPlans.run_plan,
        lean_row_plans.row_function,
        lean_rows.edges_from_rows,
    )

    def counting(self, plan, source, position):
        runs.append(plan.type_name)
        return run_plan(self, plan, source, position)

    def counting_row_function(plan):
        run = plan.run_row
        if run is None:
            written = row_function(plan)

            def run(executor, row, position, make):
                runs.append(plan.type_name)
                return written(executor, row, position, make)

            plan.run_row = run
        return run

    def counting_edges(executor, edges, item, edge_plan, *rest):
        runs.extend([edge_plan.type_name] * len(edges.rows))
        return edges_from_rows(executor, edges, item, edge_plan, *rest)

    patch.setattr(lean_execution, "plan_cache", lambda schema: lean_plans.PlanCache())
    patch.setattr(lean_plans.CompiledPlans, "run_plan", counting)
    patch.setattr(lean_row_plans, "row_function", counting_row_function)
    patch.setattr(lean_rows, "edges_from_rows", counting_edges)


async def _with_and_without_plans(gql, token, document, variables, monkeypatch):
    """The answer with compiled plans (and the types they completed, one
    entry per object), checked equal to the answer without them."""
    runs = []
    with monkeypatch.context() as patch:
        count_plan_runs(patch, runs)
        planned = await gql(document, variables, token=token)
    with monkeypatch.context() as patch:
        patch.setattr(lean_plans.CompiledPlans, "plan_for", lambda *_: None)
        unplanned = await gql(document, variables, token=token)
    assert "errors" not in planned, planned
    # the same answer, key order included, and the same delivered cost
    assert planned["data"] == unplanned["data"]
    assert json.dumps(planned["data"]) == json.dumps(unplanned["data"])
    assert planned["extensions"]["cost"]["actual"] == unplanned["extensions"]["cost"]["actual"]
    return planned["data"], runs


async def test_a_contacts_page_is_completed_by_compiled_plans(gql, workspace, monkeypatch):
    # given contacts with or without a company, an owner and tags
    agent = await workspace.user("AGENT")
    company = await create_company(gql, workspace.token, name="Acme")
    for index in range(6):
        await create_contact(
            gql,
            workspace.token,
            name=f"Pessoa {index}",
            ownerId=agent["id"] if index % 2 else None,
            companyId=company["id"] if index % 3 else None,
            tags=["vip"] if index % 2 else [],
        )
    for with_tags in (True, False):
        # when the bench's page, with an alias, a fragment on an interface
        # and @include by variable, is read with and without plans
        data, runs = await _with_and_without_plans(
            gql, workspace.token, CONTACTS_BENCH, {"first": 6, "withTags": with_tags}, monkeypatch
        )
        # then the answers are the same, and every edge, contact, company
        # and owner was completed by a plan
        edges = data["contacts"]["edges"]
        assert len(edges) == 6 and ("tags" in edges[0]["node"]) is with_tags
        assert runs.count("ContactEdge") == 6 and runs.count("Contact") == 6
        assert runs.count("Company") == 4
        # the 3 owned contacts share one owner, shown twice (alias and fragment):
        # each selection of it completed once, then reused (on the old code: 2 × 3)
        assert runs.count("User") == 2


async def test_a_board_is_completed_by_compiled_plans(gql, workspace, monkeypatch):
    # given two columns of cards, each with an owner and a contact
    pipeline = await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    for index in range(6):
        contact = await create_contact(gql, workspace.token, name=f"Cliente {index}")
        await create_deal(
            gql,
            workspace.token,
            pipeline["id"],
            title=f"Negócio {index}",
            value="1000.50",
            ownerId=agent["id"],
            contactId=contact["id"],
            stageId=pipeline["stage"]["Novo lead" if index % 2 else "Em contato"],
        )
    # when the bench's board is read with and without plans
    data, runs = await _with_and_without_plans(
        gql, workspace.token, BOARD, {"id": pipeline["id"], "first": 50}, monkeypatch
    )
    # then the answers are the same, and every card was completed by a plan
    cards = [edge["node"] for stage in data["pipeline"]["stages"] for edge in stage["deals"]["edges"]]
    assert len(cards) == 6 and all(card["owner"]["name"] and card["contact"]["name"] for card in cards)
    assert runs.count("Deal") == 6 and runs.count("DealEdge") == 6
    # the cards' one owner completed once, then reused (on the old code: 6)
    assert runs.count("User") == 1 and runs.count("Contact") == 6
