"""Capture forms (landing pages): ADMIN configures where a public form's
posts go — how posted fields map onto a lead, the origin defaults (source,
media, campaign), the queue that distributes its leads, the pipeline
that opens their deals and the development (empreendimento) they are
interested in. The public side is in `form_posts`."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from revgraph.models.distribution import Form, Queue
from revgraph.models.pipeline import Pipeline
from revgraph.resolvers import loaders
from revgraph.resolvers.context import Context
from revgraph.resolvers.developments import development_ref
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.validation import optional_text, required_text
from revgraph.resolvers.visibility import named_record

# What a posted field may become; `customFields.<key>` is also allowed.
LEAD_FIELDS = ("name", "email", "phone", "message", "media", "campaign", "landingPage")
CUSTOM_PREFIX = "customFields."
# Posted names the endpoint reads without a mapping: a honeypot named like
# one of them would swallow every real post.
READ_WITHOUT_MAPPING = ("name", "email", "phone", "message", "landing_page", "page")
MAX_MAPPED_FIELDS = 100
FIELD_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,64}$")
DEFAULT_SOURCE = "form"
DEFAULT_HONEYPOT = "website"


def new_form_key() -> str:
    """128 random bits, url-safe (22 characters): the key is the form's only
    secret, since anyone who knows it may post."""
    return secrets.token_urlsafe(16)


def endpoint_of(form: Form) -> str:
    return f"/f/{form.key}"


def field_mapping(value: Any, field: list[str]) -> dict[str, str]:
    """{posted field name: lead field}, each lead field fed by one posted field."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DomainError("INVALID", _("fieldMapping must be a JSON object {postedName: leadField}."), field)
    if len(value) > MAX_MAPPED_FIELDS:
        raise DomainError(
            "INVALID",
            _("A form maps at most {MAX_MAPPED_FIELDS} fields.", MAX_MAPPED_FIELDS=MAX_MAPPED_FIELDS),
            field,
        )
    mapping: dict[str, str] = {}
    fed_by: dict[str, str] = {}
    for posted, target in value.items():
        where = [*field, str(posted)]
        if not isinstance(posted, str) or not FIELD_NAME.match(posted):
            raise DomainError(
                "INVALID", _("Posted field names are 1 to 64 letters, digits or _ . - [ ]."), where
            )
        if not isinstance(target, str) or not _lead_field(target):
            raise DomainError(
                "INVALID",
                _(
                    "Map {posted!r} to one of {items} or customFields.<key>.",
                    posted=posted,
                    items=", ".join(LEAD_FIELDS),
                ),
                where,
            )
        if target in fed_by:
            raise DomainError(
                "DUPLICATE",
                _(
                    "{target} is already fed by {fed_by!r}: map it once.",
                    target=target,
                    fed_by=fed_by[target],
                ),
                where,
            )
        fed_by[target] = posted
        mapping[posted] = target
    return mapping


def _lead_field(target: str) -> bool:
    if target in LEAD_FIELDS:
        return True
    key = target[len(CUSTOM_PREFIX) :] if target.startswith(CUSTOM_PREFIX) else ""
    return bool(key.strip()) and len(key) <= 64


def thank_you_url(value: str | None, field: list[str]) -> str | None:
    """Only absolute http(s) URLs: the endpoint redirects browsers there, and
    javascript:/data: targets would run in the visitor's browser."""
    text = optional_text(value, field, max_length=2000, what=_("Thank-you URL"))
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or re.search(r"[\s<>\"]", text):
        raise DomainError(
            "INVALID", _("The thank-you URL must be an absolute http:// or https:// URL."), field
        )
    return text


def honeypot_field(value: str | None, mapping: dict[str, str], field: list[str]) -> str:
    name = DEFAULT_HONEYPOT if value is None else value.strip()
    if not FIELD_NAME.match(name):
        raise DomainError(
            "INVALID", _("The honeypot field name is 1 to 64 letters, digits or _ . - [ ]."), field
        )
    if name in mapping or name in READ_WITHOUT_MAPPING or name.startswith("utm_"):
        raise DomainError(
            "INVALID",
            _(
                "{name!r} carries lead data, so people fill it in: pick a field only bots fill, e.g. 'website'.",
                name=name,
            ),
            field,
        )
    return name


async def _link(
    ctx: Context, model: type[Queue] | type[Pipeline], raw: str | None, field: list[str]
) -> int | None:
    """The queue or pipeline a form feeds (None: none)."""
    return None if raw is None else (await named_record(ctx, model, raw, field)).id


