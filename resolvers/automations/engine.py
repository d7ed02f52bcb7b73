"""The engine: from a committed event to runs, and a run step by step.

- `evaluate_event`: for each enabled rule of the event's kind, whose trigger
  details and conditions hold, create one run — insert-or-ignore on UNIQUE
  (rule_id, event_id), so a twice-delivered event runs once. The run's
  `automation.run_started` event, committed with it, is what sends the run
  message (through the outbox: a Redis outage delays it, loses nothing).
- `execute_run`: each step locks the run row, performs one action and
  advances `next_step` in the same transaction (with its timeline event), so
  a worker killed mid-run redoes at most the uncommitted step.
- Loop protection: events recorded by a run carry `data.automation`; a rule
  never runs on events its own runs caused, and a chain deeper than
  MAX_DEPTH is SKIPPED with its reason.
- Waits: the row is the timer (status WAITING, wake_at); the due-time scan
  resumes due runs. Nothing sleeps in memory, so a restart loses no wait."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery

from revgraph.models.automation import AutomationEvaluation, AutomationRule, AutomationRun, OverdueTaskMark
from revgraph.models.crm import Task
from revgraph.models.events import Event
from revgraph.resolvers.automations.actions import perform
from revgraph.resolvers.automations.definitions import EVENT_KINDS, fired_triggers, source_kinds
from revgraph.resolvers.automations.not_applicable import NotApplicable
from revgraph.resolvers.automations.subjects import (
    Subject,
    conditions_hold,
    contact_matches,
    contacted_since,
    load_subject,
    trigger_matches,
)
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.errors import DomainError
from revgraph.resolvers.events import caused_by_automation, record_event, unit_of_work, workspace_locale
from revgraph.resolvers.i18n import N_, Message, _, nN_, set_language
from revgraph.resolvers.ids import encode_id
from revgraph.resolvers.settings import Settings

log = logging.getLogger(__name__)

MAX_DEPTH = 5
FINISHED = ("SUCCEEDED", "FAILED", "SKIPPED", "EXITED")
# Events whose commit must (re)send a run message; data.runId names it.
RUN_SENDING_KINDS = ("automation.run_started", "automation.retried", "automation.resumed")


def rule_label(rule: AutomationRule) -> str:
    """The rule as the actor of what it did (in the language of the moment:
    the workspace's, where runs execute)."""
    return str(_rule_named(rule))


def _rule_named(rule: AutomationRule) -> Message:
    return N_("Automation '{name}'", name=rule.name)


def _subject_ids(run: AutomationRun | None, subject: Subject) -> dict[str, int | None]:
    return {
        "contact_id": subject.contact.id if subject.contact else (run.contact_id if run else None),
        "deal_id": subject.deal.id if subject.deal else (run.deal_id if run else None),
        "conversation_id": subject.conversation.id
        if subject.conversation
        else (run.conversation_id if run else None),
    }


async def run_subject(run: AutomationRun) -> Subject:
    """The run's subject as it is now."""
    return await load_subject(run.contact_id, run.deal_id, run.conversation_id)


async def _audit(
    rule: AutomationRule, run: AutomationRun, kind: str, text: str | Message, subject: Subject, **data: Any
) -> None:
    """One line on the subject's timeline, with the rule as actor."""
    await record_event(
        None,
        rule.workspace_id,
        kind,
        N_("{rule}: {text}", rule=_rule_named(rule), text=text),
        data={"ruleId": rule.id, "runId": run.id, **data},
        actor_label=rule_label(rule),
        **_subject_ids(run, subject),
    )


async def evaluate_event(event_id: int) -> int:
    """Create the runs an event calls for; returns how many were created."""
    event = await Event.filter(id=event_id).first()
    if event is None or event.kind not in EVENT_KINDS:
        return 0
    # What runs record (reasons, errors) is read in the workspace's language.
    set_language(await workspace_locale(event.workspace_id))
    # (An event that fires no trigger, e.g. an outbound message, is still
    # marked evaluated below, so the scan does not send it again.)
    fired = fired_triggers(event.kind, event.data)
    rules = (
        await AutomationRule.filter(
            workspace_id=event.workspace_id, trigger_kind__in=fired, enabled=True, deleted_at=None
        ).order_by("id")
        if fired
        else []
    )
    cause = (event.data or {}).get("automation") or {}
    depth = int(cause.get("depth") or 0) + 1
    created = 0
    subject: Subject | None = None
    for rule in rules:
        if cause.get("ruleId") == rule.id or rule.created_at > event.at:
            continue  # never on its own effects; never on events older than the rule
        if not trigger_matches(rule, event):
            continue
        subject = subject or await load_subject(event.contact_id, event.deal_id, event.conversation_id)
        if depth > MAX_DEPTH:
            reason = _("chain depth limit: {limit} automations already led to this event", limit=MAX_DEPTH)
            created += await _create_run(rule, event, subject, depth, "SKIPPED", reason)
            continue
        try:
            holds = conditions_hold(rule, subject)
        except (ValueError, TypeError) as exc:
            # Conditions the filter language cannot read fail the same way
            # on every delivery: raising would retry this event until its
            # messages ran out, and the rules after this one would never get
            # their runs. Skip this rule, visibly, and go on.
            log.warning("rule %s: conditions cannot be evaluated on event %s: %s", rule.id, event.id, exc)
            reason = _("its conditions cannot be evaluated ({error}); fix the rule's conditions", error=exc)
            created += await _create_run(rule, event, subject, depth, "SKIPPED", reason)
            continue
        if holds:
            created += await _create_run(rule, event, subject, depth, "PENDING", None)
    try:
        await AutomationEvaluation.create(event_id=event.id)
    except IntegrityError:
        pass  # evaluated before: a redelivery
    return created


# How far back (in events) and how late (after its time) the scan looks for
# events whose evaluation never happened.
EVALUATION_WINDOW = 200_000
EVALUATION_GRACE = timedelta(minutes=1)


async def unevaluated_events(now: datetime | None = None, *, limit: int = 500) -> list[int]:
    """Recent dispatched events a rule listens to that were never evaluated,
    older than EVALUATION_GRACE: their evaluate message was lost. One range
    scan of the newest EVALUATION_WINDOW events, without those evaluated."""
    now = now or datetime.now(UTC)
    since: dict[tuple[int, str], datetime] = {}
    for rule in await AutomationRule.filter(enabled=True, deleted_at=None).values(
        "workspace_id", "trigger_kind", "created_at"
    ):
        for kind in source_kinds(rule["trigger_kind"]):
            key = (rule["workspace_id"], kind)
            since[key] = min(since.get(key, rule["created_at"]), rule["created_at"])
    if not since:
        return []
    newest = await Event.all().order_by("-id").limit(1).values_list("id", flat=True)
    floor = (newest[0] if newest else 0) - EVALUATION_WINDOW
    evaluated = AutomationEvaluation.filter(event_id__gt=floor).values("event_id")
    rows = (
        await Event.filter(
            id__gt=floor,
            dispatched=True,
            at__lt=now - EVALUATION_GRACE,
            kind__in=sorted({kind for _, kind in since}),
        )
        .exclude(id__in=Subquery(evaluated))
        .order_by("id")
        .limit(limit * 4)
        .values("id", "workspace_id", "kind", "at")
    )
    lost = [
        row["id"]
        for row in rows
        if (row["workspace_id"], row["kind"]) in since
        and since[(row["workspace_id"], row["kind"])] <= row["at"]
    ]
    return lost[:limit]


async def _create_run(
    rule: AutomationRule, event: Event, subject: Subject, depth: int, status: str, reason: str | None
) -> int:
    try:
        async with unit_of_work():
            run = await AutomationRun.create(
                workspace_id=rule.workspace_id,
                rule_id=rule.id,
                event_id=event.id,
                event_kind=event.kind,
                contact_id=subject.contact.id if subject.contact else event.contact_id,
                deal_id=subject.deal.id if subject.deal else event.deal_id,
                conversation_id=event.conversation_id,
                status=status,
                depth=depth,
                reason=reason,
                finished_at=datetime.now(UTC) if status in FINISHED else None,
            )
            if status == "SKIPPED":
                await _audit(
                    rule, run, "automation.skipped", N_("skipped ({reason})", reason=reason), subject
                )
            else:
                await _audit(
                    rule,
                    run,
                    "automation.run_started",
                    N_("started on {kind}", kind=event.kind),
                    subject,
                )
    except IntegrityError:
        return 0  # this (rule, event) already has its run: a redelivery
    return 1


async def execute_run(settings: Settings, run_id: int) -> None:
    """Perform the run's remaining steps, one committed step at a time.
    Raises when a failed step should be retried (the caller's backoff)."""
    while True:
        try:
            more = await _step(settings, run_id)
        except NotApplicable as lacking:
            await _skip(run_id, lacking.reason)
            return
        except Exception as error:
            if await _record_failure(settings, run_id, error):
                raise
            return
        if not more:
            return


async def _step(settings: Settings, run_id: int) -> bool:
    """One step in one transaction; returns whether another step follows now."""
    async with unit_of_work():
        run = await AutomationRun.filter(id=run_id).select_for_update().first()
        if run is None or run.status not in ("PENDING", "RUNNING"):
            return False
        rule = await AutomationRule.get(id=run.rule_id)
        set_language(await workspace_locale(rule.workspace_id))
        subject = await run_subject(run)
        now = datetime.now(UTC)
        if rule.deleted_at is not None or not rule.enabled:
            why = _("rule deleted") if rule.deleted_at is not None else _("rule disabled")
            await _finish(run, "SKIPPED", reason=why)
            await _audit(rule, run, "automation.skipped", N_("stopped ({why})", why=why), subject)
            return False
        actions = rule.actions or []
        if run.next_step >= len(actions):
            await _finish(run, "SUCCEEDED")
            return False
        action = actions[run.next_step]
        wait = action.get("waitMinutes")
        if wait and run.waited_step != run.next_step:
            run.status, run.waited_step = "WAITING", run.next_step
            run.wake_at = now + timedelta(minutes=wait)
            await run.save(update_fields=["status", "waited_step", "wake_at", "updated_at"])
            await _audit(
                rule,
                run,
                "automation.waiting",
                nN_(
                    "waiting {count} minute before step {step}",
                    "waiting {count} minutes before step {step}",
                    wait,
                    step=run.next_step + 1,
                ),
                subject,
            )
            return False
        exit_reason = await _exit_reason(action.get("exit"), run, subject)
        if exit_reason is not None:
            await _finish(run, "EXITED", reason=exit_reason)
            await _audit(
                rule, run, "automation.exited", N_("stopped: {exit_reason}", exit_reason=exit_reason), subject
            )
            return False
        ctx = Context(settings=settings, actor=Actor.system(rule.workspace_id, rule_label(rule)))
        with caused_by_automation(rule.id, run.id, run.depth):
            done = await perform(ctx, rule, run, action, subject)
        run.next_step += 1
        last = run.next_step >= len(actions)
        if last:
            await _finish(run, "SUCCEEDED")
        else:
            run.status = "RUNNING"
            await run.save(update_fields=["status", "next_step", "updated_at"])
        await _audit(rule, run, "automation.action", done, subject, step=run.next_step)
        return not last


async def _finish(run: AutomationRun, status: str, *, reason: str | None = None) -> None:
    run.status = status
    run.finished_at = datetime.now(UTC)
    if reason is not None:
        run.reason = reason
    await run.save(update_fields=["status", "finished_at", "reason", "next_step", "updated_at"])


async def _exit_reason(
    exit_condition: dict[str, Any] | None, run: AutomationRun, subject: Subject
) -> str | None:
    if not exit_condition:
        return None
    if exit_condition.get("unlessContacted") and await contacted_since(subject, run.event_id):
        return _("the lead was already contacted")
    condition = exit_condition.get("unlessMatches")
    if condition and subject.contact is not None and contact_matches(condition, subject):
        return _("the contact matches the exit condition")
    return None


async def _skip(run_id: int, reason: str) -> None:
    """The step's action cannot apply (NotApplicable): the run ends SKIPPED
    with the reason, at once, without retries."""
    async with unit_of_work():
        run = await AutomationRun.filter(id=run_id).select_for_update().first()
        if run is None or run.status in FINISHED:
            return
        reason = _("step {number}: {reason}", number=run.next_step + 1, reason=reason)
        await _finish(run, "SKIPPED", reason=reason)
        rule = await AutomationRule.get(id=run.rule_id)
        await _audit(
            rule, run, "automation.skipped", N_("skipped ({why})", why=reason), await run_subject(run)
        )


def _error_text(error: BaseException) -> str:
    if isinstance(error, DomainError):
        return " ".join(p.message for p in error.problems)
    text = str(error) or type(error).__name__
    return text[:2000]


async def _record_failure(settings: Settings, run_id: int, error: BaseException) -> bool:
    """Count a failed attempt; at the limit the run is FAILED (and says so on
    the timeline). Returns whether to retry."""
    text = _error_text(error)
    log.warning("automation run %s failed: %s", run_id, text)
    async with unit_of_work():
        run = await AutomationRun.filter(id=run_id).select_for_update().first()
        if run is None or run.status in FINISHED:
            return False
        run.attempts += 1
        run.error = text
        if run.attempts < settings.automation_max_attempts:
            await run.save(update_fields=["attempts", "error", "updated_at"])
            return True
        rule = await AutomationRule.get(id=run.rule_id)
        run.status, run.finished_at = "FAILED", datetime.now(UTC)
        await run.save(update_fields=["attempts", "error", "status", "finished_at", "updated_at"])
        subject = await run_subject(run)
        await _audit(
            rule,
            run,
            "automation.failed",
            nN_(
                "failed after {count} attempt: {text}",
                "failed after {count} attempts: {text}",
                run.attempts,
                text=text,
            ),
            subject,
        )
    return False


async def wake_due_runs(now: datetime | None = None, *, limit: int = 500) -> int:
    """Resume WAITING runs whose wake time passed (the due-time scan). The
    conditional update makes concurrent scans resume each run once."""
    now = now or datetime.now(UTC)
    due = await AutomationRun.filter(status="WAITING", wake_at__lte=now).order_by("wake_at").limit(limit)
    woken = 0
    for run in due:
        async with unit_of_work():
            changed = await AutomationRun.filter(id=run.id, status="WAITING").update(
                status="PENDING", updated_at=now
            )
            if not changed:
                continue
            rule = await AutomationRule.get(id=run.rule_id)
            subject = await run_subject(run)
            await _audit(rule, run, "automation.resumed", N_("wait over, resuming"), subject)
        woken += 1
    return woken


async def stale_runs(older_than: timedelta = timedelta(minutes=10), *, limit: int = 500) -> list[int]:
    """PENDING/RUNNING runs without progress for a while: their message was
    lost (a crash between commit and send); sending them again is safe."""
    cutoff = datetime.now(UTC) - older_than
    return list(
        await AutomationRun.filter(status__in=("PENDING", "RUNNING"), updated_at__lt=cutoff)
        .order_by("id")
        .limit(limit)
        .values_list("id", flat=True)
    )


async def emit_overdue_tasks(now: datetime | None = None, *, limit: int = 500) -> int:
    """Record `task.overdue` once per open task whose due time passed, in
    workspaces with a rule listening for it (tasks due before the oldest
    such rule existed are not announced). UNIQUE task_id on the mark makes
    concurrent scans emit it once."""
    now = now or datetime.now(UTC)
    listening: dict[int, datetime] = {}
    for rule in await AutomationRule.filter(trigger_kind="task.overdue", enabled=True, deleted_at=None):
        since = listening.get(rule.workspace_id)
        listening[rule.workspace_id] = min(since, rule.created_at) if since else rule.created_at
    emitted = 0
    for workspace_id, since in listening.items():
        tasks = (
            await Task.filter(workspace_id=workspace_id, done=False, due_at__lte=now, due_at__gte=since)
            .exclude(id__in=Subquery(OverdueTaskMark.all().values("task_id")))
            .order_by("due_at")
            .limit(limit)
        )
        for task in tasks:
            try:
                async with unit_of_work():
                    await OverdueTaskMark.create(task_id=task.id)
                    await record_event(
                        None,
                        workspace_id,
                        "task.overdue",
                        N_("Task {task} is overdue", task=task.title),
                        data={
                            "taskId": encode_id("Task", task.id),
                            "title": task.title,
                            "dueAt": task.due_at.isoformat() if task.due_at else None,
                            "assigneeId": task.assignee_id,
                        },
                        contact_id=task.contact_id,
                        deal_id=task.deal_id,
                        actor_label="system",
                    )
            except IntegrityError:
                continue  # another scan announced it
            emitted += 1
    return emitted
