"""What a move writes for the funnel's facts, beside its transition (issue 11:
the rollups' price on moveDeal): on PostgreSQL the transition and its facts
are one statement, the facts computed by the database; on SQLite the
transition's INSERT also returns the deal's entries and the facts are
written in one more statement (an INSERT … ON CONFLICT closing the open
entry and opening the new one), the new entry carrying its deal's figures
in its own INSERT, so migration 0039's trigger does not write the row a
second time. The facts
themselves are checked by test_stage_entries.py and test_closed_entries.py."""

import importlib
from types import SimpleNamespace

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from revgraph.models.pipeline import DealStageEntry
from revgraph.resolvers.ids import pk_of
from tests.pipeline.support import create_deal, create_pipeline, move
from tests.reports.test_closed_entries import expected_copies, held_copies

STAGES = [{"name": "Novo"}, {"name": "Contato"}, {"name": "Ganho", "kind": "WON"}]
COPIES = importlib.import_module("revgraph.models.migrations.0039_entry_copies_once")


async def test_a_move_writes_its_transition_and_facts_in_few_statements(gql, workspace, monkeypatch):
    # given a deal with an entry to close
    token = workspace.token
    pipeline = await create_pipeline(gql, token, STAGES)
    deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Novo"], value="10.50")
    client = connections.get("default")
    async with in_transaction() as held:  # a move's statements go through its class
        kind = type(held)
    sent: list[str] = []
    for name in ("execute_query", "execute_insert"):
        original = getattr(kind, name)

        async def recorded(self, sql: str, values=None, _original=original):
            sent.append(sql)
            return await _original(self, sql, values)

        monkeypatch.setattr(kind, name, recorded)
    # when it is moved on
    moved = await move(gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Contato"])
    monkeypatch.undo()
    assert moved["userErrors"] == []
    # then the transition and the facts took one statement on PostgreSQL
    # (two on SQLite: the transition's INSERT returning the deal's entries,
    # the entries' INSERT … ON CONFLICT)
    facts = [sql for sql in sent if "stage_transition" in sql or "deal_stage_entry" in sql]
    assert len(facts) == (1 if client.capabilities.dialect == "postgres" else 2), facts
    if client.capabilities.dialect != "postgres":
        # the entry's INSERT takes the deal's figures itself (migration 0039)
        assert "value_cents" in facts[-1] and facts[-1].startswith('INSERT INTO "deal_stage_entry"'), facts
    # and the new entry carries its deal's figures
    deal_id = pk_of(deal["id"], "Deal")
    assert await held_copies([deal_id]) == await expected_copies([deal_id])


async def _changes(client, sql: str, values: list) -> int:
    """Rows changed by `sql` and its triggers (SQLite's total_changes)."""
    _, before = await client.execute_query("SELECT total_changes()")
    await client.execute_query(sql, values)
    _, after = await client.execute_query("SELECT total_changes()")
    return after[0][0] - before[0][0]


async def test_sqlite_copies_a_deals_figures_onto_an_entry_only_when_it_lacks_them(gql, workspace):
    client = connections.get("default")
    if client.capabilities.dialect == "postgres":
        pytest.skip("a BEFORE INSERT trigger sets the row itself there (migration 0036)")
    # given a lost deal's entry, and two copies of it inserted again under new ids
    token = workspace.token
    pipeline = await create_pipeline(gql, token, [*STAGES, {"name": "Perdido", "kind": "LOST"}])
    deal = await create_deal(gql, token, pipeline["id"], stageId=pipeline["stage"]["Novo"], value="7.25")
    moved = await move(
        gql, token, dealId=deal["id"], stageId=pipeline["stage"]["Perdido"], lostReason="Preço"
    )
    assert moved["userErrors"] == []
    deal_id = pk_of(deal["id"], "Deal")
    entry = await DealStageEntry.filter(deal_id=deal_id).order_by("-id").first()
    columns = (
        "workspace_id, deal_id, pipeline_id, stage_id, entered_at, reached_higher, owner_id, entered_day"
    )
    copy = f"INSERT INTO deal_stage_entry (id, {columns}{{}}) SELECT ?, {columns}{{}} FROM deal_stage_entry WHERE id = ?"
    figures = ", lost_reason, value_cents, currency"
    # when one is inserted with the deal's figures and one without
    with_figures = await _changes(client, copy.format(figures, figures), [entry.id + 1000, entry.id])
    without = await _changes(client, copy.format("", ""), [entry.id + 2000, entry.id])
    # then only the one without was written again (the trigger's UPDATE)
    assert without == with_figures + 1
    # and both carry the deal's figures
    assert await held_copies([deal_id]) == await expected_copies([deal_id]) | {
        entry.id + offset: (await expected_copies([deal_id]))[entry.id] for offset in (1000, 2000)
    }
    # and the trigger of migration 0036 wrote the row again every time
    await COPIES.copy_always(None, SimpleNamespace(client=client))
    try:
        again = await _changes(client, copy.format(figures, figures), [entry.id + 3000, entry.id])
    finally:
        await COPIES.copy_when_lacking(None, SimpleNamespace(client=client))
    assert again == with_figures + 1
