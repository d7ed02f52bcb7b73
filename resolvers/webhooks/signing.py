"""Standard Webhooks signing: `whsec_` + base64 of random bytes is the
secret; the signature is base64(HMAC-SHA256(key, "<id>.<timestamp>.<body>"))
with the key the secret's base64 part decoded, sent as "v1,<signature>".
Several signatures are separated by spaces (during a secret's rotation)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """One "v1,<base64>" signature of the message under `secret`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_in_use: list[str], message_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` value: one signature per secret still in use."""
    return " ".join(signature(secret, message_id, timestamp, body) for secret in secrets_in_use)
