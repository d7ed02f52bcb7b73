"""CSV imports ("Layout de Importação"): an uploaded file kept as chunks
of rows, the job that validates (dry run) and then imports it in batches,
the per-row errors of each phase, and column mappings saved by name."""

from tortoise import fields
from tortoise.models import Model


class ImportJob(Model):
    """One uploaded file and its import. `cursor` is the spreadsheet row the
    current phase has finished up to; it is written in the same transaction as
    each batch's records, so a restarted job resumes after the last
    committed batch and never writes a row twice. `lease_until` is the one
    run of the job across processes."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    created_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # CONTACT, COMPANY or DEAL
    entity = fields.CharField(max_length=16)
    filename = fields.CharField(max_length=255)
    encoding = fields.CharField(max_length=16)
    delimiter = fields.CharField(max_length=1)
    columns = fields.JSONField(default=list)
    row_count = fields.IntField(default=0)
    # {column header: field}, e.g. {"E-mail": "email", "Renda": "customFields.renda"}
    mapping = fields.JSONField(default=dict)
    # SKIP, UPDATE_EMPTY, OVERWRITE
    duplicate_policy = fields.CharField(max_length=12, default="SKIP")
    # UPLOADED, VALIDATING, VALIDATED, RUNNING, COMPLETED, FAILED
    status = fields.CharField(max_length=10, default="UPLOADED")
    cursor = fields.IntField(default=0)
    # The dry run's counts: {"valid", "invalid", "create", "update", "skip"}
    dry_run = fields.JSONField(null=True)
    created_count = fields.IntField(default=0)
    updated_count = fields.IntField(default=0)
    skipped_count = fields.IntField(default=0)
    failed_count = fields.IntField(default=0)
    failure = fields.CharField(max_length=500, null=True)
    lease_until = fields.DatetimeField(null=True)
    started_at = fields.DatetimeField(null=True)
    finished_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "import_job"


class ImportChunk(Model):
    """Up to CHUNK_ROWS consecutive data rows of a job's file, as lists of
    [spreadsheet row, cells] pairs (the header is row 1; blank lines are
    skipped, so rows may jump); `first_row` is the first one's."""

    id = fields.BigIntField(primary_key=True)
    job = fields.ForeignKeyField("models.ImportJob", related_name="chunks", on_delete=fields.CASCADE)
    number = fields.IntField()
    first_row = fields.IntField()
    rows = fields.JSONField(default=list)

    class Meta:
        table = "import_chunk"


class ImportRowError(Model):
    """Why one row was refused, in a phase (DRY_RUN or RUN): the cells as
    read, for the downloadable error report, and one problem per field."""

    id = fields.BigIntField(primary_key=True)
    job = fields.ForeignKeyField("models.ImportJob", related_name="row_errors", on_delete=fields.CASCADE)
    phase = fields.CharField(max_length=8)
    row = fields.IntField()
    values = fields.JSONField(default=list)
    # [{"code", "field", "column", "message"}]
    problems = fields.JSONField(default=list)

    class Meta:
        table = "import_row_error"


class ImportRowDuplicate(Model):
    """A row that met a duplicate, in a phase (DRY_RUN or RUN): what it does
    (UPDATE or SKIP), the record it matched (`record_id`, of the job's
    entity; its name and number are read from the record when shown, so
    none of its data is copied here), or, in a dry run, the earlier row of
    the file it duplicates (`earlier_row`: that row creates the record);
    and for an update the fields it changes (the API's names, custom
    fields as customFields.<key>; null when not known before the import).
    Written with its batch, like the row errors; one per (job, phase, row)
    (migration SQL)."""

    id = fields.BigIntField(primary_key=True)
    job = fields.ForeignKeyField("models.ImportJob", related_name=False, on_delete=fields.CASCADE)
    phase = fields.CharField(max_length=8)
    row = fields.IntField()
    # UPDATE or SKIP
    action = fields.CharField(max_length=6)
    record_id = fields.IntField(null=True)
    earlier_row = fields.IntField(null=True)
    changed_fields = fields.JSONField(null=True)

    class Meta:
        table = "import_row_duplicate"


class ImportMapping(Model):
    """A column→field mapping saved by name for the next file of the same
    layout. Names are unique per workspace and entity (migration SQL)."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    entity = fields.CharField(max_length=16)
    name = fields.CharField(max_length=100)
    mapping = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "import_mapping"


class ImportFileKey(Model):
    """A duplicate key (e.g. "email:ana@x.com") the dry run met in a job's
    file, with the first row that had it: the file's own duplicates are
    found in the database, a batch at a time, so the dry run's memory does
    not grow with the file. Written in each batch's transaction (a resumed
    dry run sees what it saw); dropped when the dry run ends. Unique per
    (job, key) (migration SQL)."""

    id = fields.BigIntField(primary_key=True)
    job = fields.ForeignKeyField("models.ImportJob", related_name=False, on_delete=fields.CASCADE)
    key = fields.CharField(max_length=300)
    row = fields.IntField()

    class Meta:
        table = "import_file_key"


class ImportRecordKey(Model):
    """The external id (the source system's key, an "ID externo" column) an
    import gave a record, so importing the same export again finds the deal
    it made instead of opening a second one. Unique per workspace, entity
    and key (migration SQL)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    entity = fields.CharField(max_length=16)
    key = fields.CharField(max_length=200)
    record_id = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "import_record_key"
