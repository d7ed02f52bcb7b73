"""Opaque global ids: base64url("Type:pk"). Decoding never raises; an id of
the wrong type or shape simply names nothing, like a missing record."""

from __future__ import annotations

import base64
import binascii
import functools

# Primary keys are 32-bit on PostgreSQL; a larger number names nothing.
MAX_PK = 2**31 - 1


@functools.lru_cache(maxsize=65536)
def encode_id(type_name: str, pk: int) -> str:
    # Cached: a board or list encodes the same few hundred ids on every
    # read (bounded: ~6 MB at most).
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_id(value: str | None) -> tuple[str, int] | None:
    if not value or not isinstance(value, str) or len(value) > 100:
        return None
    try:
        padded = value + "=" * (-len(value) % 4)
        raw = base64.urlsafe_b64decode(padded.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    if not sep or not pk.isdigit() or len(pk) > 10 or int(pk) > MAX_PK:
        return None
    return type_name, int(pk)


def pk_of(value: str | None, type_name: str) -> int | None:
    """The primary key behind an id if it names a `type_name`, else None."""
    decoded = decode_id(value)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
