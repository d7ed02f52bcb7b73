"""An answered HTTP request leaves nothing for the garbage collector: its
context's loaders close over the context, so without Context.close the
context, its loaders and every row they read formed a cycle that only a
collection freed (a board request: ~2,300 objects, bench/gc_pauses.py --board)."""

from __future__ import annotations

import gc

from revgraph.resolvers import read_rows
from tests.graph.test_board_cards import _board, _cards


def _rows_alive() -> int:
    return sum(1 for o in gc.get_objects() if isinstance(o, read_rows.Row))


async def test_a_board_requests_rows_are_freed_when_it_is_answered_not_by_a_collection(gql, workspace):
    # given a board of 6 cards, each with its contact and owner, read once
    pipeline = await _cards(gql, workspace, 6)
    first = await _board(gql, workspace.token, pipeline["id"])
    assert len(first) == 6
    gc.collect()
    before = _rows_alive()
    gc.disable()
    try:
        # when it is read again with the collector off
        cards = await _board(gql, workspace.token, pipeline["id"])
        # then it answers the same, and none of the rows it read is still alive
        # (on main: every card's row and its contact's, kept by the context's cycle)
        assert cards == first
        assert _rows_alive() == before
    finally:
        gc.enable()
