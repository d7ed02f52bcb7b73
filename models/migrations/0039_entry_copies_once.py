"""SQLite: a new stage entry's copy of its deal's figures only when it lacks them.

Migration 0036 copies a deal's loss reason, value in cents and currency onto
each of its stage entries. On SQLite, whose triggers cannot change the row
being inserted, its AFTER INSERT trigger UPDATEs the entry it just inserted,
every time: a second write of the row (its entry in idx_stage_entry_entered
rewritten) and every UPDATE trigger's condition on deal_stage_entry (0033's
six) evaluated again, on every move (bench/REPORTS.md: issue 11's rollups'
price on moveDeal).

The trigger now runs only when the inserted row does not already hold its
deal's values (the same expressions, compared with IS NOT, so NULLs compare
as values): a move's entry carries them in its own INSERT
(resolvers/stage_entries.py `_write_entries`, INSERT … SELECT from the
deal), and the UPDATE is skipped; any other writer (a rebuild, a bulk load,
a deal's first entry) is corrected as before. The figures are the same
either way. PostgreSQL's BEFORE INSERT trigger sets the row being inserted
(no second write): unchanged."""

import importlib

from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops

ROLLUPS = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
COPIED = "d.lost_reason, {}, d.currency FROM deal d WHERE d.id = NEW.deal_id".format(ROLLUPS._cents("d"))


def _insert_trigger(condition: str) -> str:
    return (
        f"CREATE TRIGGER trg_stage_entry_closed_insert AFTER INSERT ON deal_stage_entry FOR EACH ROW {condition}"
        f"BEGIN UPDATE deal_stage_entry SET (lost_reason, value_cents, currency) = (SELECT {COPIED}) "
        "WHERE id = NEW.id; END"
    )


LACKING = f"WHEN (NEW.lost_reason, NEW.value_cents, NEW.currency) IS NOT (SELECT {COPIED}) "


async def _replace(editor, condition: str) -> None:
    client = editor.client
    if client.capabilities.dialect == "postgres":
        return
    await client.execute_script("DROP TRIGGER IF EXISTS trg_stage_entry_closed_insert")
    await client.execute_script(_insert_trigger(condition))


async def copy_when_lacking(apps, editor):
    await _replace(editor, LACKING)


async def copy_always(apps, editor):
    """Back to 0036's trigger."""
    await _replace(editor, "")


class Migration(_base.Migration):
    """SQLite's copy of a deal's figures onto a new entry only when the
    entry lacks them."""

    dependencies = [("models", "0038_owner_part_indexes")]

    initial = False

    operations = [ops.RunPython(copy_when_lacking, copy_always)]
