"""Checking a bearer token (a session's or an API key's): who acts, and the
workspace's log position (resolvers/log_position.py), in one statement.

Every authenticated request runs it, so it is the hottest statement of the
server and the whole cost of a repeated poll (web/poll_path.py): its SQL is
written once per dialect and its row read as a tuple, not built by the ORM
and turned into models each time (that tripled its CPU). The expiry is
checked here rather than in SQL, from the row it reads anyway.

On PostgreSQL it runs on the raw driver (`_raw_pool`): asyncpg's pool runs
the statement prepared once per connection (its statement cache), without
Tortoise's query wrapper around it — the exception translation, the
connection wrapper's three coroutines and the upper-casing of the SQL to
see whether it writes were ~6 % of a `{ __typename }` request's samples
(py-spy; bench/READS.md, i15-contacts). Same statement, same row, same
answer."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.backends.asyncpg.client import AsyncpgDBClient

from revgraph.models.identity import ApiKey, Session, User, Workspace
from revgraph.resolvers.context import ROLE_RANK, Actor
from revgraph.resolvers.identity import API_KEY_PREFIX, secret_digest
from revgraph.resolvers.log_position import position_columns
from revgraph.resolvers.settings import Settings

# last_seen_at (and an API key's last_used_at) is refreshed at most this
# often, so presence costs no write per request.
PRESENCE_TOUCH_SECONDS = 60

_USER = User._meta.db_table
# The language the caller reads (their own, else the workspace's) and the
# workspace's, which events are stored in (resolvers/i18n.py).
_LOCALES = f'u."locale", (SELECT w."default_locale" FROM "{Workspace._meta.db_table}" w WHERE w."id" = u."workspace_id")'


def _session_sql(match: str, extra: str = "") -> str:
    return (
        f'SELECT s."id", s."expires_at", u."id", u."workspace_id", u."role", u."active", u."last_seen_at", {_LOCALES}, '
        f'{position_columns("u.workspace_id")}{extra} FROM "{Session._meta.db_table}" s '
        f'JOIN "{_USER}" u ON u."id" = s."user_id" WHERE s."token_hash" {match} AND s."revoked_at" IS NULL'
    )


def _api_key_sql(match: str, extra: str = "") -> str:
    return (
        f'SELECT k."id", k."workspace_id", k."user_id", k."role", k."scope", k."expires_at", '
        f'k."last_used_at", u."role", u."active", {_LOCALES}, {position_columns("k.workspace_id")}{extra} '
        f'FROM "{ApiKey._meta.db_table}" k '
        f'JOIN "{_USER}" u ON u."id" = k."user_id" WHERE k."secret_hash" {match} AND k."revoked_at" IS NULL'
    )


# One token: `{0}` is the placeholder of its digest.
SESSION_SQL = _session_sql("= {0}")
API_KEY_SQL = _api_key_sql("= {0}")
# Many tokens (`authenticate_many`): `{0}` is the digests' placeholders; each
# row ends with the digest it matched.
SESSION_MANY_SQL = _session_sql("IN ({0})", ', s."token_hash"')
API_KEY_MANY_SQL = _api_key_sql("IN ({0})", ', k."secret_hash"')
# Digests per statement of `authenticate_many` (SQLite's default limit on
# a statement's parameters is far above it).
MANY_CHUNK = 500


@dataclass(frozen=True)
class Credential:
    """A checked bearer token: who acts, and the workspace's log position
    read in the same statement."""

    actor: Actor
    log_position: int | None
    # Each topic's position, in log_position.TOPICS order (None: no counter yet).
    topic_positions: tuple[int | None, ...] | None = None


async def authenticate(settings: Settings, token: str) -> Actor | None:
    """The actor behind a bearer token, or None when it is unknown, expired
    or revoked. Also keeps the user's presence fresh."""
    credential = await check_credential(settings, token)
    return credential.actor if credential else None


async def check_credential(settings: Settings, token: str) -> Credential | None:
    """authenticate, with the log position: one statement (plus the
    presence write at most once a minute)."""
    if not _plausible(token):
        return None
    digest = secret_digest(settings, token)
    now = datetime.now(UTC)
    if token.startswith(API_KEY_PREFIX):
        row = await _one(API_KEY_SQL, digest)
        credential, stale = _api_key_credential(row, now) if row is not None else (None, None)
        if stale is not None:
            await ApiKey.filter(id=stale).update(last_used_at=now)
        return credential
    row = await _one(SESSION_SQL, digest)
    credential, stale = _session_credential(row, now) if row is not None else (None, None)
    if stale is not None:
        await User.filter(id=stale).update(last_seen_at=now)
    return credential


