"""A list costs the same SQL at any page size (STYLE.md: N+1 is a bug;
issue 15: statements per request stay constant in page size). The
contacts list, the board, the conversations list and the developments list
have their own such tests beside their behaviour
(tests/graph/test_contact_lists.py, tests/pipeline/test_board_query.py,
tests/inbox/test_conversation_lists.py, tests/graph/test_developments.py);
here the other top-level lists of the CRM — companies, deals and tasks —
each read with every related record a screen shows."""

from __future__ import annotations

from typing import Any

import pytest

from tests.graph.documents import create_company, create_contact
from tests.pipeline.support import create_deal, create_pipeline

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
