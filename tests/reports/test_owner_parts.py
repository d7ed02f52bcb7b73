"""The funnel as the sum of its owners' parts (resolvers/reports/
owner_parts.py): for every history, caller, range and time zone it equals
the full computation; parts kept across changes stay exact; after a move
by one owner only that owner's part is read, and after a deal is handed
from one owner to another, both of theirs."""

from datetime import UTC, datetime, timedelta

import pytest

from revgraph.models.identity import User
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.report_measures import ReportWindow
from revgraph.resolvers.reports.funnel import funnel as compute_funnel
from revgraph.resolvers.reports.owner_parts import OWNER_PARTS, OwnerParts
from revgraph.resolvers.reports.owner_stays import _stays_sql
from revgraph.resolvers.reports.stage_days import NO_OWNER
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline, move
from tests.reports.support import set_history, sqlite_plans
from tests.reports.test_funnel import DELETE_DEAL, STAGES
from tests.reports.test_stage_days import SET_ZONE

RESTORE_DEAL = "mutation($id: ID!) { restoreDeal(id: $id) { userErrors { code } } }"
T0 = datetime(2026, 3, 2, 12, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)
# Whole months and days, a range cut mid-day, one within a day, one ending mid-day.
RANGES = [
    (T0 - 40 * D, T0 + 70 * D),
    (T0 - D, T0 + 40 * D),
    (T0 + 3 * H, T0 + 2 * D + 5 * H),
    (T0 + D, T0 + D + 7 * H),
    (T0 - 3 * H, T0 + 20 * D + 13 * H),
]


def shape(found):
    """A funnel as plain values (its records by id)."""
    return (
        [
            (
                row.stage.id,
                row.entered,
                row.converted,
                row.conversion_rate,
                row.current,
                row.current_value,
                row.time_in_stage,
            )
            for row in found.stages
        ],
        found.won,
        found.lost,
        found.won_value,
        found.win_rate,
        found.loss_reasons,
    )


async def world(gql, workspace):
    """Team T (manager Marta: agents Ana, Bia), Caio outside it; deals with
    known histories: back and forth, won, lost, handed from Ana to Caio,
    trashed and restored, trashed, and one without an owner."""
    marta = await workspace.user("MANAGER", name="Marta")
    team = await workspace.team("T", manager_id=marta["id"])
    ana = await workspace.user("AGENT", team_id=team["id"], name="Ana")
    bia = await workspace.user("AGENT", team_id=team["id"], name="Bia")
    caio = await workspace.user("AGENT", name="Caio")
    pipeline = await create_pipeline(gql, workspace.token, STAGES)
    stage = pipeline["stage"]
    token = workspace.token

    async def deal(owner, walk, times, **fields):
        found = await create_deal(
            gql, token, pipeline["id"], stageId=stage[walk[0]], value="1000.50", **fields
        )
        for name in walk[1:]:
            extra = {"lostReason": "Preço"} if name == "Perdido" else {}
            moved = await move(gql, token, dealId=found["id"], stageId=stage[name], **extra)
            assert moved["userErrors"] == [], moved
        await set_history(found["id"], times)
        return found["id"]

    deals = {
        "ana_back_and_forth": await deal(
            ana,
            ["Novo", "Contato", "Novo", "Contato", "Ganho"],
            [T0, T0 + 2 * H, T0 + D + 2 * H, T0 + 3 * D, T0 + 25 * D],
            ownerId=ana["id"],
        ),
        "bia_lost": await deal(
            bia, ["Novo", "Contato", "Perdido"], [T0 - 2 * D, T0 + 4 * H, T0 + 9 * D], ownerId=bia["id"]
        ),
        "caio_open": await deal(caio, ["Novo", "Proposta"], [T0 + 30 * H, T0 + 50 * D], ownerId=caio["id"]),
        "ana_to_caio": await deal(ana, ["Novo", "Contato"], [T0 + 5 * H, T0 + 6 * D], ownerId=ana["id"]),
        "bia_restored": await deal(
            bia, ["Novo", "Contato", "Proposta"], [T0 - 50 * D, T0 - 10 * D, T0 + 2 * D], ownerId=bia["id"]
        ),
        "bia_trashed": await deal(bia, ["Novo", "Contato"], [T0 + 7 * H, T0 + 20 * D], ownerId=bia["id"]),
        "nobody": await deal(None, ["Novo", "Contato", "Ganho"], [T0 - H, T0 + 4 * D, T0 + 60 * D]),
    }
    handed = await gql.ok(
        UPDATE_DEAL, {"id": deals["ana_to_caio"], "input": {"ownerId": caio["id"]}}, token=token
    )
    assert handed["updateDeal"]["userErrors"] == [], handed
    for trashed in ("bia_restored", "bia_trashed"):
        assert (await gql.ok(DELETE_DEAL, {"id": deals[trashed]}, token=token))["deleteDeal"][
            "userErrors"
        ] == []
    restored = await gql.ok(RESTORE_DEAL, {"id": deals["bia_restored"]}, token=token)
    assert restored["restoreDeal"]["userErrors"] == [], restored
    people = {"marta": marta, "ana": ana, "bia": bia, "caio": caio}
    return {"pipeline": pipeline, "deals": deals, "people": people}


