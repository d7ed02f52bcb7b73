"""Managers run their teams' roletas (seed 002: "os gestores incluirão nas
filas"): queues of their teams, members from their teams, changes that take
effect for the next lead and stay on the queue's timeline; archiving;
hand assignments of leads that never went through a queue; and leads
nobody worked in time moving on to the next member."""

from datetime import UTC, datetime, timedelta

from revgraph.models.distribution import Assignment
from revgraph.resolvers.distribution.assign import redistribute_unattended
from revgraph.resolvers.settings import Settings
from tests.distribution.support import capture, contact, create_queue, distribute

QUEUE_FIELDS = "id name manual redistributeAfterMinutes archivedAt team { id } members { user { id } active }"
CREATE = f"""
mutation($input: QueueInput!) {{
  createQueue(input: $input) {{ queue {{ {QUEUE_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
UPDATE = f"""
mutation($id: ID!, $input: QueueUpdateInput!) {{
  updateQueue(id: $id, input: $input) {{ queue {{ {QUEUE_FIELDS} }} userErrors {{ code message field }} }}
}}
"""
ARCHIVE = (
    "mutation($id: ID!) { archiveQueue(id: $id) { queue { archivedAt } userErrors { code message field } } }"
)
SET_MEMBER = """
mutation($q: ID!, $input: QueueMemberInput!) {
  setQueueMember(queueId: $q, input: $input) { queue { id } userErrors { code message field } }
}
"""
QUEUES = "query { queues { id name } }"
TIMELINE = "query($id: ID!) { node(id: $id) { ... on Queue { timeline(first: 10) { edges { node { kind data } } } } } }"
REASSIGN = """
mutation($u: ID!, $c: ID, $d: ID) {
  reassign(userId: $u, contactId: $c, dealId: $d) {
    assignment { user { id } reason queue { name manual } }
    userErrors { code message field }
  }
}
"""
OWNER = "query($id: ID!) { contact(id: $id) { owner { id } } }"
ASSIGNMENTS = "query { assignments(first: 10) { edges { node { status reason user { id } workedAt } } } }"
NOTE = "mutation($input: NoteInput!) { addNote(input: $input) { userErrors { code } } }"


async def _teams(workspace):
    """Manager M runs team T (agents a1, a2); agent `outsider` is in team U."""
    manager = await workspace.user("MANAGER")
    team_t = await workspace.team("T", manager_id=manager["id"])
    team_u = await workspace.team("U")
    a1 = await workspace.user("AGENT", team_id=team_t["id"])
    a2 = await workspace.user("AGENT", team_id=team_t["id"])
    outsider = await workspace.user("AGENT", team_id=team_u["id"])
    return manager, team_t, team_u, a1, a2, outsider


def _queue_input(team_id, *members, **extra):
    return {
        "name": extra.pop("name", "Roleta T"),
        "mode": "OFFLINE",
        "strategy": "ROUND_ROBIN",
        "teamId": team_id,
        "members": [{"userId": m["id"]} for m in members],
        **extra,
    }


async def test_a_manager_runs_a_queue_of_their_team_with_people_of_their_teams(gql, workspace):
    manager, team_t, team_u, a1, a2, outsider = await _teams(workspace)
    token = manager["token"]
    # when the manager creates a queue of their team with their agents
    created = (await gql.ok(CREATE, {"input": _queue_input(team_t["id"], a1, a2)}, token=token))[
        "createQueue"
    ]
    # then it is theirs to run
    assert created["userErrors"] == []
    assert created["queue"]["team"] == {"id": team_t["id"]} and created["queue"]["manual"] is False
    # but not for another team, nor with someone of another team, nor without a team
    refusals = [
        (_queue_input(team_u["id"], a1, name="Alheia"), ("FORBIDDEN", ["input", "teamId"])),
        (
            _queue_input(team_t["id"], outsider, name="Com estranho"),
            ("FORBIDDEN", ["input", "members", "0", "userId"]),
        ),
        (_queue_input(None, a1, name="Sem time"), ("REQUIRED_FIELD_MISSING", ["input", "teamId"])),
    ]
    for values, expected in refusals:
        payload = (await gql.ok(CREATE, {"input": values}, token=token))["createQueue"]
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [expected]
    # and nothing else was created
    assert [q["name"] for q in (await gql.ok(QUEUES, token=workspace.token))["queues"]] == ["Roleta T"]
    # while an agent may not run queues at all
    body = await gql(CREATE, {"input": _queue_input(team_t["id"], a1, name="Agente")}, token=a1["token"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_a_paused_member_is_skipped_from_the_next_lead_and_the_change_is_on_the_queues_timeline(
    gql, workspace
):
    manager, team_t, _, a1, a2, _ = await _teams(workspace)
    queue = (await gql.ok(CREATE, {"input": _queue_input(team_t["id"], a1, a2)}, token=manager["token"]))[
        "createQueue"
    ]["queue"]
    # when the manager pauses a1 and renames the queue
    paused = await gql.ok(
        SET_MEMBER, {"q": queue["id"], "input": {"userId": a1["id"], "active": False}}, token=manager["token"]
    )
    assert paused["setQueueMember"]["userErrors"] == []
    renamed = await gql.ok(
        UPDATE, {"id": queue["id"], "input": {"name": "Roleta T2"}}, token=manager["token"]
    )
    assert renamed["updateQueue"]["queue"]["name"] == "Roleta T2"
    # then the next two leads both go to a2
    for _ in range(2):
        lead = await contact(gql, workspace.token)
        assigned = await distribute(gql, workspace.token, queue["id"], contact_id=lead)
        assert assigned["assignment"]["user"]["id"] == a2["id"]
    # and the queue's timeline tells what changed, newest first
    edges = (await gql.ok(TIMELINE, {"id": queue["id"]}, token=manager["token"]))["node"]["timeline"]["edges"]
    assert [e["node"]["kind"] for e in edges] == ["queue.updated", "queue.member_changed", "queue.created"]
    assert edges[0]["node"]["data"]["changes"]["name"] == {"from": "Roleta T", "to": "Roleta T2"}
    assert edges[1]["node"]["data"]["active"] is False


async def test_a_manager_may_not_change_another_teams_queue(gql, workspace):
    manager, _, team_u, _, _, outsider = await _teams(workspace)
    theirs = (await gql.ok(CREATE, {"input": _queue_input(team_u["id"], outsider)}, token=workspace.token))[
        "createQueue"
    ]["queue"]
    payload = (
        await gql.ok(UPDATE, {"id": theirs["id"], "input": {"name": "Minha"}}, token=manager["token"])
    )["updateQueue"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("FORBIDDEN", ["id"])]
    assert [q["name"] for q in (await gql.ok(QUEUES, token=workspace.token))["queues"]] == ["Roleta T"]


async def test_archiving_waits_for_the_backlog_and_then_retires_the_queue(gql, workspace):
    # given a queue whose only member is paused, with a lead waiting
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"], "active": False}])
    waiting = await distribute(
        gql, workspace.token, queue["id"], contact_id=await contact(gql, workspace.token)
    )
    assert waiting["assignment"]["status"] == "QUEUED"
    # when it is archived, it is refused while the lead waits
    refused = (await gql.ok(ARCHIVE, {"id": queue["id"]}, token=workspace.token))["archiveQueue"]
    assert [e["code"] for e in refused["userErrors"]] == ["RULE_VIOLATION"]
    assert "1 lead aguarda" in refused["userErrors"][0]["message"]
    # once the member is back and takes it, archiving works
    await gql.ok(
        SET_MEMBER,
        {"q": queue["id"], "input": {"userId": agent["id"], "active": True}},
        token=workspace.token,
    )
    await _until_no_backlog(gql, workspace.token, queue["id"])
    archived = (await gql.ok(ARCHIVE, {"id": queue["id"]}, token=workspace.token))["archiveQueue"]
    assert archived["userErrors"] == [] and archived["queue"]["archivedAt"]
    # and the queue is gone from the list and from routing
    assert (await gql.ok(QUEUES, token=workspace.token))["queues"] == []
    again = await distribute(
        gql, workspace.token, queue["id"], contact_id=await contact(gql, workspace.token)
    )
    assert [(e["code"], e["field"]) for e in again["userErrors"]] == [("NOT_FOUND", ["input", "queueId"])]


async def _until_no_backlog(gql, token, queue_id):
    from tests.distribution.support import backlog, eventually

    async def empty():
        return await backlog(gql, token, queue_id) == 0

    await eventually(empty)


async def test_a_manager_hands_a_lead_that_never_went_through_a_queue_to_someone_of_their_team(
    gql, workspace
):
    # given a lead created by hand by an agent of the manager's team
    manager, _, _, a1, a2, _ = await _teams(workspace)
    lead = await contact(gql, a1["token"], "Lead avulso")
    # when the manager gives it to a2
    given = (await gql.ok(REASSIGN, {"u": a2["id"], "c": lead}, token=manager["token"]))["reassign"]
    # then it is a2's, recorded against the workspace's manual-assignment queue
    assert given["userErrors"] == []
    assert given["assignment"]["user"]["id"] == a2["id"]
    assert given["assignment"]["queue"] == {"name": "Atribuição manual", "manual": True}
    assert (await gql.ok(OWNER, {"id": lead}, token=workspace.token))["contact"]["owner"]["id"] == a2["id"]
    # and that record is never listed among the roletas
    assert (await gql.ok(QUEUES, token=workspace.token))["queues"] == []


async def test_a_lead_nobody_worked_in_time_goes_to_the_next_member_and_a_worked_one_stays(gql, workspace):
    # given a queue that moves unattended leads after 30 minutes, with two agents
    a1, a2 = await workspace.user("AGENT"), await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": a1["id"]}, {"userId": a2["id"]}])
    await gql.ok(
        UPDATE, {"id": queue["id"], "input": {"redistributeAfterMinutes": 30}}, token=workspace.token
    )
    idle = await capture(gql, workspace.token, email="parado@example.com", queueId=queue["id"])
    worked = await capture(gql, workspace.token, email="atendido@example.com", queueId=queue["id"])
    assert (idle["assignment"]["user"]["id"], worked["assignment"]["user"]["id"]) == (a1["id"], a2["id"])
    await gql.ok(NOTE, {"input": {"subjectId": worked["contact"]["id"], "body": "Liguei"}}, token=a2["token"])
    # when both assignments are 31 minutes old and the scan runs
    await Assignment.all().update(assigned_at=datetime.now(UTC) - timedelta(minutes=31))
    moved = await redistribute_unattended(Settings.from_env())
    # then only the unworked lead moved, to the other member, saying why
    assert moved == 1
    assert (await gql.ok(OWNER, {"id": idle["contact"]["id"]}, token=workspace.token))["contact"]["owner"][
        "id"
    ] == a2["id"]
    assert (await gql.ok(OWNER, {"id": worked["contact"]["id"]}, token=workspace.token))["contact"]["owner"][
        "id"
    ] == a2["id"]
    newest = (await gql.ok(ASSIGNMENTS, token=workspace.token))["assignments"]["edges"][0]["node"]
    assert newest["user"]["id"] == a2["id"]
    assert (
        newest["reason"].startswith("Redistribuído:")
        and "nenhum primeiro contato em 30 min" in newest["reason"]
    )
    # and a scan right after moves nothing more
    assert await redistribute_unattended(Settings.from_env()) == 0


async def test_an_unattended_lead_stays_when_nobody_else_can_take_it(gql, workspace):
    # given a queue with a single member, whose lead waits past the delay
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    await gql.ok(UPDATE, {"id": queue["id"], "input": {"redistributeAfterMinutes": 5}}, token=workspace.token)
    lead = await capture(gql, workspace.token, email="unico@example.com", queueId=queue["id"])
    await Assignment.all().update(assigned_at=datetime.now(UTC) - timedelta(minutes=6))
    # when the scan runs, the lead stays with its owner and nothing waits in the backlog
    assert await redistribute_unattended(Settings.from_env()) == 0
    assert (await gql.ok(OWNER, {"id": lead["contact"]["id"]}, token=workspace.token))["contact"]["owner"][
        "id"
    ] == agent["id"]
    statuses = [
        e["node"]["status"]
        for e in (await gql.ok(ASSIGNMENTS, token=workspace.token))["assignments"]["edges"]
    ]
    assert statuses == ["ASSIGNED"]
