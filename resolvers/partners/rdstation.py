"""RD Station Marketing's conversion webhook in, as captureLead.

RD Station posts `{"leads": [...]}` (its webhook for conversions and leads
marked as opportunity, content type JSON), or one event of its webhooks API
(`WEBHOOK.CONVERTED` with the `contact`), to the URL an admin configured
there: `/webhooks/rdstation/<workspaceId>?token=<secret>`. RD Station signs
nothing, so the URL carries a per-workspace shared secret, compared in
constant time with its keyed hash. Each lead's conversion is stored once
per (lead, conversion, time) and answered 200 at once; a task captures it
after commit (source "rdstation", medium, campaign and UTM as touchpoint),
so a webhook sent again captures nothing more."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from revgraph.models.distribution import Queue
from revgraph.models.partners import MarketingConversion, MarketingIntake
from revgraph.models.pipeline import Pipeline
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.distribution.capture import UTM_KEYS, capture
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.identity import secret_digest
from revgraph.resolvers.ids import encode_id, pk_of
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.visibility import named_record

PROVIDER = "rdstation"
SOURCE = "rdstation"
SECRET_PREFIX = "rds_"
ACTOR_LABEL = "RD Station Marketing"
MAX_LEADS = 100
EVENT_TYPES = ("WEBHOOK.CONVERTED", "WEBHOOK.MARKED_OPPORTUNITY")
# A conversion not worked this long after it was stored lost its task.
STALE = timedelta(seconds=30)


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class Configured:
    intake: MarketingIntake
    secret: str


async def configure(
    ctx: Context, *, enabled: bool, queue_id: str | None, pipeline_id: str | None
) -> Configured:
    """ADMIN turns the intake on (or off) and where its leads go; a new
    secret is issued every time (shown once), replacing the previous one."""
    actor = ctx.require_admin()
    queue = await named_record(ctx, Queue, queue_id, ["input", "queueId"]) if queue_id else None
    pipeline = (
        await named_record(ctx, Pipeline, pipeline_id, ["input", "pipelineId"]) if pipeline_id else None
    )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    values = {
        "secret_hash": secret_digest(ctx.settings, secret),
        "enabled": enabled,
        "queue_id": queue.id if queue else None,
        "pipeline_id": pipeline.id if pipeline else None,
    }
    async with unit_of_work():
        intake = await MarketingIntake.filter(workspace_id=actor.workspace_id, provider=PROVIDER).first()
        if intake is None:
            intake = await MarketingIntake.create(
                workspace_id=actor.workspace_id, provider=PROVIDER, **values
            )
        else:
            await MarketingIntake.filter(id=intake.id).update(**values)
            await intake.refresh_from_db()
        await record_event(
            actor,
            actor.workspace_id,
            "rdstation_intake.configured",
            N_("RD Station Marketing intake switched on (new secret issued)")
            if enabled
            else N_("RD Station Marketing intake switched off (new secret issued)"),
            data={"enabled": enabled, "queueId": values["queue_id"], "pipelineId": values["pipeline_id"]},
        )
    return Configured(intake, secret)


async def current(ctx: Context) -> MarketingIntake | None:
    actor = ctx.require_admin()
    return await MarketingIntake.filter(workspace_id=actor.workspace_id, provider=PROVIDER).first()


def webhook_path(workspace_id: int) -> str:
    return f"/webhooks/rdstation/{encode_id('Workspace', workspace_id)}"


async def accept(settings: Settings, raw_workspace_id: str, token: str | None, body: bytes) -> list[int]:
    """Check the secret, store each lead's conversion once; the ids of the
    rows stored now (a conversion already stored is not stored again)."""
    workspace_id = pk_of(raw_workspace_id, "Workspace") or 0
    intake = await MarketingIntake.filter(workspace_id=workspace_id, provider=PROVIDER).first()
    expected = intake.secret_hash if intake is not None else secret_digest(settings, "-")
    given = secret_digest(settings, token or "")
    if not hmac.compare_digest(given, expected) or intake is None or not intake.enabled:
        raise Refused(401, _("Unknown workspace, disabled intake or wrong token."))
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        raise Refused(400, _("The body is not JSON.")) from None
    leads = leads_of(payload)
    if leads is None:
        raise Refused(
            400, _('Expected {"leads": [...]} or a WEBHOOK.CONVERTED event from RD Station Marketing.')
        )
    if len(leads) > MAX_LEADS:
        raise Refused(413, _("At most {MAX_LEADS} leads per request.", MAX_LEADS=MAX_LEADS))
    now = datetime.now(UTC)
    stored = []
    for lead in leads:
        try:
            async with unit_of_work():
                row = await MarketingConversion.create(
                    workspace_id=workspace_id,
                    provider=PROVIDER,
                    dedupe_key=dedupe_key(lead),
                    payload=lead,
                    received_at=now,
                )
            stored.append(row.id)
        except IntegrityError:
            continue  # already stored: RD Station sent it again
    return stored


def leads_of(payload: Any) -> list[dict[str, Any]] | None:
    """The leads of a webhook body: the `{"leads": [...]}` of RD Station's
    webhooks configured in its screens, or one lead from an event of its
    webhooks API (`event_type` WEBHOOK.CONVERTED or WEBHOOK.MARKED_OPPORTUNITY,
    the contact in `contact`, custom fields as its `cf_*` keys); None when
    it is neither."""
    if not isinstance(payload, dict):
        return None
    leads = payload.get("leads")
    if isinstance(leads, list) and all(isinstance(lead, dict) for lead in leads):
        return leads
    contact = payload.get("contact")
    if payload.get("event_type") in EVENT_TYPES and isinstance(contact, dict):
        custom = {k: v for k, v in contact.items() if k.startswith("cf_")}
        lead = {k: v for k, v in contact.items() if not k.startswith("cf_")}
        conversion = {"created_at": payload.get("event_timestamp"), "content": {}}
        return [
            lead
            | {"conversion_identifier": payload.get("event_identifier"), "last_conversion": conversion}
            | ({"custom_fields": custom} if custom else {})
        ]
    return None


def _conversion(lead: dict[str, Any]) -> dict[str, Any]:
    last = lead.get("last_conversion") or lead.get("first_conversion") or {}
    return last if isinstance(last, dict) else {}


def _content(lead: dict[str, Any]) -> dict[str, Any]:
    content = _conversion(lead).get("content")
    return content if isinstance(content, dict) else {}


def _text(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str | int | float) and not isinstance(value, bool) and str(value).strip():
            return str(value).strip()
    return None


def identifier(lead: dict[str, Any]) -> str | None:
    content = _content(lead)
    return _text(
        lead.get("conversion_identifier"), content.get("conversion_identifier"), content.get("identificador")
    )


def dedupe_key(lead: dict[str, Any]) -> str:
    """(lead, conversion, time): RD Station's lead (uuid, else id, else
    e-mail), the conversion's identifier and when it happened."""
    who = _text(lead.get("uuid"), lead.get("id"), lead.get("email")) or ""
    at = _text(_conversion(lead).get("created_at"), lead.get("last_conversion_date")) or ""
    raw = json.dumps([who, identifier(lead) or "", at], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


# A lead's marketing facts (not the person's): what an erased lead keeps.
MARKETING_KEYS = (
    *UTM_KEYS,
    "traffic_source",
    "traffic_medium",
    "traffic_campaign",
    "traffic_value",
    "conversion_identifier",
    "identificador",
)
ORIGIN_KEYS = ("source", "medium", "campaign", "channel")


def anonymised(lead: Any) -> dict[str, Any]:
    """A stored lead reduced to its marketing facts (the conversion, when,
    source, medium, campaign, UTM), in RD Station's shape so it still
    reads as a conversion; the person (name, e-mail, phones, company, city,
    custom fields, RD Station's ids of them, what they wrote) is gone.
    For the LGPD erasure (resolvers/lgpd/copies.py)."""
    lead = lead if isinstance(lead, dict) else {}

    def kept(value: Any, keys: tuple[str, ...]) -> dict[str, Any]:
        return {k: value[k] for k in keys if k in value} if isinstance(value, dict) else {}

    out: dict[str, Any] = {"erased": True, **kept(lead, ("last_conversion_date", *MARKETING_KEYS))}
    for key in ("first_conversion", "last_conversion"):
        conversion = lead.get(key)
        if isinstance(conversion, dict):
            out[key] = {
                **kept(conversion, ("created_at", "source")),
                "content": kept(conversion.get("content"), MARKETING_KEYS),
                "conversion_origin": kept(conversion.get("conversion_origin"), ORIGIN_KEYS),
            }
    return out


def capture_values(lead: dict[str, Any], intake: MarketingIntake) -> dict[str, Any]:
    """captureLead's input for one RD Station lead."""
    content = _content(lead)
    origin = _conversion(lead).get("conversion_origin")
    origin = origin if isinstance(origin, dict) else {}
    utm = {key: _text(content.get(key), lead.get(key)) for key in UTM_KEYS}
    utm = {key: value for key, value in utm.items() if value}
    conversion = identifier(lead)
    if conversion:
        utm["conversion_identifier"] = conversion
    for key in ("traffic_source", "traffic_medium", "traffic_campaign", "traffic_value"):
        value = _text(content.get(key), lead.get(key))
        if value:
            utm[key] = value
    custom = lead.get("custom_fields")
    values: dict[str, Any] = {
        "name": _text(lead.get("name"), content.get("nome"), lead.get("email")) or "Lead RD Station",
        "email": _text(lead.get("email"), content.get("email_lead")),
        "phone": _text(lead.get("mobile_phone"), lead.get("personal_phone"), content.get("telefone")),
        "source": SOURCE,
        "media": _text(utm.get("utm_medium"), origin.get("medium"), utm.get("traffic_medium")),
        "campaign": _text(utm.get("utm_campaign"), origin.get("campaign"), conversion),
        "utm": utm,
        "landing_page": _text(lead.get("public_url")),
        "message": _text(content.get("mensagem"), content.get("message")),
        "custom_fields": custom if isinstance(custom, dict) and custom else None,
    }
    if intake.queue_id is not None:
        values["queue_id"] = encode_id("Queue", intake.queue_id)
    if intake.pipeline_id is not None:
        values["pipeline_id"] = encode_id("Pipeline", intake.pipeline_id)
    return {key: value for key, value in values.items() if value is not None}


async def process(settings: Settings, row_id: int) -> None:
    """Capture one stored conversion, once: the capture and the row's
    `processed_at` commit together. A lead that cannot be captured (no
    e-mail nor phone, ...) is marked with why and not tried again."""
    async with unit_of_work():
        row = await MarketingConversion.filter(id=row_id, processed_at=None).select_for_update().first()
        if row is None:
            return
        intake = await MarketingIntake.get(workspace_id=row.workspace_id, provider=row.provider)
        actor = Actor.system(row.workspace_id, ACTOR_LABEL)
        row.attempts += 1
        try:
            await capture(
                settings, actor, row.workspace_id, capture_values(row.payload, intake), field=["lead"]
            )
        except DomainError as error:
            row.error = "; ".join(f"{'.'.join(p.field or [])}: {p.message}" for p in error.problems)[:4000]
        row.processed_at = datetime.now(UTC)
        await row.save(update_fields=["attempts", "error", "processed_at"])


async def unprocessed(older_than: timedelta = STALE, limit: int = 500) -> list[int]:
    """Conversions stored but not captured (a lost task, a dead process)."""
    cutoff = datetime.now(UTC) - older_than
    return list(
        await MarketingConversion.filter(Q(received_at__lte=cutoff), processed_at=None)
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )
