"""Relay cursor pagination by keyset (never OFFSET): a page costs the same at
row 10 as at row 100,000, and inserting rows never shifts a cursor."""

from __future__ import annotations

import base64
import binascii
import functools
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import orjson
from tortoise.expressions import Q, RawSQL, Subquery
from tortoise.queryset import QuerySet

from revgraph.resolvers.errors import LimitExceeded
from revgraph.resolvers.i18n import _
from revgraph.resolvers.read_rows import Join, read_rows

if TYPE_CHECKING:
    from revgraph.resolvers.context import Context


class InvalidCursor(Exception):
    """A cursor that this server did not produce for this list."""


@dataclass(frozen=True)
class SortKey:
    """One column of a keyset ordering. `kind` says how a cursor value
    decodes: str, int, datetime or decimal. Columns must be NOT NULL; the
    last key must be unique (the primary key)."""

    column: str
    descending: bool = False
    kind: str = "str"


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "str": str,
    "int": int,
    "datetime": datetime.fromisoformat,
    "decimal": Decimal,
}


def order_keys(
    order_by: Sequence[Mapping[str, Any]] | None,
    columns: Mapping[str, tuple[str, str]],
    default: Sequence[Mapping[str, Any]],
    nullable: frozenset[str] = frozenset(),
) -> tuple[list[SortKey], Q]:
    """The keyset of an `orderBy` (each field's column once, then the id, so
    the order is total) and the condition that leaves out the rows whose
    key is empty for an ordering by a `nullable` field: keyset keys must be
    NOT NULL, so a list ordered by such a field shows only rows that have it."""
    keys: list[SortKey] = []
    present = Q()
    for order in order_by or default:
        column, kind = columns[order["field"]]
        if all(key.column != column for key in keys):
            keys.append(SortKey(column, descending=order["direction"] == "DESC", kind=kind))
        if order["field"] in nullable:
            present &= Q(**{f"{column}__isnull": False})
    keys.append(SortKey("id", descending=keys[-1].descending if keys else True, kind="int"))
    return keys, present


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _written_as_is(values: Sequence[Any]) -> bool:
    """Every value one orjson writes as a cursor holds it: ints, strs, UTC
    or naive datetimes; anything else goes through `_encode_value`."""
    for value in values:
        kind = type(value)
        if (
            kind is not int
            and kind is not str
            and (kind is not datetime or value.tzinfo not in _AS_ISOFORMAT)
        ):
            return False
    return True


def encode_cursor(row: Any, keys: Sequence[SortKey]) -> str:
    values = [getattr(row, key.column) for key in keys]
    # orjson writes what json.dumps(separators=(",", ":")) does for ASCII
    # (a page encodes one cursor per row: a board, 400); json.dumps escapes
    # the rest, and cursors already handed out stay what they were. A UTC
    # (or naive) datetime orjson writes as its isoformat(), in a fraction of
    # the time; anything else goes through `_encode_value` as before.
    if not _written_as_is(values):
        values = [_encode_value(value) for value in values]
    raw = orjson.dumps(values)
    if not raw.isascii():
        raw = json.dumps([_encode_value(value) for value in values], separators=(",", ":")).encode()
    # base64.urlsafe_b64encode without its wrappers, unpadded.
    return binascii.b2a_base64(raw, newline=False).translate(_URL_SAFE).rstrip(b"=").decode()


# The time zones whose datetimes orjson writes exactly as isoformat() does
# (an offset with seconds it would round to the minute).
_AS_ISOFORMAT = (UTC, None)
_URL_SAFE = bytes.maketrans(b"+/", b"-_")


@functools.cache
def cursor_encoder(keys: tuple[SortKey, ...]) -> Callable[[Any], str]:
    """`encode_cursor(row, keys)` for one keyset, as a page calls it once
    per row: the keys' columns read by one attrgetter (a tuple, which
    orjson writes as the same array), the common values (ints, strs, UTC
    or naive datetimes) written by orjson with no list made, anything else
    by `encode_cursor` itself. Byte-identical (tests/graph/test_row_ids.py)."""
    read = operator.attrgetter(*(key.column for key in keys))
    single = len(keys) == 1
    dumps, b2a = orjson.dumps, binascii.b2a_base64

    def encode(row: Any) -> str:
        values = read(row)
        if single:
            values = (values,)
        if not _written_as_is(values):
            return encode_cursor(row, keys)
        raw = dumps(values)
        if not raw.isascii():
            return encode_cursor(row, keys)
        return b2a(raw, newline=False).translate(_URL_SAFE).rstrip(b"=").decode()

    return encode


class Cursors(Sequence[str]):
    """The cursors of a page's rows, each encoded when first read (and
    kept): a board of 400 cards whose query selects no cursor encodes
    none, and a list page that does encodes each once, as before."""

    __slots__ = ("_encode", "_keys", "_made", "_rows")

    def __init__(self, rows: Sequence[Any], keys: Sequence[SortKey]) -> None:
        self._rows = rows
        self._keys = keys
        self._encode = cursor_encoder(tuple(keys))
        self._made: list[str | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    def every(self) -> list[str]:
        """Every cursor of the page, in one call rather than one a row (a page
        that shows them, schema/lean_rows.py); each encoded once, as above."""
        made, encode = self._made, self._encode
        for at, row in enumerate(self._rows):
            if made[at] is None:
                made[at] = encode(row)
        return made  # type: ignore[return-value]  # none is None now

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._rows)))]
        made = self._made[index]
        if made is None:
            made = self._made[index] = self._encode(self._rows[index])
        return made

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Cursors | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as a list: compared by value, never hashed

    def __repr__(self) -> str:
        return f"Cursors({list(self)!r})"


