"""Positions per deal owner (resolvers/log_position.py OWNED_TOPICS,
resolvers/poll_cache.py `narrow_position`): a caller who sees some owners'
deals keeps a cached funnel across changes of other owners' deals, checked
with one statement; a change of one of their owners' deals, a deal handed
to one of them, or a change no owner accounts for is in the very next
answer."""

from datetime import UTC, datetime, timedelta

from revgraph.models.identity import User
from revgraph.resolvers.events import log_changed, unit_of_work
from revgraph.resolvers.ids import decode_id
from tests.graph.documents import ADD_NOTE, create_contact
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline, move
from tests.reports.support import window
from tests.reports.test_funnel import FUNNEL, STAGES
from tests.reports.test_poll_cache import authentication_only


def around_now():
    now = datetime.now(UTC)
    return window(now - timedelta(hours=1), now + timedelta(hours=1))


async def funnel(gql, token, pipeline_id, range_):
    return (await gql.ok(FUNNEL, {"pipelineId": pipeline_id, "range": range_}, token=token))["funnel"]


def entered(answer, stage):
    return next(row["entered"] for row in answer["stages"] if row["stage"]["name"] == stage)


def current(answer, stage):
    return next(row["current"] for row in answer["stages"] if row["stage"]["name"] == stage)


def counters_only(statements):
    """Authentication, then the one read of the owners' counters."""
    *auth, counters = statements
    return authentication_only(auth) and '"sequence_counter"' in counters and '"session"' not in counters


async def given(gql, workspace):
    """Team T (manager M: agents Ana and Bia); Caio outside it; one deal each."""
    manager = await workspace.user("MANAGER", name="Marta")
    team = await workspace.team("T", manager_id=manager["id"])
    ana = await workspace.user("AGENT", team_id=team["id"], name="Ana")
    bia = await workspace.user("AGENT", team_id=team["id"], name="Bia")
    caio = await workspace.user("AGENT", name="Caio")
    pipeline = await create_pipeline(gql, workspace.token, STAGES)
    deals = {
        who["name"]: await create_deal(gql, workspace.token, pipeline["id"], ownerId=who["id"])
        for who in (ana, bia, caio)
    }
    return {"manager": manager, "ana": ana, "bia": bia, "caio": caio, "pipeline": pipeline, "deals": deals}


async def test_an_agents_funnel_outlives_other_owners_moves_and_not_their_own(gql, workspace, count_sql):
    world = await given(gql, workspace)
    pipeline, ana = world["pipeline"], world["ana"]
    range_ = around_now()
    first = await funnel(gql, ana["token"], pipeline["id"], range_)
    assert entered(first, "Novo") == 1
    # when Bia's and Caio's deals move
    for name in ("Bia", "Caio"):
        moved = await move(
            gql, workspace.token, dealId=world["deals"][name]["id"], stageId=pipeline["stage"]["Contato"]
        )
        assert moved["userErrors"] == []
    # then Ana's next poll is her cached answer, checked with one statement
    with count_sql() as counter:
        assert await funnel(gql, ana["token"], pipeline["id"], range_) == first
    assert counters_only(counter.statements), counter.statements
    # and the one after it costs nothing beyond authentication (the answer holds at the new position)
    with count_sql() as counter:
        assert await funnel(gql, ana["token"], pipeline["id"], range_) == first
    assert authentication_only(counter.statements), counter.statements
    # and when her own deal moves, her next poll has it
    moved = await move(
        gql, workspace.token, dealId=world["deals"]["Ana"]["id"], stageId=pipeline["stage"]["Contato"]
    )
    assert moved["userErrors"] == []
    assert entered(await funnel(gql, ana["token"], pipeline["id"], range_), "Contato") == 1