async def contexts(server, workspace, people):
    """A Context per caller: the admin, the manager, two agents."""
    admin = await User.get(id=pk_of(workspace.admin["id"], "User"))
    found = {"admin": Actor(admin.workspace_id, admin.id, "ADMIN")}
    for name in ("marta", "ana", "caio"):
        user = await User.get(id=pk_of(people[name]["id"], "User"))
        found[name] = Actor(user.workspace_id, user.id, user.role)
    return {
        name: (lambda actor=actor: Context(settings=server.settings, actor=actor))
        for name, actor in found.items()
    }


async def both(make, pipeline_id, start, end, store=None):
    """The funnel in full and from parts (a fresh store unless given)."""
    full = shape(await compute_funnel(make(), pipeline_id, start, end))
    ctx = make()
    ctx.cache[OWNER_PARTS] = store if store is not None else OwnerParts(10**6)
    return full, shape(await compute_funnel(ctx, pipeline_id, start, end))


async def test_the_sum_of_the_owners_parts_is_the_full_funnel(gql, workspace, server):
    # given known histories of four owners (one of them nobody), in two time zones
    given = await world(gql, workspace)
    callers = await contexts(server, workspace, given["people"])
    pipeline_id = given["pipeline"]["id"]
    for zone in ("UTC", "America/Sao_Paulo"):
        data = await gql.ok(SET_ZONE, {"tz": zone}, token=workspace.token)
        assert data["updateWorkspace"]["userErrors"] == []
        for name, make in callers.items():
            for start, end in RANGES:
                # when the funnel is computed in full and from the owners' parts
                full, parts = await both(make, pipeline_id, start, end)
                # then every figure is the same
                assert parts == full, (zone, name, start, end)
    # and the histories counted something (the comparison is not of empty funnels)
    full, _ = await both(callers["admin"], pipeline_id, *RANGES[0])
    stages, won, lost, *_ = full
    assert won == 2 and lost == 1 and sum(row[1] for row in stages) > 5


async def test_kept_parts_follow_moves_hand_offs_trash_and_the_ownerless(gql, workspace, server):
    # given every caller's funnel from parts kept in one store, around now
    given = await world(gql, workspace)
    callers = await contexts(server, workspace, given["people"])
    pipeline, deals, people = given["pipeline"], given["deals"], given["people"]
    stage, token = pipeline["stage"], workspace.token
    store = OwnerParts(10**6)
    now = datetime.now(UTC)
    ranges = [(now - D, now + D), RANGES[0]]

    async def check(step):
        for name, make in callers.items():
            for start, end in ranges:
                full, parts = await both(make, pipeline["id"], start, end, store)
                assert parts == full, (step, name, start)

    await check("first")
    changes = [
        ("ana moves", lambda: move(gql, token, dealId=deals["ana_back_and_forth"], stageId=stage["Contato"])),
        ("moved back", lambda: move(gql, token, dealId=deals["ana_back_and_forth"], stageId=stage["Novo"])),
        (
            "handed to bia",
            lambda: gql.ok(
                UPDATE_DEAL,
                {"id": deals["caio_open"], "input": {"ownerId": people["bia"]["id"]}},
                token=token,
            ),
        ),
        ("trashed", lambda: gql.ok(DELETE_DEAL, {"id": deals["bia_lost"]}, token=token)),
        ("restored", lambda: gql.ok(RESTORE_DEAL, {"id": deals["bia_lost"]}, token=token)),
        ("the ownerless moves", lambda: move(gql, token, dealId=deals["nobody"], stageId=stage["Proposta"])),
        (
            "the ownerless handed to ana",
            lambda: gql.ok(
                UPDATE_DEAL, {"id": deals["nobody"], "input": {"ownerId": people["ana"]["id"]}}, token=token
            ),
        ),
        ("a new deal", lambda: create_deal(gql, token, pipeline["id"], ownerId=people["caio"]["id"])),
    ]
    for step, change in changes:
        # when something changes
        await change()
        # then every caller's funnel from the kept parts is the full one
        await check(step)


