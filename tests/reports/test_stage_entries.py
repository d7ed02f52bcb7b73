"""The funnel's cohort facts (resolvers/stage_entries.py) against the log
they summarise: after random sequences of moves made through the API
(forward, back, won, lost, reopened), after reordering and adding stages,
and as migration 0028 fills them from a log written before it. The oracle
below recomputes every fact from the stage transitions by its definition,
independently of the code under test."""

import importlib
import random
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import tortoise.timezone
from tortoise import connections

from revgraph.models.pipeline import Deal, DealStageEntry, Stage, StageTransition
from revgraph.resolvers.ids import encode_id, pk_of
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline, move
from tests.reports.test_funnel import DELETE_DEAL

STAGES = [
    {"name": "Novo"},
    {"name": "Contato"},
    {"name": "Visita"},
    {"name": "Proposta"},
    {"name": "Ganho", "kind": "WON"},
    {"name": "Perdido", "kind": "LOST"},
]
REORDER = "mutation($p: ID!, $ids: [ID!]!) { reorderStages(pipelineId: $p, stageIds: $ids) { userErrors { code } } }"
ADD_STAGE = """mutation($p: ID!, $position: Int) {
  addStage(pipelineId: $p, input: {name: "Qualificado"}, position: $position) { userErrors { code } }
}"""
ARCHIVE = "mutation($id: ID!) { archiveStage(id: $id) { userErrors { code } } }"


def _at(value) -> datetime:
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def expected_facts(deal_ids: list[int]) -> dict[int, tuple]:
    """(stage, entered_at, left_at, stay_seconds, reached_higher,
    prev_same_at, owner, trashed at) of every transition of the deals, by
    the definitions, O(n²) per deal."""
    stages = {s.id: s for s in await Stage.all()}
    found = {}
    for deal_id in deal_ids:
        deal = await Deal.get(id=deal_id)
        rows = sorted(await StageTransition.filter(deal_id=deal_id), key=lambda row: (_at(row.at), row.id))
        for index, row in enumerate(rows):
            later = rows[index + 1 :]
            left = _at(later[0].at) if later else None
            stay = max(0, int((left - _at(row.at)).total_seconds())) if left else None
            here = stages[row.to_stage_id]
            reached = any(
                stages[after.to_stage_id].kind != "LOST"
                and stages[after.to_stage_id].position > here.position
                for after in later
            )
            same = [_at(r.at) for r in rows[:index] if r.to_stage_id == row.to_stage_id]
            found[row.id] = (
                row.to_stage_id,
                _at(row.at),
                left,
                stay,
                reached,
                same[-1] if same else None,
                deal.owner_id,
                deal.deleted_at and _at(deal.deleted_at),
            )
    return found


async def held_facts(deal_ids: list[int]) -> dict[int, tuple]:
    rows = await DealStageEntry.filter(deal_id__in=deal_ids)
    return {
        row.id: (
            row.stage_id,
            _at(row.entered_at),
            row.left_at and _at(row.left_at),
            row.stay_seconds,
            row.reached_higher,
            row.prev_same_at and _at(row.prev_same_at),
            row.owner_id,
            row.deleted_at and _at(row.deleted_at),
        )
        for row in rows
    }


def fake_clock(monkeypatch, rng: random.Random) -> None:
    """Tortoise's clock (auto_now_add: a transition's `at`) jumps a random
    while, up to two days, at each reading: stays of every length."""
    moment = [datetime(2026, 3, 1, 12, tzinfo=UTC)]

    def now() -> datetime:
        moment[0] += timedelta(seconds=rng.randrange(0, 2 * 86400), microseconds=rng.randrange(10**6))
        return moment[0]

    monkeypatch.setattr(tortoise.timezone, "now", now)


