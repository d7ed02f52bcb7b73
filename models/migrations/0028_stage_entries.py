from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from collections import defaultdict
from datetime import UTC, datetime


def _moment(value):
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def follow_deals(apps, editor):
    """A deal's owner and trash time, copied onto its entries whenever they
    change, whichever use case changes them, in its transaction."""
    if editor.client.capabilities.dialect == "postgres":
        await editor.client.execute_script(
            "CREATE FUNCTION deal_stage_entry_follow_deal() RETURNS trigger AS $$ BEGIN "
            "UPDATE deal_stage_entry SET owner_id = NEW.owner_id, deleted_at = NEW.deleted_at "
            "WHERE deal_id = NEW.id; RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        await editor.client.execute_script(
            "CREATE TRIGGER trg_deal_stage_entry_follow AFTER UPDATE OF owner_id, deleted_at ON deal "
            "FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id "
            "OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at) "
            "EXECUTE FUNCTION deal_stage_entry_follow_deal()"
        )
        return
    await editor.client.execute_script(
        "CREATE TRIGGER trg_deal_stage_entry_follow AFTER UPDATE OF owner_id, deleted_at ON deal "
        "FOR EACH ROW WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.deleted_at IS NOT NEW.deleted_at BEGIN "
        "UPDATE deal_stage_entry SET owner_id = NEW.owner_id, deleted_at = NEW.deleted_at "
        "WHERE deal_id = NEW.id; END"
    )


async def drop_follow_deals(apps, editor):
    await editor.client.execute_script("DROP TRIGGER IF EXISTS trg_deal_stage_entry_follow" + (
        " ON deal" if editor.client.capabilities.dialect == "postgres" else ""
    ))
    if editor.client.capabilities.dialect == "postgres":
        await editor.client.execute_script("DROP FUNCTION IF EXISTS deal_stage_entry_follow_deal()")


async def fill_stage_entries(apps, editor):
    """The entries of the history already logged, so that existing
    workspaces' funnels do not change: one per stage transition, then its
    facts (resolvers/stage_entries.py defines them; frozen here as they
    were when the table was made): the next transition's time, the whole
    seconds until it, and whether a later one entered an OPEN or WON stage
    of higher position; when it last entered the same stage before; the
    deal's owner and trash time."""
    client = editor.client
    await client.execute_script(
        "INSERT INTO deal_stage_entry "
        "(id, workspace_id, deal_id, pipeline_id, stage_id, entered_at, reached_higher) "
        "SELECT t.id, t.workspace_id, t.deal_id, s.pipeline_id, t.to_stage_id, t.at, FALSE "
        "FROM stage_transition t JOIN stage s ON s.id = t.to_stage_id"
    )
    await client.execute_script(
        "UPDATE deal_stage_entry SET owner_id = (SELECT d.owner_id FROM deal d WHERE d.id = deal_stage_entry.deal_id), "
        "deleted_at = (SELECT d.deleted_at FROM deal d WHERE d.id = deal_stage_entry.deal_id)"
    )
    _, stage_rows = await client.execute_query("SELECT id, position, kind FROM stage")
    stages = {row["id"]: (row["position"], row["kind"]) for row in stage_rows}
    _, rows = await client.execute_query("SELECT id, deal_id, stage_id, entered_at FROM deal_stage_entry")
    by_deal = defaultdict(list)
    for row in rows:
        by_deal[row["deal_id"]].append((_moment(row["entered_at"]), row["id"], row["stage_id"], row["entered_at"]))
    updates = []
    for entries in by_deal.values():
        entries.sort()
        previous_in = {}
        before = {}
        for at, entry_id, stage_id, raw_at in entries:
            before[entry_id] = previous_in.get(stage_id)
            previous_in[stage_id] = raw_at
        highest_later = None
        following = None
        for at, entry_id, stage_id, raw_at in reversed(entries):
            position, kind = stages[stage_id]
            reached = highest_later is not None and highest_later > position
            if following is not None or reached or before[entry_id] is not None:
                left = following[3] if following is not None else None
                stay = max(0, int((following[0] - at).total_seconds())) if following is not None else None
                updates.append([left, stay, reached, before[entry_id], entry_id])
            if kind != "LOST":
                highest_later = position if highest_later is None else max(highest_later, position)
            following = (at, entry_id, stage_id, raw_at)
    if updates:
        sql = "UPDATE deal_stage_entry SET left_at = ?, stay_seconds = ?, reached_higher = ?, prev_same_at = ? WHERE id = ?"
        if client.capabilities.dialect == "postgres":
            sql = (
                "UPDATE deal_stage_entry SET left_at = $1, stay_seconds = $2, reached_higher = $3, "
                "prev_same_at = $4 WHERE id = $5"
            )
        await client.execute_many(sql, updates)


class Migration(_base.Migration):
    """The funnel's cohort facts (models.pipeline.DealStageEntry), one row per
    stage transition, kept as deals move (resolvers/stage_entries.py) and
    filled here from the transitions already logged."""

    dependencies = [('models', '0027_import_keys')]

    initial = False

    operations = [
        ops.CreateModel(
            name='DealStageEntry',
            fields=[
                ('id', fields.BigIntField(generated=False, primary_key=True, unique=True, db_index=True)),
                ('workspace', fields.ForeignKeyField('models.Workspace', source_field='workspace_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('deal', fields.ForeignKeyField('models.Deal', source_field='deal_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('pipeline', fields.ForeignKeyField('models.Pipeline', source_field='pipeline_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('stage', fields.ForeignKeyField('models.Stage', source_field='stage_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('entered_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('left_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('stay_seconds', fields.BigIntField(null=True)),
                ('reached_higher', fields.BooleanField(default=False)),
                ('prev_same_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('owner_id', fields.IntField(null=True)),
                ('deleted_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'deal_stage_entry', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The cohort facts of one entry of a deal into a stage, kept in the'},
            bases=['Model'],
        ),
        ops.RunSQL(
            [
                # The funnel's reads: entries into the pipeline's stages in a
                # range, stays that ended in it, with what the deals'
                # visibility condition reads (covering: no table reads).
                "CREATE INDEX idx_stage_entry_entered ON deal_stage_entry "
                "(stage_id, entered_at, owner_id, deleted_at, workspace_id, pipeline_id, prev_same_at, reached_higher, deal_id)",
                "CREATE INDEX idx_stage_entry_left ON deal_stage_entry "
                "(stage_id, left_at, owner_id, deleted_at, workspace_id, pipeline_id, stay_seconds)",
                # The funnel's deals now, per stage (covering the deals'
                # visibility condition and the summed value).
                "CREATE INDEX idx_deal_report_current ON deal "
                "(pipeline_id, stage_id, currency, owner_id, deleted_at, workspace_id, value)",
                # A move's: the deal's open entry and its earlier ones.
                "CREATE INDEX idx_stage_entry_deal ON deal_stage_entry (deal_id, left_at)",
            ],
            [
                "DROP INDEX idx_stage_entry_deal",
                "DROP INDEX idx_stage_entry_left",
                "DROP INDEX idx_stage_entry_entered",
                "DROP INDEX idx_deal_report_current",
            ],
        ),
        ops.RunPython(follow_deals, drop_follow_deals),
        ops.RunPython(fill_stage_entries, ops.RunPython.noop),
    ]
