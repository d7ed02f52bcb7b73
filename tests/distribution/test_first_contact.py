"""First contact: the assignee's first note, completed task or stage move on
a lead marks their assignment worked (`Assignment.workedAt`), which the
unattended-lead redistribution and the distribution figures read. Work by
somebody else leaves it unworked."""

from tests.distribution.support import capture, create_queue
from tests.pipeline.support import create_pipeline

ASSIGNMENTS = "query { assignments(first: 10) { edges { node { id workedAt user { id } } } } }"
NOTE = "mutation($input: NoteInput!) { addNote(input: $input) { userErrors { code } } }"
MOVE = "mutation($input: MoveDealInput!) { moveDeal(input: $input) { userErrors { code field } } }"


async def worked_at(gql, token: str) -> list:
    edges = (await gql.ok(ASSIGNMENTS, token=token))["assignments"]["edges"]
    return [e["node"]["workedAt"] for e in edges]


async def test_the_assignees_first_note_marks_the_lead_worked_and_later_work_keeps_that_time(gql, workspace):
    # given a lead distributed to an agent
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    lead = await capture(gql, workspace.token, email="primeiro@example.com", queueId=queue["id"])
    assert await worked_at(gql, agent["token"]) == [None]
    # when an admin writes a note on it, the lead is still unworked
    note = {"input": {"subjectId": lead["contact"]["id"], "body": "Lead quente, ligar hoje"}}
    assert (await gql.ok(NOTE, note, token=workspace.token))["addNote"]["userErrors"] == []
    assert await worked_at(gql, agent["token"]) == [None]
    # when the agent writes one, it is worked from then on
    assert (await gql.ok(NOTE, note, token=agent["token"]))["addNote"]["userErrors"] == []
    [first] = await worked_at(gql, agent["token"])
    assert first is not None
    # and a later note does not move the first contact
    assert (await gql.ok(NOTE, note, token=agent["token"]))["addNote"]["userErrors"] == []
    assert await worked_at(gql, agent["token"]) == [first]


async def test_the_owner_moving_the_deal_is_a_first_contact(gql, workspace):
    # given a lead captured with a deal and distributed to an agent
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    pipeline = await create_pipeline(gql, workspace.token)
    lead = await capture(
        gql, workspace.token, email="mover@example.com", queueId=queue["id"], pipelineId=pipeline["id"]
    )
    # when the agent moves the deal to "Em contato"
    moved = await gql.ok(
        MOVE,
        {"input": {"dealId": lead["deal"]["id"], "stageId": pipeline["stage"]["Em contato"]}},
        token=agent["token"],
    )
    assert moved["moveDeal"]["userErrors"] == []
    # then the assignment is worked
    [worked] = await worked_at(gql, agent["token"])
    assert worked is not None