async def test_a_move_reads_its_owners_part_only_and_a_hand_off_both(gql, workspace, server, count_sql):
    # given the admin's and the manager's funnels from warm parts
    given = await world(gql, workspace)
    callers = await contexts(server, workspace, given["people"])
    pipeline, deals, people = given["pipeline"], given["deals"], given["people"]
    ids = {name: pk_of(user["id"], "User") for name, user in people.items()}
    store = OwnerParts(10**6)
    now = datetime.now(UTC)
    for name in ("admin", "marta"):
        await both(callers[name], pipeline["id"], now - D, now + D, store)
    computed = store.computed
    # when Ana moves a deal
    moved = await move(
        gql, workspace.token, dealId=deals["ana_back_and_forth"], stageId=pipeline["stage"]["Proposta"]
    )
    assert moved["userErrors"] == []
    # then the admin's funnel reads Ana's part only, and the manager's takes it from there
    with count_sql() as counter:
        await both(callers["admin"], pipeline["id"], now - D, now + D, store)
    assert store.owners_read == [ids["ana"]]
    assert store.computed == computed + 1
    parts_statements = [s for s in counter.statements if '"stage_current"' in s]
    assert len(parts_statements) == 2, counter.statements  # the full path's, and Ana's part
    await both(callers["marta"], pipeline["id"], now - D, now + D, store)
    assert store.computed == computed + 1
    # and when a deal is handed from Bia to Caio, both their parts are read again
    handed = await gql.ok(
        UPDATE_DEAL,
        {"id": deals["bia_lost"], "input": {"ownerId": people["caio"]["id"]}},
        token=workspace.token,
    )
    assert handed["updateDeal"]["userErrors"] == []
    full, parts = await both(callers["admin"], pipeline["id"], now - D, now + D, store)
    assert parts == full
    assert sorted(store.owners_read) == sorted([ids["bia"], ids["caio"]])


def test_owner_parts_stay_within_their_budget():
    from revgraph.resolvers.reports.owner_parts import OwnerPart
    from revgraph.resolvers.reports.stage_days import StageFigures

    # given a store of 100 units and parts of 11 units each (10 stages)
    store = OwnerParts(100)
    part = OwnerPart(figures={stage: StageFigures(entered=1) for stage in range(10)})
    assert part.weight == 11
    # when 20 owners' parts are kept
    for owner in range(20):
        store.put(("funnel", owner), (owner,), part)
    # then the least recently used went, within the budget
    assert store.weight <= 100 and len(store) == 9
    assert store.get(("funnel", 0), (0,)) is None and store.get(("funnel", 19), (19,)) is part
    # and a part over an eighth of the budget is not kept
    store.put(("funnel", "big"), (0,), OwnerPart(figures={s: StageFigures() for s in range(20)}))
    assert store.get(("funnel", "big"), (0,)) is None


async def test_ranks_read_in_sql_until_the_owners_stays_are_read(gql, workspace, server, monkeypatch):
    from revgraph.resolvers.reports import owner_stays

    # given owners' stays read at most 2 per computation
    monkeypatch.setattr(owner_stays, "FILL_ROWS", 2)
    given = await world(gql, workspace)
    callers = await contexts(server, workspace, given["people"])
    store = OwnerParts(10**6)
    in_sql = []
    for _ in range(6):
        # when the admin's funnel is computed again and again from the same parts
        full, parts = await both(callers["admin"], given["pipeline"]["id"], *RANGES[0], store)
        # then it is the full funnel each time, its ranks partly in SQL until the stays are all read
        assert parts == full
        in_sql.append(store.ranks_in_sql)
    assert in_sql[0] > 0 and in_sql[-1] == 0, in_sql


def test_the_kth_of_sorted_arrays_is_the_kth_of_their_union():
    from array import array
    from random import Random

    from revgraph.resolvers.reports.owner_stays import kth

    # given random ascending arrays, some empty, with repeated values
    random = Random(11)
    for _ in range(200):
        arrays = [
            array("q", sorted(random.randrange(0, 60) for _ in range(random.randrange(0, 6))))
            for _ in range(4)
        ]
        union = sorted(v for a in arrays for v in a)
        # then every rank is the union's
        for k in range(1, len(union) + 1):
            assert kth(arrays, k) == union[k - 1]