async def authenticate_many(settings: Settings, tokens: Collection[str]) -> dict[str, Actor | None]:
    """`authenticate` for many tokens at once (the websockets' presence
    checks, web/graphql_view.py): one statement per kind of token and
    MANY_CHUNK tokens, and one presence write per kind, however many
    tokens. Every token given is in the answer; None as for `authenticate`."""
    found: dict[str, Actor | None] = dict.fromkeys(tokens)
    now = datetime.now(UTC)
    for is_key, sql, credential_of, model, seen in (
        (False, SESSION_MANY_SQL, _session_credential, User, "last_seen_at"),
        (True, API_KEY_MANY_SQL, _api_key_credential, ApiKey, "last_used_at"),
    ):
        token_of = {
            secret_digest(settings, token): token
            for token in found
            if _plausible(token) and token.startswith(API_KEY_PREFIX) == is_key
        }
        digests = list(token_of)
        stale: set[Any] = set()
        for first in range(0, len(digests), MANY_CHUNK):
            for row in await _many(sql, digests[first : first + MANY_CHUNK]):
                credential, stale_id = credential_of(row[:-1], now)
                found[token_of[row[-1]]] = credential.actor if credential else None
                if stale_id is not None:
                    stale.add(stale_id)
        if stale:
            await model.filter(id__in=stale).update(**{seen: now})
    return found


def _plausible(token: str | None) -> bool:
    return bool(token) and len(token) <= 200  # type: ignore[arg-type]


def _session_credential(row: Sequence[Any], now: datetime) -> tuple[Credential | None, Any]:
    """A session's row (SESSION_SQL) as a credential (None: expired, or its
    user inactive), and its user's id when their presence is stale."""
    (
        session_id,
        expires_at,
        user_id,
        workspace_id,
        role,
        active,
        last_seen_at,
        locale,
        workspace_locale,
        position,
        *topics,
    ) = row
    if _moment(expires_at) <= now or not active:
        return None, None
    actor = Actor(
        workspace_id,
        user_id,
        role,
        session_id=session_id,
        locale=locale or workspace_locale,
        workspace_locale=workspace_locale,
    )
    return Credential(actor, position, tuple(topics)), user_id if _stale(last_seen_at, now) else None


def _api_key_credential(row: Sequence[Any], now: datetime) -> tuple[Credential | None, Any]:
    """An API key's row (API_KEY_SQL) as a credential (None: expired, or its
    user inactive), and its id when its last use is stale. It acts with
    the lesser of its own role and its user's."""
    (
        key_id,
        workspace_id,
        user_id,
        key_role,
        scope,
        expires_at,
        last_used_at,
        user_role,
        active,
        locale,
        workspace_locale,
        position,
        *topics,
    ) = row
    if (expires_at is not None and _moment(expires_at) <= now) or not active:
        return None, None
    role = min(key_role, user_role, key=ROLE_RANK.__getitem__)
    actor = Actor(
        workspace_id,
        user_id,
        role,
        api_key_id=key_id,
        scope=scope,
        locale=locale or workspace_locale,
        workspace_locale=workspace_locale,
    )
    return Credential(actor, position, tuple(topics)), key_id if _stale(last_used_at, now) else None


async def _one(sql: str, digest: str) -> tuple[Any, ...] | None:
    rows = await _many(sql, [digest])
    return tuple(rows[0]) if rows else None


async def _many(sql: str, digests: list[str]) -> list[Any]:
    """The rows of `sql` for `digests` (its `{0}` filled with their placeholders)."""
    if not digests:
        return []
    connection = connections.get("default")
    if connection.capabilities.dialect == "sqlite":
        placeholders = ", ".join("?" * len(digests))
    elif len(digests) == 1 and (pool := _raw_pool(connection)) is not None:
        return await pool.fetch(_ONE_ON_POSTGRES.get(sql) or sql.format("$1"), digests[0])
    else:
        placeholders = ", ".join(f"${n}" for n in range(1, len(digests) + 1))
    _, rows = await connection.execute_query(sql.format(placeholders), digests)
    return rows


# A lone token's statements as PostgreSQL runs them (the pool's statement
# cache knows each by its text).
_ONE_ON_POSTGRES = {sql: sql.format("$1") for sql in (SESSION_SQL, API_KEY_SQL)}


def _raw_pool(connection: Any) -> Any:
    """asyncpg's pool behind Tortoise's client, when a lone credential's
    statement may run on it directly: outside a transaction (whose own
    connection Tortoise hands out here, and which must see its own writes)
    and on a connection nobody has wrapped (the statement counters of the
    tests and benches replace `execute_query` on the instance: they count
    what runs through it; put back, it is the class's own again)."""
    if type(connection) is not AsyncpgDBClient:
        return None
    own = vars(connection).get("execute_query")
    if own is not None and getattr(own, "__func__", None) is not AsyncpgDBClient.execute_query:
        return None
    return connection._pool


def _moment(value: datetime | str) -> datetime:
    """A timestamp column as read raw: aware from PostgreSQL, ISO text
    from SQLite (as Tortoise wrote it, always with its offset)."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _stale(seen: datetime | str | None, now: datetime) -> bool:
    return seen is None or (now - _moment(seen)).total_seconds() > PRESENCE_TOUCH_SECONDS
