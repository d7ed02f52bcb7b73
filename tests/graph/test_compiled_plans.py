"""Compiled execution plans (schema/lean_plans.py): the same answers, errors,
paths and null bubbling as graphql-core's own execution, and the delivered
cost counted exactly. A small schema shaped like the CRM's lists (a
connection of nodes with thin resolvers, enums, custom scalars, an
interface, a union) is executed three ways — graphql-core through
Strawberry's plain execution context, LeanExecutionContext without plans,
and LeanExecutionContext with them — and the answers compared whole."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import pytest
import strawberry
from graphql import parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info

from revgraph.schema import lean_plans
from revgraph.schema.demand import DeliveredFields, counted_delivery, delivered_cost
from revgraph.schema.lean_execution import LeanExecutionContext, thin_resolvers


@strawberry.enum
class Stage(Enum):
    LEAD = "LEAD"
    CUSTOMER = "CUSTOMER"


@strawberry.interface
class Node:
    id: strawberry.ID


@strawberry.type
class Person(Node):
    name: str
    email: str | None
    stage: Stage
    at: datetime
    amount: Decimal
    score: int
    tags: list[str]
    strict: str  # a plain leaf that some rows leave null
    flags: list[str]  # non-null items; some rows hold a None
    boss_id: strawberry.Private[int | None] = None
    explode: strawberry.Private[bool] = False
    slow: strawberry.Private[bool] = False

    @strawberry.field
    def boss(self, info: Info) -> Person | None:
        people = info.context["people"]
        if self.boss_id is None:
            return None
        if self.slow:
            return _later(people[self.boss_id])
        return people[self.boss_id]

    @strawberry.field
    def checked(self) -> str:
        if self.explode:
            raise ValueError(f"boom {self.name}")
        return self.name.upper()

    @strawberry.field
    def maybe(self) -> str | None:
        if self.explode:
            raise ValueError(f"soft boom {self.name}")
        return self.name

    @strawberry.field
    def where(self, info: Info) -> str:
        return ".".join(str(key) for key in info.path.as_list())

    @strawberry.field
    async def remote(self) -> int:
        await asyncio.sleep(0)
        return self.score * 2

    @strawberry.field
    def friends(self, info: Info, first: int = 1) -> list[Person]:
        return list(info.context["people"].values())[:first]


async def _later(value: Any) -> Any:
    await asyncio.sleep(0)
    return value


@strawberry.type
class Company(Node):
    title: str


SearchResult = Annotated[Person | Company, strawberry.union("SearchResult")]


@strawberry.type
class Edge:
    cursor: str
    node: Person


@strawberry.type
class PageInfo:
    has_next_page: bool


@strawberry.type
class Connection:
    edges: list[Edge]
    page_info: PageInfo

    @strawberry.field
    async def total(self) -> int:
        return len(self.edges)


@strawberry.type
class Query:
    @strawberry.field
    def people(self, info: Info) -> Connection:
        edges = [Edge(cursor=f"c{p.id}", node=p) for p in info.context["people"].values()]
        return Connection(edges=edges, page_info=PageInfo(has_next_page=False))

    @strawberry.field
    def search(self, info: Info) -> list[SearchResult]:
        return [*info.context["people"].values(), Company(id=strawberry.ID("co1"), title="Acme")]

    @strawberry.field
    def nodes(self, info: Info) -> list[Node]:
        return list(info.context["people"].values())


def _person(pk: int, **overrides: Any) -> Person:
    values: dict[str, Any] = {
        "id": strawberry.ID(f"p{pk}"),
        "name": f"Pessoa {pk}",
        "email": f"p{pk}@x.com" if pk % 2 else None,
        "stage": Stage.CUSTOMER if pk % 3 == 0 else Stage.LEAD,
        "at": datetime(2026, 1, pk, 12, 30, tzinfo=UTC),
        "amount": Decimal(f"{pk}00.50"),
        "score": pk,
        "tags": [f"t{pk}", "vip"],
        "strict": f"s{pk}",
        "flags": ["a"],
        "boss_id": 1 if pk > 1 else None,
    }
    values.update(overrides)
    return Person(**values)


def _people(**changes: dict[str, Any]) -> dict[int, Person]:
    return {pk: _person(pk, **changes.get(str(pk), {})) for pk in range(1, 6)}


def _schema(context_class: Any) -> strawberry.Schema:
    schema = strawberry.Schema(query=Query, types=[Company], execution_context_class=context_class)
    thin_resolvers(schema)
    return schema


class Unplanned(LeanExecutionContext):
    """The lean context with its plans switched off (leaf shortcut only)."""

    def plan_for(self, object_type: Any, field_details: Any) -> Any:
        return None


class Counting(LeanExecutionContext):
    runs = 0

    def run_plan(self, plan: Any, source: Any, position: Any) -> Any:
        Counting.runs += 1
        return super().run_plan(plan, source, position)


GRAPHQL = _schema(StrawberryGraphQLCoreExecutionContext)
UNPLANNED = _schema(Unplanned)
PLANNED = _schema(Counting)


async def _run(
    schema: strawberry.Schema, query: str, people: dict[int, Person], variables: Any = None
) -> Any:
    delivery = DeliveredFields()
    token = counted_delivery.set(delivery)
    try:
        result = await schema.execute(query, variable_values=variables, context_value={"people": people})
    finally:
        counted_delivery.reset(token)
    errors = sorted(
        (
            error.message,
            tuple(error.path or ()),
            tuple((loc.line, loc.column) for loc in error.locations or ()),
        )
        for error in result.errors or ()
    )
    return result.data, errors, delivery.fields


async def _same_three_ways(query: str, people: dict[int, Person], variables: Any = None) -> Any:
    expected = await _run(GRAPHQL, query, people, variables)
    unplanned = await _run(UNPLANNED, query, people, variables)
    before = Counting.runs
    planned = await _run(PLANNED, query, people, variables)
    # the same data (keys in the same order) and the same errors, paths and locations
    assert planned[:2] == expected[:2]
    assert unplanned[:2] == expected[:2]
    assert list(_keys(planned[0])) == list(_keys(expected[0]))
    # the delivered cost counted by the plans is the one counted field by field
    assert planned[2] == unplanned[2]
    if not expected[1] and expected[0] is not None:
        assert planned[2] == delivered_cost(parse(query), None, expected[0])
    return planned, Counting.runs - before


def _keys(data: Any, at: str = "") -> Any:
    if isinstance(data, dict):
        for key, value in data.items():
            yield f"{at}.{key}"
            yield from _keys(value, f"{at}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _keys(value, f"{at}[{index}]")


LIST = """
query($withTags: Boolean!, $skipEmail: Boolean!) {
  people {
    total
    pageInfo { hasNextPage }
    edges {
      cursor
      node {
        __typename id name
        mail: email @skip(if: $skipEmail)
        email
        stage at amount score
        tags @include(if: $withTags)
        ... on Person { boss { id name boss { name } } }
        ...More
        where
      }
    }
  }
}
fragment More on Node { id ... on Person { checked maybe remote first: friends { name } two: friends(first: 2) { id } } }
"""


@pytest.mark.parametrize("with_tags", [True, False])
@pytest.mark.parametrize("skip_email", [True, False])
async def test_a_list_answers_through_plans_exactly_as_graphql_core(with_tags, skip_email):
    # given a page of people: aliases, fragments on an interface, skip/include
    # by variables, nested objects, nulls, an enum, DateTime, Decimal and ID
    people = _people()
    # when it is executed with and without compiled plans
    (data, errors, _), runs = await _same_three_ways(
        LIST, people, {"withTags": with_tags, "skipEmail": skip_email}
    )
    # then the answers are the same, and the plans completed the objects
    assert errors == []
    node = data["people"]["edges"][1]["node"]
    assert node["at"] == "2026-01-02T12:30:00+00:00" and node["amount"] == "200.50"
    assert ("tags" in node) is with_tags and ("mail" in node) is not skip_email
    assert node["where"] == "people.edges.1.node.where"
    assert runs >= 2 * len(people)


@pytest.mark.parametrize(
    ("changes", "failing"),
    [
        # a non-null resolver raising: nulled up to the nearest nullable ancestor
        ({"3": {"explode": True}}, True),
        ({"2": {"strict": None}}, True),  # a null in a non-null plain leaf
        ({"4": {"flags": ["a", None]}}, True),  # a null item in a list of non-null items
        ({"2": {"at": "not a date"}, "5": {"stage": "NOPE"}}, True),  # values that do not coerce
        ({"1": {"score": ValueError("an exception value")}}, True),
        ({"3": {"slow": True}, "4": {"slow": True}}, False),  # an awaitable where a value usually is
    ],
)
async def test_an_error_inside_a_compiled_subtree_is_reported_as_graphql_core_reports_it(changes, failing):
    # given a page where one row is unusual
    people = _people(**changes)
    query = """
    query { people { edges { cursor node { id strict flags score amount stage checked maybe
                                             boss { id strict checked } } } } }
    """
    # when it is executed with and without plans
    (data, errors, _), _ = await _same_three_ways(query, people)
    # then the errors, their paths and the null bubbling are the same
    assert bool(errors) is failing
    if not failing:
        assert data["people"]["edges"][2]["node"]["boss"]["id"] == "p1"


async def test_a_nullable_field_that_raises_is_nulled_alone():
    people = _people(**{"2": {"explode": True}})
    (data, errors, _), _ = await _same_three_ways("{ people { edges { node { name maybe } } } }", people)
    assert data["people"]["edges"][1]["node"] == {"name": "Pessoa 2", "maybe": None}
    assert [(message, path) for message, path, _ in errors] == [
        ("soft boom Pessoa 2", ("people", "edges", 1, "node", "maybe"))
    ]


async def test_unions_and_interfaces_answer_as_graphql_core():
    query = """
    { search { __typename ... on Person { name boss { name } } ... on Company { title } ... on Node { id } }
      nodes { id __typename ... on Person { stage tags } } }
    """
    (data, errors, _), _ = await _same_three_ways(query, _people())
    assert errors == [] and data["search"][-1] == {"__typename": "Company", "title": "Acme", "id": "co1"}


async def test_a_plan_is_compiled_once_per_type_and_selection():
    built = []
    original = lean_plans.CompiledPlans._build_plan

    def counting(self: Any, object_type: Any, field_details: Any) -> Any:
        built.append(object_type.name)
        return original(self, object_type, field_details)

    lean_plans.CompiledPlans._build_plan = counting  # type: ignore[method-assign]
    try:
        await _run(PLANNED, "{ people { edges { node { name boss { name } } } } }", _people())
    finally:
        lean_plans.CompiledPlans._build_plan = original  # type: ignore[method-assign]
    # Connection, Edge, Person (node), Person (boss): once each for 5 people
    assert sorted(built) == ["Connection", "Edge", "Person", "Person"]


class ResolveHook(SchemaExtension):
    calls = 0

    def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        ResolveHook.calls += 1
        return _next(root, info, *args, **kwargs)


async def test_a_schema_extension_with_a_resolve_hook_turns_plans_off():
    # given a schema with an extension that hooks every field's resolution
    schema = strawberry.Schema(
        query=Query, types=[Company], execution_context_class=Counting, extensions=[ResolveHook]
    )
    thin_resolvers(schema)
    before, ResolveHook.calls = Counting.runs, 0
    # when a list is read
    result = await schema.execute(
        "{ people { edges { node { name } } } }", context_value={"people": _people()}
    )
    # then no plan ran, and the hook saw every field: people, edges, 5 nodes, 5 names
    assert result.errors is None and len(result.data["people"]["edges"]) == 5
    assert Counting.runs == before
    assert ResolveHook.calls == 12