async def test_a_cold_wide_scope_is_computed_in_full_until_smaller_scopes_fill_its_parts(
    gql, workspace, server, monkeypatch
):
    from revgraph.resolvers.reports import owner_parts

    # given scopes of more than one owner, none with a kept part, count as cold
    monkeypatch.setattr(owner_parts, "COLD_OWNERS", 1)
    given = await world(gql, workspace)
    callers = await contexts(server, workspace, given["people"])
    pipeline_id = given["pipeline"]["id"]
    store = OwnerParts(10**6)
    read_positions = []
    positions = owner_parts.owner_positions

    async def counted_positions(workspace_id, owners):
        read_positions.append(list(owners))
        return await positions(workspace_id, owners)

    monkeypatch.setattr(owner_parts, "owner_positions", counted_positions)
    # when the admin's funnel is asked first: computed in full, no part
    # read, and no owner's position either (no part of it is kept at all)
    full, parts = await both(callers["admin"], pipeline_id, *RANGES[0], store)
    assert parts == full and store.computed == 0
    assert read_positions == []
    # and once the agents' funnels have read their parts, the manager's
    # scope (Ana, Bia, Marta) is warm: its positions are read, then Bia's
    # and Marta's parts
    for name in ("ana", "caio"):
        await both(callers[name], pipeline_id, *RANGES[0], store)
    assert store.computed == 2
    read_positions.clear()
    full, parts = await both(callers["marta"], pipeline_id, *RANGES[0], store)
    assert parts == full and store.computed == 4
    assert read_positions


async def test_sqlite_reads_a_movers_part_through_the_owner_led_indexes_and_full_ones_keep_theirs(
    gql, workspace, server, monkeypatch
):
    from tortoise import connections

    if connections.get("default").capabilities.dialect != "sqlite":
        pytest.skip("PostgreSQL plans by its statistics: bench/REPORTS.md has its plans on the 100k build")
    # given the admin's funnel from warm parts over whole months
    given = await world(gql, workspace)
    callers = await contexts(server, workspace, given["people"])
    pipeline, deals = given["pipeline"], given["deals"]
    store = OwnerParts(10**6)
    start, end = RANGES[0]
    await both(callers["admin"], pipeline["id"], start, end, store)
    # when Ana moves a deal and the admin's funnel is computed from the parts
    moved = await move(
        gql, workspace.token, dealId=deals["ana_back_and_forth"], stageId=pipeline["stage"]["Proposta"]
    )
    assert moved["userErrors"] == []

    async def from_parts():
        ctx = callers["admin"]()
        ctx.cache[OWNER_PARTS] = store
        await compute_funnel(ctx, pipeline["id"], start, end)

    plans = await sqlite_plans(monkeypatch, from_parts)
    # then Ana's rollups and stays are read through their owner-led indexes
    rollups = [plan for sql, plan in plans.items() if '"stage_day"' in sql]
    assert len(rollups) == 1 and "idx_stage_day_owner" in rollups[0], plans
    client = connections.get("default")
    # (Ana's stays are read when a rank falls in a bucket she has stays in:
    # the statement, on its own)
    ana = pk_of(given["people"]["ana"]["id"], "User")
    window = ReportWindow(start, end)
    for owners, index in (([ana], "idx_stage_entry_owner_stay"), ([NO_OWNER, ana], "idx_stage_entry_stay")):
        stays = _stays_sql(
            client,
            callers["admin"]().actor.workspace_id,
            pk_of(pipeline["id"], "Pipeline"),
            pk_of(pipeline["stage"]["Contato"], "Stage"),
            17,
            owners,
            window,
        )
        plan = await client.execute_query_dict("EXPLAIN QUERY PLAN " + stays.sql, stays.params)
        assert index in " ".join(row["detail"] for row in plan), (owners, plan)

    # and the manager's funnel computed in full (her subtree's owners named) keeps the stage-led ones
    async def in_full():
        await compute_funnel(callers["marta"](), pipeline["id"], start, end)

    plans = await sqlite_plans(monkeypatch, in_full)
    assert any('"stage_day"' in sql for sql in plans), plans
    assert not any("_owner" in plan for plan in plans.values()), plans
    assert any("idx_stage_day_read" in plan for plan in plans.values()), plans
