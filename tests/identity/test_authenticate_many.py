"""authenticate_many (resolvers/credentials.py): the websockets' presence
checks ask about every token a process holds at once. It must answer each
token exactly as `authenticate` does, in a number of statements that does
not grow with the tokens."""

from datetime import UTC, datetime, timedelta

from revgraph.models.identity import ApiKey, Session, User
from revgraph.resolvers import credentials
from revgraph.resolvers.credentials import authenticate, authenticate_many
from revgraph.resolvers.identity import secret_digest
from revgraph.resolvers.ids import pk_of

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id } secret userErrors { code } }
}
"""
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


async def _api_key(gql, workspace, role: str) -> str:
    issued = await gql.ok(
        CREATE_API_KEY, {"input": {"name": f"Chave {role}", "role": role}}, token=workspace.token
    )
    assert issued["createApiKey"]["userErrors"] == []
    return issued["createApiKey"]["secret"]


async def test_each_token_is_answered_as_authenticate_answers_it(gql, server, workspace):
    # given tokens of every kind: live sessions of three users, a revoked
    # session, an expired one, an inactive user's, an API key acting as an
    # agent, a revoked key, an unknown token, an empty one and an oversized one
    agent, manager, gone, revoked, expired = [
        await workspace.user(role) for role in ("AGENT", "MANAGER", "AGENT", "AGENT", "AGENT")
    ]
    await User.filter(id=pk_of(gone["id"], "User")).update(active=False)
    await Session.filter(token_hash=secret_digest(server.settings, revoked["token"])).update(
        revoked_at=datetime.now(UTC)
    )
    await Session.filter(token_hash=secret_digest(server.settings, expired["token"])).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    key = await _api_key(gql, workspace, "AGENT")
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
        dropped_key,
        "rg_unknown-token",
        "",
        "x" * 201,
    ]
    # when they are checked together
    found = await authenticate_many(server.settings, tokens)
    # then each answer is authenticate's, one by one
    assert list(found) == tokens
    for token in tokens:
        assert found[token] == await authenticate(server.settings, token), token
    live = {token: actor.role for token, actor in found.items() if actor is not None}
    assert live == {
        workspace.token: "ADMIN",
        agent["token"]: "AGENT",
        manager["token"]: "MANAGER",
        key: "AGENT",
    }


async def test_a_thousand_tokens_cost_the_statements_of_a_few(gql, server, workspace, count_sql, monkeypatch):
    # given sessions of four users and an API key, every one's presence stale,
    # and chunks of two digests per statement
    monkeypatch.setattr(credentials, "MANY_CHUNK", 2)
    people = [await workspace.user("AGENT") for _ in range(3)]
    key = await _api_key(gql, workspace, "MANAGER")
    await User.filter(id__in=[pk_of(p["id"], "User") for p in people]).update(last_seen_at=LONG_AGO)
    await User.filter(id=pk_of(workspace.admin["id"], "User")).update(last_seen_at=LONG_AGO)
    await ApiKey.filter(secret_hash=secret_digest(server.settings, key)).update(last_used_at=LONG_AGO)
    tokens = [workspace.token, *(p["token"] for p in people), key]
    # when they are checked together
    with count_sql() as counter:
        found = await authenticate_many(server.settings, tokens)
    # then sessions read two digests a statement (4 → 2 statements), the key
    # in one, and each kind's presence is refreshed in one write
    assert all(found[token] is not None for token in tokens)
    reads = [sql for sql in counter.statements if sql.lstrip().upper().startswith("SELECT")]
    writes = [sql for sql in counter.statements if sql.lstrip().upper().startswith("UPDATE")]
    assert len(reads) == 3, counter.statements
    assert len(writes) == 2, counter.statements
    seen = await User.filter(id__in=[pk_of(p["id"], "User") for p in people]).values_list(
        "last_seen_at", flat=True
    )
    assert all(moment > LONG_AGO for moment in seen)
    used = await ApiKey.get(secret_hash=secret_digest(server.settings, key))
    assert used.last_used_at > LONG_AGO
    # and checked again at once, nobody's presence is written twice
    with count_sql() as counter:
        await authenticate_many(server.settings, tokens)
    assert [sql for sql in counter.statements if sql.lstrip().upper().startswith("UPDATE")] == []
