from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from revgraph.models.migrations import _base
from tortoise import fields
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

NO_DAY = "0001-01-01"  # stage_day.prev_day of an entry with none, and of stays
DAY, MONTH = 0, 1
KEY = "(stage_id, grain, day, owner_id, prev_day)"
ADD = (
    "entered = stage_day.entered + excluded.entered, advanced = stage_day.advanced + excluded.advanced, "
    "stays = stage_day.stays + excluded.stays, stay_seconds = stage_day.stay_seconds + excluded.stay_seconds"
)


def _month(dialect: str, day: str) -> str:
    if dialect == "postgres":
        return f"CAST(date_trunc('month', {day}) AS date)"
    return f"date({day}, 'start of month')"


def _no_day(dialect: str) -> str:
    return f"DATE '{NO_DAY}'" if dialect == "postgres" else f"'{NO_DAY}'"


def _flag(row: str) -> str:
    return f"(CASE WHEN {row}.reached_higher THEN 1 ELSE 0 END)"


def _upserts(
    dialect: str,
    row: str,
    sign: int,
    *,
    entered: bool,
    stays: bool,
    advanced_only: bool = False,
    where: str = "TRUE",
) -> list[str]:
    """The statements adding (sign 1) or taking away (-1) an entry's
    contributions at both grains: its entry on its entered day, and its
    stay on the day it ended (if it did)."""
    out = []
    for grain in (DAY, MONTH):
        if entered:
            day = f"{row}.entered_day" if grain == DAY else _month(dialect, f"{row}.entered_day")
            prev = f"COALESCE({row}.prev_day, {_no_day(dialect)})"
            count = "0" if advanced_only else str(sign)
            advanced = f"({_flag('NEW')} - {_flag('OLD')})" if advanced_only else f"{sign} * {_flag(row)}"
            out.append(
                "INSERT INTO stage_day (workspace_id, stage_id, owner_id, grain, day, prev_day, entered, "
                f"advanced, stays, stay_seconds) SELECT {row}.workspace_id, {row}.stage_id, "
                f"COALESCE({row}.owner_id, 0), {grain}, {day}, {prev}, {count}, {advanced}, 0, 0 "
                f"WHERE {where} AND {row}.entered_day IS NOT NULL ON CONFLICT {KEY} DO UPDATE SET {ADD}"
            )
        if stays:
            day = f"{row}.left_day" if grain == DAY else _month(dialect, f"{row}.left_day")
            out.append(
                "INSERT INTO stage_day (workspace_id, stage_id, owner_id, grain, day, prev_day, entered, "
                f"advanced, stays, stay_seconds) SELECT {row}.workspace_id, {row}.stage_id, "
                f"COALESCE({row}.owner_id, 0), {grain}, {day}, {_no_day(dialect)}, 0, 0, {sign}, "
                f"{sign} * {row}.stay_seconds WHERE {where} AND {row}.left_day IS NOT NULL "
                f"ON CONFLICT {KEY} DO UPDATE SET {ADD}"
            )
    return out


def _differ(dialect: str, columns: list[str]) -> str:
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    operator = "IS DISTINCT FROM" if dialect == "postgres" else "IS NOT"
    return f"(({old}) {operator} ({new}))"


ENTRY_KEY = ["stage_id", "owner_id", "entered_day", "prev_day", "deleted_at IS NULL"]
STAY_KEY = ["stage_id", "owner_id", "left_day", "stay_seconds", "deleted_at IS NULL"]


def triggers(dialect: str) -> list[tuple[str, str, str, list[str]]]:
    """(name, event, condition, statements) of the triggers on
    deal_stage_entry that keep stage_day: every insert, delete and update
    of an entry moves its contributions (a move's new entry, the open one
    closed, the lower ones converted; an owner change or a trash/restore
    copied by migration 0028's trigger; reordered stages; new days after a
    change of time zone)."""
    same = "NOT " + _differ(dialect, ENTRY_KEY)
    return [
        (
            "trg_stage_day_insert",
            "INSERT",
            "NEW.deleted_at IS NULL",
            _upserts(dialect, "NEW", 1, entered=True, stays=True),
        ),
        (
            "trg_stage_day_delete",
            "DELETE",
            "OLD.deleted_at IS NULL",
            # Not when the entry goes with its stage (a pipeline, stage or
            # workspace deleted: their rollups cascade away too).
            _upserts(
                dialect,
                "OLD",
                -1,
                entered=True,
                stays=True,
                where='EXISTS (SELECT 1 FROM "stage" WHERE "stage".id = OLD.stage_id)',
            ),
        ),
        (
            "trg_stage_day_entry",
            "UPDATE",
            _differ(dialect, ENTRY_KEY),
            _upserts(dialect, "OLD", -1, entered=True, stays=False, where="OLD.deleted_at IS NULL")
            + _upserts(dialect, "NEW", 1, entered=True, stays=False, where="NEW.deleted_at IS NULL"),
        ),
        (
            "trg_stage_day_advanced",
            "UPDATE",
            f"{same} AND NEW.deleted_at IS NULL AND " + _differ(dialect, ["reached_higher"]),
            _upserts(dialect, "NEW", 1, entered=True, stays=False, advanced_only=True),
        ),
        (
            "trg_stage_day_stay",
            "UPDATE",
            _differ(dialect, STAY_KEY),
            _upserts(dialect, "OLD", -1, entered=False, stays=True, where="OLD.deleted_at IS NULL")
            + _upserts(dialect, "NEW", 1, entered=False, stays=True, where="NEW.deleted_at IS NULL"),
        ),
    ]


