"""dealReport: deals created, won and lost in a range, with their values,
by owner, team, source, empreendimento, stage or calendar period. Histories
are made through the API and their transition times set to known values."""

from datetime import UTC, datetime, timedelta

from tests.graph.development_support import CREATE_DEVELOPMENT
from tests.pipeline.support import create_pipeline
from tests.reports.support import error_of, set_history, walk, window

DEAL_REPORT = """
query DealReport($range: ReportRange!, $by: DealDimension!, $pipelineId: ID, $teamId: ID, $ownerId: ID) {
  dealReport(range: $range, by: $by, pipelineId: $pipelineId, teamId: $teamId, ownerId: $ownerId) {
    key label created won lost createdValue wonValue lostValue
  }
}
"""
CREATE_CONTACT = """
mutation($input: ContactInput!) { createContact(input: $input) { contact { id } userErrors { code } } }
"""
STAGES = [
    {"name": "Novo"},
    {"name": "Proposta"},
    {"name": "Ganho", "kind": "WON"},
    {"name": "Perdido", "kind": "LOST"},
]
# 09:00 in São Paulo (UTC-3), the workspace's timezone.
T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
DAY = window(T0 - timedelta(hours=12), T0 + timedelta(hours=36))  # 01/03 21:00 to 03/03 21:00 local


def hours(value: float) -> datetime:
    return T0 + timedelta(hours=value)


async def report(gql, token, by, range_=DAY, **narrowed):
    data = await gql.ok(DEAL_REPORT, {"by": by, "range": range_, **narrowed}, token=token)
    return [
        (
            b["key"],
            b["label"],
            b["created"],
            b["won"],
            b["lost"],
            b["createdValue"],
            b["wonValue"],
            b["lostValue"],
        )
        for b in data["dealReport"]
    ]


async def contact(gql, token, source) -> str:
    data = await gql.ok(CREATE_CONTACT, {"input": {"name": "Lead", "source": source}}, token=token)
    return data["createContact"]["contact"]["id"]


async def known_history(gql, workspace):
    """Four deals (hours after T0 in brackets), and an agent in a team:
    A  Novo(0) → Ganho(6), 100.00, admin's, contact from "site", in Vila Nova
    B  Novo(1) → Perdido(7), 50.00, the agent's, contact from "whatsapp"
    C  Novo(26), 70.00 in USD (counted, never summed), admin's
    D  Novo(2) → Ganho(3) → Perdido(30), 200.00, admin's"""
    token, admin = workspace.token, workspace.admin["id"]
    team = await workspace.team("Equipe SP")
    agent = await workspace.user("AGENT", team_id=team["id"], name="Bruno Corretor")
    created = await gql.ok(
        CREATE_DEVELOPMENT, {"input": {"name": "Vila Nova", "status": "LAUNCH"}}, token=token
    )
    development = created["createDevelopment"]["development"]
    pipeline = await create_pipeline(gql, token, STAGES)
    a = await walk(
        gql,
        token,
        pipeline,
        ["Novo", "Ganho"],
        value="100.00",
        ownerId=admin,
        contactId=await contact(gql, token, "site"),
        developmentId=development["id"],
    )
    b = await walk(
        gql,
        token,
        pipeline,
        ["Novo", "Perdido"],
        value="50.00",
        ownerId=agent["id"],
        contactId=await contact(gql, token, "whatsapp"),
    )
    c = await walk(gql, token, pipeline, ["Novo"], value="70.00", currency="USD", ownerId=admin)
    d = await walk(gql, token, pipeline, ["Novo", "Ganho", "Perdido"], value="200.00", ownerId=admin)
    for deal, times in ((a, [0, 6]), (b, [1, 7]), (c, [26]), (d, [2, 3, 30])):
        await set_history(deal, [hours(t) for t in times])
    return {"pipeline": pipeline, "agent": agent, "team": team, "development": development}


async def test_by_day_in_the_workspace_timezone_with_the_empty_ones(gql, workspace):
    # given the known history
    known = await known_history(gql, workspace)
    # when the admin reads the two days by DAY
    found = await report(gql, workspace.token, "DAY", pipelineId=known["pipeline"]["id"])
    # then 01/03 (local) is empty, 02/03 has A, B, D created, A and D won, B lost; 03/03 C and D's loss
    assert found == [
        ("2026-03-01", "01/03/2026", 0, 0, 0, "0.00", "0.00", "0.00"),
        ("2026-03-02", "02/03/2026", 3, 2, 1, "350.00", "300.00", "50.00"),
        ("2026-03-03", "03/03/2026", 1, 0, 1, "0.00", "0.00", "200.00"),
    ]
    # and by MONTH and WEEK it is one bucket
    assert await report(gql, workspace.token, "MONTH") == [
        ("2026-03", "março de 2026", 4, 2, 2, "350.00", "300.00", "250.00")
    ]
    # (01/03 21:00 local, a Sunday, is the last hour of ISO week 9)
    assert [b[:5] for b in await report(gql, workspace.token, "WEEK")] == [
        ("2026-W09", "Semana 9 de 2026", 0, 0, 0),
        ("2026-W10", "Semana 10 de 2026", 4, 2, 2),
    ]


