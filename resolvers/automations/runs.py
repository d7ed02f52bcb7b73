"""Reading runs (ADMIN) and retrying a FAILED one."""

from __future__ import annotations

from revgraph.models.automation import AutomationRule, AutomationRun
from revgraph.resolvers.automations.engine import rule_label, run_subject
from revgraph.resolvers.context import Context
from revgraph.resolvers.errors import DomainError, NotFound
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.i18n import N_, _
from revgraph.resolvers.ids import pk_of
from revgraph.resolvers.pagination import Page, SortKey, paginate_for

RUN_STATUSES = ("PENDING", "RUNNING", "WAITING", "SUCCEEDED", "FAILED", "SKIPPED", "EXITED")
RUN_ORDER = [SortKey("id", descending=True, kind="int")]


async def list_runs(
    ctx: Context,
    *,
    rule_id: str | None,
    status: str | None,
    first: int | None,
    after: str | None,
    with_total: bool = False,
) -> Page:
    """Runs of the workspace, newest first, optionally of one rule and/or status."""
    actor = ctx.require_admin()
    query = AutomationRun.filter(workspace_id=actor.workspace_id)
    if rule_id is not None:
        query = query.filter(rule_id=pk_of(rule_id, "AutomationRule") or 0)
    if status is not None:
        query = query.filter(status=status)
    return await paginate_for(
        ctx,
        query,
        RUN_ORDER,
        first=first,
        after=after,
        with_total=with_total,
    )


async def get_run(ctx: Context, pk: int) -> AutomationRun | None:
    """A run of the caller's workspace; none for non-admins (node lookups)."""
    actor = ctx.require_actor()
    if not actor.is_admin:
        return None
    return await AutomationRun.filter(id=pk, workspace_id=actor.workspace_id).first()


async def retry_run(ctx: Context, raw_id: str) -> AutomationRun:
    """Run a FAILED run again from the step that failed, with fresh attempts.
    Its `automation.retried` event, once committed, sends the run."""
    actor = ctx.require_admin()
    async with unit_of_work():
        run = (
            await AutomationRun.filter(
                id=pk_of(raw_id, "AutomationRun") or 0, workspace_id=actor.workspace_id
            )
            .select_for_update()
            .first()
        )
        if run is None:
            raise NotFound(_("Automation run"), ["id"])
        if run.status != "FAILED":
            raise DomainError(
                "RULE_VIOLATION",
                _("Only FAILED runs can be retried; this one is {run_status}.", run_status=run.status),
                ["id"],
            )
        run.status, run.attempts, run.finished_at = "PENDING", 0, None
        await run.save(update_fields=["status", "attempts", "finished_at", "updated_at"])
        rule = await AutomationRule.get(id=run.rule_id)
        subject = await run_subject(run)
        await record_event(
            actor,
            actor.workspace_id,
            "automation.retried",
            N_(
                "{rule_label}: retried by hand (last error: {run_error})",
                rule_label=rule_label(rule),
                run_error=run.error,
            ),
            data={"ruleId": rule.id, "runId": run.id},
            contact_id=subject.contact.id if subject.contact else run.contact_id,
            deal_id=subject.deal.id if subject.deal else run.deal_id,
            conversation_id=run.conversation_id,
        )
    return run
