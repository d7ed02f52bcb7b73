"""funnel: per stage, the deals that entered it in a range, those of them
that went on to a higher OPEN or WON stage, the deals there now and the
stays that ended in the range; the range's wins, losses and loss reasons.
Histories are made through the API and their transition times set to known
values (tests/reports/support.py), so every figure is exact."""

from datetime import UTC, datetime, timedelta

from tests.pipeline.support import create_pipeline
from tests.reports.support import error_of, set_history, walk, window

STATS = "count averageSeconds medianSeconds p90Seconds"
FUNNEL = f"""
query Funnel($pipelineId: ID!, $range: ReportRange!, $teamId: ID, $ownerId: ID) {{
  funnel(pipelineId: $pipelineId, range: $range, teamId: $teamId, ownerId: $ownerId) {{
    pipeline {{ id name }}
    stages {{
      stage {{ name }}
      entered converted conversionRate current currentValue
      timeInStage {{ {STATS} }}
    }}
    won lost wonValue winRate
    lossReasons {{ key label count value }}
  }}
}}
"""
DELETE_DEAL = "mutation($id: ID!) { deleteDeal(id: $id) { userErrors { code } } }"
ARCHIVE_STAGE = (
    "mutation($id: ID!, $to: ID) { archiveStage(id: $id, moveDealsTo: $to) { userErrors { code } } }"
)
STAGES = [
    {"name": "Novo"},
    {"name": "Contato"},
    {"name": "Proposta"},
    {"name": "Ganho", "kind": "WON"},
    {"name": "Perdido", "kind": "LOST"},
]
NONE = {"count": 0, "averageSeconds": None, "medianSeconds": None, "p90Seconds": None}
T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)


def hours(value: float) -> datetime:
    return T0 + timedelta(hours=value)


def stats(*seconds: int) -> dict:
    """DurationStats of a few durations, worked out by hand in each test."""
    return dict(zip(("count", "averageSeconds", "medianSeconds", "p90Seconds"), seconds, strict=True))


def around_now() -> dict:
    now = datetime.now(UTC)
    return window(now - timedelta(hours=1), now + timedelta(hours=1))


async def funnel(gql, token, pipeline_id, range_, **narrowed):
    data = await gql.ok(FUNNEL, {"pipelineId": pipeline_id, "range": range_, **narrowed}, token=token)
    return data["funnel"]


def by_stage(found) -> dict:
    return {
        row["stage"]["name"]: (
            row["entered"],
            row["converted"],
            row["conversionRate"],
            row["current"],
            row["currentValue"],
            row["timeInStage"],
        )
        for row in found["stages"]
    }


async def known_history(gql, token):
    """Four deals between 12:00 and 20:00 (hours after T0 in brackets):
    A  Novo(0) → Contato(1) → Proposta(3) → Ganho(6), 100.00
    B  Novo(1) → Contato(2) → Novo(4) → Contato(5) → Proposta(8), 200.00
    C  Novo(2) → Perdido(7) "Preço", 50.00
    D  Novo(3), 70.00 in USD (counted, never summed)"""
    pipeline = await create_pipeline(gql, token, STAGES)
    a = await walk(gql, token, pipeline, ["Novo", "Contato", "Proposta", "Ganho"], value="100.00")
    b = await walk(gql, token, pipeline, ["Novo", "Contato", "Novo", "Contato", "Proposta"], value="200.00")
    c = await walk(gql, token, pipeline, ["Novo", "Perdido"], value="50.00")
    d = await walk(gql, token, pipeline, ["Novo"], value="70.00", currency="USD")
    await set_history(a, [hours(0), hours(1), hours(3), hours(6)])
    await set_history(b, [hours(1), hours(2), hours(4), hours(5), hours(8)])
    await set_history(c, [hours(2), hours(7)])
    await set_history(d, [hours(3)])
    return pipeline


