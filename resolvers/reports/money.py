"""Money in reports: amounts summed in the workspace's currency, as Decimal
cents. Records in another currency are counted by the report, never
summed; a record without a value adds 0. Sums are exact (Decimal) and
rounded to cents once, at the end."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

CENTS = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Any) -> Decimal:
    """A database amount (Decimal, float-free string, None) in cents."""
    return Decimal(str(value or 0)).quantize(CENTS)


def value_in(rows: Iterable[dict[str, Any]], currency: str) -> Decimal:
    """The rows' `value` summed over those in `currency`."""
    return sum((money(r["value"]) for r in rows if r["currency"] == currency), ZERO)


def weighted(value: Decimal, probability: int) -> Decimal:
    """value × probability / 100, exact (round with `cents` when done summing)."""
    return value * probability / 100


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENTS)
