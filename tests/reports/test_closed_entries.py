"""The funnel's won and lost figures read from the stage entries alone
(migration 0036): every entry carries its deal's loss reason, value in cents
and currency now, whatever changed them and in whichever order; and the
funnel's won, lost, wonValue, winRate and lossReasons equal a recomputation
from the log and the deals (independently of the entries), after random
moves in and out of two LOST stages and a WON one, a lost deal's reason,
value and currency changed after it was lost, trash, restore, a hand-over
and reopening."""

import importlib
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

from tortoise import connections
from tortoise.expressions import Q

from revgraph.models.pipeline import Deal, DealStageEntry, Stage, StageTransition
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.report_measures import ReportWindow
from revgraph.resolvers.reports import funnel as funnel_module
from revgraph.resolvers.reports.buckets import ranked
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline, move
from tests.reports.support import window
from tests.reports.test_funnel import DELETE_DEAL, FUNNEL
from tests.reports.test_stage_days import RESTORE
from tests.reports.test_stage_entries import _at, fake_clock

STAGES = [
    {"name": "Novo"},
    {"name": "Contato"},
    {"name": "Proposta"},
    {"name": "Ganho", "kind": "WON"},
    {"name": "Perdido", "kind": "LOST"},
    {"name": "Desistiu", "kind": "LOST"},
]
REASONS = ["Preço", "Prazo", "Concorrente"]
CLOSED = importlib.import_module("revgraph.models.migrations.0036_entry_closed_figures")
COPIES = importlib.import_module("revgraph.models.migrations.0039_entry_copies_once")


async def held_copies(deal_ids: list[int]) -> dict[int, tuple]:
    """Each entry's (reason, cents, currency)."""
    rows = await DealStageEntry.filter(deal_id__in=deal_ids).values_list(
        "id", "lost_reason", "value_cents", "currency"
    )
    return {entry_id: (reason, cents, currency) for entry_id, reason, cents, currency in rows}


async def expected_copies(deal_ids: list[int]) -> dict[int, tuple]:
    """Each entry's deal's (reason, value in cents, currency) now, from the
    deals and the log."""
    deals = {deal.id: deal for deal in await Deal.filter(id__in=deal_ids)}
    found = {}
    for row in await StageTransition.filter(deal_id__in=deal_ids):
        deal = deals[row.deal_id]
        found[row.id] = (deal.lost_reason, int(Decimal(str(deal.value or 0)) * 100), deal.currency)
    return found


async def expected_closed(
    pipeline_id: int, start: datetime, end: datetime, currency: str, owner_id=None
) -> dict:
    """won, lost, wonValue, winRate and lossReasons by their definitions:
    the live deals of the pipeline (of `owner_id` if given) with a
    transition in [start, end) into a WON / LOST stage, by their reason and
    value now, values summed in the workspace's currency only."""
    kinds = {s.id: s.kind for s in await Stage.filter(pipeline_id=pipeline_id)}
    deals = {
        deal.id: deal
        for deal in await Deal.filter(pipeline_id=pipeline_id, deleted_at__isnull=True)
        if owner_id is None or deal.owner_id == owner_id
    }
    won, lost = set(), set()
    for row in await StageTransition.filter(deal_id__in=list(deals)):
        if start <= _at(row.at) < end:
            if kinds[row.to_stage_id] == "WON":
                won.add(row.deal_id)
            if kinds[row.to_stage_id] == "LOST":
                lost.add(row.deal_id)

    def value(deal_id: int) -> Decimal:
        deal = deals[deal_id]
        return Decimal(str(deal.value or 0)) if deal.currency == currency else Decimal("0")

    reasons: dict[str, list] = {}
    for deal_id in lost:
        held = reasons.setdefault(deals[deal_id].lost_reason or "", [0, Decimal("0")])
        held[0] += 1
        held[1] += value(deal_id)
    buckets = [
        {"key": key, "label": key or "—", "count": count, "value": f"{total:.2f}"}
        for key, (count, total) in reasons.items()
    ]
    buckets.sort(key=lambda b: (-b["count"], b["label"], b["key"]))
    return {
        "won": len(won),
        "lost": len(lost),
        "wonValue": f"{sum((value(d) for d in won), Decimal('0')):.2f}",
        "winRate": round(len(won) / (len(won) + len(lost)), 4) if won or lost else None,
        "lossReasons": buckets,
    }


def closed_of(answer: dict) -> dict:
    figures = {key: answer[key] for key in ("won", "lost", "wonValue", "winRate")}
    figures["wonValue"] = f"{Decimal(str(answer['wonValue'])):.2f}"
    figures["lossReasons"] = [
        {**bucket, "value": f"{Decimal(str(bucket['value'])):.2f}"} for bucket in answer["lossReasons"]
    ]
    return figures