async def create_triggers(apps, editor):
    client = editor.client
    dialect = client.capabilities.dialect
    for name, event, condition, statements in triggers(dialect):
        if dialect == "postgres":
            body = "; ".join(statements)
            await client.execute_script(
                f"CREATE FUNCTION {name}_fn() RETURNS trigger AS $$ BEGIN {body}; RETURN NULL; END $$ "
                "LANGUAGE plpgsql"
            )
            await client.execute_script(
                f"CREATE TRIGGER {name} AFTER {event} ON deal_stage_entry FOR EACH ROW "
                f"WHEN ({condition}) EXECUTE FUNCTION {name}_fn()"
            )
        else:
            body = "; ".join(statements)
            await client.execute_script(
                f"CREATE TRIGGER {name} AFTER {event} ON deal_stage_entry FOR EACH ROW "
                f"WHEN {condition} BEGIN {body}; END"
            )


async def drop_triggers(apps, editor):
    client = editor.client
    dialect = client.capabilities.dialect
    for name, *_ in triggers(dialect):
        if dialect == "postgres":
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name} ON deal_stage_entry")
            await client.execute_script(f"DROP FUNCTION IF EXISTS {name}_fn()")
        else:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")


def _moment(value):
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


async def fill(apps, editor):
    """The days of the entries already kept, in their workspace's time zone,
    then the rollups summed from them (before the triggers exist)."""
    client = editor.client
    dialect = client.capabilities.dialect
    _, rows = await client.execute_query("SELECT id, timezone FROM workspace")
    zones = {row["id"]: ZoneInfo(row["timezone"] or "America/Sao_Paulo") for row in rows}
    _, rows = await client.execute_query(
        "SELECT id, workspace_id, entered_at, left_at, prev_same_at FROM deal_stage_entry"
    )

    def day(value, zone) -> date | None:
        return None if value is None else _moment(value).astimezone(zone).date()

    updates = []
    for row in rows:
        zone = zones[row["workspace_id"]]
        days = [day(row[c], zone) for c in ("entered_at", "left_at", "prev_same_at")]
        if dialect != "postgres":
            days = [d and d.isoformat() for d in days]
        updates.append([*days, row["id"]])
    if updates:
        marks = ("$1", "$2", "$3", "$4") if dialect == "postgres" else ("?",) * 4
        await client.execute_many(
            "UPDATE deal_stage_entry SET entered_day = {}, left_day = {}, prev_day = {} WHERE id = {}".format(
                *marks
            ),
            updates,
        )
    no_day = _no_day(dialect)
    for grain in (DAY, MONTH):
        entered_day = "e.entered_day" if grain == DAY else _month(dialect, "e.entered_day")
        left_day = "e.left_day" if grain == DAY else _month(dialect, "e.left_day")
        await client.execute_script(
            "INSERT INTO stage_day (workspace_id, stage_id, owner_id, grain, day, prev_day, entered, advanced, "
            f"stays, stay_seconds) SELECT e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), {grain}, "
            f"{entered_day}, COALESCE(e.prev_day, {no_day}), COUNT(*), "
            "SUM(CASE WHEN e.reached_higher THEN 1 ELSE 0 END), 0, 0 FROM deal_stage_entry e "
            f"WHERE e.deleted_at IS NULL GROUP BY e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), "
            f"{entered_day}, COALESCE(e.prev_day, {no_day})"
        )
        await client.execute_script(
            "INSERT INTO stage_day (workspace_id, stage_id, owner_id, grain, day, prev_day, entered, advanced, "
            f"stays, stay_seconds) SELECT e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), {grain}, "
            f"{left_day}, {no_day}, 0, 0, COUNT(*), SUM(e.stay_seconds) FROM deal_stage_entry e "
            "WHERE e.deleted_at IS NULL AND e.left_day IS NOT NULL "
            f"GROUP BY e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), {left_day} "
            f"ON CONFLICT {KEY} DO UPDATE SET {ADD}"
        )


class Migration(_base.Migration):
    """The funnel's per-day and per-month rollups (models.pipeline.StageDay)
    of its cohort facts, summed from the entries already kept, then kept by
    triggers on deal_stage_entry; the entries get their days in the
    workspace's time zone."""

    dependencies = [("models", "0030_invitations")]

    initial = False

    operations = [
        ops.AddField(model_name="DealStageEntry", name="entered_day", field=fields.DateField(null=True)),
        ops.AddField(model_name="DealStageEntry", name="left_day", field=fields.DateField(null=True)),
        ops.AddField(model_name="DealStageEntry", name="prev_day", field=fields.DateField(null=True)),
        ops.CreateModel(
            name="StageDay",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "stage",
                    fields.ForeignKeyField(
                        "models.Stage",
                        source_field="stage_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("owner_id", fields.IntField()),
                ("grain", fields.SmallIntField()),
                ("day", fields.DateField()),
                ("prev_day", fields.DateField()),
                ("entered", fields.IntField(default=0)),
                ("advanced", fields.IntField(default=0)),
                ("stays", fields.IntField(default=0)),
                ("stay_seconds", fields.BigIntField(default=0)),
            ],
            options={
                "table": "stage_day",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The funnel's summed rollups of DealStageEntry, per stage, owner and",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            [
                # The upserts' key, and the funnel's read (covering).
                "CREATE UNIQUE INDEX uq_stage_day ON stage_day (stage_id, grain, day, owner_id, prev_day)",
                "CREATE INDEX idx_stage_day_read ON stage_day "
                "(stage_id, grain, day, owner_id, prev_day, entered, advanced, stays, stay_seconds, workspace_id)",
            ],
            ["DROP INDEX idx_stage_day_read", "DROP INDEX uq_stage_day"],
        ),
        ops.RunPython(fill, ops.RunPython.noop),
        ops.RunPython(create_triggers, drop_triggers),
    ]