async def test_every_figure_of_a_known_history(gql, workspace):
    # given the known history
    pipeline = await known_history(gql, workspace.token)
    # when the admin reads the funnel of the whole day
    found = await funnel(gql, workspace.token, pipeline["id"], window(hours(0), hours(24)))
    # then B, in and out of Novo twice, entered it once and converted from its first entry;
    # Novo's stays: A 1h, B 1h and 1h, C 5h; Contato's: A 2h, B 2h and 3h; Proposta's: A 3h
    assert found["pipeline"] == {"id": pipeline["id"], "name": "Pré-vendas"}
    assert by_stage(found) == {
        "Novo": (4, 2, 0.5, 1, "0.00", stats(4, 7200, 3600, 18000)),
        "Contato": (2, 2, 1.0, 0, "0.00", stats(3, 8400, 7200, 10800)),
        "Proposta": (2, 1, 0.5, 1, "200.00", stats(1, 10800, 10800, 10800)),
        "Ganho": (1, 0, 0.0, 1, "100.00", NONE),
        "Perdido": (1, 0, 0.0, 1, "50.00", NONE),
    }
    assert [row["stage"]["name"] for row in found["stages"]] == [
        "Novo",
        "Contato",
        "Proposta",
        "Ganho",
        "Perdido",
    ]
    assert (found["won"], found["lost"], found["wonValue"], found["winRate"]) == (1, 1, "100.00", 0.5)
    assert found["lossReasons"] == [{"key": "Preço", "label": "Preço", "count": 1, "value": "50.00"}]


async def test_a_range_that_cuts_the_history_in_the_middle(gql, workspace):
    # given the known history
    pipeline = await known_history(gql, workspace.token)
    # when the admin reads 16:30 to 19:30
    found = await funnel(gql, workspace.token, pipeline["id"], window(hours(4.5), hours(7.5)))
    # then only the entries inside count, B's conversion after the range counts, and the
    # stays that ended inside are measured from entries before it (B in Novo 1h, C 5h, A in Proposta 3h)
    assert by_stage(found) == {
        "Novo": (0, 0, None, 1, "0.00", stats(2, 10800, 3600, 18000)),
        "Contato": (1, 1, 1.0, 0, "0.00", NONE),
        "Proposta": (0, 0, None, 1, "200.00", stats(1, 10800, 10800, 10800)),
        "Ganho": (1, 0, 0.0, 1, "100.00", NONE),
        "Perdido": (1, 0, 0.0, 1, "50.00", NONE),
    }
    assert (found["won"], found["lost"], found["winRate"]) == (1, 1, 0.5)
    # and from 15:30 to 16:30 B came back to Novo (and left Contato after 2h), then went on to Contato
    found = await funnel(gql, workspace.token, pipeline["id"], window(hours(3.5), hours(4.5)))
    assert by_stage(found)["Novo"][:3] == (1, 1, 1.0)
    assert by_stage(found)["Contato"][5] == stats(1, 7200, 7200, 7200)
    assert (found["won"], found["lost"], found["wonValue"], found["winRate"]) == (0, 0, "0.00", None)


async def test_an_empty_range_keeps_only_what_is_there_now(gql, workspace):
    # given the known history
    pipeline = await known_history(gql, workspace.token)
    # when the admin reads a day before any of it
    found = await funnel(gql, workspace.token, pipeline["id"], window(hours(-48), hours(-24)))
    # then nothing entered, nothing stayed, nothing closed; the deals there now are still there
    assert by_stage(found) == {
        "Novo": (0, 0, None, 1, "0.00", NONE),
        "Contato": (0, 0, None, 0, "0.00", NONE),
        "Proposta": (0, 0, None, 1, "200.00", NONE),
        "Ganho": (0, 0, None, 1, "100.00", NONE),
        "Perdido": (0, 0, None, 1, "50.00", NONE),
    }
    assert found["won"] == found["lost"] == 0
    assert (found["wonValue"], found["winRate"], found["lossReasons"]) == ("0.00", None, [])


