"""The funnel's stays in log-scaled duration buckets, its current deals
kept per stage, owner and currency, and the rollups' triggers folded into
one statement per change of an entry.

stage_day's stay rows (prev_day NO_DAY) gain a key column `bucket`: the
stays that ended that day are counted per bucket of their whole seconds
(bucket b holds [2^(b-1), 2^b) seconds, bucket 0 the stays of 0 seconds:
b is the seconds' bit length), so a median or p90 finds the bucket of its
rank from the summed counts and reads only that bucket's stays from the
facts (resolvers/reports/stage_days.py): exact, by nearest rank, as the
contract defines them. The entry rows carry bucket -1.

The triggers of migration 0031 are replaced by ones that write both grains
(day and month) of a change in one INSERT … SELECT … UNION ALL … ON
CONFLICT (the two grains never share a key), where 0031 sent one statement
per grain and per part; a stay being closed (a move's commonest update)
runs one statement instead of four. The rollups are summed again from the
entries (the stays split by bucket) before the triggers exist.

stage_current (models.pipeline.StageCurrent): the live deals in each stage
now, per owner and currency, counted and their values summed in cents, kept
by triggers on `deal` (one statement per change: a move takes the deal out
of its old stage and into the new one), so that the funnel's `current` and
`currentValue` read a row per stage, owner and currency instead of the
pipeline's deals."""

import importlib

from revgraph.models.migrations import _base
from tortoise import fields
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

NO_DAY = "0001-01-01"
NO_BUCKET = -1
TOP_BUCKET = 40  # 2^39 s and more: ~17,000 years
DAY, MONTH = 0, 1
KEY = "(stage_id, grain, day, owner_id, prev_day, bucket)"
COLUMNS = "workspace_id, stage_id, owner_id, grain, day, prev_day, bucket, entered, advanced, stays, stay_seconds"
ADD = (
    "entered = stage_day.entered + excluded.entered, advanced = stage_day.advanced + excluded.advanced, "
    "stays = stage_day.stays + excluded.stays, stay_seconds = stage_day.stay_seconds + excluded.stay_seconds"
)
OLD_TRIGGERS = importlib.import_module("revgraph.models.migrations.0031_stage_day_rollups")


def bucket_sql(seconds: str) -> str:
    """The bucket of `seconds` (its bit length) in SQL both backends run:
    the same as resolvers/reports/stage_days.py `stay_bucket`."""
    steps = " ".join(f"WHEN {seconds} < {1 << b} THEN {b}" for b in range(TOP_BUCKET))
    return f"(CASE {steps} ELSE {TOP_BUCKET} END)"


def _month(dialect: str, day: str) -> str:
    if dialect == "postgres":
        return f"CAST(date_trunc('month', {day}) AS date)"
    return f"date({day}, 'start of month')"


def _no_day(dialect: str) -> str:
    return f"DATE '{NO_DAY}'" if dialect == "postgres" else f"'{NO_DAY}'"


def _flag(row: str) -> str:
    return f"(CASE WHEN {row}.reached_higher THEN 1 ELSE 0 END)"


def _upsert(
    dialect: str,
    row: str,
    sign: int,
    *,
    entered: bool,
    stays: bool,
    advanced_only: bool = False,
    where: str = "TRUE",
) -> str:
    """One statement adding (sign 1) or taking away (-1) an entry's
    contributions at both grains: its entry on its entered day (bucket -1),
    its stay on the day it ended in its bucket. No two of its rows share a
    key (grains differ; an entry row's bucket is -1, a stay's never)."""
    parts = []
    for grain in (DAY, MONTH):
        if entered:
            day = f"{row}.entered_day" if grain == DAY else _month(dialect, f"{row}.entered_day")
            prev = f"COALESCE({row}.prev_day, {_no_day(dialect)})"
            count = "0" if advanced_only else str(sign)
            advanced = f"({_flag('NEW')} - {_flag('OLD')})" if advanced_only else f"{sign} * {_flag(row)}"
            parts.append(
                f"SELECT {row}.workspace_id, {row}.stage_id, COALESCE({row}.owner_id, 0), {grain}, {day}, "
                f"{prev}, {NO_BUCKET}, {count}, {advanced}, 0, 0 "
                f"WHERE {where} AND {row}.entered_day IS NOT NULL"
            )
        if stays:
            day = f"{row}.left_day" if grain == DAY else _month(dialect, f"{row}.left_day")
            parts.append(
                f"SELECT {row}.workspace_id, {row}.stage_id, COALESCE({row}.owner_id, 0), {grain}, {day}, "
                f"{_no_day(dialect)}, {bucket_sql(f'{row}.stay_seconds')}, 0, 0, {sign}, "
                f"{sign} * {row}.stay_seconds WHERE {where} AND {row}.left_day IS NOT NULL"
            )
    return (
        f"INSERT INTO stage_day ({COLUMNS}) {' UNION ALL '.join(parts)} ON CONFLICT {KEY} DO UPDATE SET {ADD}"
    )


