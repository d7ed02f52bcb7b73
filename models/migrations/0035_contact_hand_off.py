"""Contacts handed to a user through a deal, kept apart from the deals.

A MANAGER or AGENT sees a contact owned in their scope or named by a live
deal owned in it (resolvers/visibility.py `contact_q`). The second half
read every live deal of the scope (a third of a 100,000-deal workspace for
a regional manager) to collect their contacts, on every contact list and
leadReport: a manager's count of a year's contacts took ~90 ms of SQLite's
CPU where the admin's took ~20 (bench/REPORTS.md).
Almost every deal is owned by its contact's owner, so almost none of those
deals adds a contact the first half did not already give.

contact_hand_off (models.pipeline.ContactHandOff) keeps only the ones that
do: a row per contact and owner of one of its live deals, when that owner
is not the contact's owner. A contact is in a scope's second half exactly
when it has a row of an owner in the scope (a deal owned in the scope and
a contact owned outside it have different owners; a deal without owner is
in no scope), so `contact_q` reads the rows through an index.

Kept by triggers in the transaction of every change that can change the
rows: a deal inserted (live, with contact and owner: it can only add one),
deleted, or changed in contact, owner or trash, and a contact's owner
changed (then the rows of the contacts concerned are computed again from
their deals). On PostgreSQL the trigger on `deal` first locks the contacts
concerned (FOR NO KEY UPDATE, the lock a contact's own UPDATE takes, which
a deal's foreign key check does not wait for), so two transactions never
compute one contact's rows from each other's stale snapshots; SQLite has
one writer at a time. A contact removed takes its rows with it (cascade).
The rows are filled from the deals before the triggers exist."""

import importlib

from revgraph.models.migrations import _base
from tortoise import fields
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops

ROLLUPS = importlib.import_module("revgraph.models.migrations.0033_stay_buckets")
COLUMNS = "contact_hand_off (workspace_id, contact_id, owner_id)"
HANDED = "d.deleted_at IS NULL AND d.owner_id IS NOT NULL AND (c.owner_id IS NULL OR c.owner_id <> d.owner_id)"


def _recompute(contacts: str) -> list[str]:
    """The rows of the contacts `contacts` (an SQL list) from their deals."""
    return [
        f"DELETE FROM contact_hand_off WHERE contact_id IN ({contacts})",
        f"INSERT INTO {COLUMNS} SELECT DISTINCT d.workspace_id, d.contact_id, d.owner_id "
        f"FROM deal d JOIN contact c ON c.id = d.contact_id WHERE d.contact_id IN ({contacts}) AND {HANDED}",
    ]


def _locked(dialect: str, contacts: str) -> list[str]:
    if dialect != "postgres":
        return []
    return [f"PERFORM 1 FROM contact WHERE id IN ({contacts}) ORDER BY id FOR NO KEY UPDATE"]


def triggers(dialect: str) -> dict[str, list[tuple[str, str, str, list[str]]]]:
    """By table: (name, event, condition, statements) of the triggers that
    keep contact_hand_off."""
    differ = ROLLUPS._differ
    both = "OLD.contact_id, NEW.contact_id"
    return {
        "deal": [
            (
                "trg_hand_off_deal_insert",
                "INSERT",
                "NEW.contact_id IS NOT NULL AND NEW.owner_id IS NOT NULL AND NEW.deleted_at IS NULL",
                [
                    *_locked(dialect, "NEW.contact_id"),
                    f"INSERT INTO {COLUMNS} SELECT NEW.workspace_id, c.id, NEW.owner_id FROM contact c "
                    "WHERE c.id = NEW.contact_id AND (c.owner_id IS NULL OR c.owner_id <> NEW.owner_id) "
                    "AND NOT EXISTS (SELECT 1 FROM contact_hand_off h "
                    "WHERE h.contact_id = NEW.contact_id AND h.owner_id = NEW.owner_id)",
                ],
            ),
            (
                "trg_hand_off_deal_delete",
                "DELETE",
                "OLD.contact_id IS NOT NULL AND OLD.owner_id IS NOT NULL AND OLD.deleted_at IS NULL",
                [*_locked(dialect, "OLD.contact_id"), *_recompute("OLD.contact_id")],
            ),
            (
                "trg_hand_off_deal_update",
                "UPDATE OF contact_id, owner_id, deleted_at",
                differ(dialect, ["contact_id", "owner_id", "deleted_at IS NULL"]),
                [*_locked(dialect, both), *_recompute(both)],
            ),
        ],
        # The contact's own UPDATE holds its row's lock.
        "contact": [
            (
                "trg_hand_off_contact_owner",
                "UPDATE OF owner_id",
                differ(dialect, ["owner_id"]),
                _recompute("NEW.id"),
            ),
        ],
    }


async def create(apps, editor):
    """The rows from the live deals, then the triggers."""
    client = editor.client
    dialect = client.capabilities.dialect
    await client.execute_script(
        f"INSERT INTO {COLUMNS} SELECT DISTINCT d.workspace_id, d.contact_id, d.owner_id "
        f"FROM deal d JOIN contact c ON c.id = d.contact_id WHERE {HANDED}"
    )
    for table, made in triggers(dialect).items():
        await ROLLUPS._create(client, dialect, table, made)


async def drop(apps, editor):
    client = editor.client
    for table, made in triggers(client.capabilities.dialect).items():
        await ROLLUPS._drop(client, table, made)
    await client.execute_script("DELETE FROM contact_hand_off")


class Migration(_base.Migration):
    """contact_hand_off: the contacts handed through a deal to someone who
    does not own them, kept by triggers, for `contact_q`."""

    dependencies = [("models", "0034_import_duplicates")]

    initial = False

    operations = [
        ops.CreateModel(
            name="ContactHandOff",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                (
                    "workspace",
                    fields.ForeignKeyField(
                        "models.Workspace",
                        source_field="workspace_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                (
                    "contact",
                    fields.ForeignKeyField(
                        "models.Contact",
                        source_field="contact_id",
                        db_constraint=True,
                        to_field="id",
                        related_name=False,
                        on_delete=OnDelete.CASCADE,
                    ),
                ),
                ("owner_id", fields.IntField()),
            ],
            options={
                "table": "contact_hand_off",
                "app": "models",
                "pk_attr": "id",
                "table_description": "A contact handed to a user through a live deal they own while",
            },
            bases=["Model"],
        ),
        ops.RunSQL(
            [
                # The triggers' key (a contact's rows) and one row per owner.
                "CREATE UNIQUE INDEX uq_contact_hand_off ON contact_hand_off (contact_id, owner_id)",
                # contact_q's read: a scope's owners' contacts (covering).
                "CREATE INDEX idx_contact_hand_off_read ON contact_hand_off (workspace_id, owner_id, contact_id)",
            ],
            ["DROP INDEX idx_contact_hand_off_read", "DROP INDEX uq_contact_hand_off"],
        ),
        ops.RunPython(create, drop),
    ]
