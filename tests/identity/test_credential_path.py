"""The lone credential check on the raw driver (resolvers/credentials.py
`_raw_pool`): on PostgreSQL a bearer token's statement runs on asyncpg's
pool without Tortoise's query wrapper. Every state of a session or an API
key must be answered exactly as through Tortoise, the presence kept fresh
the same way, and inside a transaction the check must still read through
the transaction's own connection (it sees the transaction's writes)."""

from datetime import UTC, datetime, timedelta

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from revgraph.models.identity import ApiKey, Session, User
from revgraph.resolvers import credentials
from revgraph.resolvers.credentials import check_credential
from revgraph.resolvers.identity import secret_digest
from revgraph.resolvers.ids import pk_of

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } secret userErrors { code } }
}
"""
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def _api_key(gql, workspace, role: str, **extra) -> str:
    issued = await gql.ok(
        CREATE_API_KEY, {"input": {"name": f"Chave {role}", "role": role, **extra}}, token=workspace.token
    )
    assert issued["createApiKey"]["userErrors"] == []
    return issued["createApiKey"]["secret"]


class RolledBack(Exception):
    pass


def _on_postgres() -> bool:
    return connections.get("default").capabilities.dialect == "postgres"


def _raw_path_taken(monkeypatch) -> list[bool]:
    """Records, per lone check, whether it ran on the raw pool."""
    taken: list[bool] = []
    original = credentials._raw_pool

    def recorded(connection):
        pool = original(connection)
        taken.append(pool is not None)
        return pool

    monkeypatch.setattr(credentials, "_raw_pool", recorded)
    return taken


async def test_every_credential_state_is_answered_as_through_tortoise(gql, server, workspace, monkeypatch):
    # given tokens in every state: live sessions of an agent and a manager, a
    # revoked session, an expired one, an inactive user's, API keys acting as
    # an agent, as an admin under an agent, read-only scoped, expired and
    # revoked, an unknown token, an empty one and an oversized one
    agent, manager, gone, revoked, expired, lowly = [
        await workspace.user(role) for role in ("AGENT", "MANAGER", "AGENT", "AGENT", "AGENT", "AGENT")
    ]
    await User.filter(id=pk_of(gone["id"], "User")).update(active=False)
    await Session.filter(token_hash=secret_digest(server.settings, revoked["token"])).update(
        revoked_at=datetime.now(UTC)
    )
    await Session.filter(token_hash=secret_digest(server.settings, expired["token"])).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    key = await _api_key(gql, workspace, "AGENT")
    read_only = await _api_key(gql, workspace, "MANAGER", scope="READ_ONLY")
    above_its_user = await _api_key(gql, workspace, "ADMIN")
    await ApiKey.filter(secret_hash=secret_digest(server.settings, above_its_user)).update(
        user_id=pk_of(lowly["id"], "User")
    )
    stale_key = await _api_key(gql, workspace, "AGENT")
    await ApiKey.filter(secret_hash=secret_digest(server.settings, stale_key)).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    dropped_key = await _api_key(gql, workspace, "ADMIN")
    await ApiKey.filter(secret_hash=secret_digest(server.settings, dropped_key)).update(
        revoked_at=datetime.now(UTC)
    )
    tokens = [
        workspace.token,
        agent["token"],
        manager["token"],
        gone["token"],
        revoked["token"],
        expired["token"],
        key,
        read_only,
        above_its_user,
        stale_key,
        dropped_key,
        "rg_unknown-token",
        "",
        "x" * 201,
    ]
    taken = _raw_path_taken(monkeypatch)
    # when each is checked on the path a request takes, then through Tortoise
    answers = [await check_credential(server.settings, token) for token in tokens]
    raw_taken = list(taken)
    monkeypatch.setattr(credentials, "_raw_pool", lambda connection: None)
    through_tortoise = [await check_credential(server.settings, token) for token in tokens]
    # then every answer is the same: who acts, with which role, scope and
    # languages, and the log positions read with it
    for token, answer, expected in zip(tokens, answers, through_tortoise, strict=True):
        assert answer == expected, token[:12]
    live = {
        token: answer.actor.role for token, answer in zip(tokens, answers, strict=True) if answer is not None
    }
    assert live == {
        workspace.token: "ADMIN",
        agent["token"]: "AGENT",
        manager["token"]: "MANAGER",
        key: "AGENT",
        read_only: "MANAGER",
        above_its_user: "AGENT",
    }
    assert next(a for t, a in zip(tokens, answers, strict=True) if t == read_only).actor.scope == "READ_ONLY"
    # and on PostgreSQL every plausible token ran on the raw pool (SQLite
    # keeps Tortoise's connection, whose lock serialises its one connection)
    plausible = len([token for token in tokens if 0 < len(token) <= 200])
    assert raw_taken == ([True] * plausible if _on_postgres() else [])


async def test_the_raw_path_keeps_presence_fresh(gql, server, workspace, monkeypatch):
    # given a user and an API key whose presence is stale
    key = await _api_key(gql, workspace, "AGENT")
    await User.filter(id=pk_of(workspace.admin["id"], "User")).update(last_seen_at=LONG_AGO)
    await ApiKey.filter(secret_hash=secret_digest(server.settings, key)).update(last_used_at=LONG_AGO)
    taken = _raw_path_taken(monkeypatch)
    # when each checks in
    assert await check_credential(server.settings, workspace.token) is not None
    assert await check_credential(server.settings, key) is not None
    # then both are seen now, as before
    assert taken == ([True, True] if _on_postgres() else [])
    user = await User.get(id=pk_of(workspace.admin["id"], "User"))
    assert user.last_seen_at > LONG_AGO
    used = await ApiKey.get(secret_hash=secret_digest(server.settings, key))
    assert used.last_used_at > LONG_AGO


async def test_inside_a_transaction_the_check_sees_its_writes(server, workspace, monkeypatch):
    # given a transaction that has revoked the caller's session, uncommitted
    taken = _raw_path_taken(monkeypatch)
    digest = secret_digest(server.settings, workspace.token)
    with pytest.raises(RolledBack):
        async with in_transaction():
            await Session.filter(token_hash=digest).update(revoked_at=datetime.now(UTC))
            # when the token is checked inside it
            inside = await check_credential(server.settings, workspace.token)
            # then the check read the transaction's connection: revoked
            assert inside is None
            assert taken == ([False] if _on_postgres() else [])
            raise RolledBack
    # and with the revocation rolled back, the token works again
    monkeypatch.undo()
    assert await check_credential(server.settings, workspace.token) is not None


async def test_a_counted_connection_still_counts_the_check(server, workspace, count_sql):
    # given the tests' statement counter on the connection
    with count_sql() as counter:
        # when a token is checked
        assert await check_credential(server.settings, workspace.token) is not None
    # then its statement is counted (it ran through the wrapped connection)
    assert len([sql for sql in counter.statements if "token_hash" in sql]) == 1
    # and once the counter is gone, the raw path is back on PostgreSQL
    assert (credentials._raw_pool(connections.get("default")) is not None) == _on_postgres()
