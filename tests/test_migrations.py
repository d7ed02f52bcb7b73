"""Versioned migrations: they describe exactly the models (Tortoise's own
autodetector finds nothing to write) and build the schema from zero on the
backend under test."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlparse

from tests.conftest import REAL_DB, _admin_execute, _with_db
from tests.infra.revgraph_process import child_env, run_revgraph

# Run in a child interpreter: the autodetector initialises its own Tortoise
# context, which must not replace the one the test server runs on.
DETECT_CHANGES = """
import asyncio, sys
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from revgraph.resolvers.database import tortoise_config
from revgraph.resolvers.settings import Settings

async def main(migrations):
    config = tortoise_config(Settings(database_url="sqlite://:memory:", secret_key="unused"))
    config["apps"]["models"]["migrations"] = migrations
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, config["apps"]).changes()
    for writer in writers:
        for operation in writer.operations:
            print(writer.app_label, operation)
    print("changes:", len(writers))

asyncio.run(main(sys.argv[1]))
"""


def detect_changes(migrations_module: str, extra_path: Path | None = None) -> str:
    env = child_env()
    if extra_path is not None:
        env["PYTHONPATH"] = f"{extra_path}:{env.get('PYTHONPATH', '')}"
    result = subprocess.run(
        [sys.executable, "-c", DETECT_CHANGES, migrations_module],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def model_tables() -> set[str]:
    from tortoise import Tortoise

    return {model._meta.db_table for model in Tortoise.apps["models"].values()}


def test_models_and_migrations_are_in_sync():
    # `revgraph makemigrations` would write nothing
    output = detect_changes("revgraph.models.migrations")
    assert output.strip().endswith("changes: 0"), (
        "models changed without a migration: run `revgraph makemigrations --name <why>`, "
        f"check the generated file, and commit it\n{output}"
    )


def test_the_sync_check_reports_models_without_migrations(tmp_path):
    # given a migrations package with nothing in it
    (tmp_path / "no_migrations_yet").mkdir()
    (tmp_path / "no_migrations_yet" / "__init__.py").write_text("")
    # then the autodetector wants to create the tables
    output = detect_changes("no_migrations_yet", extra_path=tmp_path)
    assert "changes: 1" in output
    assert "CreateModel" in output


async def test_migrations_build_the_schema_from_zero(server, tmp_path, request):
    # given an empty database on the backend under test
    if REAL_DB:
        name = f"revgraph_migrate_{uuid.uuid4().hex[:10]}"
        await _admin_execute(f'CREATE DATABASE "{name}"')
        url = _with_db(REAL_DB, name)
    try:
        if REAL_DB:
            # when `revgraph migrate` runs
            result = await asyncio.to_thread(
                run_revgraph, "migrate", env=child_env(REVGRAPH_DATABASE_URL=url), cwd=tmp_path
            )
            assert result.returncode == 0, result.stderr
        else:
            # SQLite: the run's template is that very run, `revgraph migrate` on
            # an empty file (tests/conftest.py asserts it succeeded); a copy of
            # it, rather than building the same schema once more
            url = f"sqlite://{request.getfixturevalue('migrated_sqlite')(tmp_path / 'fresh.sqlite3')}"
        # then every model's table exists
        assert model_tables() <= await tables_in(url)
        # and a second run applies nothing and succeeds
        env = child_env(REVGRAPH_DATABASE_URL=url)
        again = await asyncio.to_thread(run_revgraph, "migrate", env=env, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
    finally:
        if REAL_DB:
            await _admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def tables_in(url: str) -> set[str]:
    if url.startswith("sqlite://"):
        import sqlite3

        with sqlite3.connect(url[len("sqlite://") :]) as conn:
            rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return {name for (name,) in rows}
    import asyncpg

    parsed = urlparse(url)
    conn = await asyncpg.connect(
        host=parsed.hostname,
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.path.lstrip("/"),
    )
    try:
        rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    finally:
        await conn.close()
    return {row["tablename"] for row in rows}


# Builds the schema from zero into a SQLite file, with Tortoise's own
# `Migration.apply` (a copy of the state before every operation) or with
# ours (models/migrations/_base.py), and prints the schema it made (the
# rows of SCHEMA_ROWS).
SCHEMA_ROWS = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name"
BUILD_SCHEMA = """
import asyncio, sqlite3, sys
from tortoise import migrations
from revgraph.models.migrations import _base
from revgraph.resolvers.database import migrate_database
from revgraph.resolvers.settings import Settings

path, how = sys.argv[1], sys.argv[2]
if how == "tortoise":
    del _base.Migration.apply  # back to migrations.Migration.apply
