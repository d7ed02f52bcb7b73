"""Empreendimentos: the real-estate projects a workspace sells, their
typologies, and which contacts are interested in which."""

from tortoise import fields
from tortoise.models import Model


class Development(Model):
    """An empreendimento: a project the workspace sells, with its developer
    (a company), where it is, its price range and its sales status. Setup
    that every member reads. Never deleted, archived instead, so the deals
    and interests that name it keep their history."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField(
        "models.Workspace", related_name="developments", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=200)
    # Lower-cased copy of name: search and the per-workspace unique name.
    name_search = fields.CharField(max_length=200)
    # The construtora/incorporadora.
    developer = fields.ForeignKeyField(
        "models.Company", related_name="developments", null=True, on_delete=fields.SET_NULL
    )
    status = fields.CharField(max_length=20, default="PRE_LAUNCH")
    address = fields.CharField(max_length=300, null=True)
    neighborhood = fields.CharField(max_length=100, null=True)
    zone = fields.CharField(max_length=64, null=True)
    city = fields.CharField(max_length=100, null=True)
    # UF: two upper-case letters.
    state = fields.CharField(max_length=2, null=True)
    # CEP as "01310-100".
    postal_code = fields.CharField(max_length=9, null=True)
    # In the workspace's currency (BRL).
    price_min = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    price_max = fields.DecimalField(max_digits=18, decimal_places=2, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    archived_at = fields.DatetimeField(null=True)

    class Meta:
        table = "development"


class DevelopmentTypology(Model):
    """A typology of a development ("2 quartos", "cobertura"), as a row so
    `typologies: [..]` filters run in SQL on every backend."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    development = fields.ForeignKeyField(
        "models.Development", related_name="typology_rows", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64)

    class Meta:
        table = "development_typology"


class ContactInterest(Model):
    """A contact is interested in a development (a lead's "empreendimento de
    interesse"); one row per pair."""

    id = fields.IntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    contact = fields.ForeignKeyField("models.Contact", related_name="interest_rows", on_delete=fields.CASCADE)
    development = fields.ForeignKeyField(
        "models.Development", related_name="interest_rows", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "contact_interest"
