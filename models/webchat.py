"""The webchat channel's visitors: a browser that holds a signed visitor
token (resolvers/channels/webchat/tokens.py), and the contact its messages
are filed under once it writes."""

from tortoise import fields
from tortoise.models import Model


class WebchatVisitor(Model):
    """One visitor of one WEBCHAT inbox, unique by (inbox, key): the key is
    the random id inside the visitor's token. Created with the visitor's
    first message; `contact` is the contact that message opened (the
    visitor's own: a typed e-mail is not proof of identity)."""

    id = fields.BigIntField(primary_key=True)
    workspace = fields.ForeignKeyField("models.Workspace", related_name=False, on_delete=fields.CASCADE)
    inbox = fields.ForeignKeyField("models.Inbox", related_name=False, on_delete=fields.CASCADE)
    key = fields.CharField(max_length=64)
    contact = fields.ForeignKeyField(
        "models.Contact", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    # What the visitor typed in the widget (unverified).
    name = fields.CharField(max_length=200, null=True)
    email = fields.CharField(max_length=254, null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    last_seen_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "webchat_visitor"
