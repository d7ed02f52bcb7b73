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

TYPENAME = {"query": "{ __typename }"}


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    with running_private_redis() as server:
        yield server


def embedded_env(**overrides: str | None) -> dict[str, str]:
    """No database, Redis or secret configured (the zero-settings mode),
    then `overrides`."""
    unset: dict[str, str | None] = {
        "REVGRAPH_DATABASE_URL": None,
        "REVGRAPH_REDIS_URL": None,
        "REVGRAPH_SECRET_KEY": None,
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
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = embedded_env(REVGRAPH_DATABASE_URL=f"sqlite://{database}")
    # when migrate runs
    first = run_revgraph("migrate", env=env, cwd=elsewhere)
    # then the schema exists at that path and nothing landed in the cwd
    assert first.returncode == 0, first.stderr
    assert "database schema is up to date" in first.stdout
    tables = tables_of(database)
    assert {"workspace", "app_user", "event", "deal"} <= tables
    assert list(elsewhere.iterdir()) == []
    # and running it again changes nothing
    second = run_revgraph("migrate", env=env, cwd=elsewhere)
    assert second.returncode == 0, second.stderr
    assert tables_of(database) == tables


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


async def test_healthz_is_503_while_the_configured_redis_is_down(tmp_path, private_redis: PrivateRedis):
    # given a server configured with a Redis that answers
    env = embedded_env(
        REVGRAPH_DATABASE_URL=f"sqlite://{tmp_path / 'db.sqlite3'}",
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
