"""Owner-led indexes for the funnel's parts (resolvers/reports/owner_parts.py).

After one owner's move, the admin's funnel reads that owner's part only:
`owner_id IN (X)`. The rollups' read index (idx_stage_day_read, 0037) and
the stays' (idx_stage_entry_stay, 0033) lead with the stage, so one owner's
rollups of a year and their stays in a duration bucket were read by walking
every owner's (bench/REPORTS.md, i11-parts: 144 rows from a walk of the
year's rollups of 51 owners; 564 stays from the bucket's of every owner).
These two lead with the owner, with the same columns after it (covering).

They are partial, `WHERE owner_id > 0 AND id > 0`, so that only the parts'
reads of a few named owners (stage_days.py, owner_stays.py, which state
those very terms) may use them, and the full computation's statements (the
admin's first answer, a manager's subtree) keep their plans: SQLite uses a
partial index only for a query whose WHERE holds the index's terms (on a
copy, a stays' rank read that could pick an owner-led index took 34 ms
instead of 6); PostgreSQL proves `owner_id > 0` from `owner_id IN (5, 7)`
(it did pick these for a manager's full read), but not `id > 0`, which
holds for every row and which no other statement states. The deals without
an owner (0 on the rollups, null on the facts) are not in them: their part
reads the stage-led indexes."""

from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops

STAGE_DAY_OWNER = (
    "CREATE INDEX idx_stage_day_owner ON stage_day (owner_id, stage_id, grain, bucket, day, prev_day, "
    "entered, advanced, stays, stay_seconds, workspace_id) "
    "WHERE owner_id > 0 AND id > 0"
)
STAGE_ENTRY_OWNER_STAY = (
    "CREATE INDEX idx_stage_entry_owner_stay ON deal_stage_entry "
    "(owner_id, stage_id, stay_seconds, left_at, deleted_at, workspace_id, pipeline_id) WHERE owner_id > 0 AND id > 0"
)


class Migration(_base.Migration):
    """The parts' owner-led indexes on the rollups and on the stays."""

    dependencies = [("models", "0037_funnel_reentries")]

    initial = False

    operations = [
        ops.RunSQL(
            [STAGE_DAY_OWNER, STAGE_ENTRY_OWNER_STAY],
            ["DROP INDEX idx_stage_entry_owner_stay", "DROP INDEX idx_stage_day_owner"],
        ),
    ]
