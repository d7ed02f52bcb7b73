"""A page executed cheaply (issue 15): the list loop of a compiled plan
completes a page's items and a list of strings itself, a listed record's
preloaded edges (company, owner, tags) are answered without calling their
resolvers, cursors are encoded without isoformat, and a repeated request's
demand is read from a memo — each answering exactly what it replaces."""

from __future__ import annotations

import base64
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from graphql import parse

from revgraph.resolvers import pagination
from revgraph.resolvers.pagination import SortKey, encode_cursor
from revgraph.schema import demand, lean_execution, lean_plans
from tests.graph.documents import create_company, create_contact
from tests.graph.test_compiled_plans import LIST, PLANNED, Edge, _people, _run, _same_three_ways
from tests.graph.test_hot_lists import CONTACTS_BENCH, _with_and_without_plans

# ------------------------------------------------------------ the list loop


async def test_a_page_of_objects_and_a_list_of_strings_are_completed_in_the_list_loop(monkeypatch):
    # given a page of people, each with a list of tags
    variables = {"withTags": True, "skipEmail": False}
    items: list[Any] = []
    original = lean_plans.CompiledPlans._complete

    def counting(self: Any, completion: Any, value: Any, *args: Any) -> Any:
        if args[-1][1] != args[-2][1]:  # an item's position, not its field's
            items.append(value)
        return original(self, completion, value, *args)

    monkeypatch.setattr(lean_plans.CompiledPlans, "_complete", counting)
    # when it is read with plans
    data, errors, _ = await _run(PLANNED, LIST, _people(), variables)
    # then only the first edge went through the per-value completion (it
    # built the edges' plan); no other edge and no tag did
    assert errors == [] and len(data["people"]["edges"]) == 5
    assert data["people"]["edges"][0]["node"]["tags"] == ["t1", "vip"]
    assert [type(item) for item in items if isinstance(item, Edge | str)] == [Edge]


@pytest.mark.parametrize(
    "changes",
    [
        {"4": {"flags": ["a", None]}},  # a null item in a list of non-null strings
        {"2": {"flags": ["a", 3]}},  # an item that is not a string
        {"3": {"explode": True}},  # a listed object whose resolver raises
        {"3": {"slow": True}},  # an awaitable under a listed object
    ],
)
async def test_an_unusual_item_of_a_compiled_list_is_answered_as_graphql_core_answers_it(changes):
    query = "{ people { edges { cursor node { id flags checked boss { id } } } } }"
    # the first run builds the plans, the second takes the list loop's fast path
    for _ in range(2):
        (data, _errors, _), _runs = await _same_three_ways(query, _people(**changes))
    assert data is None or len(data["people"]["edges"]) == 5


# ------------------------------------------------------------ preloaded edges

VIEWS = ("ADMIN", "AGENT")


async def test_a_contacts_page_answers_company_owner_and_tags_without_calling_their_resolvers(
    gql, workspace, monkeypatch
):
    # given contacts with or without a company (one the agent may not see), an owner and tags
    agent = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    mine = await create_company(gql, workspace.token, name="Acme", ownerId=agent["id"])
    theirs = await create_company(gql, workspace.token, name="Outra", ownerId=other["id"])
    for index in range(6):
        await create_contact(
            gql,
            workspace.token,
            name=f"Pessoa {index}",
            ownerId=agent["id"] if index % 2 else None,
            companyId=[None, mine["id"], theirs["id"]][index % 3],
            tags=["vip", f"t{index}"] if index % 2 else [],
        )
    resolved: list[str] = []
    Preload = lean_execution.Preload
    original = Preload.resolve

    def counting(self: Any, source: Any, info: Any) -> Any:
        resolved.append(info.field_name)
        return original(self, source, info)

    monkeypatch.setattr(Preload, "resolve", counting)
    for view in VIEWS:
        token = workspace.token if view == "ADMIN" else agent["token"]
        resolved.clear()
        # when the bench's page is read with and without plans
        data, _runs = await _with_and_without_plans(
            gql, token, CONTACTS_BENCH, {"first": 6, "withTags": True}, monkeypatch
        )
        edges = data["contacts"]["edges"]
        assert edges, view
        # then the plans answered every company, owner and tag list over the
        # preload (the resolvers ran only without plans: 4 edges per contact)
        assert len(resolved) == 4 * len(edges), (view, resolved)
        names = {edge["node"]["company"]["name"] for edge in edges if edge["node"]["company"]}
        assert names == ({"Acme", "Outra"} if view == "ADMIN" else {"Acme"})


class _Loader:
    def __init__(self, loaded: dict[Any, Any]) -> None:
        self.loaded = loaded
        self.made: dict[Any, Any] = {}

    def peek(self, key: Any) -> tuple[bool, Any]:
        return (True, self.loaded[key]) if key in self.loaded else (False, None)


class _Source:
    def __init__(self, key: Any) -> None:
        self.key = key


