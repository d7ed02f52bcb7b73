from revgraph.models.migrations import _base
from tortoise.migrations import operations as ops

class Migration(_base.Migration):
    """Failed log-ins are counted by resolvers/attempt_limits.py (Redis, or
    memory in the embedded mode), reserved before the password check; rows
    counted before it and stored after let concurrent guesses all through."""

    dependencies = [('models', '0008_contact_tag_lookup')]

    initial = False

    operations = [
        ops.DeleteModel(name='LoginFailure'),
    ]