async def test_loss_reasons_by_count_then_reason_and_wins_in_the_workspace_currency(gql, workspace):
    # given deals lost for several reasons, one lost then reopened, one won then lost, one won in USD
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    await walk(gql, token, pipeline, ["Novo", "Perdido"], value="10.00")
    await walk(gql, token, pipeline, ["Novo", "Perdido"], value="20.00")
    await walk(gql, token, pipeline, ["Novo", "Perdido"], reason="Localização", value="5.00")
    await walk(gql, token, pipeline, ["Novo", "Perdido", "Contato"], reason="Crédito negado", value="7.00")
    await walk(gql, token, pipeline, ["Novo", "Ganho"], value="1000.00", currency="USD")
    await walk(gql, token, pipeline, ["Novo", "Ganho", "Perdido"], reason="Desistiu", value="300.00")
    # when the admin reads the funnel
    found = await funnel(gql, token, pipeline["id"], around_now())
    # then the reopened deal has no reason now, the deal won and lost counts in both
    assert (found["won"], found["lost"], found["wonValue"], found["winRate"]) == (2, 5, "300.00", 0.2857)
    assert found["lossReasons"] == [
        {"key": "Preço", "label": "Preço", "count": 2, "value": "30.00"},
        {"key": "Desistiu", "label": "Desistiu", "count": 1, "value": "300.00"},
        {"key": "Localização", "label": "Localização", "count": 1, "value": "5.00"},
        {"key": "", "label": "—", "count": 1, "value": "7.00"},
    ]
    # and from Novo, a reopened deal and the two won went on (a LOST stage is no conversion)
    assert by_stage(found)["Novo"][:3] == (6, 3, 0.5)
    assert by_stage(found)["Ganho"][3:5] == (1, "0.00")


async def test_each_role_counts_the_deals_it_sees(gql, workspace):
    # given a manager of a team with one agent, an agent outside it, and deals of each
    token = workspace.token
    manager = await workspace.user("MANAGER")
    team = await workspace.team("Equipe SP", manager_id=manager["id"])
    inside = await workspace.user("AGENT", team_id=team["id"])
    outside = await workspace.user("AGENT")
    pipeline = await create_pipeline(gql, token, STAGES)
    await walk(gql, token, pipeline, ["Novo", "Contato"], ownerId=inside["id"], value="10.00")
    await walk(gql, token, pipeline, ["Novo"], ownerId=manager["id"], value="20.00")
    await walk(gql, token, pipeline, ["Novo"], ownerId=outside["id"], value="40.00")
    await walk(gql, token, pipeline, ["Novo"], value="80.00")

    async def novo_and_contato(who, **narrowed):
        found = by_stage(await funnel(gql, who, pipeline["id"], around_now(), **narrowed))
        return found["Novo"][:5], found["Contato"][:2]

    # when each reads the funnel, then each counts what they see
    assert await novo_and_contato(token) == ((4, 1, 0.25, 3, "140.00"), (1, 0))
    assert await novo_and_contato(manager["token"]) == ((2, 1, 0.5, 1, "20.00"), (1, 0))
    assert await novo_and_contato(inside["token"]) == ((1, 1, 1.0, 0, "0.00"), (1, 0))
    assert await novo_and_contato(outside["token"]) == ((1, 0, 0.0, 1, "40.00"), (0, 0))
    # and teamId and ownerId only narrow what the caller sees
    assert await novo_and_contato(token, teamId=team["id"]) == ((1, 1, 1.0, 0, "0.00"), (1, 0))
    assert await novo_and_contato(token, ownerId=outside["id"]) == ((1, 0, 0.0, 1, "40.00"), (0, 0))
    assert await novo_and_contato(manager["token"], ownerId=outside["id"]) == (
        (0, 0, None, 0, "0.00"),
        (0, 0),
    )
    assert await novo_and_contato(inside["token"], teamId=team["id"]) == ((1, 1, 1.0, 0, "0.00"), (1, 0))