async def random_closings(
    gql, token, rng: random.Random, pipeline: dict, deals: list[str], moves: int
) -> None:
    """Moves at random, into and out of the WON and both LOST stages, a
    lost deal moved from one LOST stage to the other with another reason."""
    names = [stage["name"] for stage in STAGES]
    for _ in range(moves):
        target = rng.choice(names)
        extra = {"lostReason": rng.choice(REASONS)} if target in ("Perdido", "Desistiu") else {}
        moved = await move(gql, token, dealId=rng.choice(deals), stageId=pipeline["stage"][target], **extra)
        assert moved["userErrors"] == [], moved


async def check(gql, workspace, pipeline: dict, deal_ids: list[int], currency: str, agent_id: str) -> None:
    """The entries' copies, then the funnel's closed figures over the whole
    history and random ranges, as the admin and narrowed to an owner."""
    assert await held_copies(deal_ids) == await expected_copies(deal_ids)
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    times = sorted(
        _at(at) for at in await StageTransition.filter(deal_id__in=deal_ids).values_list("at", flat=True)
    )
    rng = random.Random(len(times))
    ranges = [(times[0], times[-1] + timedelta(seconds=1))]
    for _ in range(4):
        start, end = sorted(rng.sample(times, 2))
        ranges.append((start, end))
    for start, end in ranges:
        end = min(end, start + timedelta(days=399))
        for owner in (None, agent_id):
            narrowed = {"ownerId": owner} if owner else {}
            data = await gql.ok(
                FUNNEL,
                {"pipelineId": pipeline["id"], "range": window(start, end), **narrowed},
                token=workspace.token,
            )
            owner_pk = pk_of(owner, "User") if owner else None
            expected = await expected_closed(pipeline_id, start, end, currency, owner_pk)
            assert closed_of(data["funnel"]) == expected, (start, end, owner)


async def check_read(pipeline: dict, deal_ids: list[int], currency: str) -> None:
    """funnel's won/lost read itself (no cache in between) over the whole
    history, against the recomputation."""
    pipeline_id = pk_of(pipeline["id"], "Pipeline")
    times = sorted(
        _at(at) for at in await StageTransition.filter(deal_id__in=deal_ids).values_list("at", flat=True)
    )
    start, end = times[0], times[-1] + timedelta(seconds=1)
    kinds = {s.id: s.kind for s in await Stage.filter(pipeline_id=pipeline_id)}
    deals = Q(deleted_at__isnull=True, pipeline_id=pipeline_id)
    stages = {
        kind: [stage_id for stage_id, held in kinds.items() if held == kind] for kind in ("WON", "LOST")
    }
    read = await funnel_module._closed(deals, stages, ReportWindow(start, end), currency)
    expected = await expected_closed(pipeline_id, start, end, currency)
    assert sum(b.count for b in read["WON"].values()) == expected["won"]
    assert f"{sum(b.value for b in read['WON'].values()):.2f}" == expected["wonValue"]
    assert [
        {"key": b.key, "label": b.label, "count": b.count, "value": f"{b.value:.2f}"}
        for b in ranked(read["LOST"].values())
    ] == expected["lossReasons"]


