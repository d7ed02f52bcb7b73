"""One-time links: a secret token shown once to whoever issues it, only its
keyed hash stored, claimed at most once before it expires. Password reset
links (passwords.py) and invitations (invitations.py) both use it."""

from __future__ import annotations

import secrets
from datetime import datetime

from tortoise.models import Model

from revgraph.resolvers.identity import secret_digest
from revgraph.resolvers.settings import Settings

MAX_TOKEN_LENGTH = 200


def new_token(settings: Settings, prefix: str) -> tuple[str, str]:
    """A fresh token with its prefix, and the keyed hash to store."""
    token = prefix + secrets.token_urlsafe(32)
    return token, secret_digest(settings, token)


def token_digest(settings: Settings, prefix: str, token: str) -> str | None:
    """The stored form of a token a client sent, or None when it cannot be
    one of ours (wrong prefix, absurd length): nothing to look up."""
    if not token.startswith(prefix) or len(token) > MAX_TOKEN_LENGTH:
        return None
    return secret_digest(settings, token)


async def claim(model: type[Model], pk: int, now: datetime, **open_filters: object) -> bool:
    """Mark the link used with one conditional UPDATE, in the caller's
    transaction: of two concurrent uses, exactly one gets True."""
    claimed = await model.filter(id=pk, used_at=None, expires_at__gt=now, **open_filters).update(used_at=now)
    return bool(claimed)
