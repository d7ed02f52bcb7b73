"""REVGRAPH_DATABASE_POOL_SIZE: the most connections a process's request
pool opens on PostgreSQL (Tortoise's own default, 5, queued 20 concurrent
writers and the dashboards' polls behind each other while the server and
the database idled: bench/REPORTS.md)."""

from __future__ import annotations

import pytest
from tortoise import connections

from revgraph.resolvers.database import tortoise_config
from revgraph.resolvers.settings import Settings, SettingsError
from tests.conftest import REAL_DB

PG = "postgres://postgres@127.0.0.1:5432/revgraph"


def _credentials(url: str, **env: str) -> dict:
    settings = Settings.from_env({"REVGRAPH_DATABASE_URL": url, "REVGRAPH_SECRET_KEY": "x" * 32, **env})
    return tortoise_config(settings)["connections"]["default"]["credentials"]


def test_the_pool_opens_up_to_twenty_connections_unless_told_otherwise():
    assert _credentials(PG)["maxsize"] == 20
    assert _credentials(PG, REVGRAPH_DATABASE_POOL_SIZE="64")["maxsize"] == 64
    # A maxsize the URL names wins (Tortoise's own URL parameter).
    assert int(_credentials(PG + "?maxsize=7", REVGRAPH_DATABASE_POOL_SIZE="64")["maxsize"]) == 7


@pytest.mark.parametrize("raw", ["0", "-3", "vinte", "2.5"])
def test_a_pool_size_that_is_not_a_positive_integer_is_refused_by_name(raw):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(
            {"REVGRAPH_DATABASE_URL": PG, "REVGRAPH_SECRET_KEY": "x" * 32, "REVGRAPH_DATABASE_POOL_SIZE": raw}
        )
    assert "REVGRAPH_DATABASE_POOL_SIZE" in str(refused.value) and repr(raw) in str(refused.value)


@pytest.mark.skipif(not REAL_DB, reason="PostgreSQL's pool (SQLite has one connection)")
async def test_the_servers_request_pool_is_built_with_the_setting(gql):
    await gql("{ __typename }")
    client = connections.get("default")
    await client.execute_query("SELECT 1")
    assert client._pool.get_max_size() == Settings.from_env().database_pool_size == 20