def _differ(dialect: str, columns: list[str]) -> str:
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    operator = "IS DISTINCT FROM" if dialect == "postgres" else "IS NOT"
    return f"(({old}) {operator} ({new}))"


ENTRY_KEY = ["stage_id", "owner_id", "entered_day", "prev_day", "deleted_at IS NULL"]
STAY_KEY = ["stage_id", "owner_id", "left_day", "stay_seconds", "deleted_at IS NULL"]


def triggers(dialect: str) -> list[tuple[str, str, str, list[str]]]:
    """(name, event, condition, statements) of the triggers on
    deal_stage_entry that keep stage_day (as migration 0031's, each change
    in one statement per sign; an entry's old and new rows may share a key
    (a re-dated entry's month), so they stay two statements)."""
    same = "NOT " + _differ(dialect, ENTRY_KEY)
    return [
        (
            "trg_stage_day_insert",
            "INSERT",
            "NEW.deleted_at IS NULL",
            [_upsert(dialect, "NEW", 1, entered=True, stays=True)],
        ),
        (
            "trg_stage_day_delete",
            "DELETE",
            "OLD.deleted_at IS NULL",
            # Not when the entry goes with its stage (a pipeline, stage or
            # workspace deleted: their rollups cascade away too).
            [
                _upsert(
                    dialect,
                    "OLD",
                    -1,
                    entered=True,
                    stays=True,
                    where='EXISTS (SELECT 1 FROM "stage" WHERE "stage".id = OLD.stage_id)',
                )
            ],
        ),
        (
            "trg_stage_day_entry",
            "UPDATE",
            _differ(dialect, ENTRY_KEY),
            [
                _upsert(dialect, "OLD", -1, entered=True, stays=False, where="OLD.deleted_at IS NULL"),
                _upsert(dialect, "NEW", 1, entered=True, stays=False, where="NEW.deleted_at IS NULL"),
            ],
        ),
        (
            "trg_stage_day_advanced",
            "UPDATE",
            f"{same} AND NEW.deleted_at IS NULL AND " + _differ(dialect, ["reached_higher"]),
            [_upsert(dialect, "NEW", 1, entered=True, stays=False, advanced_only=True)],
        ),
        (
            # A stay closed (its entry had none): only the new one to add.
            "trg_stage_day_stay_closed",
            "UPDATE",
            "OLD.left_day IS NULL AND NEW.left_day IS NOT NULL",
            [_upsert(dialect, "NEW", 1, entered=False, stays=True, where="NEW.deleted_at IS NULL")],
        ),
        (
            "trg_stage_day_stay",
            "UPDATE",
            f"OLD.left_day IS NOT NULL AND {_differ(dialect, STAY_KEY)}",
            [
                _upsert(dialect, "OLD", -1, entered=False, stays=True, where="OLD.deleted_at IS NULL"),
                _upsert(dialect, "NEW", 1, entered=False, stays=True, where="NEW.deleted_at IS NULL"),
            ],
        ),
    ]


async def create_triggers(apps, editor):
    client = editor.client
    await _create(client, client.capabilities.dialect, "deal_stage_entry", triggers(client.capabilities.dialect))


async def drop_triggers(apps, editor):
    client = editor.client
    await _drop(client, "deal_stage_entry", triggers(client.capabilities.dialect))


