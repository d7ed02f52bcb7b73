"""The funnel's first answer: the re-entries around a range's start through
an index of their own, and the rollups read in the order they are summed.

A range that starts inside a day (not at its midnight) counts, among the
rollups' whole days, the entries whose deal last entered the same stage on
that first day *before* the start: they are first entries of the range,
which the rollups (split by the previous entry's day) cannot tell from
those after the start (resolvers/reports/stage_days.py
`_reentries_after_cut`). They were read by deal: the deals that entered the
stages that morning, then every entry of those deals from the table (the
deals' index, 0028, holds only deal_id and left_at): two statements, and
table reads that grow with the hour of the start (bench/REPORTS.md).
`idx_stage_entry_reentry` holds the entries that have a previous entry into
the same stage (partial, `prev_same_at IS NOT NULL`: ~4 % of the bench's
entries, so a move whose entry is a deal's first in that stage writes
nothing more), by stage and that previous entry's time, with what the read
needs after them (the entry's time, the deals' visibility condition,
reached_higher): one range per stage, from the index alone.

The rollups' read index (`idx_stage_day_read`, 0033) was on (stage, grain,
day, ...): the funnel sums a range of days per stage *and bucket*, so SQLite
sorted the range's rows (~20,000 month rows for a year of the bench's
admin) to group them. It is now on (stage, grain, bucket, day, ...): with
every bucket named in the read, each (stage, bucket) is one range of days,
read in the grouping's order. Same columns, same count of indexes: the
triggers' writes do not change."""

from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops

READ_BEFORE = (
    "CREATE INDEX idx_stage_day_read ON stage_day (stage_id, grain, day, owner_id, prev_day, "
    "bucket, entered, advanced, stays, stay_seconds, workspace_id)"
)
READ_NOW = (
    "CREATE INDEX idx_stage_day_read ON stage_day (stage_id, grain, bucket, day, owner_id, prev_day, "
    "entered, advanced, stays, stay_seconds, workspace_id)"
)


class Migration(_base.Migration):
    """The re-entries' index, and the rollups' read index by bucket before day."""

    dependencies = [("models", "0036_entry_closed_figures")]

    initial = False

    operations = [
        ops.RunSQL(
            [
                "CREATE INDEX idx_stage_entry_reentry ON deal_stage_entry "
                "(stage_id, prev_same_at, entered_at, owner_id, deleted_at, workspace_id, pipeline_id, "
                "reached_higher) WHERE prev_same_at IS NOT NULL",
                "DROP INDEX idx_stage_day_read",
                READ_NOW,
            ],
            ["DROP INDEX idx_stage_day_read", READ_BEFORE, "DROP INDEX idx_stage_entry_reentry"],
        ),
    ]
