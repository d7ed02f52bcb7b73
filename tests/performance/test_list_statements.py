"""A list costs the same SQL at any page size (STYLE.md: N+1 is a bug;
issue 15: statements per request stay constant in page size). The
contacts list, the board, the conversations list and the developments list
have their own such tests beside their behaviour
(tests/graph/test_contact_lists.py, tests/pipeline/test_board_query.py,
tests/inbox/test_conversation_lists.py, tests/graph/test_developments.py);
here the other top-level lists of the CRM — companies, deals and tasks —
each read with every related record a screen shows, and the board, whose
SQL does not grow with its columns either."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graph.documents import create_company, create_contact
from tests.pipeline.support import create_deal, create_pipeline, move

COMPANIES = """
query Companies($first: Int) {
  companies(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node { id name domain createdAt owner { id name } } }
  }
}
"""
DEALS = """
query Deals($first: Int) {
  deals(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id title value status stageEnteredAt
      pipeline { id name } stage { id name }
      owner { id name } contact { id name } company { id name }
    } }
  }
}
"""
TASKS = """
query Tasks($first: Int) {
  tasks(first: $first) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id title dueAt done assignee { id name } contact { id name } deal { id title }
    } }
  }
}
"""
CREATE_TASK = """
mutation($input: TaskInput!) { createTask(input: $input) { task { id } userErrors { code message field } } }
"""
ROWS = 12
LISTS = {"companies": COMPANIES, "deals": DEALS, "tasks": TASKS}


async def a_full_workspace(gql: Any, workspace: Any) -> None:
    """12 companies, contacts, deals and tasks, spread over three agents,
    each row linked to all the records its list shows."""
    agents = [await workspace.user("AGENT") for _ in range(3)]
    columns = [{"name": name} for name in ("Novo", "Em contato", "Proposta")]  # no gates
    pipeline = await create_pipeline(gql, workspace.token, stages=columns)
    stages = list(pipeline["stage"].values())
    for index in range(ROWS):
        agent = agents[index % 3]
        company = await create_company(
            gql, workspace.token, name=f"Empresa {index}", ownerId=agent["id"], domain=f"e{index}.example"
        )
        contact = await create_contact(
            gql, workspace.token, name=f"Pessoa {index}", ownerId=agent["id"], companyId=company["id"]
        )
        deal = await create_deal(
            gql,
            workspace.token,
            pipeline["id"],
            title=f"Negócio {index}",
            value="1000.00",
            stageId=stages[index % 3],
            ownerId=agent["id"],
            contactId=contact["id"],
            companyId=company["id"],
        )
        task = {
            "title": f"Ligar {index}",
            "dueAt": "2031-01-01T12:00:00Z",
            "assigneeId": agent["id"],
            "contactId": contact["id"],
            "dealId": deal["id"],
        }
        created = await gql.ok(CREATE_TASK, {"input": task}, token=workspace.token)
        assert created["createTask"]["userErrors"] == [], created


@pytest.mark.parametrize("name", list(LISTS))
async def test_a_list_with_its_related_records_costs_the_same_sql_at_any_page_size(
    gql, workspace, count_sql, name
):
    # given 12 rows of each kind, each linked to its owner, contact, deal...
    await a_full_workspace(gql, workspace)
    statements = {}
    for size in (2, ROWS):
        # when a page of 2 and a page of 12 are read with every related record
        with count_sql() as counter:
            data = await gql.ok(LISTS[name], {"first": size}, token=workspace.token)
        page = data[name]
        assert len(page["edges"]) == size and page["totalCount"] == ROWS, page
        statements[size] = counter.statements
    # then the number of SQL statements does not depend on the page size
    assert len(statements[ROWS]) == len(statements[2]), statements


BOARD = """
query Board($id: ID!, $first: Int, $filter: DealFilter) {
  pipeline(id: $id) {
    stages {
      id name dealCount totalValue
      deals(first: $first, filter: $filter) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { cursor node { id title value owner { id name } contact { id name } } }
      }
    }
  }
}
"""
COLUMN = """
query Column($id: ID!, $first: Int, $after: String) {
  node(id: $id) { ... on Stage { deals(first: $first, after: $after) { edges { node { title } } } } }
}
"""


async def a_board(gql: Any, workspace: Any, agents: list[Any], columns: int, cards: int) -> dict[str, Any]:
    """A pipeline of `columns` stages with `cards` deals in each, owned by
    the agents in turn, each deal with a contact."""
    stages = [{"name": f"Etapa {index}"} for index in range(columns)]
    pipeline = await create_pipeline(gql, workspace.token, stages=stages, name=f"Funil {columns}")
    for column, stage_id in enumerate(pipeline["stage"].values()):
        for index in range(cards):
            agent = agents[(column + index) % len(agents)]
            contact = await create_contact(gql, agent["token"], name=f"Cliente {column}.{index}")
            await create_deal(
                gql,
                agent["token"],
                pipeline["id"],
                title=f"Negócio {column}.{index}",
                value=f"{100 * (index + 1)}.00",
                stageId=stage_id,
                contactId=contact["id"],
            )
    return pipeline


async def _read_board(gql: Any, count_sql: Any, token: str, pipeline_id: str, **variables: Any) -> Any:
    with count_sql() as counter:
        data = await gql.ok(BOARD, {"id": pipeline_id, **variables}, token=token)
    return data["pipeline"]["stages"], counter.statements


async def test_the_board_costs_the_same_sql_for_any_number_of_columns_and_cards(gql, workspace, count_sql):
    # given a board of 2 columns × 2 cards and one of 5 columns × 6 cards
    agents = [await workspace.user("AGENT") for _ in range(2)]
    small = await a_board(gql, workspace, agents, columns=2, cards=2)
    large = await a_board(gql, workspace, agents, columns=5, cards=6)
    for token in (workspace.token, agents[0]["token"]):
        # when the admin (everything) and an agent (their own cards) read each whole board
        few, few_sql = await _read_board(gql, count_sql, token, small["id"], first=2)
        assert sum(len(s["deals"]["edges"]) for s in few) == (4 if token == workspace.token else 2)
        many, many_sql = await _read_board(gql, count_sql, token, large["id"], first=6)
        # then every column came with its cards, owners and contacts
        assert sum(len(s["deals"]["edges"]) for s in many) == (30 if token == workspace.token else 15)
        assert all(
            e["node"]["owner"]["name"] and e["node"]["contact"] for s in many for e in s["deals"]["edges"]
        )
        # and the SQL is the same: session, pipeline, stages, totals, the
        # cards, their totalCount, owners and contacts — not one per column
        assert len(many_sql) == len(few_sql) <= 8, many_sql


async def test_a_column_read_with_the_board_is_the_column_read_alone(gql, workspace):
    # given a board of 3 columns × 5 cards over two agents, one card moved to the top of its column
    agents = [await workspace.user("AGENT") for _ in range(2)]
    pipeline = await a_board(gql, workspace, agents, columns=3, cards=5)
    whole = await gql.ok(BOARD, {"id": pipeline["id"], "first": 5}, token=workspace.token)
    first_column = whole["pipeline"]["stages"][0]["deals"]["edges"]
    last = first_column[-1]["node"]["id"]
    moved = await move(
        gql, workspace.token, dealId=last, stageId=pipeline["stages"][0]["id"], afterDealId=None
    )
    assert moved["userErrors"] == [], moved
    for token, seen in ((workspace.token, 5), (agents[1]["token"], None)):
        # when the board is read 2 cards a column, by the admin and by an agent
        board = await gql.ok(BOARD, {"id": pipeline["id"], "first": 2}, token=token)
        for stage in board["pipeline"]["stages"]:
            page = stage["deals"]
            titles = [e["node"]["title"] for e in page["edges"]]
            # then each column is the same page as the column alone: card
            # order, count, whether more follow, and its cursor continues it
            alone = await gql.ok(COLUMN, {"id": stage["id"], "first": 100}, token=token)
            every = [e["node"]["title"] for e in alone["node"]["deals"]["edges"]]
            assert titles == every[:2], (titles, every)
            assert page["totalCount"] == stage["dealCount"] == len(every) == (seen or len(every))
            assert page["pageInfo"]["hasNextPage"] == (len(every) > 2)
            rest = await gql.ok(
                COLUMN, {"id": stage["id"], "first": 100, "after": page["pageInfo"]["endCursor"]}, token=token
            )
            assert [e["node"]["title"] for e in rest["node"]["deals"]["edges"]] == every[2:]
    # and the moved card heads its column
    board = await gql.ok(BOARD, {"id": pipeline["id"], "first": 1}, token=workspace.token)
    assert board["pipeline"]["stages"][0]["deals"]["edges"][0]["node"]["id"] == last


async def test_a_filtered_board_counts_and_pages_what_the_filter_keeps(gql, workspace):
    # given a board of 2 columns × 4 cards valued 100, 200, 300, 400
    agents = [await workspace.user("AGENT")]
    pipeline = await a_board(gql, workspace, agents, columns=2, cards=4)
    # when it is read with a filter keeping the cards above 150, and without cards
    variables = {"id": pipeline["id"], "first": 2, "filter": {"value": {"gt": "150"}}}
    filtered = await gql.ok(BOARD, variables, token=workspace.token)
    empty = await gql.ok(BOARD, {**variables, "first": 0}, token=workspace.token)
    # then each column holds the first two kept cards (a new card goes on
    # top), counts the three kept, and says more follow
    for stage in filtered["pipeline"]["stages"]:
        page = stage["deals"]
        assert [e["node"]["value"] for e in page["edges"]] == ["400.00", "300.00"]
        assert page["totalCount"] == 3 and page["pageInfo"]["hasNextPage"] is True
        assert stage["dealCount"] == 4
    for stage in empty["pipeline"]["stages"]:
        assert stage["deals"]["edges"] == [] and stage["deals"]["totalCount"] == 3
