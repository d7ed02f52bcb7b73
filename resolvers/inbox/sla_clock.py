"""A conversation's SLA, computed purely from its facts (the product's rules).

- Clocks start at the contact's first inbound message. With
  business_hours_only they count only the inbox's business time (an inbox
  without business hours counts wall-clock time).
- A *wait* is the contact waiting for a human reply (bot and automation
  messages are not facts). It opens at an inbound message when none is open
  and ends at the next human reply, or when the conversation is resolved.
  The first wait is held to first_response_minutes, every later one to
  next_response_minutes, each from the inbound message that opened it. A
  reply at or before the deadline meets it; a later one breaches it.
  Resolving ends an open wait: before its deadline that is no breach
  (nothing is owed any more), after it, it is.
- Response clocks keep running while the conversation is snoozed: a snoozed
  question still waits. Their warnings and breaches fall due as usual; only
  the reported state says PAUSED.
- Resolution: one clock per conversation from the first inbound, running
  only while the conversation is open, not snoozed, and the last word is the
  contact's (a reply pauses it until the next inbound). Its deadline is the
  instant its running time reaches resolution_minutes; a resolve at or
  before it meets it. A reopen resumes the same clock with the time already
  used: a reopened conversation gets no fresh budget. While the clock is
  paused its deadline is unknown (None).
- An inbound wakes a snoozed conversation and reopens a resolved one; a
  resolve ends a snooze. Facts are taken in order of `at` (stably).
- state(now), for `now` at or after the last fact: PAUSED while snoozed; else
  BREACHED if a target was ever missed or a running deadline is at or
  before now; else MET once resolved with nothing missed; else WARNING when
  a running deadline is within warn_before_minutes; else ON_TRACK.
- Transitions ("warning", "breached") happen at most once per wait, keyed
  (target, index, kind): index 0 for the first response, the n-th later wait
  (from 0) for next_response, and for resolution the run of its clock (0,
  then 1 after the first reopen, ...): a reopened conversation may be warned
  again, but its resolution is breached at most once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from revgraph.resolvers.inbox.business_hours import BusinessCalendar, add_business_time, business_time_between

FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"
WARNING, BREACHED = "warning", "breached"
FACT_KINDS = frozenset({"inbound", "reply", "snooze", "wake", "resolve", "reopen"})


@dataclass(frozen=True)
class SlaTargets:
    """A policy's targets in minutes (None: no target)."""

    first_response_minutes: int | None = None
    next_response_minutes: int | None = None
    resolution_minutes: int | None = None
    business_hours_only: bool = False
    warn_before_minutes: int = 15


@dataclass(frozen=True)
class SlaFact:
    """Something that happened to the conversation; one of FACT_KINDS."""

    at: datetime
    kind: str

    def __post_init__(self) -> None:
        if self.kind not in FACT_KINDS:
            raise ValueError(f"unknown SLA fact {self.kind!r}")
        if self.at.utcoffset() is None:
            raise ValueError("an SLA fact happens at an aware instant")


@dataclass(frozen=True)
class SlaTransition:
    """A clock's warning or breach, with the instant it falls due."""

    target: str
    index: int
    kind: str
    at: datetime

    @property
    def key(self) -> tuple[str, int, str]:
        """Stable across recomputations: record the event once per key."""
        return (self.target, self.index, self.kind)


@dataclass(frozen=True)
class SlaComputation:
    """Deadlines are those of running clocks (None when not running, met or
    unknown); `breached` counts what the facts closed late, state(now) adds
    running deadlines that have passed."""

    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_met_at: datetime | None  # the first reply, on time or not
    first_response_breached: bool
    next_response_breached: bool
    resolution_met_at: datetime | None  # the resolve, on time or not
    resolution_breached: bool
    snoozed: bool
    resolved: bool
    warn_before: timedelta
    transitions: tuple[SlaTransition, ...]  # past and, if no fact comes, future ones

    @property
    def breached(self) -> bool:
        return self.first_response_breached or self.next_response_breached or self.resolution_breached

    @property
    def met(self) -> bool:
        return self.resolved and not self.breached

    def running_deadlines(self) -> list[datetime]:
        """The deadlines of the clocks running now (a resolution deadline that
        passed stays here until the conversation is resolved)."""
        dues = (self.first_response_due_at, self.next_response_due_at, self.resolution_due_at)
        return [due for due in dues if due is not None]

    def state(self, now: datetime) -> str:
        running = self.running_deadlines()
        if self.snoozed:
            return "PAUSED"
        if self.breached or any(due <= now for due in running):
            return "BREACHED"
        if self.met:
            return "MET"
        if self.warn_before and any(due - self.warn_before <= now for due in running):
            return "WARNING"
        return "ON_TRACK"

    def transitions_by(self, now: datetime) -> list[SlaTransition]:
        """The warnings and breaches that have happened by `now`."""
        return [transition for transition in self.transitions if transition.at <= now]

    def next_check_at(self, now: datetime) -> datetime | None:
        """The next instant a warning or breach falls due with no new fact,
        i.e. when a timer should look again; None if none is pending."""
        return min((t.at for t in self.transitions if t.at > now), default=None)


def compute_sla(
    targets: SlaTargets, calendar: BusinessCalendar | None, facts: Iterable[SlaFact]
) -> SlaComputation:
    """The SLA of a conversation from its facts under the module's rules."""
    replay = _Replay(targets, calendar if targets.business_hours_only else None)
    for fact in sorted(facts, key=lambda fact: fact.at):
        replay.apply(fact)
    return replay.result()


