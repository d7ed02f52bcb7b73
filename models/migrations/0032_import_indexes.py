from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops


def _indexes(dialect):
    cnpj = "json_extract(custom_fields, '$.cnpj')" if dialect == "sqlite" else "(custom_fields ->> 'cnpj')"
    return [
        # A company import (and a deal's company cell) finds a company by its
        # CNPJ, kept among its custom fields: resolvers/imports/company_rows.py
        # writes the lookup as this expression.
        ("ix_company_cnpj", f"CREATE INDEX ix_company_cnpj ON company (workspace_id, {cnpj})"),
        # ... and, with neither CNPJ nor domain, by name ignoring case: the
        # expression Tortoise's `name__iexact` compares.
        (
            "ix_company_name_ci",
            "CREATE INDEX ix_company_name_ci ON company (workspace_id, UPPER(CAST(name AS VARCHAR)))",
        ),
    ]


async def create_indexes(apps, editor):
    for _name, sql in _indexes(editor.client.capabilities.dialect):
        await editor.client.execute_script(sql)


async def drop_indexes(apps, editor):
    for name, _sql in _indexes(editor.client.capabilities.dialect):
        await editor.client.execute_script(f"DROP INDEX IF EXISTS {name}")


class Migration(_base.Migration):
    """Indexes for the lookups of CSV imports: companies by CNPJ and by name
    (per backend: JSON is read differently)."""

    dependencies = [('models', '0031_stage_day_rollups')]

    initial = False

    operations = [
        ops.RunPython(create_indexes, drop_indexes),
    ]
