"""Pipelines, stages, deals and the history of stage moves."""

from tortoise import fields
from tortoise.models import Model


class Pipeline(Model):
    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="pipelines", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    position = fields.IntField(default=0)
    # Last board event sequence. Incrementing it in a change's transaction
    # both numbers the event and serialises the pipeline's writers, so
    # sequences are gap-free and in commit order.
    board_sequence = fields.BigIntField(default=0)
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "pipeline"


class Stage(Model):
    """A column of the board, with the gates a deal must pass to enter it."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    pipeline = fields.ForeignKeyField("models.Pipeline", related_name="stages", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    position = fields.IntField()
    kind = fields.CharField(max_length=8, default="OPEN")
    probability = fields.IntField(default=0)
    required_fields = fields.JSONField(default=list)
    entry_condition = fields.JSONField(null=True)
    requires_scheduled_task = fields.BooleanField(default=False)
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stage"


class Deal(Model):
    """A negotiation. `rank` orders cards within a stage: integers with
    gaps, so a move writes one row and a column is renumbered only when two
    neighbours have no gap left. `version` grows on every change."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="deals", on_delete=fields.CASCADE)
    # The workspace's readable deal number, like Contact.number.
    number = fields.BigIntField(null=True)
    pipeline = fields.ForeignKeyField("models.Pipeline", related_name="deals", on_delete=fields.CASCADE)
    stage = fields.ForeignKeyField("models.Stage", related_name="deals", on_delete=fields.RESTRICT)
    title = fields.CharField(max_length=300)
    title_search = fields.CharField(max_length=300)
    value = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3)
    status = fields.CharField(max_length=8, default="OPEN")
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="deals", null=True, on_delete=fields.SET_NULL
    )
    company = fields.ForeignKeyField(
        "models.Company", related_name="deals", null=True, on_delete=fields.SET_NULL
    )
    owner = fields.ForeignKeyField("models.User", related_name="deals", null=True, on_delete=fields.SET_NULL)
    # The "empreendimento de interesse" (seed 002).
    development = fields.ForeignKeyField(
        "models.Development", related_name="deals", null=True, on_delete=fields.SET_NULL
    )
    expected_close_date = fields.DatetimeField(null=True)
    lost_reason = fields.CharField(max_length=500, null=True)
    custom_fields = fields.JSONField(default=dict)
    version = fields.IntField(default=1)
    rank = fields.BigIntField(default=0)
    stage_entered_at = fields.DatetimeField()
    closed_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "deal"


