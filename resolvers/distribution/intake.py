"""The authenticated lead intake for marketing tools (POST /api/leads):
one lead per request, in captureLead's camelCase shape, with Stripe's
idempotency keys so a tool that retries a webhook never captures twice."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError

from revgraph.models.events import IdempotencyKey
from revgraph.resolvers.context import Actor
from revgraph.resolvers.distribution.capture import Captured, as_seen_by, capture
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import _
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.settings import Settings

OPERATION = "intake.lead"
# JSON name -> the key `capture` reads.
INTAKE_FIELDS = {
    "name": "name",
    "email": "email",
    "phone": "phone",
    "source": "source",
    "media": "media",
    "campaign": "campaign",
    "utm": "utm",
    "message": "message",
    "queueId": "queue_id",
    "pipelineId": "pipeline_id",
    "developmentId": "development_id",
    "customFields": "custom_fields",
    "landingPage": "landing_page",
}
TEXT_FIELDS = (
    "name",
    "email",
    "phone",
    "source",
    "media",
    "campaign",
    "message",
    "queueId",
    "pipelineId",
    "developmentId",
    "landingPage",
)
DEFAULT_SOURCE = "api"
MAX_KEY_LENGTH = 255
# A concurrent request with the same key waits this long for the first
# one's answer before being told to retry.
WAIT_FOR_FIRST_SECONDS = 5.0
# A key claimed but never answered this long ago belonged to a process that
# died mid-capture; the next request with it takes over.
ABANDONED_AFTER = timedelta(minutes=5)


class IdempotencyConflict(Exception):
    """The key was used with another body, or its first request is still running."""


@dataclass
class Intake:
    """The answer body, and whether it is the stored answer of an earlier request."""

    body: dict[str, Any]
    replayed: bool


def intake_values(body: dict[str, Any]) -> dict[str, Any]:
    """The capture input of an intake body; unknown names are refused, so a
    misspelt field shows up at once instead of being silently dropped."""
    problems = [
        Problem(
            "INVALID",
            _("Unknown field {name!r}: use {items}.", name=name, items=", ".join(INTAKE_FIELDS)),
            [str(name)],
        )
        for name in body
        if name not in INTAKE_FIELDS
    ]
    problems += [
        Problem("INVALID", _("Send a string here."), [name])
        for name in TEXT_FIELDS
        if body.get(name) is not None and not isinstance(body[name], str)
    ]
    if problems:
        raise DomainError.many(problems)
    values = {INTAKE_FIELDS[name]: value for name, value in body.items() if value is not None}
    values.setdefault("source", DEFAULT_SOURCE)
    return values


def request_hash(body: dict[str, Any]) -> str:
    """The body's meaning, not its bytes: key order and spacing do not count."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _answer(captured: Captured) -> dict[str, Any]:
    return {
        "ok": True,
        "contactId": encode_id("Contact", captured.contact.id) if captured.contact else None,
        "created": captured.created,
        "dealId": encode_id("Deal", captured.deal.id) if captured.deal else None,
        "assignmentId": encode_id("Assignment", captured.assignment.id) if captured.assignment else None,
    }


async def intake_lead(
    settings: Settings, actor: Actor, body: dict[str, Any], idempotency_key: str | None
) -> Intake:
    """A marketing tool reports one lead for the actor's workspace. With an
    Idempotency-Key, the same key and body answer the first result again
    and capture nothing more; the same key with another body is a conflict."""
    values = intake_values(body)

    async def run() -> dict[str, Any]:
        captured = await capture(settings, actor, actor.workspace_id, values, field=[])
        return _answer(await as_seen_by(actor, captured))

    if idempotency_key is None:
        return Intake(await run(), replayed=False)
    key = idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise DomainError(
            "INVALID",
            _("Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", MAX_KEY_LENGTH=MAX_KEY_LENGTH),
            ["Idempotency-Key"],
        )
    digest = request_hash(body)
    while True:
        row, claimed = await _claim(actor.workspace_id, key, digest)
        if claimed:
            break
        first = await _first_answer(row, digest)
        if first is not None:
            return Intake(first, replayed=True)
        # The first request failed and freed the key: this one takes it.
    try:
        answer = await run()
    except BaseException:
        # Nothing was captured (capture is one transaction): free the key
        # so the client can retry it, corrected or as is.
        await IdempotencyKey.filter(id=row.id).delete()
        raise
    await IdempotencyKey.filter(id=row.id).update(result=answer)
    return Intake(answer, replayed=False)


async def _claim(workspace_id: int, key: str, digest: str) -> tuple[IdempotencyKey, bool]:
    """Insert the key (the unique index decides between concurrent
    requests), or find the row that another request inserted."""
    scope = {"workspace_id": workspace_id, "operation": OPERATION, "key": key}
    while True:
        row = await IdempotencyKey.filter(**scope).first()
        if row is not None and row.result is None and datetime.now(UTC) - row.created_at > ABANDONED_AFTER:
            await IdempotencyKey.filter(id=row.id, result=None).delete()
            continue
        if row is not None:
            return row, False
        try:
            return await IdempotencyKey.create(**scope, request_hash=digest, result=None), True
        except IntegrityError:
            continue


async def _first_answer(row: IdempotencyKey, digest: str) -> dict[str, Any] | None:
    """The stored answer of the key's first request, waiting briefly while
    it runs; None when that request failed and freed the key."""
    if row.request_hash != digest:
        raise IdempotencyConflict(
            _("This Idempotency-Key was already used with a different body: use a new key for a new lead.")
        )
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_FOR_FIRST_SECONDS
    while row.result is None:
        if loop.time() > deadline:
            raise IdempotencyConflict(
                _("A request with this Idempotency-Key is still running: retry shortly.")
            )
        await asyncio.sleep(0.05)
        found = await IdempotencyKey.filter(id=row.id).first()
        if found is None:
            return None
        row = found
    return row.result