async def fill(apps, editor):
    """The rollups summed again from the entries (their days are kept
    since migration 0031): the entries per prev_day, the stays per bucket."""
    client = editor.client
    dialect = client.capabilities.dialect
    no_day = _no_day(dialect)
    await client.execute_script("DELETE FROM stage_day")
    for grain in (DAY, MONTH):
        entered_day = "e.entered_day" if grain == DAY else _month(dialect, "e.entered_day")
        left_day = "e.left_day" if grain == DAY else _month(dialect, "e.left_day")
        await client.execute_script(
            f"INSERT INTO stage_day ({COLUMNS}) SELECT e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), "
            f"{grain}, {entered_day}, COALESCE(e.prev_day, {no_day}), {NO_BUCKET}, COUNT(*), "
            "SUM(CASE WHEN e.reached_higher THEN 1 ELSE 0 END), 0, 0 FROM deal_stage_entry e "
            "WHERE e.deleted_at IS NULL AND e.entered_day IS NOT NULL "
            f"GROUP BY e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), {entered_day}, "
            f"COALESCE(e.prev_day, {no_day})"
        )
        bucket = bucket_sql("e.stay_seconds")
        await client.execute_script(
            f"INSERT INTO stage_day ({COLUMNS}) SELECT e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), "
            f"{grain}, {left_day}, {no_day}, {bucket}, 0, 0, COUNT(*), SUM(e.stay_seconds) "
            "FROM deal_stage_entry e WHERE e.deleted_at IS NULL AND e.left_day IS NOT NULL "
            f"GROUP BY e.workspace_id, e.stage_id, COALESCE(e.owner_id, 0), {left_day}, {bucket}"
        )


CURRENT_KEY = "(stage_id, owner_id, currency)"
CURRENT_ADD = "deals = stage_current.deals + excluded.deals, value_cents = stage_current.value_cents + excluded.value_cents"


def _cents(row: str) -> str:
    """A deal's value in whole cents, exact on both backends (SQLite's
    decimal text times 100, rounded; none is 0)."""
    return f"CAST(ROUND(COALESCE({row}.value, 0) * 100) AS BIGINT)"


def _current_part(row: str, sign: int) -> str:
    return (
        f"SELECT {row}.workspace_id AS w, {row}.stage_id AS s, COALESCE({row}.owner_id, 0) AS o, "
        f"{row}.currency AS c, {sign} AS n, {sign} * {_cents(row)} AS v WHERE {row}.deleted_at IS NULL "
        f'AND EXISTS (SELECT 1 FROM "stage" WHERE "stage".id = {row}.stage_id)'
    )


def _current_upsert(parts: list[str]) -> str:
    """One statement moving a deal's contributions (its old and new rows
    may share a key, a change of value: summed per key first)."""
    return (
        "INSERT INTO stage_current (workspace_id, stage_id, owner_id, currency, deals, value_cents) "
        f"SELECT w, s, o, c, SUM(n), SUM(v) FROM ({' UNION ALL '.join(parts)}) x WHERE TRUE "
        f"GROUP BY w, s, o, c ON CONFLICT {CURRENT_KEY} DO UPDATE SET {CURRENT_ADD}"
    )


CURRENT_COLUMNS = ["stage_id", "owner_id", "deleted_at IS NULL", "value", "currency"]


def current_triggers(dialect: str) -> list[tuple[str, str, str, list[str]]]:
    """(name, event, condition, statements) of the triggers on deal that
    keep stage_current: a deal's row counted in its stage, owner and
    currency while it is live; a move, an owner change, trash, restore or
    a new value moves it (the stage's existence is checked: a deleted
    pipeline's deals go with their stages)."""
    return [
        ("trg_stage_current_insert", "INSERT", "NEW.deleted_at IS NULL", [_current_upsert([_current_part("NEW", 1)])]),
        ("trg_stage_current_delete", "DELETE", "OLD.deleted_at IS NULL", [_current_upsert([_current_part("OLD", -1)])]),
        (
            "trg_stage_current_update",
            "UPDATE OF stage_id, owner_id, deleted_at, value, currency",
            _differ(dialect, CURRENT_COLUMNS),
            [_current_upsert([_current_part("OLD", -1), _current_part("NEW", 1)])],
        ),
    ]


async def create_current(apps, editor):
    """stage_current summed from the deals, then its triggers."""
    client = editor.client
    dialect = client.capabilities.dialect
    await client.execute_script(
        "INSERT INTO stage_current (workspace_id, stage_id, owner_id, currency, deals, value_cents) "
        f"SELECT d.workspace_id, d.stage_id, COALESCE(d.owner_id, 0), d.currency, COUNT(*), SUM({_cents('d')}) "
        "FROM deal d WHERE d.deleted_at IS NULL "
        "GROUP BY d.workspace_id, d.stage_id, COALESCE(d.owner_id, 0), d.currency"
    )
    await _create(client, dialect, "deal", current_triggers(dialect))


async def drop_current(apps, editor):
    await _drop(editor.client, "deal", current_triggers(editor.client.capabilities.dialect))
    await editor.client.execute_script("DELETE FROM stage_current")


