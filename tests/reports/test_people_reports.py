"""distributionReport (assignments per roleta and member, worked, time to
first contact) and activityReport (notes, tasks completed, deal moves,
messages per user), under each role's visibility."""

from datetime import UTC, datetime, timedelta

from revgraph.models.distribution import Assignment
from revgraph.resolvers.ids import pk_of
from tests.distribution.support import contact, create_queue, distribute
from tests.graph.documents import ADD_NOTE, COMPLETE_TASK, CREATE_TASK
from tests.inbox.support import create_inbox, receive, send
from tests.pipeline.support import create_pipeline
from tests.reports.support import error_of, walk, window

DISTRIBUTION = """
query Distribution($range: ReportRange!, $queueId: ID) {
  distributionReport(range: $range, queueId: $queueId) {
    queue { name } member { id } assigned worked
    firstContact { count averageSeconds medianSeconds p90Seconds }
  }
}
"""
ACTIVITY = """
query Activity($range: ReportRange!, $teamId: ID) {
  activityReport(range: $range, teamId: $teamId) { user { id name } notes tasksCompleted dealMoves messagesSent }
}
"""
T0 = datetime(2026, 5, 4, 12, tzinfo=UTC)
DAY = window(T0, T0 + timedelta(days=1))


def around_now() -> dict:
    now = datetime.now(UTC)
    return window(now - timedelta(hours=1), now + timedelta(hours=1))


async def set_times(assignment_id, assigned, worked=None):
    await Assignment.filter(id=pk_of(assignment_id, "Assignment")).update(
        assigned_at=assigned, worked_at=worked
    )


async def distribution(gql, token, range_=DAY, **narrowed):
    data = await gql.ok(DISTRIBUTION, {"range": range_, **narrowed}, token=token)
    return [
        (r["queue"]["name"], r["member"]["id"], r["assigned"], r["worked"], tuple(r["firstContact"].values()))
        for r in data["distributionReport"]
    ]


async def known_assignments(gql, workspace):
    """Roleta SP with the agent in a team (ana) and one outside it (bia),
    Roleta RJ with bia. Assigned at T0 + minutes, worked after (seconds):
    SP ana: 0 worked 60s, 10 worked 300s, 20 not worked; 1 day later (outside the day)
    SP bia: 5 worked 120s
    RJ bia: 30 not worked"""
    team = await workspace.team("Equipe SP")
    ana = await workspace.user("AGENT", team_id=team["id"], name="Ana")
    bia = await workspace.user("AGENT", name="Bia")
    sp = await create_queue(
        gql, workspace.token, [{"userId": ana["id"]}, {"userId": bia["id"]}], name="Roleta SP"
    )
    rj = await create_queue(gql, workspace.token, [{"userId": bia["id"]}], name="Roleta RJ")
    plan = [
        (sp, ana, 0, 60),
        (sp, bia, 5, 120),
        (sp, ana, 10, 300),
        (sp, bia, None, None),  # bia's turn, kept outside the day
        (sp, ana, 20, None),
        (rj, bia, 30, None),
    ]
    for queue, member, minutes, worked in plan:
        made = await distribute(
            gql, workspace.token, queue["id"], contact_id=await contact(gql, workspace.token)
        )
        assert made["userErrors"] == [] and made["assignment"]["user"]["id"] == member["id"], made
        assigned = T0 + timedelta(minutes=minutes) if minutes is not None else T0 + timedelta(days=1)
        await set_times(
            made["assignment"]["id"], assigned, assigned + timedelta(seconds=worked) if worked else None
        )
    return ana, bia, team, sp


async def test_assignments_worked_and_time_to_first_contact_per_queue_and_member(gql, workspace):
    # given the known assignments
    ana, bia, _, sp = await known_assignments(gql, workspace)
    # when the admin reads the day, then per queue (by name) and member (most assigned first)
    assert await distribution(gql, workspace.token) == [
        ("Roleta RJ", bia["id"], 1, 0, (0, None, None, None)),
        ("Roleta SP", ana["id"], 3, 2, (2, 180, 60, 300)),
        ("Roleta SP", bia["id"], 1, 1, (1, 120, 120, 120)),
    ]
    # and queueId narrows; each agent sees their own rows; an empty range has none
    assert [r[:3] for r in await distribution(gql, workspace.token, queueId=sp["id"])] == [
        ("Roleta SP", ana["id"], 3),
        ("Roleta SP", bia["id"], 1),
    ]
    assert [r[:3] for r in await distribution(gql, ana["token"])] == [("Roleta SP", ana["id"], 3)]
    assert [r[:3] for r in await distribution(gql, bia["token"])] == [
        ("Roleta RJ", bia["id"], 1),
        ("Roleta SP", bia["id"], 1),
    ]
    assert await distribution(gql, workspace.token, window(T0 - timedelta(days=1), T0)) == []


