"""pipelineSnapshot: propostas em negociação (the open deals now by OPEN
stage, with probability-weighted values) and the forecast by expected close
month in the workspace's timezone."""

from tests.pipeline.support import create_pipeline
from tests.reports.support import error_of, walk

SNAPSHOT = """
query Snapshot($pipelineId: ID!, $teamId: ID, $ownerId: ID) {
  pipelineSnapshot(pipelineId: $pipelineId, teamId: $teamId, ownerId: $ownerId) {
    pipeline { name }
    stages { stage { name } count value weightedValue }
    count value weightedValue
    forecast { key label count value }
  }
}
"""
ARCHIVE_STAGE = (
    "mutation($id: ID!, $to: ID) { archiveStage(id: $id, moveDealsTo: $to) { userErrors { code } } }"
)
STAGES = [
    {"name": "Novo", "probability": 10},
    {"name": "Visita", "probability": 30},
    {"name": "Proposta", "probability": 55},
    {"name": "Ganho", "kind": "WON", "probability": 100},
    {"name": "Perdido", "kind": "LOST"},
]


async def snapshot(gql, token, pipeline_id, **narrowed):
    data = await gql.ok(SNAPSHOT, {"pipelineId": pipeline_id, **narrowed}, token=token)
    return data["pipelineSnapshot"]


def rows(found):
    return [(s["stage"]["name"], s["count"], s["value"], s["weightedValue"]) for s in found["stages"]]


def forecast(found):
    return [(b["key"], b["label"], b["count"], b["value"]) for b in found["forecast"]]


async def known_deals(gql, workspace, agent):
    """Open deals (closing dates in UTC; São Paulo is UTC-3):
    Novo      100.00 closing 2026-12-31T12:00 (dezembro)        the agent's
    Visita    200.00 closing 2027-01-01T02:00 (31/12 23:00: dezembro)
    Visita     33.33 closing 2027-01-01T04:00 (janeiro)
    Proposta  999.99 no date
    Proposta   50.00 in USD, no date (counted, never summed)
    and a won and a lost deal, which are not open."""
    token, admin = workspace.token, workspace.admin["id"]
    pipeline = await create_pipeline(gql, token, STAGES)
    for names, value, closes, owner, extra in (
        (["Novo"], "100.00", "2026-12-31T12:00:00Z", agent["id"], {}),
        (["Novo", "Visita"], "200.00", "2027-01-01T02:00:00Z", admin, {}),
        (["Visita"], "33.33", "2027-01-01T04:00:00Z", admin, {}),
        (["Proposta"], "999.99", None, admin, {}),
        (["Proposta"], "50.00", None, admin, {"currency": "USD"}),
        (["Novo", "Ganho"], "1000.00", None, admin, {}),
        (["Novo", "Perdido"], "1000.00", None, admin, {}),
    ):
        await walk(gql, token, pipeline, names, value=value, expectedCloseDate=closes, ownerId=owner, **extra)
    return pipeline


async def test_open_value_by_stage_weighted_and_the_forecast_by_month(gql, workspace):
    # given the known open deals
    agent = await workspace.user("AGENT")
    pipeline = await known_deals(gql, workspace, agent)
    # when the admin reads the snapshot
    found = await snapshot(gql, workspace.token, pipeline["id"])
    # then per OPEN stage: 100 × 10 % = 10; 233.33 × 30 % = 69.999 → 70.00; 999.99 × 55 % = 549.9945 → 549.99
    assert found["pipeline"] == {"name": "Pré-vendas"}
    assert rows(found) == [
        ("Novo", 1, "100.00", "10.00"),
        ("Visita", 2, "233.33", "70.00"),
        ("Proposta", 2, "999.99", "549.99"),
    ]
    assert (found["count"], found["value"], found["weightedValue"]) == (5, "1333.32", "629.99")
    # and by close month in São Paulo: 10 + 60 = 70 in dezembro, 9.999 → 10.00 in janeiro, then no date
    assert forecast(found) == [
        ("2026-12", "dezembro de 2026", 2, "70.00"),
        ("2027-01", "janeiro de 2027", 1, "10.00"),
        ("", "—", 2, "549.99"),
    ]


async def test_each_role_sees_its_deals_and_filters_only_narrow(gql, workspace):
    # given the known open deals, one of them the agent's
    agent = await workspace.user("AGENT")
    pipeline = await known_deals(gql, workspace, agent)
    # when the agent reads it, then only their deal is there
    mine = await snapshot(gql, agent["token"], pipeline["id"])
    assert rows(mine) == [
        ("Novo", 1, "100.00", "10.00"),
        ("Visita", 0, "0.00", "0.00"),
        ("Proposta", 0, "0.00", "0.00"),
    ]
    assert forecast(mine) == [("2026-12", "dezembro de 2026", 1, "10.00")]
    # and the admin narrowing to the agent reads the same; the agent naming the admin reads nothing
    assert await snapshot(gql, workspace.token, pipeline["id"], ownerId=agent["id"]) == mine
    nothing = await snapshot(gql, agent["token"], pipeline["id"], ownerId=workspace.admin["id"])
    assert (nothing["count"], nothing["value"], nothing["weightedValue"], nothing["forecast"]) == (
        0,
        "0.00",
        "0.00",
        [],
    )


async def test_an_archived_open_stage_shows_while_it_holds_deals(gql, workspace):
    # given a deal in Visita, and Novo archived (empty)
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    await walk(gql, token, pipeline, ["Visita"], value="10.00")
    archived = await gql.ok(ARCHIVE_STAGE, {"id": pipeline["stage"]["Novo"]}, token=token)
    assert archived["archiveStage"]["userErrors"] == []
    # when the admin reads the snapshot, then the empty archived stage is left out
    assert [r[0] for r in rows(await snapshot(gql, token, pipeline["id"]))] == ["Visita", "Proposta"]


async def test_ids_that_name_nothing_visible_are_not_found(gql, workspace, other_workspace):
    foreign = await create_pipeline(gql, other_workspace.token, STAGES)
    body = await gql(SNAPSHOT, {"pipelineId": foreign["id"]}, token=workspace.token)
    assert error_of(body) == ("NOT_FOUND", ["pipelineId"])
    assert body["data"] == {"pipelineSnapshot": None}