async def test_trashed_deals_and_other_pipelines_are_not_counted(gql, workspace):
    # given a deal in the trash and a deal in another pipeline
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    other = await create_pipeline(gql, token, STAGES, name="Locação")
    await walk(gql, token, pipeline, ["Novo", "Ganho"], value="10.00")
    trashed = await walk(gql, token, pipeline, ["Novo", "Ganho"], value="20.00")
    await walk(gql, token, other, ["Novo", "Ganho"], value="40.00")
    assert (await gql.ok(DELETE_DEAL, {"id": trashed}, token=token))["deleteDeal"]["userErrors"] == []
    # when the admin reads the first pipeline's funnel
    found = await funnel(gql, token, pipeline["id"], around_now())
    # then only the live deal of that pipeline counts
    assert by_stage(found)["Novo"][:2] == (1, 1)
    assert (found["won"], found["wonValue"]) == (1, "10.00")


async def test_an_archived_stage_shows_while_it_has_figures(gql, workspace):
    # given a deal in a stage archived into a later one, and an archived stage that never had deals
    token = workspace.token
    stages = [{"name": "Novo"}, {"name": "Velho"}, {"name": "Vazio"}, {"name": "Proposta"}]
    pipeline = await create_pipeline(gql, token, stages)
    await walk(gql, token, pipeline, ["Velho"], value="10.00")
    for name, target in (("Velho", pipeline["stage"]["Proposta"]), ("Vazio", None)):
        archived = await gql.ok(ARCHIVE_STAGE, {"id": pipeline["stage"][name], "to": target}, token=token)
        assert archived["archiveStage"]["userErrors"] == []
    # when the admin reads the funnel
    found = await funnel(gql, token, pipeline["id"], around_now())
    # then the stage the deal entered and left shows in its place; the empty one does not
    figures = by_stage(found)
    assert list(figures) == ["Novo", "Velho", "Proposta"]
    assert figures["Velho"][:5] == (1, 1, 1.0, 0, "0.00")
    assert figures["Velho"][5]["count"] == 1
    assert figures["Proposta"][:5] == (1, 0, 0.0, 1, "10.00")


async def test_ids_that_name_nothing_visible_are_not_found(gql, workspace, other_workspace):
    # given a pipeline here, and a pipeline and a team in another workspace
    pipeline = await create_pipeline(gql, workspace.token, STAGES)
    foreign = await create_pipeline(gql, other_workspace.token, STAGES)
    foreign_team = await other_workspace.team("Equipe RJ")
    cases = [
        ({"pipelineId": "nope"}, ["pipelineId"]),
        ({"pipelineId": foreign["id"]}, ["pipelineId"]),
        ({"pipelineId": pipeline["id"], "teamId": foreign_team["id"]}, ["teamId"]),
        ({"pipelineId": pipeline["id"], "ownerId": pipeline["id"]}, ["ownerId"]),
    ]
    for arguments, field in cases:
        # when the admin names it
        body = await gql(FUNNEL, {"range": around_now(), **arguments}, token=workspace.token)
        # then it is a top-level NOT_FOUND naming the argument, and no funnel
        assert error_of(body) == ("NOT_FOUND", field)
        assert body["data"] == {"funnel": None}


async def test_a_bad_range_is_invalid(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token, STAGES)
    for range_, field in (
        (window(hours(1), hours(1)), ["range", "from"]),
        (window(hours(0), hours(24 * 401)), ["range", "to"]),
    ):
        body = await gql(FUNNEL, {"pipelineId": pipeline["id"], "range": range_}, token=workspace.token)
        assert error_of(body) == ("INVALID", field)


async def test_the_statements_do_not_grow_with_the_deals(gql, workspace, count_sql):
    # given a pipeline with one deal
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    await walk(gql, token, pipeline, ["Novo", "Contato", "Perdido"])

    async def statements():
        # What the moves set off (in-process on the embedded backend) is a
        # write in flight: a computation waits for it, then reads the log's
        # position again, one statement more.
        from tests.reports.test_poll_cache import settled

        await settled()
        with count_sql() as counter:
            await funnel(gql, token, pipeline["id"], around_now())
        return len(counter.statements)

    few = await statements()
    # when more deals move back and forth, then reading the funnel takes as many statements
    for _ in range(4):
        await walk(gql, token, pipeline, ["Novo", "Contato", "Novo", "Proposta", "Ganho"])
    assert await statements() == few
