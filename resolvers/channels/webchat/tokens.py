"""Visitor tokens: what a webchat visitor's browser keeps (localStorage) to
be the same visitor when it comes back. `v1.<payload>.<signature>`, the
payload JSON naming the inbox and the visitor's random key, signed with
HMAC-SHA256 under a key derived from REVGRAPH_SECRET_KEY for this purpose
only. Whoever holds a token is that visitor, as whoever holds a session
token is that user; a token of another inbox, or altered in any byte, is
refused."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

VERSION = "v1"
MAX_TOKEN_CHARS = 512
# Derivation label: a visitor token can never be mistaken for another
# signature of the same secret (session tokens, CSAT links).
PURPOSE = b"revgraph/webchat-visitor-token/v1"


@dataclass(frozen=True)
class VisitorToken:
    inbox_id: int
    visitor_key: str
    issued_at: int


def _signing_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), PURPOSE, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_visitor_key() -> str:
    return secrets.token_urlsafe(18)


def sign(secret_key: str, inbox_id: int, visitor_key: str, issued_at: int | None = None) -> str:
    payload = json.dumps(
        {"i": inbox_id, "k": visitor_key, "t": int(time.time()) if issued_at is None else issued_at},
        separators=(",", ":"),
    ).encode()
    body = f"{VERSION}.{_b64(payload)}"
    signature = hmac.new(_signing_key(secret_key), body.encode(), hashlib.sha256).digest()
    return f"{body}.{_b64(signature)}"


def verify(secret_key: str, token: object, inbox_id: int) -> VisitorToken | None:
    """The token's visitor when it is genuine and of this inbox; else None."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
        return None
    version, payload, signature = token.split(".")
    if version != VERSION:
        return None
    expected = hmac.new(_signing_key(secret_key), f"{version}.{payload}".encode(), hashlib.sha256).digest()
    # Compared as text: only the one canonical encoding of the signature
    # passes (base64 decoders ignore the spare bits of the last character).
    if not hmac.compare_digest(signature.encode(), _b64(expected).encode()):
        return None
    try:
        data = json.loads(_unb64(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    key, inbox, issued = data.get("k"), data.get("i"), data.get("t")
    if inbox != inbox_id or not isinstance(key, str) or not 0 < len(key) <= 64 or not isinstance(issued, int):
        return None
    return VisitorToken(inbox_id=inbox, visitor_key=key, issued_at=issued)
