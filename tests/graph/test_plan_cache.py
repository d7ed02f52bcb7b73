"""Compiled plans kept across requests (schema/lean_plans.py, PlanCache): a
repeated request builds no plan, a change of the variables @skip/@include
read builds the plans for those values, another schema never gets this
schema's plans, and what a plan's thin resolvers read of the request (its
context) is always the request's own."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import parse
from strawberry.extensions import ParserCache

from revgraph.schema import lean_plans
from revgraph.schema.demand import delivered_cost
from revgraph.schema.lean_execution import plan_cache, thin_resolvers
from tests.graph.documents import create_company, create_contact
from tests.graph.test_compiled_plans import GRAPHQL, Company, Counting, Query, _people, _run
from tests.graph.test_hot_lists import CONTACTS_BENCH


def _cached_schema() -> strawberry.Schema:
    # the parser cache hands every request for one text the same document, as in the product
    schema = strawberry.Schema(
        query=Query,
        types=[Company],
        execution_context_class=Counting,
        extensions=[lambda: ParserCache(maxsize=64)],
    )
    thin_resolvers(schema)
    return schema


LIST = """
query($withTags: Boolean!, $skipEmail: Boolean!, $friends: Int!) {
  people {
    edges {
      cursor
      node {
        id name email @skip(if: $skipEmail) stage at amount
        tags @include(if: $withTags)
        boss { id name boss { name } }
        ...More
        where
      }
    }
  }
}
fragment More on Node { ... on Person { checked friends(first: $friends) { name } } }
"""


def _built() -> int:
    return sum(lean_plans.builds.values())


async def _both(schema: strawberry.Schema, people: Any, variables: dict[str, Any]) -> tuple[Any, int]:
    """The cached schema's answer (checked equal to graphql-core's) and the plans it built."""
    before = _built()
    cached = await _run(schema, LIST, people, variables)
    built = _built() - before
    assert cached[:2] == (await _run(GRAPHQL, LIST, people, variables))[:2]
    assert cached[1] == []
    # the delivered cost the plans counted is the fields in the response
    assert cached[2] == delivered_cost(parse(LIST), None, cached[0])
    return cached[0], built


async def test_a_repeated_request_builds_no_plan_and_answers_the_same():
    schema = _cached_schema()
    variables = {"withTags": True, "skipEmail": False, "friends": 2}
    # when the same request runs three times
    first, built_first = await _both(schema, _people(), variables)
    again, built_again = await _both(schema, _people(), variables)
    third, built_third = await _both(schema, _people(), variables)
    # then the first built the plans (connection, edge, person, boss, boss's boss,
    # friends) and the others none, with the same answer
    assert built_first >= 5
    assert built_again == 0 and built_third == 0
    assert first == again == third
    # a variable no directive reads (a field argument) does not rebuild either
    fewer, built = await _both(schema, _people(), {**variables, "friends": 1})
    assert built == 0 and len(fewer["people"]["edges"][0]["node"]["friends"]) == 1


async def test_a_change_of_skip_or_include_variables_builds_the_plans_for_those_values():
    schema = _cached_schema()
    base = {"withTags": True, "skipEmail": False, "friends": 1}
    with_all, _ = await _both(schema, _people(), base)
    # when @include's variable changes, the plans are built for it and the field is gone
    no_tags, built = await _both(schema, _people(), {**base, "withTags": False})
    assert built > 0
    assert "tags" in with_all["people"]["edges"][0]["node"]
    assert "tags" not in no_tags["people"]["edges"][0]["node"]
    # and when @skip's variable changes too
    no_email, built = await _both(schema, _people(), {**base, "skipEmail": True})
    assert built > 0 and "email" not in no_email["people"]["edges"][0]["node"]
    # then going back to values seen before builds nothing and answers as the first time
    again, built = await _both(schema, _people(), base)
    assert built == 0 and again == with_all


async def test_a_cached_plan_reads_this_requests_context():
    schema = _cached_schema()
    variables = {"withTags": False, "skipEmail": False, "friends": 1}
    await _both(schema, _people(), variables)
    # when the same request runs over other data (the boss resolver and
    # friends read info.context; `where` reads info.path)
    renamed = _people(**{"1": {"name": "Chefe Novo"}})
    data, built = await _both(schema, renamed, variables)
    # then the answer is this request's, from the plans already built
    assert built == 0
    node = data["people"]["edges"][2]["node"]
    assert node["boss"]["name"] == "Chefe Novo" and node["friends"] == [{"name": "Chefe Novo"}]
    assert node["where"] == "people.edges.2.node.where"


async def test_another_schema_never_gets_this_schemas_plans():
    # given two schemas whose parser caches hand them the same document
    one, other = _cached_schema(), _cached_schema()
    variables = {"withTags": True, "skipEmail": False, "friends": 1}
    await _both(one, _people(), variables)
    # when the other schema runs the same request, it builds its own plans
    _, built = await _both(other, _people(), variables)
    assert built > 0
    assert plan_cache(one._schema) is not plan_cache(other._schema)


def test_the_cache_is_bounded_and_keyed_by_directive_variables():
    cache = lean_plans.PlanCache()
    cache.OPERATIONS, cache.VALUES = 2, 2
    documents = [
        parse(f"query($a: Boolean!, $n: Int) {{ f{i} @include(if: $a) g(n: $n) }}") for i in range(3)
    ]
    plans = [cache.plans_for(document.definitions[0], {}, {"a": True, "n": 1}) for document in documents]
    # operations beyond the bound are dropped, oldest first
    assert len(cache.operations) == 2 and id(documents[0].definitions[0]) not in cache.operations
    operation = documents[2].definitions[0]
    # the same directive values share plans; another value of a non-directive variable too
    assert cache.plans_for(operation, {}, {"a": True, "n": 2}) is plans[2]
    assert cache.plans_for(operation, {}, {"a": False, "n": 1}) is not plans[2]
    cache.plans_for(operation, {}, {"a": None})
    assert len(cache.operations[id(operation)][3]) == 2  # values beyond the bound dropped
    # @defer, @stream and fragment arguments keep plans per execution
    deferred = parse("query { ... @defer { f } }").definitions[0]
    assert cache.plans_for(deferred, {}, {}) is None
    # a value that cannot key a plan keeps plans per execution too
    odd = parse("query($x: Odd) { f @include(if: $x) }").definitions[0]
    assert cache.plans_for(odd, {}, {"x": {"a": [{1, 2}]}}) is None


async def test_a_repeated_contacts_page_builds_no_plan(gql, workspace):
    # given contacts with a company, an owner and tags
    agent = await workspace.user("AGENT")
    company = await create_company(gql, workspace.token, name="Acme")
    for index in range(3):
        await create_contact(
            gql,
            workspace.token,
            name=f"Pessoa {index}",
            ownerId=agent["id"],
            companyId=company["id"],
            tags=["vip"],
        )
    variables = {"first": 5, "withTags": True}
    # a text of its own: the product's parser cache gives it a document no other test ran
    page = CONTACTS_BENCH + "# test_a_repeated_contacts_page_builds_no_plan\n"
    before = _built()
    first = await gql.ok(page, variables, token=workspace.token)
    assert _built() > before
    # when the same page is read again through the product's stack
    before = _built()
    again = await gql.ok(page, variables, token=workspace.token)
    # then it builds no plan and answers the same
    assert _built() == before and again == first
    # and with @include's variable changed, plans are built and the tags are gone
    untagged = await gql.ok(page, {**variables, "withTags": False}, token=workspace.token)
    assert _built() > before
    assert "tags" not in untagged["contacts"]["edges"][0]["node"]
    # and a contact added since is read by the plans already built
    await create_contact(gql, workspace.token, name="Nova", ownerId=agent["id"])
    before = _built()
    newer = await gql.ok(page, variables, token=workspace.token)
    assert _built() == before
    assert newer["contacts"]["totalCount"] == 4
    assert "Nova" in [edge["node"]["name"] for edge in newer["contacts"]["edges"]]
