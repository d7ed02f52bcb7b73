"""The base class of RevGraph's migrations: Tortoise's, less a full copy of
the migration state before every operation, and with one reload of the
state's models per run of operations instead of one per operation.

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

Each CreateModel, AddField and AddIndex then still reloads the state's
models (re-renders the model and those related to it, and rebuilds every
model's relations and querysets), 100 times from zero: 8.5 of the 10 s of
`revgraph migrate` under cProfile. Those reloads are batched: the state of a run
of such operations (and of the RunSQL among them) is brought forward with
the reloads only recorded, the models are reloaded once, and then the
operations' SQL runs in their order. A run ends before an operation on a
model that an earlier operation of the run created (CREATE TABLE writes
every field and index the model has: it must see the model as it was then,
not with the later field or index; AddField and AddIndex write only their
own column or index), and before any other kind of operation, which runs
as before.

Dry runs (the state of migrations already applied, built when later ones
are pending) only bring the state forward: there every run of such
operations reloads once. SQL collection (`sqlmigrate`) takes Tortoise's own
path. tests/test_migrations.py builds the schema both ways and compares
them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tortoise import migrations
from tortoise.migrations import operations as ops

WITHOUT_PRIOR_STATE = (ops.CreateModel, ops.AddField, ops.AddIndex, ops.RunSQL, ops.RunPython)
# Operations whose state change only needs a reload of the models it names:
# a run of them is brought forward with one reload.
BATCHED = (ops.CreateModel, ops.AddField, ops.AddIndex, ops.RunSQL)


def _model_of(operation: Any) -> str | None:
    """The model whose table an operation creates or changes (None: none)."""
    if isinstance(operation, ops.CreateModel):
        return operation.name
    if isinstance(operation, (ops.AddField, ops.AddIndex)):
        return operation.model_name
    return None


@contextlib.contextmanager
def _reloads_recorded(state: Any) -> Iterator[set[tuple[str, str]]]:
    """While open, the state's reloads are only recorded (into the set
    yielded); on a clean exit the recorded models are reloaded once."""
    pending: set[tuple[str, str]] = set()

    def reload_models(model_tuples: Any) -> None:
        pending.update(model_tuples)

    def reload_model(app_label: str, model_name: str) -> None:
        if (app_label, model_name) not in state.models:
            raise LookupError(f"Model state {app_label}.{model_name} is unknown")
        pending.add((app_label, model_name))

    state.reload_models = reload_models
    state.reload_model = reload_model
    try:
        yield pending
    finally:
        del state.reload_models
        del state.reload_model
    if pending:
        state.reload_models(pending)


def _runs(operations: list[Any]) -> Iterator[list[Any]]:
    """The operations in order, grouped: each group is a run of BATCHED
    operations none of which changes a model created earlier in the run, or
    one other operation."""
    run: list[Any] = []
    created: set[str] = set()
    for operation in operations:
        batched = type(operation) in BATCHED
        if not batched or _model_of(operation) in created:
            if run:
                yield run
            run, created = [], set()
        if not batched:
            yield [operation]
            continue
        run.append(operation)
        if isinstance(operation, ops.CreateModel):
            created.add(operation.name)
    if run:
        yield run


class Migration(migrations.Migration):
    async def apply(
        self,
        state: Any,
        *,
        dry_run: bool = False,
        schema_editor: Any = None,
        collect_sql: bool = False,
    ) -> Any:
        if collect_sql:
            return await super().apply(
                state, dry_run=dry_run, schema_editor=schema_editor, collect_sql=collect_sql
            )
        forward = not dry_run and schema_editor is not None
        supports_transactions = forward and schema_editor.client.capabilities.supports_transactions
        for run in _runs(self.operations):
            if type(run[0]) not in BATCHED:
                (operation,) = run
                old_state = state if type(operation) in WITHOUT_PRIOR_STATE or not forward else state.clone()
                operation.state_forward(self.app_label, state)
                if forward:
                    await self._run_database_forward(
                        operation, old_state, state, schema_editor, supports_transactions
                    )
                continue
            with _reloads_recorded(state):
                for operation in run:
                    operation.state_forward(self.app_label, state)
            if forward:
                for operation in run:
                    await self._run_database_forward(
                        operation, state, state, schema_editor, supports_transactions
                    )
        state.validate_relations_initialized()
        return state
