"""The base class of RevGraph's migrations: Tortoise's, less a full copy of
the migration state before every operation.

Tortoise's `Migration.apply` clones the whole project state (every model
re-rendered, its querysets and relations rebuilt) before each operation, so
that the operation can compare the state before it with the state after it.
Building the schema from zero is then quadratic: 123 operations over ~70
models cost ~9 s of CPU, most of it in those copies, on every fresh
database (`revgraph serve` on a new machine, each test run, each demo).

Most of our operations never read the state before them:
- CreateModel, AddField and AddIndex build their SQL from the state after
  them (their `database_forward` reads `new_state` only);
- RunSQL and RunPython change no state (`state_forward` does nothing), so
  the state before them *is* the state after them.
For those the current state is handed over as it is; every other operation
(DeleteModel, AlterField, RemoveField, renames...) gets its copy as before.
Dry runs and SQL collection (`sqlmigrate`) take Tortoise's own path.
tests/test_migrations.py builds the schema both ways and compares them."""

from __future__ import annotations

from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

WITHOUT_PRIOR_STATE = (ops.CreateModel, ops.AddField, ops.AddIndex, ops.RunSQL, ops.RunPython)


class Migration(migrations.Migration):
    async def apply(
        self,
        state: Any,
        *,
        dry_run: bool = False,
        schema_editor: Any = None,
        collect_sql: bool = False,
    ) -> Any:
        if dry_run or collect_sql or schema_editor is None:
            return await super().apply(
                state, dry_run=dry_run, schema_editor=schema_editor, collect_sql=collect_sql
            )
        supports_transactions = schema_editor.client.capabilities.supports_transactions
        for operation in self.operations:
            old_state = state if type(operation) in WITHOUT_PRIOR_STATE else state.clone()
            operation.state_forward(self.app_label, state)
            await self._run_database_forward(
                operation, old_state, state, schema_editor, supports_transactions
            )
        state.validate_relations_initialized()
        return state
