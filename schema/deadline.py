"""An operation's wall-time limit (RELIABILITY.md "Demand control").

DemandControl starts it (`start`) and turns its expiry into LIMIT_EXCEEDED
(`refusal`). A hook entered after DemandControl that awaits before its
yield (schema/poll.py) may be where the deadline's cancellation lands;
Strawberry does not unwind the hooks entered before one whose entry
raises, so such a hook must not let it escape: it asks `expired` and
answers the same refusal itself (an error result, then its yield)."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql import GraphQLError

from revgraph.resolvers.i18n import _

KEY = "deadline"


def start(context: dict[str, Any], seconds: float) -> None:
    """Record when the operation's time runs out (loop time)."""
    context[KEY] = (asyncio.get_running_loop().time() + seconds, seconds)


def left(context: dict[str, Any]) -> float | None:
    """Seconds until the deadline (None: the operation has none)."""
    deadline = context.get(KEY)
    return None if deadline is None else deadline[0] - asyncio.get_running_loop().time()


def expired(context: dict[str, Any]) -> bool:
    """The deadline has passed: a cancellation seen now is the deadline's
    (a shutdown's or a caller's comes before it or without one)."""
    remaining = left(context)
    return remaining is not None and remaining <= 0


def seconds(context: dict[str, Any]) -> float:
    """The operation's limit, in seconds (its deadline was started)."""
    return context[KEY][1]


def refusal(seconds: float) -> GraphQLError:
    """What an operation cancelled at its deadline answers."""
    return GraphQLError(
        _(
            "The operation ran longer than {seconds:g} s and was cancelled; a change it had not committed was rolled back. Ask for less (smaller pages, fewer fields) or retry.",
            seconds=seconds,
        ),
        extensions={"code": "LIMIT_EXCEEDED"},
    )
