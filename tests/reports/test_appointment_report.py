"""appointmentReport: the tasks due in a range (agendamentos), by day, week,
month in the workspace's timezone, or by assignee, under the caller's
visibility."""

from datetime import UTC, datetime, timedelta

from tests.reports.support import error_of, window

APPOINTMENTS = """
query Appointments($range: ReportRange!, $by: AppointmentDimension!, $teamId: ID, $ownerId: ID) {
  appointmentReport(range: $range, by: $by, teamId: $teamId, ownerId: $ownerId) { key label count value }
}
"""
CREATE_TASK = "mutation($input: TaskInput!) { createTask(input: $input) { task { id } userErrors { code } } }"
# Monday 7 Dec 2026, 00:00 in São Paulo (UTC-3)
MONDAY = datetime(2026, 12, 7, 3, tzinfo=UTC)


async def task(gql, token, due, **fields):
    data = await gql.ok(
        CREATE_TASK,
        {"input": {"title": "Visita ao decorado", "dueAt": due and due.isoformat(), **fields}},
        token=token,
    )
    assert data["createTask"]["userErrors"] == [], data


async def appointments(gql, token, by, range_, **narrowed):
    data = await gql.ok(APPOINTMENTS, {"by": by, "range": range_, **narrowed}, token=token)
    assert all(b["value"] is None for b in data["appointmentReport"])
    return [(b["key"], b["label"], b["count"]) for b in data["appointmentReport"]]


async def known_tasks(gql, workspace):
    """An agent in a team; tasks due (São Paulo time):
    the admin's: Mon 10:00, Mon 23:30, Tue 09:00, Sun 13 Dec 12:00, and one with no due date
    the agent's: Tue 14:00, Mon 14 Dec 08:00 (next week)"""
    team = await workspace.team("Equipe SP")
    agent = await workspace.user("AGENT", team_id=team["id"], name="Bruno Corretor")
    for due in (10, 23.5, 33, 6 * 24 + 12):
        await task(gql, workspace.token, MONDAY + timedelta(hours=due))
    await task(gql, workspace.token, None)
    for due in (38, 7 * 24 + 8):
        await task(gql, agent["token"], MONDAY + timedelta(hours=due))
    return agent, team


async def test_by_day_and_week_in_the_workspace_timezone(gql, workspace):
    # given the known tasks
    await known_tasks(gql, workspace)
    # when the admin reads Monday to Wednesday by DAY, then Mon 23:30 local is Monday (02:30 UTC Tuesday)
    assert await appointments(gql, workspace.token, "DAY", window(MONDAY, MONDAY + timedelta(days=3))) == [
        ("2026-12-07", "07/12/2026", 2),
        ("2026-12-08", "08/12/2026", 2),
        ("2026-12-09", "09/12/2026", 0),
    ]
    # and two weeks by WEEK, by MONTH
    two_weeks = window(MONDAY, MONDAY + timedelta(days=14))
    assert await appointments(gql, workspace.token, "WEEK", two_weeks) == [
        ("2026-W50", "Semana 50 de 2026", 5),
        ("2026-W51", "Semana 51 de 2026", 1),
    ]
    assert await appointments(gql, workspace.token, "MONTH", two_weeks) == [
        ("2026-12", "dezembro de 2026", 6)
    ]
    # and an empty range has its empty period
    before = window(MONDAY - timedelta(days=1), MONDAY)
    assert await appointments(gql, workspace.token, "DAY", before) == [("2026-12-06", "06/12/2026", 0)]
    assert await appointments(gql, workspace.token, "OWNER", before) == []


async def test_by_owner_under_each_role_and_narrowed(gql, workspace):
    # given the known tasks
    agent, team = await known_tasks(gql, workspace)
    week = window(MONDAY, MONDAY + timedelta(days=7))
    # when the admin reads the week by OWNER, then largest count first
    assert await appointments(gql, workspace.token, "OWNER", week) == [
        (workspace.admin["id"], "Ana Admin", 4),
        (agent["id"], "Bruno Corretor", 1),
    ]
    # and the agent sees their own; teamId and ownerId narrow to the agent
    only_agent = [(agent["id"], "Bruno Corretor", 1)]
    assert await appointments(gql, agent["token"], "OWNER", week) == only_agent
    assert await appointments(gql, workspace.token, "OWNER", week, teamId=team["id"]) == only_agent
    assert await appointments(gql, workspace.token, "OWNER", week, ownerId=agent["id"]) == only_agent
    assert await appointments(gql, agent["token"], "OWNER", week, ownerId=workspace.admin["id"]) == []


async def test_ids_that_name_nothing_visible_are_not_found_and_bad_ranges_invalid(gql, workspace):
    week = window(MONDAY, MONDAY + timedelta(days=7))
    body = await gql(APPOINTMENTS, {"by": "OWNER", "range": week, "ownerId": "nope"}, token=workspace.token)
    assert error_of(body) == ("NOT_FOUND", ["ownerId"])
    body = await gql(APPOINTMENTS, {"by": "DAY", "range": window(MONDAY, MONDAY)}, token=workspace.token)
    assert error_of(body) == ("INVALID", ["range", "from"])


async def test_labels_follow_the_callers_language_and_polls_never_share_one(gql, workspace):
    # given two administrators (one scope: the workspace), the second speaking English
    english = await workspace.user("ADMIN")
    chosen = await gql.ok(
        'mutation { setMyLocale(locale: "en") { userErrors { code } } }', token=english["token"]
    )
    assert chosen["setMyLocale"]["userErrors"] == []
    two_weeks = window(MONDAY, MONDAY + timedelta(days=14))
    # when each reads the same report twice (the second time from the poll cache)
    for _ in range(2):
        assert await appointments(gql, workspace.token, "WEEK", two_weeks) == [
            ("2026-W50", "Semana 50 de 2026", 0),
            ("2026-W51", "Semana 51 de 2026", 0),
        ]
        # then each gets the labels in their own language
        assert await appointments(gql, english["token"], "WEEK", two_weeks) == [
            ("2026-W50", "Week 50 of 2026", 0),
            ("2026-W51", "Week 51 of 2026", 0),
        ]
    assert await appointments(gql, english["token"], "MONTH", two_weeks) == [("2026-12", "December 2026", 0)]
    assert await appointments(gql, english["token"], "DAY", window(MONDAY, MONDAY + timedelta(days=1))) == [
        ("2026-12-07", "12/7/26", 0)
    ]
