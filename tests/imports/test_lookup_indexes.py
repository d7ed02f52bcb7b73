"""A company import finds its duplicates by CNPJ and by name through
indexes (migration 0032), whatever the workspace's size: the planner is
asked how it reads the lookups company_rows writes."""

from __future__ import annotations

from tortoise import connections

from revgraph.models.crm import Company
from revgraph.models.identity import Workspace
from revgraph.resolvers.custom_fields import sql
from revgraph.resolvers.imports.company_rows import _cnpj_in, matching_company


async def plan(text: str) -> str:
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        rows = await connection.execute_query_dict("EXPLAIN " + text)
        return "\n".join(row["QUERY PLAN"] for row in rows)
    rows = await connection.execute_query_dict("EXPLAIN QUERY PLAN " + text)
    return "\n".join(row["detail"] for row in rows)


async def test_company_lookups_by_cnpj_and_name_use_indexes(server, workspace):
    # given a workspace with many companies, each with a CNPJ kept among its custom fields
    workspace_id = (await Workspace.first()).id
    await Company.bulk_create(
        [
            Company(workspace_id=workspace_id, name=f"Empresa {i}", custom_fields={"cnpj": f"{i:014d}"})
            for i in range(3000)
        ]
    )
    acme = await Company.create(
        workspace_id=workspace_id, name="Acme Ltda", custom_fields={"cnpj": "11.222.333/0001-81"}
    )
    connection = connections.get("default")
    if connection.capabilities.dialect == "postgres":
        await connection.execute_script("ANALYZE company")
    live = Company.filter(workspace_id=workspace_id, deleted_at=None)
    forms = ["11222333000181", "11.222.333/0001-81"]
    # when the import's lookups are planned
    by_cnpj = await plan(live.filter(sql.SqlQ(lambda c, d: _cnpj_in(c, d, forms))).sql(params_inline=True))
    by_name = await plan(live.filter(name__iexact="ACME LTDA").sql(params_inline=True))
    # then each reads its index
    assert "ix_company_cnpj" in by_cnpj, by_cnpj
    assert "ix_company_name_ci" in by_name, by_name
    # and they find the company, by either form of its CNPJ and by its name in any case
    assert (await matching_company(workspace_id, {"cnpj": "11222333000181"})).id == acme.id
    assert (await matching_company(workspace_id, {"name": "acme LTDA"})).id == acme.id
    # and a number stored under the key is no CNPJ
    await Company.filter(id=acme.id).update(custom_fields={"cnpj": 11222333000181})
    assert await matching_company(workspace_id, {"cnpj": "11222333000181"}) is None