def _minutes(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(minutes=value)


def _wait_transitions(
    target: str, index: int, start: datetime, due: datetime | None, end: datetime | None, warn: timedelta
) -> list[SlaTransition]:
    """A wait (or a run of a clock) from `start` to `end` (None: still on)."""
    found: list[SlaTransition] = []
    if due is None:
        return found
    warned = max(start, due - warn)
    if warn and warned < due and (end is None or warned < end):
        found.append(SlaTransition(target, index, WARNING, warned))
    if end is None or due < end:
        found.append(SlaTransition(target, index, BREACHED, due))
    return found


@dataclass
class _Wait:
    target: str
    index: int
    start: datetime
    due: datetime | None
    end: datetime | None = None


@dataclass
class _Replay:
    targets: SlaTargets
    calendar: BusinessCalendar | None
    started: bool = False
    snoozed: bool = False
    resolved: bool = False
    ours: bool = False  # the last word is a human reply
    waits: list[_Wait] = field(default_factory=list)
    first_reply_at: datetime | None = None
    resolved_at: datetime | None = None
    # the resolution clock
    run: int = 0
    used: timedelta = timedelta(0)
    since: datetime | None = None
    due: datetime | None = None
    breached_at: datetime | None = None
    warned_runs: set[int] = field(default_factory=set)
    transitions: list[SlaTransition] = field(default_factory=list)

    @property
    def warn(self) -> timedelta:
        return timedelta(minutes=max(self.targets.warn_before_minutes, 0))

    @property
    def open_wait(self) -> _Wait | None:
        return self.waits[-1] if self.waits and self.waits[-1].end is None else None

    @property
    def running(self) -> bool:
        return self.started and not (self.resolved or self.snoozed or self.ours)

    def apply(self, fact: SlaFact) -> None:
        was_running, at = self.running, fact.at
        if fact.kind == "inbound":
            if self.resolved:
                self.reopen()
            self.started, self.snoozed, self.ours = True, False, False
            if self.open_wait is None:
                self.open(at)
        elif fact.kind == "reply":
            self.ours = True
            if self.open_wait:
                self.close(at, replied=True)
        elif fact.kind == "snooze":
            self.snoozed = not self.resolved
        elif fact.kind == "wake":
            self.snoozed = False
        elif fact.kind == "resolve" and not self.resolved:
            self.resolved, self.snoozed, self.resolved_at = True, False, at
            if self.open_wait:
                self.close(at, replied=False)
        elif fact.kind == "reopen" and self.resolved:
            self.reopen()
        if was_running and not self.running:
            self.pause(at)
        elif self.running and not was_running:
            self.resume(at)

    def open(self, at: datetime) -> None:
        first = not self.waits
        target = FIRST_RESPONSE if first else NEXT_RESPONSE
        budget = _minutes(
            self.targets.first_response_minutes if first else self.targets.next_response_minutes
        )
        due = None if budget is None else add_business_time(self.calendar, at, budget)
        self.waits.append(_Wait(target, 0 if first else len(self.waits) - 1, at, due))

    def close(self, at: datetime, *, replied: bool) -> None:
        wait = self.waits[-1]
        wait.end = at
        if replied and wait.target == FIRST_RESPONSE:
            self.first_reply_at = at
        self.transitions += _wait_transitions(wait.target, wait.index, wait.start, wait.due, at, self.warn)

    def reopen(self) -> None:
        self.resolved, self.resolved_at = False, None
        self.run += 1 if self.started else 0

    def resume(self, at: datetime) -> None:
        self.since = at
        budget = _minutes(self.targets.resolution_minutes)
        if budget is None:
            self.due = None
        elif self.breached_at is not None:
            self.due = self.breached_at
        else:
            self.due = add_business_time(self.calendar, at, max(budget - self.used, timedelta(0)))

    def run_transitions(self, end: datetime | None) -> list[SlaTransition]:
        if self.since is None or self.breached_at is not None:
            return []
        found = _wait_transitions(RESOLUTION, self.run, self.since, self.due, end, self.warn)
        return [t for t in found if not (t.kind == WARNING and self.run in self.warned_runs)]

    def pause(self, at: datetime) -> None:
        assert self.since is not None
        for transition in self.run_transitions(at):
            self.transitions.append(transition)
            if transition.kind == WARNING:
                self.warned_runs.add(self.run)
            else:
                self.breached_at = transition.at
        self.used += business_time_between(self.calendar, self.since, at)
        self.since = self.due = None

    def result(self) -> SlaComputation:
        waiting = self.open_wait
        pending = list(self.run_transitions(None))
        if waiting:
            pending += _wait_transitions(
                waiting.target, waiting.index, waiting.start, waiting.due, None, self.warn
            )
        late = {w.target for w in self.waits if w.end is not None and w.due is not None and w.end > w.due}
        return SlaComputation(
            first_response_due_at=waiting.due if waiting and waiting.target == FIRST_RESPONSE else None,
            next_response_due_at=waiting.due if waiting and waiting.target == NEXT_RESPONSE else None,
            resolution_due_at=self.due,  # None while paused
            first_response_met_at=self.first_reply_at,
            first_response_breached=FIRST_RESPONSE in late,
            next_response_breached=NEXT_RESPONSE in late,
            resolution_met_at=self.resolved_at if self.started else None,
            resolution_breached=self.breached_at is not None,
            snoozed=self.snoozed,
            resolved=self.resolved,
            warn_before=self.warn,
            transitions=tuple(sorted(self.transitions + pending, key=lambda t: (t.at, t.key))),
        )
