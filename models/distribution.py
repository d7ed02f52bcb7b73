"""Lead distribution ("roletas"): queues, their members, assignments, and
where leads came from (forms and touchpoints)."""

from tortoise import fields
from tortoise.models import Model


class Queue(Model):
    """A roleta. Its row is the lock every distribution through it takes,
    and holds the durable round-robin pointer."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="queues", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    mode = fields.CharField(max_length=8)
    strategy = fields.CharField(max_length=16)
    # ROUND_ROBIN: the member id that received the last lead (turn order is
    # member position, so adding or removing members keeps everyone's turn).
    pointer_member_id = fields.IntField(null=True)
    assignments_made = fields.BigIntField(default=0)
    # The team whose manager (and managers above) run this roleta; null:
    # the workspace's, run by admins only.
    team = fields.ForeignKeyField("models.Team", related_name="queues", null=True, on_delete=fields.SET_NULL)
    # ROUTING distributes leads; MANUAL (one per workspace, never listed or
    # routed through) records the assignments people make by hand of leads
    # that never went through a queue.
    kind = fields.CharField(max_length=8, default="ROUTING")
    # A lead nobody worked this many minutes after its assignment goes to
    # the next member (null: never).
    redistribute_after_minutes = fields.IntField(null=True)
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "queue"


class QueueMember(Model):
    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    queue = fields.ForeignKeyField("models.Queue", related_name="members", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="queue_memberships", on_delete=fields.CASCADE)
    position = fields.IntField()
    weight = fields.IntField(default=1)
    capacity = fields.IntField(null=True)
    active = fields.BooleanField(default=True)
    # Smooth weighted round-robin state (nginx's algorithm): deterministic,
    # and over any run of sum(weights) picks each member gets its weight.
    current_weight = fields.BigIntField(default=0)
    last_assigned_at = fields.DatetimeField(null=True)
    removed_at = fields.DatetimeField(null=True)

    class Meta:
        table = "queue_member"


class Assignment(Model):
    """One distribution decision, with the reason in words. QUEUED waits for
    an eligible member; `released_at` ends an ASSIGNED lead's hold on the
    member's capacity (reassigned, disqualified, deal closed, trashed)."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "models.Workspace", related_name="assignments", on_delete=fields.CASCADE
    )
    queue = fields.ForeignKeyField("models.Queue", related_name="assignments", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField(
        "models.User", related_name="assignments", null=True, on_delete=fields.SET_NULL
    )
    contact = fields.ForeignKeyField(
        "models.Contact", related_name="assignments", null=True, on_delete=fields.CASCADE
    )
    deal = fields.ForeignKeyField(
        "models.Deal", related_name="assignments", null=True, on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=8)
    reason = fields.TextField()
    previous_owner_id = fields.IntField(null=True)
    at = fields.DatetimeField(auto_now_add=True)
    assigned_at = fields.DatetimeField(null=True)
    released_at = fields.DatetimeField(null=True)
    # Set by the first note, completed task or message after assignment.
    worked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "assignment"


class Form(Model):
    """A public capture endpoint, POST /f/{key}."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="forms", on_delete=fields.CASCADE)
    key = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    # Posted field name -> lead field (name, email, phone, message, customFields.<key>).
    field_mapping = fields.JSONField(default=dict)
    source = fields.CharField(max_length=64, default="form")
    media = fields.CharField(max_length=64, null=True)
    campaign = fields.CharField(max_length=200, null=True)
    queue = fields.ForeignKeyField("models.Queue", related_name="forms", null=True, on_delete=fields.SET_NULL)
    pipeline = fields.ForeignKeyField(
        "models.Pipeline", related_name="forms", null=True, on_delete=fields.SET_NULL
    )
    # The empreendimento its leads are interested in (a landing page per project).
    development = fields.ForeignKeyField(
        "models.Development", related_name="forms", null=True, on_delete=fields.SET_NULL
    )
    thank_you_url = fields.CharField(max_length=2000, null=True)
    honeypot_field = fields.CharField(max_length=64, default="website")
    archived_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "form"


class Touchpoint(Model):
    """One arrival of a lead: its origin, kept for attribution."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("models.Contact", related_name="touchpoints", on_delete=fields.CASCADE)
    form = fields.ForeignKeyField("models.Form", related_name=False, null=True, on_delete=fields.SET_NULL)
    source = fields.CharField(max_length=64)
    media = fields.CharField(max_length=64, null=True)
    campaign = fields.CharField(max_length=200, null=True)
    utm = fields.JSONField(default=dict)
    landing_page = fields.CharField(max_length=2000, null=True)
    message = fields.TextField(null=True)
    at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "touchpoint"


class BulkDistribution(Model):
    """One "oferta ativa" job: the contacts of a segment, as their requester
    saw them when it started, each distributed through a queue like a
    single lead. `processed` is the index of the next contact, advanced in
    the same transaction as that contact's assignment, so a redelivered job
    resumes where it stopped and assigns nobody twice."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    segment = fields.ForeignKeyField("models.Segment", related_name="distributions", on_delete=fields.CASCADE)
    queue = fields.ForeignKeyField(
        "models.Queue", related_name="bulk_distributions", on_delete=fields.CASCADE
    )
    requested_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharField(max_length=8, default="PENDING")
    contact_ids = fields.JSONField(default=list)
    total = fields.IntField(default=0)
    processed = fields.IntField(default=0)
    assigned = fields.IntField(default=0)
    queued = fields.IntField(default=0)
    skipped = fields.IntField(default=0)
    error = fields.TextField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Moves with every contact: a job whose message was lost is sent again
    # once it stopped moving (tasks/distribution.py).
    updated_at = fields.DatetimeField(auto_now=True)
    finished_at = fields.DatetimeField(null=True)

    class Meta:
        table = "bulk_distribution"
