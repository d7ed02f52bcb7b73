"""A contact row of a CSV read as createContact/updateContact input, with
the project's normalisers (e-mail, E.164 phone, tags, typed custom fields
in pt-BR formats), and the decision the import takes for it: create,
update a duplicate (same e-mail, else same phone: captureLead's rule),
skip it, or refuse the row. The dry run and the import share this one
decision, so the dry run reports exactly what the import will do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from revgraph.models.crm import Contact
from revgraph.resolvers.contacts import (
    LIFECYCLE_STAGES,
    contact_tags,
    create_contact,
    create_contacts,
    live_contacts_with,
    matching_contacts,
    update_contact,
)
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.imports.cells import (
    Decision,
    ImportKind,
    Workbook,
    merged_custom,
    owner_id,
    owner_message,
    problem,
    read_row,
    refusal_problems,
)
from revgraph.resolvers.validation import (
    normalize_email,
    normalize_phone,
    normalize_tags,
    optional_text,
    required_text,
)

# The fields a contact column may fill, with the label reports use.
CONTACT_FIELDS = {
    "name": N_("Name"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "owner": N_("Owner"),
    "lifecycleStage": N_("Lifecycle stage"),
    "source": N_("Source"),
    "tags": N_("Tags"),
}
STAGE_WORDS = {
    "lead": "LEAD",
    "mql": "MQL",
    "sql": "SQL",
    "oportunidade": "OPPORTUNITY",
    "cliente": "CUSTOMER",
    "desqualificado": "DISQUALIFIED",
}


def duplicate_keys(data: Mapping[str, Any]) -> list[str]:
    """The keys two rows of one file are the same person by."""
    return [f"{k}:{data[k]}" for k in ("email", "phone") if data.get(k)]


class ContactImport(ImportKind):
    entity = "CONTACT"
    fields = CONTACT_FIELDS

    def read_field(self, book: Workbook, data: dict[str, Any], target: str, raw: str) -> None:
        if target == "name":
            data["name"] = required_text(raw, ["name"])
        elif target == "email":
            data["email"] = normalize_email(raw, ["email"])
        elif target == "phone":
            data["phone"] = normalize_phone(raw, ["phone"])
        elif target == "owner":
            data["owner_id"] = owner_id(book, raw)
        elif target == "lifecycleStage":
            stage = STAGE_WORDS.get(raw.lower(), raw.upper())
            if stage not in LIFECYCLE_STAGES:
                raise DomainError("INVALID", _("Unknown stage."), ["lifecycleStage"])
            data["lifecycle_stage"] = stage
        elif target == "source":
            data["source"] = optional_text(raw, ["source"], max_length=64, what=_("Source"))
        elif target == "tags":
            parts = [part for part in raw.replace("|", ",").split(",") if part.strip()]
            data["tags"] = normalize_tags(parts, ["tags"], book.limits)

    def message(self, target: str, raw: str, error: DomainError) -> str:
        if target == "name":
            if not raw:
                return _("Blank name.")
            return _("Invalid name (up to 200 characters, one line): {raw!r}.", raw=raw)
        if target == "email":
            return _("Invalid e-mail: {raw!r}.", raw=raw)
        if target == "phone":
            return _("Invalid phone: {raw!r} (include the area code, e.g. 11 98765-4321).", raw=raw)
        if target == "owner":
            return owner_message(raw)
        if target == "lifecycleStage":
            return _(
                "Unknown stage: {raw!r} (use Lead, MQL, SQL, Oportunidade, Cliente or Desqualificado).",
                raw=raw,
            )
        return super().message(target, raw, error)

    async def decide(self, book: Workbook, cells: Sequence[str], policy: str) -> Decision:
        """`error` with its problems; else the first live contact the row
        duplicates (by e-mail, then phone — the rule of captureLead) is
        skipped or updated per `policy`, or a contact is created."""
        data, problems = read_row(self, book, cells)
        if problems:
            return Decision("error", problems=problems)
        found = await matching_contacts(book.workspace_id, data.get("email"), data.get("phone"))
        return await _decision(data, found, policy)

    async def decide_batch(
        self, book: Workbook, rows: Sequence[Sequence[str]], policy: str
    ) -> list[Decision]:
        """`decide` for a batch with one query for the contacts any of its
        rows duplicates (at most two per row: e-mail and phone are unique
        among live contacts), matched per row in matching_contacts' order."""
        read = [read_row(self, book, cells) for cells in rows]
        valid = [data for data, problems in read if not problems]
        emails = [data["email"] for data in valid if data.get("email")]
        phones = [data["phone"] for data in valid if data.get("phone")]
        live = await live_contacts_with(book.workspace_id, emails, phones)
        out = []
        for data, problems in read:
            if problems:
                out.append(Decision("error", problems=problems))
                continue
            email, phone = data.get("email"), data.get("phone")
            found = [c for c in live if (email and c.email == email) or (phone and c.phone == phone)]
            found.sort(key=lambda c: not (email and c.email == email))
            out.append(await _decision(data, found, policy))
        return out

    async def create_many(
        self, ctx: Context, book: Workbook, decisions: Sequence[Decision]
    ) -> list[list[dict[str, Any]] | None]:
        """create_contacts: createContact's own checks, one INSERT for them all."""
        created = await create_contacts(ctx, [decision.changes for decision in decisions])
        return [refusal_problems(self, r) if isinstance(r, DomainError) else None for r in created]

    def keys_written(self, decision: Decision) -> Iterable[str]:
        """What the row created or updated, and what an update took from the
        contact it changed (an e-mail or phone a later row may now bring)."""
        if decision.action not in ("create", "update"):
            return ()
        keys = [*decision.keys, *duplicate_keys(decision.changes)]
        if decision.action == "update":
            keys += duplicate_keys({"email": decision.record.email, "phone": decision.record.phone})
        return keys

    async def apply(self, ctx: Context, book: Workbook, decision: Decision) -> None:
        if decision.action == "create":
            await create_contact(ctx, decision.changes)
        elif decision.action == "update":
            await update_contact(ctx, encode_id("Contact", decision.record.id), decision.changes)


