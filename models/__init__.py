"""Tortoise models: tables, constraints and indexes only; no business rules.

Composite and partial indexes and multi-column unique constraints are not
declared in Meta: Tortoise 1.1's autodetector emits them before the foreign
key columns they name exist. Each domain's migration creates them in SQL
(the same statements run on SQLite and PostgreSQL)."""

MODEL_MODULES = [
    "revgraph.models.identity",
    "revgraph.models.crm",
    "revgraph.models.developments",
    "revgraph.models.custom_fields",
    "revgraph.models.pipeline",
    "revgraph.models.distribution",
    "revgraph.models.automation",
    "revgraph.models.inbox",
    "revgraph.models.chatbot",
    "revgraph.models.consent",
    "revgraph.models.channels",
    "revgraph.models.webchat",
    "revgraph.models.webhooks",
    "revgraph.models.imports",
    "revgraph.models.partners",
    "revgraph.models.events",
]
