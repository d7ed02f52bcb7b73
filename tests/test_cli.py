"""The `revgraph` command as installed (api/RUNNING.md): every subcommand
from an arbitrary working directory, the embedded defaults landing in that
directory, refusals that must be loud, and /healthz telling the truth."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.infra.private_redis import PrivateRedis, running_private_redis
from tests.infra.revgraph_process import ServeProcess, child_env, run_revgraph

# Every process here gets settings of its own (`embedded_env`, a private
# Redis): the same test in both runs of .ci/run.
pytestmark = pytest.mark.embedded_run_only

TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    with running_private_redis() as server:
        yield server


def embedded_env(**overrides: str | None) -> dict[str, str]:
    """No database, Redis or secret configured (the zero-settings mode), an
    English terminal (the CLI's one-line messages follow LC_ALL/LANG), then
    `overrides`."""
    unset: dict[str, str | None] = {
        "REVGRAPH_DATABASE_URL": None,
        "REVGRAPH_REDIS_URL": None,
        "REVGRAPH_SECRET_KEY": None,
        "LC_ALL": "en_US.UTF-8",
    }
    return child_env(**{**unset, **overrides})


def tables_of(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def test_schema_prints_the_sdl_and_needs_no_secret_or_database(tmp_path):
    # when the schema is asked for in production mode with no secret, from an empty cwd
    result = run_revgraph("schema", env=embedded_env(REVGRAPH_ENV="production"), cwd=tmp_path)
    # then it is printed on stdout
    assert result.returncode == 0, result.stderr
    assert "type Query {" in result.stdout
    assert "type Mutation {" in result.stdout
    assert result.stdout.endswith("}\n")
    # and no database file or generated secret appeared
    assert list(tmp_path.iterdir()) == []


def test_migrate_creates_the_schema_where_the_url_points_and_is_idempotent(tmp_path):
    # given a database path in one directory and a working directory elsewhere
    database = tmp_path / "data" / "crm.sqlite3"
    database.parent.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = embedded_env(REVGRAPH_DATABASE_URL=f"sqlite://{database}")
    # when migrate runs
    first = run_revgraph("migrate", env=env, cwd=elsewhere)
    # then the schema exists at that path and nothing landed in the cwd
    assert first.returncode == 0, first.stderr
    assert "database schema up to date (" in first.stdout and "(0 migration" not in first.stdout
    tables = tables_of(database)
    assert {"workspace", "app_user", "event", "deal"} <= tables
    assert list(elsewhere.iterdir()) == []
    # and running it again changes nothing
    second = run_revgraph("migrate", env=env, cwd=elsewhere)
    assert second.returncode == 0, second.stderr
    assert "(0 migrations applied)" in second.stdout
    assert tables_of(database) == tables


BAD_SETTINGS = [
    (
        {"REVGRAPH_DATABASE_URL": "nonsense://"},
        "REVGRAPH_DATABASE_URL must start with sqlite:// or postgres://",
    ),
    ({"REVGRAPH_ALLOW_SIGNUP": "maybe"}, "REVGRAPH_ALLOW_SIGNUP must be true or false"),
    (
        {"REVGRAPH_DATABASE_URL": "sqlite:///no/such/dir/crm.sqlite3"},
        "the directory '/no/such/dir' does not exist",
    ),
    (
        {"REVGRAPH_DATABASE_URL": "postgres://revgraph:s3cret@127.0.0.1:1/crm"},
        "cannot open the database at REVGRAPH_DATABASE_URL=postgres://revgraph:***@127.0.0.1:1/crm",
    ),
]


def test_a_bad_setting_is_one_line_naming_it_and_exit_code_2(tmp_path):
    for changes, message in BAD_SETTINGS:
        # when migrate runs with the bad setting
        result = run_revgraph("migrate", env=embedded_env(**changes), cwd=tmp_path)
        # then it stops with exit code 2 and one line naming the setting, no traceback
        assert result.returncode == 2, (changes, result.stderr)
        lines = [line for line in result.stderr.splitlines() if line.startswith("revgraph:")]
        assert len(lines) == 1 and message in lines[0], result.stderr
        assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    # and nothing was created where the bad paths pointed
    assert not (tmp_path / "no").exists()


def test_help_lists_only_the_commands_people_use():
    result = run_revgraph("--help", env=embedded_env())
    assert result.returncode == 0
    assert "SUPPRESS" not in result.stdout and "makemigrations" not in result.stdout
    assert "{serve,worker,smtp,migrate,schema}" in result.stdout


async def test_serve_with_no_settings_uses_the_cwd_answers_and_stops_on_sigterm(tmp_path):
    # given no settings at all, in a fresh working directory
    process = ServeProcess("--log-level", "info", env=embedded_env(), cwd=tmp_path).start()
    try:
        # when it starts
        health = await process.wait_ready()
        # then it is healthy, with the SQLite file and its secret in the cwd
        assert health.status_code == 200
        assert health.json()["status"] == "ok"
        assert (tmp_path / "revgraph.sqlite3").exists()
        secret = tmp_path / "revgraph.sqlite3.secret"
        assert secret.exists() and len(secret.read_text().strip()) >= 32
        async with httpx.AsyncClient(timeout=10) as http:
            # and it serves GraphQL and the web app shipped in the package
            answer = await http.post(process.graphql_url, json=TYPENAME)
            assert answer.json()["data"] == {"__typename": "Query"}
            page = await http.get(f"{process.url}/")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    finally:
        code = await process.stop()
    # and SIGTERM stops it after a graceful shutdown (uvicorn re-raises the
    # signal once done, so the exit status is "terminated by SIGTERM")
    assert code in (0, -15), process.output
    assert "Application shutdown complete" in process.output


def test_the_cli_speaks_the_terminals_language_else_pt_br(tmp_path):
    bad = {"REVGRAPH_ALLOW_SIGNUP": "maybe"}
    # a terminal in pt-BR, or in a locale that names no language (C.UTF-8): pt-BR
    for terminal in ({"LC_ALL": None, "LC_MESSAGES": None, "LANG": "pt_BR.UTF-8"}, {"LC_ALL": "C.UTF-8"}):
        result = run_revgraph("migrate", env=embedded_env(**bad, **terminal), cwd=tmp_path)
        assert result.returncode == 2
        assert "revgraph: REVGRAPH_ALLOW_SIGNUP deve ser true ou false, veio 'maybe'" in result.stderr
    # LC_ALL wins over LANG (POSIX order)
    english = embedded_env(**bad, LC_ALL="en_US.UTF-8", LANG="pt_BR.UTF-8")
    result = run_revgraph("migrate", env=english, cwd=tmp_path)
    assert "revgraph: REVGRAPH_ALLOW_SIGNUP must be true or false, got 'maybe'" in result.stderr


def test_worker_without_redis_refuses_with_a_clear_message(tmp_path):
    result = run_revgraph("worker", env=embedded_env(), cwd=tmp_path)
    assert result.returncode != 0
    assert "REVGRAPH_REDIS_URL" in result.stderr


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    # given production mode and no secret key
    env = embedded_env(REVGRAPH_ENV="production", REVGRAPH_DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}")
    # when serve is started, then it refuses before touching anything
    result = run_revgraph("serve", "--port", "1", env=env, cwd=tmp_path)
    assert result.returncode != 0
    assert "REVGRAPH_SECRET_KEY is required" in result.stderr
    assert list(tmp_path.iterdir()) == []


async def test_healthz_is_503_while_the_configured_redis_is_down(
    tmp_path, private_redis: PrivateRedis, migrated_sqlite
):
    # given a server configured with a Redis that answers (on a migrated database)
    env = embedded_env(
        REVGRAPH_DATABASE_URL=f"sqlite://{migrated_sqlite(tmp_path / 'db.sqlite3')}",
        REVGRAPH_REDIS_URL=private_redis.url,
        REVGRAPH_SECRET_KEY="health-test",
    )
    process = ServeProcess(env=env, cwd=tmp_path).start()
    try:
        health = await process.wait_ready()
        assert (health.status_code, health.json()["checks"]) == (200, {"database": "ok", "redis": "ok"})
        async with httpx.AsyncClient(timeout=10) as http:
            # when Redis stops
            private_redis.stop()
            down = await http.get(f"{process.url}/healthz")
            # then the server reports itself unavailable, naming Redis
            assert down.status_code == 503
            assert down.json()["status"] == "unavailable"
            assert down.json()["checks"]["database"] == "ok"
            assert down.json()["checks"]["redis"].startswith("error")
            # and healthy again once Redis is back
            private_redis.start()
            back = await http.get(f"{process.url}/healthz")
            assert back.status_code == 200, back.text
    finally:
        await process.stop()
