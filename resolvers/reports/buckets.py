"""A report's buckets (reports.graphql `Bucket`): a key (an id or a
value; "" for none), a label for people ("—" for none), a count and,
for money reports, a value. Buckets that are not calendar periods are
ranked by count, largest first, then by label."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.models import Model

# The key and label of "no value" (no source, no owner, no loss reason...).
NONE_KEY = ""
NONE_LABEL = "—"


@dataclass(frozen=True)
class Bucket:
    key: str
    label: str
    count: int
    value: Decimal | None = None


def none_bucket(count: int, value: Decimal | None = None) -> Bucket:
    return Bucket(NONE_KEY, NONE_LABEL, count, value)


def ranked(buckets: Iterable[Bucket]) -> list[Bucket]:
    """Count descending, then label, then key (so equal labels still have
    one order); empty buckets left out."""
    return sorted((b for b in buckets if b.count), key=lambda b: (-b.count, b.label, b.key))


async def names_of(model: type[Model], ids: Iterable[Any]) -> dict[int, str]:
    """The names of the `model` rows `ids` (None left out), by id: the
    labels of buckets keyed by a user, team, queue... id."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return dict(await model.filter(id__in=wanted).values_list("id", "name"))