def _key(source: Any) -> Any:
    if source.key == "boom":
        raise ValueError("boom")
    return source.key


def test_a_preloads_fast_answer_falls_back_to_the_resolver_for_anything_unusual():
    Preload, NOT_PRELOADED = lean_execution.Preload, lean_plans.NOT_PRELOADED
    loader = _Loader({1: "one", 2: "two"})
    made: list[Any] = []

    def then(record: Any) -> Any:
        made.append(record)
        return [record]

    answer = Preload(lambda ctx: loader, _key, then, shared=True).bind({"ctx": "the ctx"})
    # a loaded record is made once per request (shared), a missing key is null
    assert answer(_Source(1)) == ["one"] and answer(_Source(1)) is answer(_Source(1))
    assert made == ["one"] and answer(_Source(None)) is None
    # not loaded ahead, or a key that raises: the resolver answers instead
    assert answer(_Source(3)) is NOT_PRELOADED and answer(_Source("boom")) is NOT_PRELOADED
    # with_ctx: the record is made with this execution's ctx
    pair = Preload(lambda ctx: loader, _key, lambda ctx, record: (ctx, record), with_ctx=True)
    assert pair.bind({"ctx": "the ctx"})(_Source(2)) == ("the ctx", "two")
    with pytest.raises(TypeError):
        Preload(lambda ctx: loader, _key, then, shared=True, with_ctx=True)


# ------------------------------------------------------------ cursors


def _cursor_before(row: Any, keys: Any) -> str:
    """encode_cursor as it was: isoformat, json.dumps for non-ASCII, base64."""
    values = [pagination._encode_value(getattr(row, key.column)) for key in keys]
    raw = orjson.dumps(values)
    if not raw.isascii():
        raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


class _Row:
    def __init__(self, **columns: Any) -> None:
        self.__dict__.update(columns)


def test_cursors_are_the_ones_handed_out_before():
    rng = random.Random(15)
    keys = [SortKey("at", descending=True, kind="datetime"), SortKey("id", descending=True, kind="int")]
    zones = [UTC, None, timezone(timedelta(hours=-3)), ZoneInfo("America/Sao_Paulo")]
    rows = []
    for zone in zones:
        for _ in range(300):
            moment = datetime(1, 1, 1) + timedelta(
                seconds=rng.random() * 6e10, microseconds=rng.choice([0, rng.randint(0, 999_999)])
            )
            rows.append((_Row(at=moment.replace(tzinfo=zone), id=rng.randint(1, 10**12)), keys))
    text_keys = [SortKey("v"), SortKey("id", kind="int")]
    for value in [
        "ação",
        "a\u2028b",
        "😀",
        'q"\\',
        "\x00\x1f<>&",
        Decimal("1.50"),
        Decimal("-0E+2"),
        True,
        None,
    ]:
        rows.append((_Row(v=value, id=3), text_keys))
    for row, row_keys in rows:
        cursor = encode_cursor(row, row_keys)
        assert cursor == _cursor_before(row, row_keys), row.__dict__
    assert pagination.decode_cursor(encode_cursor(*rows[0]), keys) == [rows[0][0].at, rows[0][0].id]


# ------------------------------------------------------------ demand


def test_a_repeated_requests_demand_is_read_from_the_memo(monkeypatch):
    schema = PLANNED._schema
    document = parse("query($n: Int) { people { edges { node { name friends(first: $n) { name } } } } }")
    coerced: list[Any] = []
    original = demand.get_variable_values

    def counting(*args: Any) -> Any:
        coerced.append(args)
        return original(*args)

    monkeypatch.setattr(demand, "get_variable_values", counting)

    def measure(variables: Any, **sizes: int) -> Any:
        limits = {"max_page_size": 100, "default_page_size": 50} | sizes
        return demand.measure_demand(schema, document, None, variables, **limits)

    first = measure({"n": 3})
    # the same document and variables: the same demand, not measured again
    assert measure({"n": 3}) is first and len(coerced) == 1
    # other variables, other limits, or another document: measured
    assert measure({"n": 4}).cost != first.cost and len(coerced) == 2
    assert measure({"n": 3}, default_page_size=10) is not first and len(coerced) == 3
    # a refused demand (its message in the caller's language) is never kept
    refused = measure({"n": 3}, max_page_size=2)
    assert refused.page_size_problem and measure({"n": 3}, max_page_size=2) is not refused
    # variables nested deeper than the memo's key can follow are measured (here:
    # invalid for an Int, so None, for execution to report), never an exception
    deep: Any = 3
    for _ in range(5000):
        deep = [deep]
    assert measure({"n": deep}) is None and len(coerced) == 6
    # variables too big to keep as a key (a bulk input) are measured each time, never kept
    kept = len(demand._demands[schema])
    big = {"n": 3, "pad": "x" * (demand.FROZEN_BUDGET + 1)}
    assert measure(big) is not None and measure(big) is not None and len(coerced) == 8
    assert len(demand._demands[schema]) == kept