async def test_a_managers_funnel_follows_their_team_and_not_the_rest(gql, workspace, count_sql):
    world = await given(gql, workspace)
    pipeline, manager = world["pipeline"], world["manager"]
    range_ = around_now()
    first = await funnel(gql, manager["token"], pipeline["id"], range_)
    assert entered(first, "Novo") == 2  # Ana's and Bia's
    # when Caio's deal moves, then the manager's answer is kept
    moved = await move(
        gql, workspace.token, dealId=world["deals"]["Caio"]["id"], stageId=pipeline["stage"]["Contato"]
    )
    assert moved["userErrors"] == []
    with count_sql() as counter:
        assert await funnel(gql, manager["token"], pipeline["id"], range_) == first
    assert not any('"stage_day"' in s or '"deal_stage_entry"' in s for s in counter.statements), (
        counter.statements
    )
    # and when Bia's deal moves, the next poll has it
    moved = await move(
        gql, workspace.token, dealId=world["deals"]["Bia"]["id"], stageId=pipeline["stage"]["Contato"]
    )
    assert moved["userErrors"] == []
    assert entered(await funnel(gql, manager["token"], pipeline["id"], range_), "Contato") == 1


async def test_a_deal_handed_to_an_owner_is_in_their_next_poll(gql, workspace):
    world = await given(gql, workspace)
    pipeline, ana = world["pipeline"], world["ana"]
    range_ = around_now()
    assert current(await funnel(gql, ana["token"], pipeline["id"], range_), "Novo") == 1
    # when Caio's deal is handed to Ana, then her next poll counts it
    updated = await gql.ok(
        UPDATE_DEAL,
        {"id": world["deals"]["Caio"]["id"], "input": {"ownerId": ana["id"]}},
        token=workspace.token,
    )
    assert updated["updateDeal"]["userErrors"] == []
    assert current(await funnel(gql, ana["token"], pipeline["id"], range_), "Novo") == 2
    # and when it goes back to Caio, the next after that does not
    updated = await gql.ok(
        UPDATE_DEAL,
        {"id": world["deals"]["Caio"]["id"], "input": {"ownerId": world["caio"]["id"]}},
        token=workspace.token,
    )
    assert updated["updateDeal"]["userErrors"] == []
    assert current(await funnel(gql, ana["token"], pipeline["id"], range_), "Novo") == 1


async def test_a_change_no_owner_accounts_for_recomputes_every_scope(gql, workspace, count_sql):
    world = await given(gql, workspace)
    pipeline, ana = world["pipeline"], world["ana"]
    range_ = around_now()
    first = await funnel(gql, ana["token"], pipeline["id"], range_)
    # when a unit of work changes the deals without saying whose
    workspace_id = (await User.get(id=decode_id(ana["id"])[1])).workspace_id
    async with unit_of_work():
        log_changed(workspace_id, ["deals"])
    # then Ana's next poll is computed again (same figures: nothing of hers changed)
    with count_sql() as counter:
        assert await funnel(gql, ana["token"], pipeline["id"], range_) == first
    assert any('"stage_current"' in s for s in counter.statements), counter.statements


DASHBOARD = """
query Dashboard($pipelineId: ID!, $range: ReportRange!) {
  funnel(pipelineId: $pipelineId, range: $range) { stages { stage { name } entered } }
  activityReport(range: $range) { user { id } dealMoves }
}
"""


def computed(monkeypatch):
    """The reports computed (not taken from a kept answer), by name."""
    from revgraph.resolvers.reports import activity
    from revgraph.resolvers.reports import funnel as funnel_module

    names: list[str] = []
    for module, name in ((funnel_module, "funnel"), (activity, "activity_report")):
        real = getattr(module, name)

        def counted(*args, real=real, name=name, **kwargs):
            names.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return names


async def test_a_report_reading_deals_otherwise_is_not_kept_by_owner(gql, workspace, monkeypatch):
    # given an agent's dashboard with the funnel and activityReport, which counts moves by who made them
    world = await given(gql, workspace)
    pipeline, ana = world["pipeline"], world["ana"]
    variables = {"pipelineId": pipeline["id"], "range": around_now()}
    names = computed(monkeypatch)
    await gql.ok(DASHBOARD, variables, token=ana["token"])
    assert sorted(names) == ["activity_report", "funnel"]
    # when another owner's deal moves
    moved = await move(
        gql, workspace.token, dealId=world["deals"]["Caio"]["id"], stageId=pipeline["stage"]["Contato"]
    )
    assert moved["userErrors"] == []
    # then the dashboard is computed again: activityReport afresh, the funnel kept by Ana's counters
    names.clear()
    await gql.ok(DASHBOARD, variables, token=ana["token"])
    assert names == ["activity_report"]
    # and when her own deal moves, both are computed
    moved = await move(
        gql, workspace.token, dealId=world["deals"]["Ana"]["id"], stageId=pipeline["stage"]["Contato"]
    )
    assert moved["userErrors"] == []
    names.clear()
    answer = await gql.ok(DASHBOARD, variables, token=ana["token"])
    assert sorted(names) == ["activity_report", "funnel"]
    assert entered(answer["funnel"], "Contato") == 1


