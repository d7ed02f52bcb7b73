"""Oferta ativa (seed 002): a manager saves a contact list (a segment) and
distributes it through a queue, each contact like a single lead, in one
background job whose progress can be followed; nobody is assigned twice."""

import asyncio

from revgraph.models.distribution import BulkDistribution
from revgraph.resolvers.distribution.bulk import run_bulk_distribution
from revgraph.resolvers.settings import Settings
from tests.distribution.support import create_queue, distribute
from tests.graph.documents import create_contact

CREATE_SEGMENT = """
mutation($input: SegmentInput!) {
  createSegment(input: $input) { segment { id name filter search } userErrors { code message field } }
}
"""
SEGMENT_CONTACTS = """
query($id: ID!) { node(id: $id) { ... on Segment { contacts(first: 50) { totalCount edges { node { name } } } } } }
"""
DISTRIBUTE_SEGMENT = """
mutation($s: ID!, $q: ID!) {
  distributeSegment(segmentId: $s, queueId: $q) {
    bulkDistribution { id status total }
    userErrors { code message field }
  }
}
"""
JOB = """
query($id: ID!) {
  bulkDistribution(id: $id) { status total processed assigned queued skipped error finishedAt segment { name } }
}
"""
OWNERS = (
    'query { contacts(first: 50, filter: {tags: ["reengajar"]}) { edges { node { name owner { id } } } } }'
)


async def _finished(gql, token, job_id, timeout=20.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job = (await gql.ok(JOB, {"id": job_id}, token=token))["bulkDistribution"]
        if job["status"] in ("DONE", "FAILED"):
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.1)


async def test_a_segment_is_distributed_through_a_queue_one_contact_at_a_time(gql, workspace):
    # given six old leads tagged for re-engagement (one already waiting in the queue's hands)
    a1, a2 = await workspace.user("AGENT"), await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": a1["id"]}, {"userId": a2["id"]}])
    names = [f"Antigo {i}" for i in range(6)]
    contacts = [await create_contact(gql, workspace.token, name=n, tags=["reengajar"]) for n in names]
    await create_contact(gql, workspace.token, name="Fora da lista")
    held = await distribute(gql, workspace.token, queue["id"], contact_id=contacts[0]["id"])
    assert held["assignment"]["user"]["id"] == a1["id"]
    # and a segment of them
    segment = (
        await gql.ok(
            CREATE_SEGMENT,
            {"input": {"name": "Reengajar 2026", "filter": {"tags": ["reengajar"]}}},
            token=workspace.token,
        )
    )["createSegment"]
    assert segment["userErrors"] == [] and segment["segment"]["filter"] == {"tags": ["reengajar"]}
    listed = (await gql.ok(SEGMENT_CONTACTS, {"id": segment["segment"]["id"]}, token=workspace.token))["node"]
    assert listed["contacts"]["totalCount"] == 6
    # when the admin distributes it through the queue
    started = (
        await gql.ok(
            DISTRIBUTE_SEGMENT, {"s": segment["segment"]["id"], "q": queue["id"]}, token=workspace.token
        )
    )["distributeSegment"]
    assert started["userErrors"] == [] and started["bulkDistribution"]["total"] == 6
    job = await _finished(gql, workspace.token, started["bulkDistribution"]["id"])
    # then five were assigned in turn and the one already held was skipped
    assert (job["status"], job["processed"], job["assigned"], job["queued"], job["skipped"]) == (
        "DONE",
        6,
        5,
        0,
        1,
    )
    assert job["segment"] == {"name": "Reengajar 2026"} and job["finishedAt"]
    owners = [
        e["node"]["owner"]["id"] for e in (await gql.ok(OWNERS, token=workspace.token))["contacts"]["edges"]
    ]
    assert sorted(owners.count(a["id"]) for a in (a1, a2)) == [3, 3]


async def test_a_job_run_again_after_a_crash_resumes_and_assigns_nobody_twice(gql, workspace):
    # given a started job interrupted after its first two contacts
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    for i in range(4):
        await create_contact(gql, workspace.token, name=f"Retomar {i}", tags=["reengajar"])
    segment = (
        await gql.ok(
            CREATE_SEGMENT,
            {"input": {"name": "Retomada", "filter": {"tags": ["reengajar"]}}},
            token=workspace.token,
        )
    )["createSegment"]["segment"]
    started = (
        await gql.ok(DISTRIBUTE_SEGMENT, {"s": segment["id"], "q": queue["id"]}, token=workspace.token)
    )["distributeSegment"]["bulkDistribution"]
    job = await _finished(gql, workspace.token, started["id"])
    assert job["assigned"] == 4
    # when the job is marked unfinished at its third contact and run twice more, concurrently
    row = await BulkDistribution.get()
    await BulkDistribution.filter(id=row.id).update(
        status="RUNNING", processed=2, assigned=2, finished_at=None
    )
    await asyncio.gather(*(run_bulk_distribution(Settings.from_env(), row.id) for _ in range(2)))
    # then contacts 3 and 4 were handled once more each (already held: skipped), and nothing was assigned twice
    again = (await gql.ok(JOB, {"id": started["id"]}, token=workspace.token))["bulkDistribution"]
    assert (again["status"], again["processed"], again["assigned"], again["skipped"]) == ("DONE", 4, 2, 2)


async def test_only_managers_distribute_and_an_agent_sees_only_their_part_of_a_segment(gql, workspace):
    agent, other = await workspace.user("AGENT"), await workspace.user("AGENT")
    await create_contact(gql, agent["token"], name="Meu antigo", tags=["reengajar"])
    await create_contact(gql, other["token"], name="Antigo do outro", tags=["reengajar"])
    segment = (
        await gql.ok(
            CREATE_SEGMENT,
            {"input": {"name": "Todos", "filter": {"tags": ["reengajar"]}}},
            token=workspace.token,
        )
    )["createSegment"]["segment"]
    # an agent reads the segment with only their own contacts in it
    seen = (await gql.ok(SEGMENT_CONTACTS, {"id": segment["id"]}, token=agent["token"]))["node"]["contacts"]
    assert [e["node"]["name"] for e in seen["edges"]] == ["Meu antigo"]
    # and may neither save nor distribute segments
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    for document, variables in (
        (CREATE_SEGMENT, {"input": {"name": "Meu"}}),
        (DISTRIBUTE_SEGMENT, {"s": segment["id"], "q": queue["id"]}),
    ):
        body = await gql(document, variables, token=agent["token"])
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await BulkDistribution.all().count() == 0


async def test_a_segment_with_a_bad_filter_is_refused_and_not_saved(gql, workspace):
    payload = (
        await gql.ok(
            CREATE_SEGMENT, {"input": {"name": "Lixeira", "filter": {"deleted": True}}}, token=workspace.token
        )
    )["createSegment"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("INVALID", ["input", "filter"])]
    listed = await gql.ok("query { segments(first: 10) { totalCount } }", token=workspace.token)
    assert listed["segments"]["totalCount"] == 0