async def _create(client, dialect: str, table: str, made: list[tuple[str, str, str, list[str]]]) -> None:
    for name, event, condition, statements in made:
        body = "; ".join(statements)
        if dialect == "postgres":
            await client.execute_script(
                f"CREATE FUNCTION {name}_fn() RETURNS trigger AS $$ BEGIN {body}; RETURN NULL; END $$ "
                "LANGUAGE plpgsql"
            )
            await client.execute_script(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW "
                f"WHEN ({condition}) EXECUTE FUNCTION {name}_fn()"
            )
        else:
            await client.execute_script(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW WHEN {condition} BEGIN {body}; END"
            )


async def _drop(client, table: str, made: list[tuple[str, str, str, list[str]]]) -> None:
    for name, *_ in made:
        if client.capabilities.dialect == "postgres":
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            await client.execute_script(f"DROP FUNCTION IF EXISTS {name}_fn()")
        else:
            await client.execute_script(f"DROP TRIGGER IF EXISTS {name}")


async def drop_old(apps, editor):
    """0031's triggers dropped and its rollups emptied (summed again below,
    once the key has its bucket)."""
    await OLD_TRIGGERS.drop_triggers(apps, editor)
    await editor.client.execute_script("DELETE FROM stage_day")


async def unfill(apps, editor):
    await editor.client.execute_script("DELETE FROM stage_day")


async def restore_old(apps, editor):
    """Back to migration 0031: its rollups summed again, its triggers."""
    await OLD_TRIGGERS.fill(apps, editor)
    await OLD_TRIGGERS.create_triggers(apps, editor)


class Migration(_base.Migration):
    """The funnel's stays per duration bucket (stage_day.bucket), the facts'
    index the medians read a bucket's stays through, and the rollups'
    triggers folded into one statement per change."""

    dependencies = [("models", "0032_import_indexes")]

    initial = False

    operations = [
        ops.RunPython(drop_old, restore_old),
        ops.RunSQL(
            ["DROP INDEX idx_stage_day_read", "DROP INDEX uq_stage_day"],
            [
                "CREATE UNIQUE INDEX uq_stage_day ON stage_day (stage_id, grain, day, owner_id, prev_day)",
                "CREATE INDEX idx_stage_day_read ON stage_day (stage_id, grain, day, owner_id, prev_day, "
                "entered, advanced, stays, stay_seconds, workspace_id)",
            ],
        ),
        ops.AddField(model_name="StageDay", name="bucket", field=fields.SmallIntField(default=NO_BUCKET)),
        ops.RunSQL(
            [
                "CREATE UNIQUE INDEX uq_stage_day ON stage_day "
                "(stage_id, grain, day, owner_id, prev_day, bucket)",
                # The funnel's grouped read (covering): per stage, the
                # entries and, per bucket, the stays.
                "CREATE INDEX idx_stage_day_read ON stage_day (stage_id, grain, day, owner_id, prev_day, "
                "bucket, entered, advanced, stays, stay_seconds, workspace_id)",
                # A bucket's stays in order, for a median's rank (covering).
                "CREATE INDEX idx_stage_entry_stay ON deal_stage_entry "
                "(stage_id, stay_seconds, left_at, owner_id, deleted_at, workspace_id, pipeline_id)",
            ],
            ["DROP INDEX idx_stage_entry_stay", "DROP INDEX idx_stage_day_read", "DROP INDEX uq_stage_day"],
        ),
        ops.RunPython(fill, unfill),
        ops.RunPython(create_triggers, drop_triggers),
        ops.CreateModel(
            name="StageCurrent",
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
                ("currency", fields.CharField(max_length=3)),
                ("deals", fields.IntField(default=0)),
                ("value_cents", fields.BigIntField(default=0)),
            ],
            options={
                "table": "stage_current",
                "app": "models",
                "pk_attr": "id",
                "table_description": "The live (untrashed) deals in a stage now, per owner (0 = none) and",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            [
                # The triggers' key, and the funnel's read (covering).
                "CREATE UNIQUE INDEX uq_stage_current ON stage_current (stage_id, owner_id, currency)",
                "CREATE INDEX idx_stage_current_read ON stage_current "
                "(stage_id, owner_id, currency, deals, value_cents, workspace_id)",
            ],
            ["DROP INDEX idx_stage_current_read", "DROP INDEX uq_stage_current"],
        ),
        ops.RunPython(create_current, drop_current),
    ]