class StageTransition(Model):
    """One stage move of a deal (the first row has no `from_stage`)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    deal = fields.ForeignKeyField("models.Deal", related_name="transitions", on_delete=fields.CASCADE)
    from_stage = fields.ForeignKeyField(
        "models.Stage", related_name=False, null=True, on_delete=fields.CASCADE
    )
    to_stage = fields.ForeignKeyField("models.Stage", related_name=False, on_delete=fields.CASCADE)
    actor_user = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    actor_label = fields.CharField(max_length=200, null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "stage_transition"


class DealStageEntry(Model):
    """The cohort facts of one entry of a deal into a stage, kept in the
    transaction of its StageTransition (same id): when the deal left the
    stage and how long it stayed, when it last entered the same stage
    before, and whether it later entered an OPEN or WON stage of higher
    position (resolvers/stage_entries.py). The deal's owner and trash time
    now, copied by a trigger on `deal` (migration 0028), so that a report
    filters entries with the deals' own visibility condition; its loss
    reason, value and currency now likewise (migration 0036)."""

    id = fields.BigIntField(primary_key=True, generated=False)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    deal = fields.ForeignKeyField("models.Deal", related_name=False, on_delete=fields.CASCADE)
    pipeline = fields.ForeignKeyField("models.Pipeline", related_name=False, on_delete=fields.CASCADE)
    stage = fields.ForeignKeyField("models.Stage", related_name=False, on_delete=fields.CASCADE)
    entered_at = fields.DatetimeField()
    left_at = fields.DatetimeField(null=True)
    # Whole seconds from entered_at to left_at (never negative).
    stay_seconds = fields.BigIntField(null=True)
    reached_higher = fields.BooleanField(default=False)
    prev_same_at = fields.DatetimeField(null=True)
    owner_id = fields.IntField(null=True)
    deleted_at = fields.DatetimeField(null=True)
    # The days of entered_at, left_at and prev_same_at in the workspace's
    # time zone (the per-day rollups' keys: StageDay).
    entered_day = fields.DateField(null=True)
    left_day = fields.DateField(null=True)
    prev_day = fields.DateField(null=True)
    # The deal's loss reason, value in whole cents (none: 0) and currency
    # now, copied by triggers on `deal` and on the entry's insert (migration
    # 0036), so that the funnel's won/lost figures read the entries alone.
    lost_reason = fields.CharField(max_length=500, null=True)
    value_cents = fields.BigIntField(null=True)
    currency = fields.CharField(max_length=3, null=True)

    class Meta:
        table = "deal_stage_entry"


class StageDay(Model):
    """The funnel's summed rollups of DealStageEntry, per stage, owner and
    day (grain DAY) or month (grain MONTH, `day` its first day) in the
    workspace's time zone, kept by triggers on deal_stage_entry in the
    transaction of every change to an entry (migrations 0031, 0033): the live
    (untrashed) deals' entries into the stage that day, split by the day
    their deal last entered the same stage before (`prev_day`; NO_DAY for
    none), with how many of them later reached a higher OPEN or WON stage;
    and the stays in the stage that ended that day (on the NO_DAY rows),
    per duration bucket, with their seconds summed. owner_id 0 stands for no owner
    (resolvers/reports/stage_days.py reads them)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    stage = fields.ForeignKeyField("models.Stage", related_name=False, on_delete=fields.CASCADE)
    owner_id = fields.IntField()
    grain = fields.SmallIntField()
    day = fields.DateField()
    prev_day = fields.DateField()
    # The stays' duration bucket (their seconds' bit length: bucket b holds
    # [2^(b-1), 2^b) s, 0 the stays of 0 s; migration 0033) on the stay
    # rows; -1 on the entry rows.
    bucket = fields.SmallIntField(default=-1)
    entered = fields.IntField(default=0)
    advanced = fields.IntField(default=0)
    stays = fields.IntField(default=0)
    stay_seconds = fields.BigIntField(default=0)

    class Meta:
        table = "stage_day"


class StageCurrent(Model):
    """The live (untrashed) deals in a stage now, per owner (0 = none) and
    currency, counted and their values summed in cents (a deal without a
    value adds 0): the funnel's `current` and `currentValue` (resolvers/
    reports/funnel.py). Kept by triggers on `deal` in the transaction of
    every insert, delete, move, owner or trash change and change of value
    or currency (migration 0033)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    stage = fields.ForeignKeyField("models.Stage", related_name=False, on_delete=fields.CASCADE)
    owner_id = fields.IntField()
    currency = fields.CharField(max_length=3)
    deals = fields.IntField(default=0)
    value_cents = fields.BigIntField(default=0)

    class Meta:
        table = "stage_current"


class ContactHandOff(Model):
    """A contact handed to a user through a live deal they own while
    someone else (or no one) owns the contact: one row per contact and
    such deal owner. Who may see a contact (resolvers/visibility.py
    `contact_q`: its owner's scope, or the scope of the owner of one of its
    live deals) is then its owner's scope or a row here, read through an
    index instead of every deal of the scope. Kept by triggers on `deal`
    and `contact` in the transaction of every change of a deal's contact,
    owner or trash and of a contact's owner (migration 0035)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("models.Contact", related_name=False, on_delete=fields.CASCADE)
    # The deal's owner (no foreign key: a user's removal sets the deals'
    # owner to null, whose trigger takes the row out).
    owner_id = fields.IntField()

    class Meta:
        table = "contact_hand_off"