async def test_lost_and_won_follow_reason_value_currency_trash_restore_and_reopening(
    gql, workspace, monkeypatch
):
    token = workspace.token
    rng = random.Random(11)
    fake_clock(monkeypatch, rng)
    currency = (await gql.ok("{ workspace { currency } }", token=token))["workspace"]["currency"]
    agent = await workspace.user("AGENT")
    pipeline = await create_pipeline(gql, token, STAGES)
    deals = []
    for index in range(8):
        value = {"value": f"{rng.randrange(1, 10**6)}.{rng.randrange(100):02d}"} if index % 4 else {}
        deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Novo"], **value)
        deals.append(deal["id"])
    deal_ids = [pk_of(deal, "Deal") for deal in deals]
    # given deals moved at random into and out of WON and two LOST stages
    await random_closings(gql, token, rng, pipeline, deals, 50)
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    lost_now = [d.id for d in await Deal.filter(id__in=deal_ids, lost_reason__isnull=False)]
    assert lost_now, "some deal is lost at the end of the history"
    lost_id = encode_id("Deal", lost_now[0])
    # when a lost deal's value and currency change after it was lost, and
    # another's value (in the workspace's currency)
    for deal, change in ((lost_id, {"value": "777.07", "currency": "USD"}), (deals[1], {"value": "12.34"})):
        updated = await gql.ok(UPDATE_DEAL, {"id": deal, "input": change}, token=token)
        assert updated["updateDeal"]["userErrors"] == [], updated
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    # and its reason changes with a move to the other LOST stage, and by any
    # other writer (an UPDATE of the deal's row)
    stage = (await Deal.get(id=lost_now[0])).stage_id
    other = "Desistiu" if stage == pk_of(pipeline["stage"]["Perdido"], "Stage") else "Perdido"
    moved = await move(
        gql, token, dealId=lost_id, stageId=pipeline["stage"][other], lostReason="Sem orçamento"
    )
    assert moved["userErrors"] == [], moved
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    await Deal.filter(id=lost_now[0]).update(lost_reason="Mudou de ideia")
    # (an UPDATE outside the use cases logs nothing, so cached answers stay:
    # the entries and the read itself are checked)
    assert await held_copies(deal_ids) == await expected_copies(deal_ids)
    await check_read(pipeline, deal_ids, currency)
    # and lost deals are handed to an agent, trashed, restored, reopened
    handed = await gql.ok(UPDATE_DEAL, {"id": lost_id, "input": {"ownerId": agent["id"]}}, token=token)
    assert handed["updateDeal"]["userErrors"] == [], handed
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    trashed = await gql.ok(DELETE_DEAL, {"id": lost_id}, token=token)
    assert trashed["deleteDeal"]["userErrors"] == []
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    restored = await gql.ok(RESTORE, {"id": lost_id}, token=token)
    assert restored["restoreDeal"]["userErrors"] == []
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    reopened = await move(gql, token, dealId=lost_id, stageId=pipeline["stage"]["Contato"])
    assert reopened["userErrors"] == [], reopened
    assert (await Deal.get(id=lost_now[0])).lost_reason is None
    # then the entries and the figures follow every change (the reopened
    # deal still counts as lost in the ranges it was lost in, under "—")
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    data = await gql.ok(
        FUNNEL,
        {
            "pipelineId": pipeline["id"],
            "range": window(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC)),
        },
        token=token,
    )
    assert any(bucket["key"] == "" for bucket in data["funnel"]["lossReasons"])
    # and more moves keep them
    await random_closings(gql, token, rng, pipeline, deals, 30)
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])


async def test_the_funnel_reads_no_deal_row(gql, workspace, count_sql):
    # given lost and won deals
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    for target in ("Perdido", "Ganho", "Desistiu"):
        deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Novo"], value="10.00")
        extra = {"lostReason": "Preço"} if target != "Ganho" else {}
        moved = await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"][target], **extra)
        assert moved["userErrors"] == [], moved
    now = datetime.now(UTC)
    # when the funnel is read
    with count_sql() as counter:
        data = await gql.ok(
            FUNNEL,
            {
                "pipelineId": pipeline["id"],
                "range": window(now - timedelta(hours=1), now + timedelta(hours=1)),
            },
            token=token,
        )
    assert (data["funnel"]["won"], data["funnel"]["lost"]) == (1, 2)
    # then its won and lost figures came from the entries: no statement read
    # the deals' table
    assert not any('FROM "deal" ' in sql or 'FROM "deal"\n' in sql for sql in counter.statements), (
        counter.statements
    )
    # and the WON and LOST stages' entries were read in one statement
    assert sum('"lost_reason"' in sql for sql in counter.statements) == 1, counter.statements


async def test_the_migration_fills_the_entries_and_its_triggers_keep_them(gql, workspace, monkeypatch):
    token = workspace.token
    rng = random.Random(12)
    fake_clock(monkeypatch, rng)
    currency = (await gql.ok("{ workspace { currency } }", token=token))["workspace"]["currency"]
    agent = await workspace.user("AGENT")
    pipeline = await create_pipeline(gql, token, STAGES)
    deals = [
        (await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Novo"], value=f"{n}.25"))[
            "id"
        ]
        for n in range(1, 6)
    ]
    deal_ids = [pk_of(deal, "Deal") for deal in deals]
    await random_closings(gql, token, rng, pipeline, deals, 25)
    # given entries written before migration 0036 (no copies, no triggers)
    editor = SimpleNamespace(client=connections.get("default"))
    await CLOSED.drop_triggers(None, editor)
    await DealStageEntry.filter(deal_id__in=deal_ids).update(
        lost_reason=None, value_cents=None, currency=None
    )
    updated = await gql.ok(UPDATE_DEAL, {"id": deals[0], "input": {"value": "99.99"}}, token=token)
    assert updated["updateDeal"]["userErrors"] == []
    assert await held_copies(deal_ids) != await expected_copies(deal_ids)
    # when the migration fills them, then makes its triggers
    await CLOSED.fill(None, editor)
    await CLOSED.create_triggers(None, editor)
    await COPIES.copy_when_lacking(None, editor)
    # then every entry carries its deal's values, and keeps them
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
    await random_closings(gql, token, rng, pipeline, deals, 15)
    updated = await gql.ok(
        UPDATE_DEAL, {"id": deals[1], "input": {"value": "1.01", "currency": "EUR"}}, token=token
    )
    assert updated["updateDeal"]["userErrors"] == []
    await check(gql, workspace, pipeline, deal_ids, currency, agent["id"])
