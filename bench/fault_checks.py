"""What the fault bench (faults.py) observed, and the checks over it: the
requests and their outcomes, the fault windows, what subscribers received,
and read-backs of the event log, automation runs and tasks from the
database. Nothing here drives load or breaks anything."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from board_common import percentile

from revgraph.resolvers.ids import pk_of

MIX = [("contacts", 25), ("board", 15), ("moveDeal", 35), ("captureLead", 25)]
LEAD_TASK = "Ligar para "
STAGE_TASK = "Retornar: "


@dataclass
class Request:
    op: str
    server: int
    started: float
    ended: float
    outcome: str  # ok | refused | error:<code> | http:<status> | conn:<exception>
    detail: str = ""


@dataclass
class Window:
    fault: str
    started: float
    ended: float = 0.0


@dataclass
class Run:
    """What the load saw: every request, the fault windows, acknowledged writes."""

    t0: float
    requests: list[Request] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    captured: list[str] = field(default_factory=list)  # acknowledged captureLead contact ids
    moves: Counter = field(default_factory=Counter)  # acknowledged moves per deal pk
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))

    def window(self, fault: str) -> Window:
        window = Window(fault, time.monotonic())
        self.windows.append(window)
        return window

    def dead(self, server: int, at: float) -> bool:
        """Whether API process `server` was dead (killed, not yet healthy) at `at`."""
        return any(
            w.fault == f"API {server + 1} SIGKILL" and w.started <= at <= (w.ended or float("inf"))
            for w in self.windows
        )

    def in_fault(self, request: Request) -> bool:
        return any(
            w.started <= request.ended and request.started <= (w.ended or float("inf")) for w in self.windows
        )


@dataclass
class Subscriber:
    index: int
    since: int
    received: list[int] = field(default_factory=list)
    connections: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.received[-1] if self.received else self.since


async def fetch(url: str, query: str, *args: Any) -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


async def wait_until(what: str, check: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() > deadline:
            print(f"  gave up waiting: {what}", flush=True)
            return False
        await asyncio.sleep(0.5)


async def settle(url: str, rules: dict[str, int], stage_pk: int, watermark: int, timeout: float) -> None:
    async def drained() -> bool:
        [row] = await fetch(url, "SELECT count(*) AS n FROM event WHERE NOT dispatched")
        return row["n"] == 0

    async def runs_done() -> bool:
        expected = len(await trigger_events(url, rules, stage_pk, watermark))
        [row] = await fetch(
            url,
            "SELECT count(*) FILTER (WHERE status IN ('SUCCEEDED','FAILED','SKIPPED','EXITED')) AS done "
            "FROM automation_run",
        )
        return row["done"] >= expected

    began = time.monotonic()
    await wait_until("the outbox to drain", drained, timeout)
    await wait_until(
        "every automation run to finish", runs_done, max(5.0, timeout - (time.monotonic() - began))
    )


async def trigger_events(url: str, rules: dict[str, int], stage_pk: int, watermark: int) -> list[Any]:
    """(rule, event id, contact, deal) of every event a rule must run for."""
    rows = await fetch(
        url,
        "SELECT id, kind, contact_id, deal_id, data FROM event WHERE id > $1 "
        "AND kind IN ('lead.captured', 'deal.stage_changed') ORDER BY id",
        watermark,
    )
    wanted = []
    for row in rows:
        data = json.loads(row["data"]) if isinstance(row["data"], str) else row["data"]
        if row["kind"] == "lead.captured":
            wanted.append((rules["lead"], row["id"], row["contact_id"], None))
        elif data.get("toStageId") == stage_pk:
            wanted.append((rules["stage"], row["id"], None, row["deal_id"]))
    return wanted


async def check_automations(url: str, rules: dict[str, int], stage_pk: int, watermark: int) -> dict[str, Any]:
    wanted = await trigger_events(url, rules, stage_pk, watermark)
    runs = await fetch(url, "SELECT rule_id, event_id, status, attempts FROM automation_run")
    by_key = Counter((r["rule_id"], r["event_id"]) for r in runs)
    status = {(r["rule_id"], r["event_id"]): r["status"] for r in runs}
    wanted_keys = {(rule, event) for rule, event, _, _ in wanted}
    missing = [k for k in wanted_keys if k not in by_key]
    doubled = [k for k, n in by_key.items() if n > 1]
    unexpected = [k for k in by_key if k not in wanted_keys]
    not_succeeded = Counter(status[k] for k in wanted_keys if k in status and status[k] != "SUCCEEDED")
    tasks = await fetch(url, "SELECT title, contact_id, deal_id FROM task")
    lead_tasks = Counter(t["contact_id"] for t in tasks if t["title"].startswith(LEAD_TASK))
    stage_tasks = Counter(t["deal_id"] for t in tasks if t["title"].startswith(STAGE_TASK))
    lead_events = Counter(c for rule, _, c, _ in wanted if rule == rules["lead"])
    stage_events = Counter(d for rule, _, _, d in wanted if rule == rules["stage"])
    task_problems = [
        f"contact {c}: {lead_tasks.get(c, 0)} tasks for {lead_events.get(c, 0)} events"
        for c in set(lead_tasks) | set(lead_events)
        if lead_tasks.get(c, 0) != lead_events.get(c, 0)
    ] + [
        f"deal {d}: {stage_tasks.get(d, 0)} tasks for {stage_events.get(d, 0)} events"
        for d in set(stage_tasks) | set(stage_events)
        if stage_tasks.get(d, 0) != stage_events.get(d, 0)
    ]
    return {
        "trigger_events": len(wanted),
        "runs": len(runs),
        "missing_runs": len(missing),
        "doubled_runs": len(doubled),
        "unexpected_runs": len(unexpected),
        "not_succeeded": dict(not_succeeded),
        "tasks": sum(lead_tasks.values()) + sum(stage_tasks.values()),
        "task_mismatches": len(task_problems),
        "examples": task_problems[:5] + [f"missing run {k}" for k in missing[:5]],
    }


def check_subscribers(subs: list[Subscriber], last: int) -> dict[str, Any]:
    problems = []
    deliveries = 0
    for sub in subs:
        expected = list(range(sub.since + 1, last + 1))
        deliveries += len(sub.received)
        if sub.received != expected:
            got = set(sub.received)
            missing = sorted(set(expected) - got)
            doubled = len(sub.received) - len(got)
            ordered = sub.received == sorted(sub.received)
            problems.append(
                f"subscriber {sub.index}: missing {len(missing)} {missing[:5]}, {doubled} twice, "
                f"{'in order' if ordered else 'OUT OF ORDER'}"
            )
        problems += [f"subscriber {sub.index}: {p}" for p in sub.problems[:3]]
    return {
        "subscribers": len(subs),
        "deliveries": deliveries,
        "connections": sum(s.connections for s in subs),
        "problems": problems,
    }


def latency_ms(requests: list[Request]) -> dict[str, float]:
    values = [r.ended - r.started for r in requests]
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 50) * 1e3, 1),
        "p99_ms": round(percentile(values, 99) * 1e3, 1),
        "max_ms": round(max(values) * 1e3, 1),
    }


def server_error(outcome: str) -> bool:
    return outcome.startswith("http:5") or (outcome.startswith("error:") and "INTERNAL" in outcome)


def summarise_requests(run: Run, duration: float) -> dict[str, Any]:
    answered = [r for r in run.requests if r.outcome in ("ok", "refused")]
    server_errors = []
    excused = Counter()
    other = Counter()
    for r in run.requests:
        if server_error(r.outcome):
            if run.dead(r.server, r.started) or run.dead(r.server, r.ended):
                excused[r.outcome] += 1
            else:
                server_errors.append(r)
        elif r.outcome.startswith("conn:"):
            if run.dead(r.server, r.started) or run.dead(r.server, r.ended):
                excused[r.outcome] += 1
            else:
                other[r.outcome] += 1
        elif r.outcome not in ("ok", "refused"):
            other[r.outcome] += 1
    per_op = {}
    for op, _ in MIX:
        mine = [r for r in answered if r.op == op]
        per_op[op] = {
            "answered": len(mine),
            "per_second": round(len(mine) / duration, 1),
            "all": latency_ms(mine),
            "outside_faults": latency_ms([r for r in mine if not run.in_fault(r)]),
        }
    in_windows = {
        w.fault: dict(
            Counter(r.outcome for r in run.requests if w.started <= r.ended and r.started <= w.ended)
        )
        for w in run.windows
    }
    return {
        "requests": len(run.requests),
        "answered": len(answered),
        "answered_per_second": round(len(answered) / duration, 1),
        "outcomes": dict(Counter(r.outcome for r in run.requests)),
        "server_errors": len(server_errors),
        "server_error_examples": [asdict(r) for r in server_errors[:5]],
        "excused_while_dead": dict(excused),
        "other_failures": dict(other),
        "per_op": per_op,
        "outcomes_in_fault_windows": in_windows,
        "all": latency_ms(answered),
        "outside_faults": latency_ms([r for r in answered if not run.in_fault(r)]),
    }


async def check_writes(
    url: str, run: Run, pipeline_pk: int, since: int, sequences: list[int]
) -> dict[str, Any]:
    """Acknowledged captures exist with their event; every deal has at least
    as many board events as acknowledged moves; the board log has no gap."""
    captured_pks = [pk_of(c, "Contact") for c in run.captured]
    known = {
        r["id"] for r in await fetch(url, "SELECT id FROM contact WHERE id = ANY($1::int[])", captured_pks)
    }
    with_event = {
        r["contact_id"]
        for r in await fetch(
            url,
            "SELECT contact_id FROM event WHERE kind = 'lead.captured' AND contact_id = ANY($1::int[])",
            captured_pks,
        )
    }
    board_events = Counter(
        r["deal_id"]
        for r in await fetch(
            url,
            "SELECT deal_id FROM event WHERE pipeline_id = $1 AND board_sequence > $2",
            pipeline_pk,
            since,
        )
    )
    last = sequences[-1] if sequences else 0
    return {
        "acknowledged_captures": len(captured_pks),
        "captures_lost": sum(1 for c in captured_pks if c not in known or c not in with_event),
        "acknowledged_moves": sum(run.moves.values()),
        "deals_with_fewer_events_than_acknowledged_moves": sum(
            1 for deal, n in run.moves.items() if board_events.get(deal, 0) < n
        ),
        "board_events": sum(board_events.values()),
        "board_log_gap_free": sequences == list(range(1, last + 1)),
    }


def memory_report(run: Run) -> dict[str, Any]:
    """Start, end and peak RSS of each API process incarnation, and its
    curve: the RSS at every 30 s of the run (growth that levels off is
    warm-up; growth that does not is a leak)."""
    report = {}
    for name, samples in run.rss.items():
        if not samples:
            continue
        curve = {}
        for at, value in samples:
            curve.setdefault(int(at // 30) * 30, round(value, 1))
        report[name] = {
            "start_mib": round(samples[0][1], 1),
            "end_mib": round(samples[-1][1], 1),
            "peak_mib": round(max(v for _, v in samples), 1),
            "from_s": round(samples[0][0], 1),
            "to_s": round(samples[-1][0], 1),
            "every_30_s_mib": curve,
            "samples": [(round(at, 1), round(v, 1)) for at, v in samples],
        }
    return report


def report(r: dict[str, Any]) -> list[str]:
    q, s, a, w = r["requests"], r["subscribers"], r["automations"], r["writes"]
    print(
        "\n  faults: " + "; ".join(f"{f['fault']} at {f['at_s']} s ({f['lasted_s']} s)" for f in r["faults"])
    )
    print(
        f"  requests: {q['requests']} sent, {q['answered']} answered ({q['answered_per_second']}/s); "
        f"p50 {q['all'].get('p50_ms')} ms, p99 {q['all'].get('p99_ms')} ms, max {q['all'].get('max_ms')} ms; "
        f"outside fault windows p99 {q['outside_faults'].get('p99_ms')} ms"
    )
    for op, o in q["per_op"].items():
        print(
            f"    {op:12} {o['answered']:6} answered ({o['per_second']}/s)  p50 {o['all'].get('p50_ms')} ms  "
            f"p99 {o['all'].get('p99_ms')} ms  (outside faults p99 {o['outside_faults'].get('p99_ms')} ms)"
        )
    print(f"  outcomes: {q['outcomes']}")
    print(f"  excused (process dead): {q['excused_while_dead']}; other failures: {q['other_failures']}")
    for fault, outcomes in q["outcomes_in_fault_windows"].items():
        print(f"    during {fault}: {outcomes}")
    print(
        f"  subscribers: {s['subscribers']}, {s['connections']} connections (drops resumed with since), "
        f"{s['deliveries']} deliveries; board log gap-free: {w['board_log_gap_free']}, {w['board_events']} events"
    )
    print(
        f"  automations: {a['trigger_events']} trigger events, {a['runs']} runs; missing {a['missing_runs']}, "
        f"doubled {a['doubled_runs']}, unexpected {a['unexpected_runs']}, not succeeded {a['not_succeeded']}; "
        f"{a['tasks']} tasks, {a['task_mismatches']} mismatches"
    )
    print(
        f"  writes: {w['acknowledged_captures']} captures acknowledged, {w['captures_lost']} lost; "
        f"{w['acknowledged_moves']} moves acknowledged, {w['deals_with_fewer_events_than_acknowledged_moves']} "
        f"deals with fewer board events than acknowledged moves"
    )
    for name, m in r["memory"].items():
        print(
            f"  RSS {name}: start {m['start_mib']} MiB, end {m['end_mib']} MiB, peak {m['peak_mib']} MiB; "
            f"every 30 s {list(m['every_30_s_mib'].values())} "
            f"({m['from_s']}–{m['to_s']} s)"
        )
    lost = []
    if q["server_errors"]:
        lost.append(
            f"{q['server_errors']} server errors outside dead windows: {q['server_error_examples'][:2]}"
        )
    if s["problems"]:
        lost.append(f"subscribers: {s['problems'][:5]}")
    if not w["board_log_gap_free"]:
        lost.append("the board log has gaps")
    if (
        a["missing_runs"]
        or a["doubled_runs"]
        or a["unexpected_runs"]
        or a["not_succeeded"]
        or a["task_mismatches"]
    ):
        lost.append(f"automations: {a['examples']}")
    if w["captures_lost"] or w["deals_with_fewer_events_than_acknowledged_moves"]:
        lost.append("acknowledged writes lost")
    if "webhooks" in r:
        from fault_webhooks import webhook_problems

        lost.extend(webhook_problems(r["webhooks"]))
    print("  lost or doubled: " + ("nothing" if not lost else "\n    ".join(["", *lost])))
    print(f"  load average {r['load_average']}")
    return lost