async def _decision(data: dict[str, Any], found: list[Contact], policy: str) -> Decision:
    keys = duplicate_keys(data)
    if not found:
        return Decision("create", changes=data, keys=keys)
    contact = found[0]
    if policy == "SKIP":
        return Decision("skip", record=contact, keys=keys)
    changes = await _changes(contact, data, overwrite=policy == "OVERWRITE")
    clash = [
        other
        for other in found[1:]
        if any(changes.get(k) and changes[k] == getattr(other, k) for k in ("email", "phone"))
    ]
    if clash:
        which = "email" if changes.get("email") and clash[0].email == changes["email"] else "phone"
        return Decision(
            "error",
            keys=keys,
            problems=[
                problem(
                    "DUPLICATE",
                    which,
                    None,
                    _(
                        "{field} belongs to another contact (no. {number}) than this e-mail's.",
                        field=CONTACT_FIELDS[which],
                        number=clash[0].number,
                    ),
                )
            ],
        )
    return Decision("update" if changes else "skip", changes=changes, record=contact, keys=keys)


async def _changes(contact: Contact, data: Mapping[str, Any], *, overwrite: bool) -> dict[str, Any]:
    """updateContact's input: the row's values where the contact differs
    (OVERWRITE) or holds nothing yet (UPDATE_EMPTY)."""
    current: dict[str, Any] = {
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "owner_id": encode_id("User", contact.owner_id) if contact.owner_id else None,
        "lifecycle_stage": contact.lifecycle_stage,
        "source": contact.source,
    }
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("custom_fields", "tags"):
            continue
        if current[key] != value and (overwrite or not current[key]):
            changes[key] = value
    if "lifecycle_stage" in changes and not overwrite:
        del changes["lifecycle_stage"]  # always set (LEAD): never "empty"
    if data.get("tags"):
        tags = await contact_tags(contact.id)
        wanted = data["tags"] if overwrite else (tags or data["tags"])
        if wanted != tags:
            changes["tags"] = wanted
    changed_custom = merged_custom(contact.custom_fields, data.get("custom_fields"), overwrite=overwrite)
    if changed_custom is not None:
        changes["custom_fields"] = changed_custom
    return changes