assert (_base.Migration.apply is migrations.Migration.apply) == (how == "tortoise")
applied = asyncio.run(migrate_database(Settings(database_url=f"sqlite://{path}", secret_key="unused")))
with sqlite3.connect(path) as conn:
    rows = conn.execute(sys.argv[3]).fetchall()
print(applied)
for row in rows:
    print(row)
"""


def test_our_migration_base_builds_the_same_schema_as_tortoises(tmp_path, request):
    # The state copies skipped by _base.Migration only change which state
    # object an operation is handed, not the dialect's SQL: SQLite shows it.
    if REAL_DB:
        import pytest

        pytest.skip("dialect-independent: the embedded run builds both schemas")
    migrations_count = len(list(Path(__file__).parents[1].glob("models/migrations/0*.py")))
    # Ours: the run's template, built from zero by `revgraph migrate` (through
    # _base.Migration, as every migration is: test_every_migration_uses_our_base).
    template = request.getfixturevalue("_migrated_sqlite_template")
    with sqlite3.connect(template) as conn:
        ours = [str(row) for row in conn.execute(SCHEMA_ROWS).fetchall()]
        (recorded,) = conn.execute("SELECT count(*) FROM tortoise_migrations").fetchone()
    assert recorded == migrations_count
    assert len(ours) > 150  # tables, indexes, triggers
    # Tortoise's: built from zero with its own Migration.apply.
    result = subprocess.run(
        [sys.executable, "-c", BUILD_SCHEMA, str(tmp_path / "tortoise.sqlite3"), "tortoise", SCHEMA_ROWS],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    applied, *theirs = result.stdout.splitlines()
    assert int(applied) == migrations_count
    assert ours == theirs


# Builds the schema with our base into a SQLite file in two steps (up to the
# target, then the rest: the executor first rebuilds the state of the
# applied migrations in a dry run), and prints how many times the state's
# models were reloaded, then the schema it made.
BUILD_IN_STEPS = """
import asyncio, sqlite3, sys
from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate
from tortoise.migrations.schema_generator.state import State
from revgraph.resolvers.database import tortoise_config
from revgraph.resolvers.settings import Settings

path, target = sys.argv[1], sys.argv[2]
reloads = 0
real_reload = State._reload

def counted(self, models):
    global reloads
    reloads += 1
    return real_reload(self, models)

State._reload = counted
config = tortoise_config(Settings(database_url=f"sqlite://{path}", secret_key="unused"))

async def main():
    await migrate(config=config, target=target)
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()

asyncio.run(main())
with sqlite3.connect(path) as conn:
    rows = conn.execute(sys.argv[3]).fetchall()
print(reloads)
for row in rows:
    print(row)
"""


def build_in_steps(path: Path, target: str) -> tuple[int, list[str]]:
    result = subprocess.run(
        [sys.executable, "-c", BUILD_IN_STEPS, str(path), target, SCHEMA_ROWS],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    reloads, *rows = result.stdout.splitlines()
    return int(reloads), rows


def template_schema(request) -> list[str]:
    with sqlite3.connect(request.getfixturevalue("_migrated_sqlite_template")) as conn:
        return [str(row) for row in conn.execute(SCHEMA_ROWS).fetchall()]


def test_migrations_applied_after_earlier_ones_build_the_same_schema_with_few_reloads(tmp_path, request):
    # Upgrading a database: the executor rebuilds the state of the applied
    # migrations (a dry run) and applies the pending ones on it. Tortoise
    # reloads the state's models after every CreateModel, AddField and
    # AddIndex (171 times here: most of the build's CPU); our base reloads
    # once per run of them, in the dry run as in the real one.
    if REAL_DB:
        import pytest

        pytest.skip("dialect-independent: the embedded run builds the schema")
    migrations_count = len(list(Path(__file__).parents[1].glob("models/migrations/0*.py")))
    # given a database migrated up to 0020, when the rest are applied
    first = 20
    reloads, schema = build_in_steps(tmp_path / "upgraded.sqlite3", "models.0020_email")
    # then the schema is the one built from zero in one go (the run's template)
    assert schema == template_schema(request)
    # and the models were reloaded fewer times than migrations were applied
    # (all of them) or had their state rebuilt in the dry run (the first 20)
    assert 0 < reloads < migrations_count + first


def test_every_migration_uses_our_base():
    from revgraph.models.migrations import _base

    for path in sorted(Path(__file__).parents[1].glob("models/migrations/0*.py")):
        module = __import__(f"revgraph.models.migrations.{path.stem}", fromlist=["Migration"])
        assert issubclass(module.Migration, _base.Migration), f"{path.name}: class Migration(_base.Migration)"
