"""Dramatiq actors: ids in, resolvers called, idempotent, explicit retries.

Importing this package picks the broker (tasks.broker) and declares every
actor, so `dramatiq revgraph.tasks` and `revgraph worker` see them all."""

from revgraph.tasks import (
    automations,  # noqa: F401
    broker,  # noqa: F401  (picks the broker; every actor module imports it first)
    chatbot,  # noqa: F401
    distribution,  # noqa: F401
    imports,  # noqa: F401
    inbox,  # noqa: F401
    maintenance,  # noqa: F401
    partners,  # noqa: F401
    webhooks,  # noqa: F401
    whatsapp,  # noqa: F401
)
