"""Readable numbers (seed 002's "número único"): contacts and deals are
numbered 1, 2, 3... per workspace in order of creation, by every path that
creates them, without repeats under concurrency; search and filters find a
record by its number."""

import asyncio

from tests.distribution.support import capture
from tests.graph.documents import create_contact
from tests.pipeline.support import create_deal, create_pipeline

NUMBERS = "query { contacts(first: 100, orderBy: [{field: CREATED_AT, direction: ASC}]) { edges { node { name number } } } }"
SEARCH = "query($s: String!) { contacts(search: $s, first: 10) { edges { node { name number } } } }"
BY_FILTER = "query($n: Int!) { contacts(filter: {number: {gte: $n}}, first: 10) { totalCount } }"
DEALS = "query($s: String!) { deals(search: $s, first: 10) { edges { node { title number } } } }"


async def test_contacts_are_numbered_per_workspace_by_every_path(gql, workspace, other_workspace):
    # given contacts created by hand and captured as leads, in two workspaces
    await create_contact(gql, workspace.token, name="Primeira")
    await capture(gql, workspace.token, name="Segunda", email="segunda@example.com")
    await create_contact(gql, other_workspace.token, name="Outra")
    await create_contact(gql, workspace.token, name="Terceira")
    # then each workspace counts from 1 in order of creation
    edges = (await gql.ok(NUMBERS, token=workspace.token))["contacts"]["edges"]
    assert [(e["node"]["name"], e["node"]["number"]) for e in edges] == [
        ("Primeira", 1),
        ("Segunda", 2),
        ("Terceira", 3),
    ]
    other = (await gql.ok(NUMBERS, token=other_workspace.token))["contacts"]["edges"]
    assert [e["node"]["number"] for e in other] == [1]
    # and a number finds its lead by search ("2" or "#2") and by filter
    for text in ("2", "#2"):
        found = (await gql.ok(SEARCH, {"s": text}, token=workspace.token))["contacts"]["edges"]
        assert [e["node"]["name"] for e in found] == ["Segunda"]
    assert (await gql.ok(BY_FILTER, {"n": 2}, token=workspace.token))["contacts"]["totalCount"] == 2


async def test_concurrent_creations_never_share_a_number(gql, workspace):
    # given twenty contacts created at once
    await asyncio.gather(*(create_contact(gql, workspace.token, name=f"Lead {i}") for i in range(20)))
    # then they hold the numbers 1 to 20, each once
    edges = (await gql.ok(NUMBERS, token=workspace.token))["contacts"]["edges"]
    assert sorted(e["node"]["number"] for e in edges) == list(range(1, 21))


async def test_a_refused_creation_takes_no_number(gql, workspace):
    # given a contact, and a second creation refused as a duplicate
    await create_contact(gql, workspace.token, name="Ana", email="ana@example.com")
    refused = await gql.ok(
        'mutation { createContact(input: {name: "Ana 2", email: "ana@example.com"}) { userErrors { code } } }',
        token=workspace.token,
    )
    assert [e["code"] for e in refused["createContact"]["userErrors"]] == ["DUPLICATE"]
    # when another contact is created
    await create_contact(gql, workspace.token, name="Bia")
    # then it takes the next number: the refused one gave nothing away
    edges = (await gql.ok(NUMBERS, token=workspace.token))["contacts"]["edges"]
    assert [e["node"]["number"] for e in edges] == [1, 2]


async def test_deals_are_numbered_and_found_by_number(gql, workspace):
    # given two deals, one created by hand and one by a capture into the pipeline
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(gql, workspace.token, pipeline["id"], title="Cobertura")
    await capture(gql, workspace.token, name="Caio", email="caio@example.com", pipelineId=pipeline["id"])
    # then the capture's deal is number 2 and "#2" finds it
    found = (await gql.ok(DEALS, {"s": "#2"}, token=workspace.token))["deals"]["edges"]
    assert [e["node"]["number"] for e in found] == [2]
    assert found[0]["node"]["title"].startswith("Caio")