async def test_a_range_that_cuts_the_history_and_an_empty_one(gql, workspace):
    # given the known history
    known = await known_history(gql, workspace)
    # when the admin reads from 2.5h to 7.5h, then D's and A's wins and B's loss are in it, no creation
    assert await report(gql, workspace.token, "OWNER", window(hours(2.5), hours(7.5))) == [
        (workspace.admin["id"], "Ana Admin", 0, 2, 0, "0.00", "300.00", "0.00"),
        (known["agent"]["id"], "Bruno Corretor", 0, 0, 1, "0.00", "0.00", "50.00"),
    ]
    # and a range before everything has no bucket (periods: empty ones)
    assert await report(gql, workspace.token, "OWNER", window(hours(-48), hours(-24))) == []
    assert await report(gql, workspace.token, "DAY", window(hours(-48), hours(-24))) == [
        ("2026-02-28", "28/02/2026", 0, 0, 0, "0.00", "0.00", "0.00"),
        ("2026-03-01", "01/03/2026", 0, 0, 0, "0.00", "0.00", "0.00"),
    ]


async def test_by_owner_team_source_development_and_stage(gql, workspace):
    # given the known history
    known = await known_history(gql, workspace)
    admin, agent, team = workspace.admin, known["agent"], known["team"]
    development = known["development"]
    stage = known["pipeline"]["stage"]
    # when the admin reads each dimension, then each deal is under its value now
    assert await report(gql, workspace.token, "OWNER") == [
        (admin["id"], admin["name"], 3, 2, 1, "300.00", "300.00", "200.00"),
        (agent["id"], agent["name"], 1, 0, 1, "50.00", "0.00", "50.00"),
    ]
    assert await report(gql, workspace.token, "TEAM") == [
        ("", "—", 3, 2, 1, "300.00", "300.00", "200.00"),
        (team["id"], "Equipe SP", 1, 0, 1, "50.00", "0.00", "50.00"),
    ]
    assert await report(gql, workspace.token, "SOURCE") == [
        ("", "—", 2, 1, 1, "200.00", "200.00", "200.00"),
        ("site", "site", 1, 1, 0, "100.00", "100.00", "0.00"),
        ("whatsapp", "whatsapp", 1, 0, 1, "50.00", "0.00", "50.00"),
    ]
    assert await report(gql, workspace.token, "DEVELOPMENT") == [
        ("", "—", 3, 1, 2, "250.00", "200.00", "250.00"),
        (development["id"], "Vila Nova", 1, 1, 0, "100.00", "100.00", "0.00"),
    ]
    assert await report(gql, workspace.token, "STAGE") == [
        (stage["Perdido"], "Perdido", 2, 1, 2, "250.00", "200.00", "250.00"),
        (stage["Ganho"], "Ganho", 1, 1, 0, "100.00", "100.00", "0.00"),
        (stage["Novo"], "Novo", 1, 0, 0, "0.00", "0.00", "0.00"),
    ]


async def test_each_role_counts_the_deals_it_sees_and_filters_only_narrow(gql, workspace):
    # given the known history, and a deal in another pipeline
    known = await known_history(gql, workspace)
    other = await create_pipeline(gql, workspace.token, STAGES, name="Locação")
    await walk(gql, workspace.token, other, ["Novo", "Ganho"], value="5.00")
    agent = known["agent"]
    month = "MONTH"
    wide = window(hours(-12), datetime.now(UTC) + timedelta(hours=1))

    async def totals(token, **narrowed):
        return [b[2:5] for b in await report(gql, token, month, wide, **narrowed)]

    # when each reads, then the admin counts every pipeline, the pipeline narrows to its deals
    both = await totals(workspace.token)
    assert sum(b[0] for b in both) == 5 and sum(b[1] for b in both) == 3
    assert sum(b[0] for b in await totals(workspace.token, pipelineId=known["pipeline"]["id"])) == 4
    # the agent sees only B; teamId and ownerId narrow to it
    assert [b for b in await totals(agent["token"]) if any(b)] == [(1, 0, 1)]
    assert [b for b in await totals(workspace.token, teamId=known["team"]["id"]) if any(b)] == [(1, 0, 1)]
    assert [b for b in await totals(workspace.token, ownerId=agent["id"]) if any(b)] == [(1, 0, 1)]
    # and the agent naming the admin narrows to nothing
    assert not any(any(b) for b in await totals(agent["token"], ownerId=workspace.admin["id"]))


async def test_ids_that_name_nothing_visible_are_not_found_and_bad_ranges_invalid(
    gql, workspace, other_workspace
):
    foreign = await create_pipeline(gql, other_workspace.token, STAGES)
    for arguments, field in (
        ({"pipelineId": foreign["id"]}, ["pipelineId"]),
        ({"teamId": "nope"}, ["teamId"]),
    ):
        body = await gql(DEAL_REPORT, {"by": "OWNER", "range": DAY, **arguments}, token=workspace.token)
        assert error_of(body) == ("NOT_FOUND", field)
    body = await gql(DEAL_REPORT, {"by": "DAY", "range": window(hours(1), hours(0))}, token=workspace.token)
    assert error_of(body) == ("INVALID", ["range", "from"])