def decode_cursor(cursor: str, keys: Sequence[SortKey]) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != len(keys):
            raise InvalidCursor(cursor)
        return [_DECODERS[key.kind](value) for key, value in zip(keys, values, strict=True)]
    except (binascii.Error, ValueError, TypeError, InvalidOperation, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc


def _after_q(keys: Sequence[SortKey], values: list[Any], *, forward: bool) -> Q:
    """Rows strictly after (forward) or before (not forward) the cursor."""
    alternatives: list[Q] = []
    for index, key in enumerate(keys):
        equal = {keys[i].column: values[i] for i in range(index)}
        # Ascending column travelled forward (or descending travelled back): ">".
        op = "gt" if key.descending != forward else "lt"
        alternatives.append(Q(**equal, **{f"{key.column}__{op}": values[index]}))
    result = alternatives[0]
    for alt in alternatives[1:]:
        result |= alt
    return result


@dataclass
class Page:
    items: list[Any]
    cursors: Sequence[str]  # a list, or Cursors (encoded when read)
    has_next_page: bool
    has_previous_page: bool
    count_query: QuerySet | None = None
    _total: int | None = field(default=None, repr=False)

    async def total_count(self) -> int:
        if self._total is None:
            self._total = await self.count_query.count() if self.count_query is not None else len(self.items)
        return self._total


# The folded count's column name: no model has a field called so.
TOTAL_COLUMN = "rg_total_rows"
# COUNT(*), not COUNT("id"): the same number (the id is never null), but
# PostgreSQL counts it from an index holding the filter's columns alone
# (contact's workspace_id, deleted_at: an index-only scan of ~10 pages),
# where COUNT("id") must read every row's id from the table (~270 pages
# for 10,000 contacts): 0.5-0.65 against 1.9-2.5 ms of database CPU per
# count, measured alternated on bench/seed.py's rows. What PostGraphile
# and the physical floor send, and what Tortoise's own .count() sends.
_COUNT_ROWS = RawSQL("COUNT(*)")


def check_page_size(first: int | None, last: int | None, *, maximum: int) -> None:
    for name, value in (("first", first), ("last", last)):
        if value is not None and value > maximum:
            raise LimitExceeded(
                _(
                    "`{name}` may be at most {maximum}; ask for the next page with `after`.",
                    name=name,
                    maximum=maximum,
                )
            )
        if value is not None and value < 0:
            raise LimitExceeded(_("`{name}` must not be negative.", name=name))


async def paginate(
    query: QuerySet,
    keys: Sequence[SortKey],
    *,
    first: int | None = None,
    after: str | None = None,
    last: int | None = None,
    before: str | None = None,
    default_size: int = 50,
    max_size: int = 100,
    with_total: bool = False,
    as_rows: bool = False,
    joins: Sequence[Join] = (),
) -> Page:
    """One page by keyset. With `with_total` (the caller selected
    totalCount), a page without a cursor also counts every matching row in
    the same statement (an uncorrelated scalar subquery, evaluated once), so
    the count costs no second round trip; past a cursor, totalCount runs its
    own count when asked. (A COUNT(*) OVER () window would make SQLite
    materialise and sort every matching row before the LIMIT.) With
    `as_rows`, the items are plain rows (resolvers/read_rows.py), for lists
    that only show them; `joins` (with `as_rows`), the records they point
    to and show, read in the page's own statement (read_rows.py `Join`,
    `joins_for`): a list of contacts with owner and company is the page,
    its tags and nothing else, as the physical floor reads it."""
    if joins and not as_rows:
        raise ValueError("paginate: joins need as_rows")
    check_page_size(first, last, maximum=max_size)
    count_query = query
    backward = last is not None and first is None
    fold_total = with_total and not after and not before
    if fold_total:
        total_of = Subquery(count_query.annotate(**{TOTAL_COLUMN: _COUNT_ROWS}).values(TOTAL_COLUMN))
        query = query.annotate(**{TOTAL_COLUMN: total_of})
    size = (last if backward else first) if (first is not None or last is not None) else default_size
    if after:
        query = query.filter(_after_q(keys, decode_cursor(after, keys), forward=True))
    if before:
        query = query.filter(_after_q(keys, decode_cursor(before, keys), forward=False))
    order = [("-" if key.descending != backward else "") + key.column for key in keys]
    page_query = query.order_by(*order).limit(size + 1)
    rows: list[Any] = []
    if size and as_rows:
        rows = await read_rows(
            page_query,
            extra=(TOTAL_COLUMN,) if fold_total else (),
            joins=joins,
            order=[(key.column, key.descending != backward) for key in keys] if joins else (),
        )
    elif size:
        rows = list(await page_query)
    total = None
    if fold_total and size:
        total = getattr(rows[0], TOTAL_COLUMN) if rows else 0
    more = len(rows) > size
    rows = rows[:size]
    if backward:
        rows.reverse()
    return Page(
        items=rows,
        cursors=Cursors(rows, keys),
        has_next_page=more if not backward else bool(before),
        has_previous_page=more if backward else bool(after),
        count_query=count_query,
        _total=total,
    )


async def paginate_for(ctx: Context, query: QuerySet, keys: Sequence[SortKey], **window: Any) -> Page:
    """`paginate` with the server's page sizes (default and maximum)."""
    limits = ctx.settings.limits
    return await paginate(
        query, keys, default_size=limits.default_page_size, max_size=limits.max_page_size, **window
    )


def page_of(items: list[Any], cursors: list[str], *, has_next: bool, has_previous: bool, total: int) -> Page:
    """A page already computed elsewhere (e.g. grouped per parent by a loader)."""
    return Page(items, cursors, has_next, has_previous, None, total)
