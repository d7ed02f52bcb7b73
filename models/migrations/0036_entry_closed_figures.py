"""The funnel's won and lost figures from the stage entries alone.

`funnel`'s won, lost, wonValue and lossReasons count the deals that entered
a WON / LOST stage in the range, by their loss reason now, with their values
now summed (resolvers/reports/funnel.py). They read the range's entries into
those stages, then each deal's row by id for its reason, value and currency:
on the 100,000-deal bench, 14,588 lost deals in a year, ~24 ms of SQLite's
CPU for the lost part alone (bench/REPORTS.md).

The entries already carry the deal's owner and trash time now (migration
0028), so that the deals' visibility condition filters them. This migration
copies the three other columns those figures read the same way:
`lost_reason`, `value_cents` (the value in whole cents, exact on both
backends as stage_current's, migration 0033; a deal without a value is 0)
and `currency`. Every entry of a deal carries the deal's values now:
- a trigger on `deal`, on an update of lost_reason, value or currency that
  changes one of them, copies them onto all of the deal's entries (as 0028's
  does for the owner and trash time) in the same transaction;
- a new entry takes them from its deal when it is inserted (PostgreSQL: a
  BEFORE INSERT trigger sets them on the row; SQLite, whose triggers cannot
  change the row being inserted: an AFTER INSERT trigger updates it by id),
  whichever code writes it (a move, a deal's creation, a rebuild, a bulk
  load), so resolvers/stage_entries.py does not change;
- the entries already written are filled from their deals here, before the
  triggers exist.
The entries' rollup triggers (0033) compare key columns these updates do
not touch, so they write nothing for them.

The funnel's entries index (`idx_stage_entry_entered`, 0028) gains the three
columns after the deal id, so that the won/lost read (entries into the
stages in the range, the deals' visibility condition, distinct deals with
their reason, currency and cents) is answered from the index alone."""

import importlib

from revgraph.models.migrations import _base
from tortoise import fields
from tortoise.migrations import operations as ops

ROLLUPS = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
COPIED = ["lost_reason", "value", "currency"]
ENTERED_BEFORE = (
    "CREATE INDEX idx_stage_entry_entered ON deal_stage_entry "
    "(stage_id, entered_at, owner_id, deleted_at, workspace_id, pipeline_id, prev_same_at, reached_higher, deal_id)"
)
ENTERED_NOW = (
    "CREATE INDEX idx_stage_entry_entered ON deal_stage_entry "
    "(stage_id, entered_at, owner_id, deleted_at, workspace_id, pipeline_id, prev_same_at, reached_higher, deal_id, "
    "currency, value_cents, lost_reason)"
)


def deal_triggers(dialect: str) -> list[tuple[str, str, str, list[str]]]:
    """(name, event, condition, statements) of the trigger on `deal` that
    copies its reason, value and currency onto its entries."""
    return [
        (
            "trg_stage_entry_closed_follow",
            "UPDATE OF lost_reason, value, currency",
            ROLLUPS._differ(dialect, COPIED),
            [
                "UPDATE deal_stage_entry SET lost_reason = NEW.lost_reason, "
                f"value_cents = {ROLLUPS._cents('NEW')}, currency = NEW.currency WHERE deal_id = NEW.id"
            ],
        )
    ]


async def create_triggers(apps, editor):
    client = editor.client
    dialect = client.capabilities.dialect
    await ROLLUPS._create(client, dialect, "deal", deal_triggers(dialect))
    if dialect == "postgres":
        await client.execute_script(
            "CREATE FUNCTION trg_stage_entry_closed_insert_fn() RETURNS trigger AS $$ BEGIN "
            f"SELECT d.lost_reason, {ROLLUPS._cents('d')}, d.currency "
            "INTO NEW.lost_reason, NEW.value_cents, NEW.currency FROM deal d WHERE d.id = NEW.deal_id; "
            "RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        await client.execute_script(
            "CREATE TRIGGER trg_stage_entry_closed_insert BEFORE INSERT ON deal_stage_entry "
            "FOR EACH ROW EXECUTE FUNCTION trg_stage_entry_closed_insert_fn()"
        )
        return
    await client.execute_script(
        "CREATE TRIGGER trg_stage_entry_closed_insert AFTER INSERT ON deal_stage_entry FOR EACH ROW BEGIN "
        "UPDATE deal_stage_entry SET (lost_reason, value_cents, currency) = "
        f"(SELECT d.lost_reason, {ROLLUPS._cents('d')}, d.currency FROM deal d WHERE d.id = NEW.deal_id) "
        "WHERE id = NEW.id; END"
    )


async def drop_triggers(apps, editor):
    client = editor.client
    dialect = client.capabilities.dialect
    await ROLLUPS._drop(client, "deal", deal_triggers(dialect))
    if dialect == "postgres":
        await client.execute_script("DROP TRIGGER IF EXISTS trg_stage_entry_closed_insert ON deal_stage_entry")
        await client.execute_script("DROP FUNCTION IF EXISTS trg_stage_entry_closed_insert_fn()")
    else:
        await client.execute_script("DROP TRIGGER IF EXISTS trg_stage_entry_closed_insert")


async def fill(apps, editor):
    """The entries already written take their deals' reason, cents and
    currency."""
    client = editor.client
    if client.capabilities.dialect == "postgres":
        await client.execute_script(
            "UPDATE deal_stage_entry e SET lost_reason = d.lost_reason, "
            f"value_cents = {ROLLUPS._cents('d')}, currency = d.currency FROM deal d WHERE d.id = e.deal_id"
        )
        return
    await client.execute_script(
        "UPDATE deal_stage_entry SET (lost_reason, value_cents, currency) = "
        f"(SELECT d.lost_reason, {ROLLUPS._cents('d')}, d.currency FROM deal d "
        "WHERE d.id = deal_stage_entry.deal_id)"
    )


class Migration(_base.Migration):
    """The deal's loss reason, value in cents and currency on its stage
    entries, kept by triggers, for the funnel's won and lost figures."""

    dependencies = [("models", "0035_contact_hand_off")]

    initial = False

    operations = [
        ops.AddField(model_name="DealStageEntry", name="lost_reason", field=fields.CharField(max_length=500, null=True)),
        ops.AddField(model_name="DealStageEntry", name="value_cents", field=fields.BigIntField(null=True)),
        ops.AddField(model_name="DealStageEntry", name="currency", field=fields.CharField(max_length=3, null=True)),
        ops.RunPython(fill, ops.RunPython.noop),
        ops.RunSQL(["DROP INDEX idx_stage_entry_entered", ENTERED_NOW], ["DROP INDEX idx_stage_entry_entered", ENTERED_BEFORE]),
        ops.RunPython(create_triggers, drop_triggers),
    ]