async def test_a_documents_reports_are_kept_one_by_one(gql, workspace, monkeypatch):
    # given an admin's dashboard with the funnel and activityReport
    world = await given(gql, workspace)
    pipeline = world["pipeline"]
    variables = {"pipelineId": pipeline["id"], "range": around_now()}
    names = computed(monkeypatch)
    first = await gql.ok(DASHBOARD, variables, token=workspace.token)
    # when a note is added (the activities topic: not the funnel's)
    contact = await create_contact(gql, workspace.token, name="Lia")
    names.clear()
    added = await gql.ok(
        ADD_NOTE, {"input": {"subjectId": contact["id"], "body": "Ligou"}}, token=workspace.token
    )
    assert added["addNote"]["userErrors"] == []
    # then only activityReport is computed again, and the funnel is the one kept
    again = await gql.ok(DASHBOARD, variables, token=workspace.token)
    assert names == ["activity_report"]
    assert again["funnel"] == first["funnel"]
    # and when a deal moves, the funnel is computed again and has it
    names.clear()
    moved = await move(
        gql, workspace.token, dealId=world["deals"]["Bia"]["id"], stageId=pipeline["stage"]["Contato"]
    )
    assert moved["userErrors"] == []
    answer = await gql.ok(DASHBOARD, variables, token=workspace.token)
    assert "funnel" in names
    assert entered(answer["funnel"], "Contato") == 1


def test_kept_field_values_stay_within_their_budget():
    from revgraph.resolvers.poll_cache import FieldAnswers
    from revgraph.schema.poll import weight

    # given a budget of 80 objects
    answers = FieldAnswers(80)
    # then a value over an eighth of it is not kept, and one within is
    answers.put(("big",), list(range(20)), 1, None, weight(list(range(20)), 80))
    assert answers.get(("big",), 1) is None
    for index in range(9):
        answers.put((index,), [index] * 8, 1, None, weight([index] * 8, 80))
    # and past the budget the least recently used go first
    assert answers.weight <= 80
    assert answers.get((0,), 1) is None and answers.get((8,), 1).value == [8] * 8
    # and a value is found at its position, or by its narrow position only when given
    answers.put(("n",), "x", (1, 1), ("narrow",), 1)
    assert answers.get(("n",), (2, 1)) is None
    assert answers.get(("n",), (2, 1), ("other",)) is None
    assert answers.get(("n",), (2, 1), ("narrow",)).value == "x"
    assert answers.get(("n",), (2, 1)).value == "x"  # kept at the newer position since
    # and no budget keeps nothing
    none = FieldAnswers(0)
    none.put(("a",), 1, 1, None, 1)
    assert len(none) == 0


def leads_and_activity(user_fields):
    return f"""
query LeadsAndActivity($range: ReportRange!) {{
  leadReport(by: OWNER, range: $range) {{ key count }}
  activityReport(range: $range) {{ user {{ {user_fields} }} notes }}
}}
"""


async def test_a_report_whose_selection_changes_with_time_is_not_kept(gql, workspace, monkeypatch):
    # given dashboards with leadReport and activityReport, one asking whether each user is online
    variables = {"range": around_now()}
    names = computed(monkeypatch)
    for user_fields, kept in (("id name", True), ("id online", False)):
        document = leads_and_activity(user_fields)
        await gql.ok(document, variables, token=workspace.token)
        # when a contact is created (leadReport's topic, not activityReport's)
        await create_contact(gql, workspace.token, name=f"Lia {user_fields}")
        names.clear()
        await gql.ok(document, variables, token=workspace.token)
        # then activityReport is kept, unless its selection reads a user's presence then
        assert (names == []) is kept, (user_fields, names)