async def random_history(gql, token, seed: int, monkeypatch, deals: int = 6, moves: int = 40):
    """A pipeline and `deals` deals moved at random, back and forth, into
    WON/LOST and out again, on a clock that jumps; returns the pipeline and
    the deals' ids."""
    rng = random.Random(seed)
    fake_clock(monkeypatch, rng)
    pipeline = await create_pipeline(gql, token, STAGES)
    names = [stage["name"] for stage in STAGES]
    ids = []
    for _ in range(deals):
        deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"][rng.choice(names[:2])])
        ids.append(deal["id"])
    for _ in range(moves):
        deal = rng.choice(ids)
        target = rng.choice(names)
        extra = {"lostReason": "Preço"} if target == "Perdido" else {}
        moved = await move(gql, token, dealId=deal, stageId=pipeline["stage"][target], **extra)
        assert moved["userErrors"] == [], moved
    return pipeline, [pk_of(deal, "Deal") for deal in ids]


async def hand_over_and_trash(gql, workspace, deals: list[int]) -> None:
    """The first deal handed to an agent, the second trashed: the entries'
    owner and trash time follow the deal (the trigger of migration 0028)."""
    agent = await workspace.user("AGENT")
    handed = await gql.ok(
        UPDATE_DEAL,
        {"id": encode_id("Deal", deals[0]), "input": {"ownerId": agent["id"]}},
        token=workspace.token,
    )
    assert handed["updateDeal"]["userErrors"] == [], handed
    trashed = await gql.ok(DELETE_DEAL, {"id": encode_id("Deal", deals[1])}, token=workspace.token)
    assert trashed["deleteDeal"]["userErrors"] == []


async def test_facts_follow_random_moves_back_and_forth(gql, workspace, monkeypatch):
    for seed in (1, 2, 3):
        # given deals moved at random, each move through the API
        _, deals = await random_history(gql, workspace.token, seed, monkeypatch)
        await hand_over_and_trash(gql, workspace, deals)
        # then every transition has its entry, with the facts its log defines
        expected = await expected_facts(deals)
        assert len(expected) > 30
        assert len({facts[3] for facts in expected.values()}) > 20  # stays of many lengths
        assert any(facts[4] for facts in expected.values())
        assert any(not facts[4] and facts[2] for facts in expected.values())
        assert any(facts[5] for facts in expected.values())  # re-entries
        assert any(facts[6] for facts in expected.values()) and any(facts[7] for facts in expected.values())
        assert await held_facts(deals) == expected


async def test_reordering_and_adding_stages_recomputes_converted(gql, workspace, monkeypatch):
    # given a random history
    pipeline, deals = await random_history(gql, workspace.token, 7, monkeypatch)
    before = await held_facts(deals)
    # when the admin reverses the open stages' order
    order = [
        pipeline["stage"][name] for name in ("Proposta", "Visita", "Contato", "Novo", "Ganho", "Perdido")
    ]
    data = await gql.ok(REORDER, {"p": pipeline["id"], "ids": order}, token=workspace.token)
    assert data["reorderStages"]["userErrors"] == []
    # then the converted flags are those of the new order, and they did change
    after = await held_facts(deals)
    assert after == await expected_facts(deals)
    assert after != before
    # and archiving a stage, then adding one first (which shifts only the
    # active ones), keeps them right too
    emptied = await DealStageEntry.filter(deal_id__in=deals, left_at__isnull=True).values_list(
        "stage_id", flat=True
    )
    spare = next(
        s for name, s in pipeline["stage"].items() if pk_of(s, "Stage") not in emptied and name != "Ganho"
    )
    assert (await gql.ok(ARCHIVE, {"id": spare}, token=workspace.token))["archiveStage"]["userErrors"] == []
    data = await gql.ok(ADD_STAGE, {"p": pipeline["id"], "position": 0}, token=workspace.token)
    assert data["addStage"]["userErrors"] == []
    assert await held_facts(deals) == await expected_facts(deals)


async def test_the_migration_fills_the_facts_of_a_log_written_before_it(gql, workspace, monkeypatch):
    # given a random history whose facts are then lost, as before migration 0028
    _, deals = await random_history(gql, workspace.token, 11, monkeypatch)
    await hand_over_and_trash(gql, workspace, deals)
    maintained = await held_facts(deals)
    await DealStageEntry.all().delete()
    # when the migration's backfill runs
    migration = importlib.import_module("revgraph.models.migrations.0028_stage_entries")
    await migration.fill_stage_entries(None, SimpleNamespace(client=connections.get("default")))
    # then it finds the facts that the moves kept
    assert await held_facts(deals) == maintained == await expected_facts(deals)