async def test_a_manager_sees_their_team_members_rows(gql, workspace):
    # given the known assignments and a manager of ana's team
    ana, _, team, _ = await known_assignments(gql, workspace)
    manager = await workspace.user("MANAGER", team_id=team["id"])
    # when the manager reads the day, then only ana's rows
    assert [r[:3] for r in await distribution(gql, manager["token"])] == [("Roleta SP", ana["id"], 3)]
    body = await gql(DISTRIBUTION, {"range": DAY, "queueId": "nope"}, token=workspace.token)
    assert error_of(body) == ("NOT_FOUND", ["queueId"])


async def activity(gql, token, range_=None, **narrowed):
    data = await gql.ok(ACTIVITY, {"range": range_ or around_now(), **narrowed}, token=token)
    return [
        (r["user"]["name"], r["notes"], r["tasksCompleted"], r["dealMoves"], r["messagesSent"])
        for r in data["activityReport"]
    ]


async def test_activities_per_user_under_each_role(gql, workspace):
    # given an agent in a team and an agent outside it
    token = workspace.token
    team = await workspace.team("Equipe SP")
    ana = await workspace.user("AGENT", team_id=team["id"], name="Ana")
    await workspace.user("AGENT", name="Bia")
    lead = await contact(gql, token)
    # when the admin adds two notes, completes a task and moves a deal twice (creating it is no move)
    for body in ("Ligou", "Visitou"):
        added = await gql.ok(ADD_NOTE, {"input": {"subjectId": lead, "body": body}}, token=token)
        assert added["addNote"]["userErrors"] == []
    created = await gql.ok(CREATE_TASK, {"input": {"title": "Ligar", "contactId": lead}}, token=token)
    done = await gql.ok(COMPLETE_TASK, {"id": created["createTask"]["task"]["id"]}, token=token)
    assert done["completeTask"]["userErrors"] == []
    pipeline = await create_pipeline(gql, token)
    await walk(gql, token, pipeline, ["Novo lead", "Em contato", "Novo lead"], ownerId=workspace.admin["id"])
    # and ana adds a note on her own lead
    her_lead = await contact(gql, ana["token"])
    await gql.ok(ADD_NOTE, {"input": {"subjectId": her_lead, "body": "Oi"}}, token=ana["token"])
    # and the admin sends two messages in a conversation and writes an internal note there
    inbox = await create_inbox(gql, token)
    conversation = (await receive(gql, token, inbox["id"]))["conversation"]
    for body, kind in (("Olá!", "TEXT"), ("Tudo bem?", "TEXT"), ("ligar depois", "NOTE")):
        sent = await send(gql, token, conversation["id"], body=body, kind=kind)
        assert sent["userErrors"] == [], sent
    # then the admin sees everyone (active users without activity too), by name
    assert await activity(gql, token) == [
        ("Ana", 1, 0, 0, 0),
        ("Ana Admin", 2, 1, 2, 2),
        ("Bia", 0, 0, 0, 0),
    ]
    # and ana sees herself; teamId narrows to the team's members; before it all, nothing was done
    assert await activity(gql, ana["token"]) == [("Ana", 1, 0, 0, 0)]
    assert await activity(gql, token, teamId=team["id"]) == [("Ana", 1, 0, 0, 0)]
    before = window(datetime.now(UTC) - timedelta(days=2), datetime.now(UTC) - timedelta(days=1))
    assert await activity(gql, token, before) == [
        ("Ana", 0, 0, 0, 0),
        ("Ana Admin", 0, 0, 0, 0),
        ("Bia", 0, 0, 0, 0),
    ]
    body = await gql(ACTIVITY, {"range": around_now(), "teamId": "nope"}, token=token)
    assert error_of(body) == ("NOT_FOUND", ["teamId"])
