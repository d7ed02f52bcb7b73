"""Opaque global ids: base64url("Type:pk"). Decoding never raises; an id of
the wrong type or shape simply names nothing, like a missing record."""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Callable
from typing import Any

# Primary keys are 32-bit on PostgreSQL; a larger number names nothing.
MAX_PK = 2**31 - 1


@functools.lru_cache(maxsize=65536)
def encode_id(type_name: str, pk: int) -> str:
    # Cached: a board or list encodes the same few hundred ids on every
    # read (bounded: ~6 MB at most).
    raw = f"{type_name}:{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# base64.urlsafe_b64encode's alphabet from the standard one's.
_URL_SAFE = bytes.maketrans(b"+/", b"-_")
# How many ids one type's encoder keeps (a board or a list encodes the
# same few hundred on every read); past it, it starts over.
_KEPT_PER_TYPE = 65536


def id_encoder(type_name: str) -> Callable[[Any], str]:
    """`encode_id(type_name, pk)` for one type, as the hot read paths call
    it once per row (schema/lean_rows.py): the prefix encoded to bytes once,
    each pk's id kept in a plain dict (one lookup, no key tuple and no LRU
    bookkeeping), base64 done on one small bytes object when new.
    Byte-identical to `encode_id` (tests/graph/test_row_ids.py)."""
    prefix = f"{type_name}:".encode()
    kept: dict[Any, str] = {}
    b2a = binascii.b2a_base64

    def encode(pk: Any) -> str:
        if type(pk) is not int:  # a bool (True == 1), a str, an int subclass: the general path
            return encode_id(type_name, pk)
        found = kept.get(pk)
        if found is None:
            if len(kept) >= _KEPT_PER_TYPE:
                kept.clear()
            raw = prefix + str(pk).encode()
            found = kept[pk] = b2a(raw, newline=False).translate(_URL_SAFE).rstrip(b"=").decode()
        return found

    encode.kept = kept  # type: ignore[attr-defined]  # for row_id's one-lookup path
    return encode


def row_id(type_name: str) -> Callable[[Any], str]:
    """A row-made type's `id` maker (schema/lean_execution.py
    `fields_from_row`): `strawberry.ID(encode_id(type_name, row.id))`
    (strawberry.ID is the identity at run time, a Python call each), in one
    call and one dict lookup a row once the id was made."""
    encode = id_encoder(type_name)
    kept_get = encode.kept.get  # type: ignore[attr-defined]

    def of(row: Any) -> str:
        pk = row.id
        found = kept_get(pk)
        return encode(pk) if found is None or type(pk) is not int else found

    return of


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
