"""A page's LIMIT and OFFSET are written in its statement's text, not bound
as parameters (resolvers/read_rows.py, `_limit_in_text`): PostgreSQL then
keeps one generic plan for a list page instead of planning it again at
every execution (bench/READS.md, i15-sql)."""

from __future__ import annotations

import pytest
from tortoise.transactions import in_transaction

from revgraph.models.crm import Contact
from revgraph.resolvers import statement_cache
from revgraph.resolvers.contact_queries import contact_joins, list_contacts
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.read_rows import statement_of
from tests.conftest import REAL_DB
from tests.graph.documents import create_contact


async def test_a_pages_limit_and_offset_are_in_its_text(workspace):
    # given a page's query at three sizes, one of them twice
    statement_cache.clear()
    live = Contact.filter(workspace_id=7, deleted_at=None).order_by("-created_at", "-id")
    read = [statement_of(live.limit(size)) for size in (11, 51, 51)]
    # then each text ends with its own size and only the workspace is bound
    assert [sql.rsplit(" ", 2)[1:] for sql, _ in read] == [["LIMIT", "11"], ["LIMIT", "51"], ["LIMIT", "51"]]
    assert [parameters for _, parameters in read] == [[7], [7], [7]]
    # and a kept text served only its own size
    assert statement_cache.counts["hit"] == 1
    sql, parameters = statement_of(live.limit(5).offset(10))
    assert sql.endswith(" LIMIT 5 OFFSET 10") and parameters == [7]


@pytest.mark.skipif(not REAL_DB, reason="PostgreSQL's plan cache")
async def test_postgresql_keeps_a_generic_plan_for_a_contacts_page(gql, server, workspace):
    # given a workspace with a few thousand contacts, analysed (on a small
    # table the generic plan costs the same either way), and its admin's context
    await create_contact(gql, workspace.token, name="Cliente 0")
    workspace_id = (await Contact.filter(name="Cliente 0").order_by("-id").first()).workspace_id
    await Contact.bulk_create(
        [
            Contact(
                workspace_id=workspace_id,
                number=index + 10,
                name=f"Cliente {index}",
                name_search=f"cliente {index}",
            )
            for index in range(3_000)
        ],
        batch_size=1_000,
    )
    await Contact.raw("ANALYZE contact")
    actor = Actor(workspace_id, pk_of(workspace.admin["id"], "User"), "ADMIN")
    ctx = Context(settings=server.settings, actor=actor)
    joins = contact_joins({"company": ("name",), "owner": None})
    # when the contacts page (joins and total, as the bench query) is read
    # ten times on one connection (which earlier tests may have used)
    async with in_transaction() as connection:
        before = await _page_plans(connection)
        for _ in range(10):
            page = await list_contacts(ctx, first=2, with_total=True, joins=joins)
        after = await _page_plans(connection)
    # then PostgreSQL planned it at most five times and then kept a generic plan
    assert len(page.items) == 2 and await page.total_count() == 3_001
    generic = sum(plans[0] for plans in after.values()) - sum(plans[0] for plans in before.values())
    custom = sum(plans[1] for plans in after.values()) - sum(plans[1] for plans in before.values())
    assert generic + custom == 10, (before, after)
    assert generic >= 5, (before, after)


async def _page_plans(connection) -> dict[str, tuple[int, int]]:
    """The connection's prepared contacts pages with a total: text -> (generic, custom) plans."""
    _, prepared = await connection.execute_query(
        "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        " WHERE statement LIKE '%FROM \"contact\"%rg_total_rows%'"
        " AND statement NOT LIKE '%pg_prepared_statements%'"
    )
    return {row["statement"]: (row["generic_plans"], row["custom_plans"]) for row in prepared}