async def _columns(ctx: Context, values: dict[str, Any], current: Form | None) -> dict[str, Any]:
    """Validate the given input fields into model columns. On update only
    what was sent changes; null resets a defaulted field and clears the others."""
    field = ["input"]
    out: dict[str, Any] = {}
    if current is None or "name" in values:
        out["name"] = required_text(values.get("name"), [*field, "name"], what=_("Form name"))
    if current is None or "field_mapping" in values:
        out["field_mapping"] = field_mapping(values.get("field_mapping"), [*field, "fieldMapping"])
    if current is None or "source" in values:
        source = values.get("source")
        out["source"] = (
            DEFAULT_SOURCE
            if source is None
            else required_text(source, [*field, "source"], max_length=64, what=_("Source"))
        )
    if "media" in values:
        out["media"] = optional_text(values["media"], [*field, "media"], max_length=64, what=_("Media"))
    if "campaign" in values:
        out["campaign"] = optional_text(
            values["campaign"], [*field, "campaign"], max_length=200, what=_("Campaign")
        )
    if "queue_id" in values:
        out["queue_id"] = await _link(ctx, Queue, values["queue_id"], [*field, "queueId"])
    if "pipeline_id" in values:
        out["pipeline_id"] = await _link(ctx, Pipeline, values["pipeline_id"], [*field, "pipelineId"])
    if "development_id" in values:
        out["development_id"] = await development_ref(
            ctx,
            values["development_id"],
            [*field, "developmentId"],
            current=current.development_id if current else None,
        )
    if "thank_you_url" in values:
        out["thank_you_url"] = thank_you_url(values["thank_you_url"], [*field, "thankYouUrl"])
    mapping = out.get("field_mapping", current.field_mapping if current else {})
    if current is None or "honeypot_field" in values or "field_mapping" in values:
        raw = values["honeypot_field"] if "honeypot_field" in values else (current and current.honeypot_field)
        out["honeypot_field"] = honeypot_field(raw, mapping, [*field, "honeypotField"])
    return out


async def create_form(ctx: Context, values: dict[str, Any]) -> Form:
    """ADMIN creates a capture form; it gets an unguessable key, and posts to
    /f/<key> capture leads with its mapping and defaults."""
    actor = ctx.require_admin()
    columns = await _columns(ctx, values, None)
    async with unit_of_work():
        form = await Form.create(workspace_id=actor.workspace_id, key=new_form_key(), **columns)
        await record_event(
            actor,
            actor.workspace_id,
            "form.created",
            N_("Form {form} created", form=form.name),
            data={
                "formId": form.id,
                "source": form.source,
                "queueId": form.queue_id,
                "pipelineId": form.pipeline_id,
                "developmentId": form.development_id,
            },
        )
    return form


async def update_form(ctx: Context, form_id: str, values: dict[str, Any]) -> Form:
    """ADMIN changes a form's configuration; only the fields sent change and
    the key (already published on landing pages) stays."""
    actor = ctx.require_admin()
    form = await _form(actor.workspace_id, form_id, ["id"])
    columns = await _columns(ctx, values, form)
    changed = sorted(name for name, value in columns.items() if getattr(form, name) != value)
    if not changed:
        return form
    async with unit_of_work():
        await Form.filter(id=form.id).update(**columns)
        await record_event(
            actor,
            actor.workspace_id,
            "form.updated",
            N_("Form {get} changed: {items}", get=columns.get("name", form.name), items=", ".join(changed)),
            data={"formId": form.id, "changed": changed},
        )
    await form.refresh_from_db()
    return form


async def archive_form(ctx: Context, form_id: str) -> Form:
    """ADMIN archives a form: its endpoint answers 404 from then on, and the
    leads it captured keep their touchpoints."""
    actor = ctx.require_admin()
    form = await _form(actor.workspace_id, form_id, ["id"])
    async with unit_of_work():
        form.archived_at = datetime.now(UTC)
        await form.save(update_fields=["archived_at"])
        await record_event(
            actor,
            actor.workspace_id,
            "form.archived",
            N_("Form {form} archived", form=form.name),
            data={"formId": form.id},
        )
    return form


async def list_forms(ctx: Context, *, include_archived: bool = False) -> list[Form]:
    actor = ctx.require_admin()
    rows = Form.filter(workspace_id=actor.workspace_id)
    if not include_archived:
        rows = rows.filter(archived_at=None)
    return list(await rows.order_by("id"))


async def get_form(ctx: Context, pk: int) -> Form | None:
    """A form by id for `node`: configuration is for administrators, so for
    anyone else it does not exist."""
    actor = ctx.require_actor()
    if not actor.is_admin:
        return None
    return await Form.filter(id=pk, workspace_id=actor.workspace_id).first()


async def _form(workspace_id: int, raw: str, field: list[str]) -> Form:
    form = await Form.filter(id=pk_of(raw, "Form") or 0, workspace_id=workspace_id, archived_at=None).first()
    if form is None:
        raise NotFound(_("Form"), field)
    return form


def queues(ctx: Context) -> loaders.BatchLoader:
    return loaders.loader(ctx, "queues", lambda ws: loaders.by_id(ws, Queue))


def pipelines(ctx: Context) -> loaders.BatchLoader:
    return loaders.loader(ctx, "pipelines", lambda ws: loaders.by_id(ws, Pipeline))
