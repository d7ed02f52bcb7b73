"""Workspaces, users, teams and the credentials that authenticate them."""

from tortoise import fields
from tortoise.models import Model


class Workspace(Model):
    """The customer company: every other row belongs to exactly one."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    currency = fields.CharField(max_length=3, default="BRL")
    timezone = fields.CharField(max_length=64, default="America/Sao_Paulo")
    trash_retention_days = fields.IntField(default=30)
    lead_lock_days = fields.IntField(default=30)
    # Who automation e-mails come from; unset: the server's REVGRAPH_SMTP_FROM.
    email_sender_name = fields.CharField(max_length=200, null=True)
    email_sender_address = fields.CharField(max_length=254, null=True)
    # The language of what people read, unless their own setting says otherwise.
    default_locale = fields.CharField(max_length=16, default="pt-BR")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "workspace"


class SequenceCounter(Model):
    """A per-workspace counter (`contact`, `deal`): the readable numbers of
    records. Taken with one UPDATE ... RETURNING in the creating
    transaction, so numbers are unique and, once committed, gap-free."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    name = fields.CharField(max_length=32)
    value = fields.BigIntField(default=0)

    class Meta:
        table = "sequence_counter"
        unique_together = (("workspace", "name"),)


class PasswordReset(Model):
    """A one-time password reset link an admin issued. Only the keyed hash
    of its token is stored."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="password_resets", on_delete=fields.CASCADE)
    issued_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "password_reset"


class Invitation(Model):
    """An invitation to join a workspace, sent as a one-time link. Only the
    keyed hash of its token is stored; used, revoked or past `expires_at`
    it opens nothing."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    email = fields.CharField(max_length=254)
    name = fields.CharField(max_length=200, null=True)
    role = fields.CharField(max_length=16)
    team = fields.ForeignKeyField("models.Team", related_name=False, null=True, on_delete=fields.SET_NULL)
    invited_by = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    accepted_user = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )

    class Meta:
        table = "invitation"


class User(Model):
    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="users", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    # Unique across workspaces: logIn names no workspace.
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=255)
    role = fields.CharField(max_length=16)
    team = fields.ForeignKeyField("models.Team", related_name="members", null=True, on_delete=fields.SET_NULL)
    online = fields.BooleanField(default=False)
    last_seen_at = fields.DatetimeField(null=True)
    active = fields.BooleanField(default=True)
    # The language the user reads ("pt-BR", "en"); null: the workspace's default.
    locale = fields.CharField(max_length=16, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class Team(Model):
    """A node of the sales hierarchy. Teams form a tree through `parent`."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="teams", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    manager = fields.ForeignKeyField(
        "models.User", related_name="managed_teams", null=True, on_delete=fields.SET_NULL
    )
    parent = fields.ForeignKeyField(
        "models.Team", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "team"


class Session(Model):
    """A logged-in session. Only the keyed hash of its token is stored."""

    id = fields.IntField(primary_key=True)
    user = fields.ForeignKeyField("models.User", related_name="sessions", on_delete=fields.CASCADE)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    class Meta:
        table = "session"


class ApiKey(Model):
    """A partner credential acting for `user` with at most `role`."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name="api_keys", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="api_keys", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=200)
    role = fields.CharField(max_length=16)
    # FULL, READ_ONLY or INTAKE (resolvers/key_scopes.py): what the key may
    # do at all, whatever its role.
    scope = fields.CharField(max_length=16, default="FULL")
    secret_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)

    class Meta:
        table = "api_key"
