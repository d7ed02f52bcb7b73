import asyncio
import warnings
from datetime import datetime

from tests.pipeline.support import (
    CREATE_DEAL,
    CREATE_PIPELINE,
    DEAL,
    PRE_SALES,
    UPDATE_DEAL,
    board,
    column,
    create_deal,
    create_pipeline,
    move,
)


async def test_admin_creates_pipeline_with_ordered_stages(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    assert [s["name"] for s in pipeline["stages"]] == [s["name"] for s in PRE_SALES]
    assert [s["position"] for s in pipeline["stages"]] == list(range(6))
    assert pipeline["stages"][4]["kind"] == "WON" and pipeline["stages"][5]["kind"] == "LOST"
    assert pipeline["stages"][3]["requiredFields"] == ["value", "expectedCloseDate"]
    assert pipeline["boardSequence"] == 0


async def test_agent_cannot_create_pipeline(gql, workspace):
    agent = await workspace.user("AGENT")
    body = await gql(
        CREATE_PIPELINE, {"input": {"name": "X", "stages": [{"name": "A"}]}}, token=agent["token"]
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await gql.ok("{ pipelines { id } }", token=workspace.token))["pipelines"] == []


async def test_unknown_required_field_is_invalid(gql, workspace):
    body = await gql.ok(
        CREATE_PIPELINE,
        {"input": {"name": "X", "stages": [{"name": "A", "requiredFields": ["valor"]}]}},
        token=workspace.token,
    )
    error = body["createPipeline"]["userErrors"][0]
    assert error["code"] == "INVALID"
    assert error["field"] == ["input", "stages", "0", "requiredFields", "0"]


async def test_create_deal_defaults_to_first_stage_and_workspace_currency(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"], value="1250000.5")
    assert deal["stage"]["name"] == "Novo lead"
    assert deal["currency"] == "BRL"
    assert deal["value"] == "1250000.50"
    assert deal["status"] == "OPEN" and deal["version"] == 1
    history = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]["stageHistory"]
    assert [(h["from"], h["to"]["name"]) for h in history] == [(None, "Novo lead")]


async def test_agent_owns_the_deals_they_create(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    deal = await create_deal(gql, agent["token"], pipeline["id"])
    assert deal["owner"]["id"] == agent["id"]


async def test_move_refused_by_required_fields_changes_nothing(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    # when moving into Proposta, which requires value and expectedCloseDate
    result = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Proposta"])
    # then each missing field is named, and nothing changed or was published
    assert result["deal"] is None
    assert sorted((e["code"], tuple(e["field"])) for e in result["userErrors"]) == [
        ("REQUIRED_FIELD_MISSING", ("input", "patch", "expectedCloseDate")),
        ("REQUIRED_FIELD_MISSING", ("input", "patch", "value")),
    ]
    after = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert after["stage"]["name"] == "Novo lead" and after["version"] == 1
    assert (await board(gql, workspace.token, pipeline["id"]))["boardSequence"] == 1


async def test_move_with_patch_fills_the_gate_in_one_version(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    result = await move(
        gql,
        workspace.token,
        dealId=deal["id"],
        stageId=pipeline["stage"]["Proposta"],
        expectedVersion=1,
        patch={"value": "450000.00", "expectedCloseDate": "2027-01-15T12:00:00+00:00"},
    )
    assert result["userErrors"] == []
    moved = result["deal"]
    assert moved["stage"]["name"] == "Proposta" and moved["value"] == "450000.00"
    assert moved["version"] == 2
    assert (await board(gql, workspace.token, pipeline["id"]))["boardSequence"] == 2  # created + one MOVED


async def test_stale_expected_version_is_a_conflict(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    result = await move(
        gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Novo lead"], expectedVersion=1
    )
    assert result["userErrors"][0]["code"] == "VERSION_CONFLICT"
    assert result["userErrors"][0]["field"] == ["input", "expectedVersion"]
    after = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert after["stage"]["name"] == "Em contato" and after["version"] == 2


async def test_lost_needs_a_reason_and_closes_the_deal(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    refused = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Perdido"])
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("REQUIRED_FIELD_MISSING", ["input", "lostReason"])
    ]
    lost = await move(
        gql,
        workspace.token,
        dealId=deal["id"],
        stageId=pipeline["stage"]["Perdido"],
        lostReason="Sem crédito",
    )
    assert lost["deal"]["status"] == "LOST" and lost["deal"]["lostReason"] == "Sem crédito"


async def test_won_stage_sets_status(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    won = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Ganho"])
    assert won["deal"]["status"] == "WON"
    reopened = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    assert reopened["deal"]["status"] == "OPEN"


async def test_scheduled_task_rule_refuses_without_a_future_task(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    result = await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Visita agendada"])
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("RULE_VIOLATION", ["input", "stageId"])
    ]


async def test_create_deal_into_later_stage_passes_the_same_gates(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    body = await gql.ok(
        CREATE_DEAL,
        {"input": {"title": "X", "pipelineId": pipeline["id"], "stageId": pipeline["stage"]["Proposta"]}},
        token=workspace.token,
    )
    assert {tuple(e["field"]) for e in body["createDeal"]["userErrors"]} == {
        ("input", "value"),
        ("input", "expectedCloseDate"),
    }
    assert (await board(gql, workspace.token, pipeline["id"]))["boardSequence"] == 0
    ok = await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        stageId=pipeline["stage"]["Proposta"],
        value="10",
        expectedCloseDate="2027-02-01T00:00:00Z",
    )
    assert ok["stage"]["name"] == "Proposta"


async def test_update_may_not_empty_a_field_the_stage_requires(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        stageId=pipeline["stage"]["Proposta"],
        value="10",
        expectedCloseDate="2027-02-01T00:00:00Z",
    )
    body = await gql.ok(UPDATE_DEAL, {"id": deal["id"], "input": {"value": None}}, token=workspace.token)
    assert body["updateDeal"]["userErrors"][0]["code"] == "REQUIRED_FIELD_MISSING"
    after = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert after["value"] == "10.00" and after["version"] == 1


async def test_cards_are_placed_after_the_named_card_or_at_the_top(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    ids = {}
    for title in ("A", "B", "C"):
        ids[title] = (await create_deal(gql, workspace.token, pipeline["id"], title=title))["id"]
    # new cards go on top
    assert column(await board(gql, workspace.token, pipeline["id"]), "Novo lead") == ["C", "B", "A"]
    target = pipeline["stage"]["Em contato"]
    await move(gql, workspace.token, dealId=ids["A"], stageId=target)
    await move(gql, workspace.token, dealId=ids["B"], stageId=target, afterDealId=ids["A"])
    await move(gql, workspace.token, dealId=ids["C"], stageId=target, afterDealId=ids["A"])
    assert column(await board(gql, workspace.token, pipeline["id"]), "Em contato") == ["A", "C", "B"]
    await move(gql, workspace.token, dealId=ids["B"], stageId=target)  # reorder to the top
    assert column(await board(gql, workspace.token, pipeline["id"]), "Em contato") == ["B", "A", "C"]


async def test_after_deal_in_another_column_is_not_found(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    a = await create_deal(gql, workspace.token, pipeline["id"], title="A")
    b = await create_deal(gql, workspace.token, pipeline["id"], title="B")
    result = await move(
        gql, workspace.token, dealId=a["id"], stageId=pipeline["stage"]["Em contato"], afterDealId=b["id"]
    )
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [
        ("NOT_FOUND", ["input", "afterDealId"])
    ]


async def test_many_inserts_at_one_spot_keep_order(gql, workspace):
    # 20 inserts right after the same card exhaust the gap and force a renumbering
    pipeline = await create_pipeline(gql, workspace.token)
    anchor = await create_deal(gql, workspace.token, pipeline["id"], title="anchor")
    tail = await create_deal(gql, workspace.token, pipeline["id"], title="tail")
    target = pipeline["stage"]["Em contato"]
    await move(gql, workspace.token, dealId=anchor["id"], stageId=target)
    await move(gql, workspace.token, dealId=tail["id"], stageId=target, afterDealId=anchor["id"])
    expected = ["anchor"]
    for index in range(20):
        deal = await create_deal(gql, workspace.token, pipeline["id"], title=f"d{index}")
        await move(gql, workspace.token, dealId=deal["id"], stageId=target, afterDealId=anchor["id"])
        expected.insert(1, f"d{index}")
    assert column(await board(gql, workspace.token, pipeline["id"]), "Em contato") == [*expected, "tail"]


async def test_stage_totals_follow_visibility(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    await create_deal(gql, agent["token"], pipeline["id"], value="100.00")
    await create_deal(gql, workspace.token, pipeline["id"], value="250.50")
    admin_view = await board(gql, workspace.token, pipeline["id"])
    agent_view = await board(gql, agent["token"], pipeline["id"])
    first = admin_view["stages"][0]
    assert (first["dealCount"], first["totalValue"], first["deals"]["totalCount"]) == (2, "350.50", 2)
    mine = agent_view["stages"][0]
    assert (mine["dealCount"], mine["totalValue"], mine["deals"]["totalCount"]) == (1, "100.00", 1)
    contact = await board(gql, workspace.token, pipeline["id"])
    assert contact["stages"][1]["weightedValue"] == "0.00"


async def test_weighted_value_uses_probability(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"], value="1000.00")
    await move(gql, workspace.token, dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    stage = (await board(gql, workspace.token, pipeline["id"]))["stages"][1]
    assert (stage["totalValue"], stage["weightedValue"]) == ("1000.00", "100.00")


async def test_deal_of_another_workspace_is_not_found(gql, workspace, other_workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    theirs = await create_pipeline(gql, other_workspace.token)
    result = await move(gql, other_workspace.token, dealId=deal["id"], stageId=theirs["stage"]["Em contato"])
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [("NOT_FOUND", ["input", "dealId"])]
    assert (await gql.ok(DEAL, {"id": deal["id"]}, token=other_workspace.token))["deal"] is None
    assert (
        await gql.ok(
            "query($id: ID!) { node(id: $id) { id } }", {"id": deal["id"]}, token=other_workspace.token
        )
    )["node"] is None
    after = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert after["version"] == 1


async def test_agent_cannot_move_someone_elses_deal(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    result = await move(gql, agent["token"], dealId=deal["id"], stageId=pipeline["stage"]["Em contato"])
    assert result["userErrors"][0]["code"] == "NOT_FOUND"


async def test_concurrent_moves_keep_sequences_gap_free(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deals = [await create_deal(gql, workspace.token, pipeline["id"], title=f"d{i}") for i in range(10)]
    stages = [pipeline["stage"]["Em contato"], pipeline["stage"]["Novo lead"]]
    results = await asyncio.gather(
        *(
            move(gql, workspace.token, dealId=d["id"], stageId=stages[i % 2])
            for i, d in enumerate(deals)
            for _ in range(2)
        )
    )
    assert all(r["userErrors"] == [] for r in results)
    data = await board(gql, workspace.token, pipeline["id"])
    assert data["boardSequence"] == 10 + 20
    assert sum(len(s["deals"]["edges"]) for s in data["stages"]) == 10


async def test_archiving_a_stage_with_deals_needs_a_destination(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    archive = "mutation($id: ID!, $to: ID) { archiveStage(id: $id, moveDealsTo: $to) { stage { id } userErrors { code field } } }"
    refused = await gql.ok(archive, {"id": pipeline["stage"]["Novo lead"]}, token=workspace.token)
    assert refused["archiveStage"]["userErrors"] == [{"code": "RULE_VIOLATION", "field": ["moveDealsTo"]}]
    done = await gql.ok(
        archive,
        {"id": pipeline["stage"]["Novo lead"], "to": pipeline["stage"]["Em contato"]},
        token=workspace.token,
    )
    assert done["archiveStage"]["userErrors"] == []
    data = await board(gql, workspace.token, pipeline["id"])
    assert data["stages"][0]["name"] == "Em contato"
    assert column(data, "Em contato") == [deal["title"]]


async def test_entry_condition_is_enforced_on_move_and_shown_as_a_filter(gql, workspace):
    stages = [{"name": "Novo"}, {"name": "Alto padrão", "entryCondition": {"value": {"gte": "10000"}}}]
    pipeline = await create_pipeline(gql, workspace.token, stages)
    assert pipeline["stages"][1]["entryCondition"] == {"value": {"gte": "10000"}}
    small = await create_deal(gql, workspace.token, pipeline["id"], value="9999.99")
    refused = await move(gql, workspace.token, dealId=small["id"], stageId=pipeline["stage"]["Alto padrão"])
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("RULE_VIOLATION", ["input", "stageId"])
    ]
    # the same move with a patch that meets the condition passes
    passed = await move(
        gql,
        workspace.token,
        dealId=small["id"],
        stageId=pipeline["stage"]["Alto padrão"],
        patch={"value": "15000"},
    )
    assert passed["userErrors"] == [] and passed["deal"]["value"] == "15000.00"


async def test_invalid_entry_condition_is_refused(gql, workspace):
    body = await gql(
        CREATE_PIPELINE,
        {"input": {"name": "X", "stages": [{"name": "A", "entryCondition": {"value": {"gte": "abc"}}}]}},
        token=workspace.token,
    )
    assert "errors" in body  # not a Decimal: refused by the GraphQL input coercion
    assert (await gql.ok("{ pipelines { id } }", token=workspace.token))["pipelines"] == []


async def test_deals_filter_order_and_search(gql, workspace):
    pipeline = await create_pipeline(gql, workspace.token)
    for title, value in (("Casa Jardins", "900000"), ("Apto Moema", "450000"), ("Sala comercial", None)):
        await create_deal(gql, workspace.token, pipeline["id"], title=title, value=value)
    query = """query($f: DealFilter, $o: [DealOrder!], $s: String) {
      deals(filter: $f, orderBy: $o, search: $s) { totalCount edges { node { title } } } }"""
    by_value = await gql.ok(query, {"o": [{"field": "VALUE", "direction": "DESC"}]}, token=workspace.token)
    assert [e["node"]["title"] for e in by_value["deals"]["edges"]] == ["Casa Jardins", "Apto Moema"]
    rich = await gql.ok(query, {"f": {"value": {"gte": "500000"}}}, token=workspace.token)
    assert [e["node"]["title"] for e in rich["deals"]["edges"]] == ["Casa Jardins"]
    either = {"f": {"or": [{"title": {"contains": "moema"}}, {"title": {"startsWith": "Sala"}}]}}
    either = await gql.ok(query, either, token=workspace.token)
    assert sorted(e["node"]["title"] for e in either["deals"]["edges"]) == ["Apto Moema", "Sala comercial"]
    searched = await gql.ok(query, {"s": "JARDINS"}, token=workspace.token)
    assert searched["deals"]["totalCount"] == 1


async def test_trashed_deals_are_restorable_then_purged_after_retention(gql, workspace):
    from datetime import UTC, datetime, timedelta

    from revgraph.models.pipeline import Deal as DealRow
    from revgraph.resolvers.ids import pk_of
    from revgraph.resolvers.trash import purge_expired_trash

    pipeline = await create_pipeline(gql, workspace.token)
    keep = await create_deal(gql, workspace.token, pipeline["id"], title="keep")
    old = await create_deal(gql, workspace.token, pipeline["id"], title="old")
    delete = "mutation($id: ID!) { deleteDeal(id: $id) { deletedId userErrors { code } } }"
    restore = "mutation($id: ID!) { restoreDeal(id: $id) { deal { title deletedAt } userErrors { code } } }"
    for deal in (keep, old):
        assert (await gql.ok(delete, {"id": deal["id"]}, token=workspace.token))["deleteDeal"][
            "deletedId"
        ] == deal["id"]
    trash = await gql.ok("{ deals(filter: {deleted: true}) { totalCount } }", token=workspace.token)
    assert trash["deals"]["totalCount"] == 2
    restored = await gql.ok(restore, {"id": keep["id"]}, token=workspace.token)
    assert restored["restoreDeal"]["deal"] == {"title": "keep", "deletedAt": None}
    await DealRow.filter(id=pk_of(old["id"], "Deal")).update(
        deleted_at=datetime.now(UTC) - timedelta(days=31)
    )
    purged = await purge_expired_trash()
    assert purged["Deal"] == 1
    assert (await gql.ok(restore, {"id": old["id"]}, token=workspace.token))["restoreDeal"]["userErrors"] == [
        {"code": "NOT_FOUND"}
    ]
    assert column(await board(gql, workspace.token, pipeline["id"]), "Novo lead") == ["keep"]


async def test_stage_totals_reuse_their_statement_with_each_callers_values(gql, workspace, monkeypatch):
    """The stage totals' grouped read is kept per shape (read_rows.read_values):
    read again by another caller of the same shape it is not built again,
    and it still binds that caller's own stages and owners."""
    from revgraph.resolvers import read_rows

    pipeline = await create_pipeline(gql, workspace.token)
    agent = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    await create_deal(gql, agent["token"], pipeline["id"], value="0.10")
    await create_deal(gql, agent["token"], pipeline["id"], value="0.20")
    await create_deal(gql, other["token"], pipeline["id"], value="1000000.99")
    await board(gql, agent["token"], pipeline["id"])
    built = []
    build = read_rows._values_statement
    monkeypatch.setattr(read_rows, "_values_statement", lambda *args: built.append(args) or build(*args))
    mine = (await board(gql, agent["token"], pipeline["id"]))["stages"][0]
    theirs = (await board(gql, other["token"], pipeline["id"]))["stages"][0]
    # the totals' statement was not built again for either board
    assert built == []
    # and each caller's sums are its own, exact to the cent (0.10 + 0.20 is not 0.30000000000000004)
    assert (mine["dealCount"], mine["totalValue"]) == (2, "0.30")
    assert (theirs["dealCount"], theirs["totalValue"]) == (1, "1000000.99")


CLOSE_DATE = """
mutation Close($id: ID!, $at: DateTime) {
  updateDeal(id: $id, input: {expectedCloseDate: $at}) { deal { expectedCloseDate } userErrors { code field } }
}
"""


def instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    assert value.tzinfo is not None, text  # always answered with its offset
    return value


async def test_a_date_time_sent_without_an_offset_is_utc(gql, workspace):
    """The contract's DateTime carries its offset; one sent without it (or a
    bare date) is read as UTC and stored aware, not handed to the database
    as a naive value (Tortoise warned, and each backend guessed)."""
    pipeline = await create_pipeline(gql, workspace.token)
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    sent = {
        "2027-03-31": "2027-03-31T00:00:00+00:00",
        "2027-03-31T10:30:00": "2027-03-31T10:30:00+00:00",
        "2027-03-31T10:30:00-03:00": "2027-03-31T13:30:00+00:00",
    }
    for text, stored in sent.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            body = await gql.ok(CLOSE_DATE, {"id": deal["id"], "at": text}, token=workspace.token)
        assert body["updateDeal"]["userErrors"] == [], text
        assert instant(body["updateDeal"]["deal"]["expectedCloseDate"]) == instant(stored), text
        assert not [w for w in caught if "naive datetime" in str(w.message)], text
        read = await gql.ok(
            "query D($id: ID!) { deal(id: $id) { expectedCloseDate } }",
            {"id": deal["id"]},
            token=workspace.token,
        )
        assert instant(read["deal"]["expectedCloseDate"]) == instant(stored), text
    refused = await gql(CLOSE_DATE, {"id": deal["id"], "at": "31/03/2027"}, token=workspace.token)
    assert "DateTime" in refused["errors"][0]["message"]
