from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(_base.Migration):
    """E-mail channel: the full source of each inbound e-mail, one row per
    message (the message itself shows the new part of the reply)."""

    dependencies = [('models', '0019_whatsapp_consent')]

    initial = False

    operations = [
        ops.CreateModel(
            name='EmailSource',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message', fields.OneToOneField('models.Message', source_field='message_id', db_constraint=True, to_field='id', related_name=False, on_delete=OnDelete.CASCADE)),
                ('source', fields.BinaryField()),
                ('size', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'email_source', 'app': 'models', 'pk_attr': 'id', 'table_description': 'The full source of an inbound e-mail (the RFC 5322 bytes as the SMTP'},
            bases=['Model'],
        ),
    ]
