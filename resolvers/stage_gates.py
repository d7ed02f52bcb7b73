"""Stage gates: the one function that decides whether a deal may be in a
stage. Every path that sets a stage (createDeal, moveDeal, updateDeal,
imports, automations) calls `check_stage_entry`."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from tortoise.expressions import Q

from revgraph.models.crm import Task
from revgraph.models.pipeline import Deal, Stage
from revgraph.resolvers.errors import DomainError, Problem
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import encode_id

# Deal fields a stage may require: contract name -> (column, input field).
REQUIRABLE = {
    "title": ("title", "title"),
    "value": ("value", "value"),
    "currency": ("currency", "currency"),
    "expectedCloseDate": ("expected_close_date", "expectedCloseDate"),
    "company": ("company_id", "companyId"),
    "contact": ("contact_id", "contactId"),
    "owner": ("owner_id", "ownerId"),
    "development": ("development_id", "developmentId"),
}
CUSTOM_PREFIX = "customFields."

# The deal fields a stage may require, as people read them.
GATE_FIELDS = {
    "title": N_("title"),
    "value": N_("value"),
    "currency": N_("currency"),
    "expectedCloseDate": N_("expected close date"),
    "company": N_("company"),
    "contact": N_("contact"),
    "owner": N_("owner"),
    "development": N_("development"),
}


def validate_required_fields(names: list[str], field: list[str]) -> list[str]:
    """Stage configuration: each name is a requirable Deal field or customFields.<key>."""
    cleaned: list[str] = []
    for index, name in enumerate(names):
        name = (name or "").strip()
        if name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX):
            cleaned.append(name)
        elif name in REQUIRABLE:
            cleaned.append(name)
        else:
            allowed = ", ".join(sorted(REQUIRABLE))
            raise DomainError(
                "INVALID",
                _(
                    "Unknown deal field {name!r}: use one of {allowed} or customFields.<key>.",
                    name=name,
                    allowed=allowed,
                ),
                [*field, str(index)],
            )
    return list(dict.fromkeys(cleaned))


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def missing_fields(deal: Deal, stage: Stage, field_prefix: list[str]) -> list[Problem]:
    problems = []
    for name in stage.required_fields or []:
        if name.startswith(CUSTOM_PREFIX):
            key = name[len(CUSTOM_PREFIX) :]
            if _missing((deal.custom_fields or {}).get(key)):
                problems.append(
                    Problem(
                        "REQUIRED_FIELD_MISSING",
                        _("The stage {stage} requires the custom field {key!r}.", stage=stage.name, key=key),
                        [*field_prefix, "customFields", key],
                        "stage.required_field",
                    )
                )
            continue
        column, input_name = REQUIRABLE[name]
        if _missing(getattr(deal, column)):
            problems.append(
                Problem(
                    "REQUIRED_FIELD_MISSING",
                    _(
                        "The stage {stage} requires {name}.",
                        stage=stage.name,
                        name=GATE_FIELDS.get(name, name),
                    ),
                    [*field_prefix, input_name],
                    "stage.required_field",
                )
            )
    return problems


def filter_values(deal: Deal) -> dict[str, Any]:
    """The deal as the DealFilter language sees it (ids are global ids)."""
    return {
        "title": deal.title,
        "pipelineId": encode_id("Pipeline", deal.pipeline_id),
        "stageId": encode_id("Stage", deal.stage_id),
        "ownerId": encode_id("User", deal.owner_id) if deal.owner_id else None,
        "contactId": encode_id("Contact", deal.contact_id) if deal.contact_id else None,
        "developmentId": encode_id("Development", deal.development_id) if deal.development_id else None,
        "status": deal.status,
        "value": Decimal(deal.value) if deal.value is not None else None,
        "createdAt": deal.created_at or datetime.now(UTC),
        "deleted": deal.deleted_at is not None,
        "customField": dict(deal.custom_fields or {}),
    }


async def has_scheduled_task(deal: Deal, now: datetime) -> bool:
    subject = Q(deal_id=deal.id) if deal.id else Q(id=-1)
    if deal.contact_id:
        subject |= Q(contact_id=deal.contact_id)
    return await Task.filter(subject, workspace_id=deal.workspace_id, done=False, due_at__gt=now).exists()


async def check_stage_entry(
    deal: Deal,
    stage: Stage,
    *,
    lost_reason: str | None,
    field_prefix: list[str],
    stage_field: list[str],
    now: datetime | None = None,
) -> None:
    """Refuse (DomainError listing every problem) unless `deal`, as it would
    be after the change, satisfies the stage's required fields, its entry
    condition and its scheduled-task rule; a LOST stage needs a reason."""
    now = now or datetime.now(UTC)
    problems = missing_fields(deal, stage, field_prefix)
    if stage.kind == "LOST" and _missing(lost_reason or deal.lost_reason):
        problems.append(
            Problem(
                "REQUIRED_FIELD_MISSING",
                _("Say why the deal was lost to move it to {stage}.", stage=stage.name),
                ["input", "lostReason"],
                "stage.lost_reason",
            )
        )
    if stage.entry_condition and not await _matches(
        deal.workspace_id, stage.entry_condition, filter_values(deal)
    ):
        problems.append(
            Problem(
                "RULE_VIOLATION",
                _("The deal does not meet the entry condition of {stage}.", stage=stage.name),
                stage_field,
                "stage.entry_condition",
            )
        )
    if stage.requires_scheduled_task and not await has_scheduled_task(deal, now):
        problems.append(
            Problem(
                "RULE_VIOLATION",
                _(
                    "{stage} requires a scheduled task: create an open task with a future due date on the deal or its contact.",
                    stage=stage.name,
                ),
                stage_field,
                "stage.requires_scheduled_task",
            )
        )
    if problems:
        raise DomainError.many(problems)


async def _matches(workspace_id: int, condition: dict[str, Any], values: dict[str, Any]) -> bool:
    from revgraph.resolvers.filtering import matches
    from revgraph.resolvers.pipelines import deal_filter_fields

    return matches(condition, values, await deal_filter_fields(workspace_id, condition))


def check_still_satisfied(deal: Deal, stage: Stage, field_prefix: list[str]) -> None:
    """updateDeal may not empty a field the deal's current stage requires."""
    problems = missing_fields(deal, stage, field_prefix)
    if problems:
        raise DomainError.many(problems)
