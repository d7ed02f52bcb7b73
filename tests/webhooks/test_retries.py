"""Retries: backoff with jitter (the first within 5 s), the same webhook-id
on every attempt, 10 s timeouts, FAILED after 3 days, an endpoint failing
for 5 days disabled with a notification, redelivery, and nothing lost
while the receiver is down."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest
from starlette.responses import PlainTextResponse

import revgraph.tasks.webhooks as webhook_tasks
from revgraph.models.events import Event
from revgraph.models.webhooks import WebhookDelivery, WebhookEndpoint
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.settings import Settings
from revgraph.resolvers.webhooks import delivery
from revgraph.tasks import timers
from revgraph.tasks.broker import is_embedded
from tests.graph.documents import create_contact
from tests.security.named_ids import settled
from tests.webhooks.clock import drive, freeze, worker_paused
from tests.webhooks.support import (
    REDELIVER,
    UPDATE_ENDPOINT,
    Dribbler,
    Receiver,
    create_endpoint,
    deliveries,
    verify,
)


def webhook_sweep(settings, *, seconds: float) -> timers.Timer:
    """The outgoing webhooks' sweep of the server's timers, every `seconds`."""
    (timer,) = [
        t
        for t in timers.schedule(dataclasses.replace(settings, webhook_sweep_seconds=seconds))
        if t.send == webhook_tasks.sweep.send
    ]
    assert timer.seconds == seconds
    return timer


async def every(timer: timers.Timer) -> None:
    await timers.every(timer.seconds, timer.send, at_start=timer.at_start)


NOTIFICATIONS = "query { notifications(first: 10) { totalCount edges { node { message } } } }"


def failing_first(times: int, status: int = 500):
    answered = {"n": 0}

    def answer(_):
        answered["n"] += 1
        if answered["n"] <= times:
            return PlainTextResponse("indisponível " * 400, status_code=status)
        return PlainTextResponse("ok")

    return answer


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


@pytest.mark.parametrize("failures", [1, 2, 5, 30])
def test_retry_waits_are_drawn_between_half_and_all_of_a_doubling_ceiling(failures, monkeypatch):
    ceiling = min(delivery.MAX_WAIT, delivery.FIRST_RETRY * 2 ** (failures - 1))
    # the waits for one attempt number differ from draw to draw, within [ceiling/2, ceiling]
    waits = [delivery.retry_wait(failures) for _ in range(200)]
    assert len(set(waits)) > 100
    assert all(ceiling / 2 <= wait <= ceiling for wait in waits)
    # and the draw's ends are exactly half and all of the ceiling
    monkeypatch.setattr(delivery.random, "uniform", lambda low, high: low)
    assert delivery.retry_wait(failures) == ceiling / 2
    monkeypatch.setattr(delivery.random, "uniform", lambda low, high: high)
    assert delivery.retry_wait(failures) == ceiling


async def test_a_500_is_retried_within_seconds_with_the_same_webhook_id_and_later_events_wait(gql, workspace):
    receiver = await Receiver(failing_first(1)).start()
    try:
        _, secret = await create_endpoint(gql, workspace.token, receiver.url)
        first = await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        second = await create_contact(gql, workspace.token, name="Bia", email="bia@cliente.com")
        requests = await receiver.wait_for(3, timeout=20)
        await asyncio.sleep(0.3)
    finally:
        await receiver.stop()
    # then the first event was sent twice under one webhook-id, then the second
    assert len(receiver.requests) == 3
    assert requests[0].id == requests[1].id != requests[2].id
    assert requests[1].at - requests[0].at <= 6
    bodies = [verify(secret, r.headers, r.body) for r in requests]
    assert [b["data"]["id"] for b in bodies] == [first["id"], first["id"], second["id"]]
    assert requests[0].body == requests[1].body
    log = await deliveries(gql, workspace.token)
    by_id = {e["node"]["messageId"]: e["node"] for e in log["edges"]}
    retried = by_id[requests[0].id]
    assert (retried["status"], retried["attempts"], retried["responseStatus"]) == ("SUCCEEDED", 2, 200)
    assert retried["lastError"] is None


async def test_an_attempt_times_out_at_the_cap_and_is_retried(gql, workspace, monkeypatch):
    # given the cap of an attempt: 10 s in production, and with Redis in the
    # session's worker (REVGRAPH_WEBHOOK_ATTEMPT_TIMEOUT_SECONDS); embedded,
    # the actors run here, on a cap of 2 s
    cap = Settings().webhook_attempt_timeout_seconds
    assert cap == 10.0
    if is_embedded():
        cap = 2.0
        short = dataclasses.replace(webhook_tasks.settings(), webhook_attempt_timeout_seconds=cap)
        monkeypatch.setattr(webhook_tasks, "settings", lambda: short)
    calls = {"n": 0}

    async def hang_once(_):
        calls["n"] += 1
        if calls["n"] == 1:
            await asyncio.sleep(cap + 2)
        return PlainTextResponse("ok")

    receiver = await Receiver(hang_once).start()
    try:
        await create_endpoint(gql, workspace.token, receiver.url)
        started = time.monotonic()
        await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
        requests = await receiver.wait_for(2, timeout=30)
        elapsed = requests[1].at - started
        await asyncio.sleep(0.3)
    finally:
        await receiver.stop()
    assert cap <= elapsed <= cap + 7
    assert requests[0].id == requests[1].id
    row = await WebhookDelivery.get(message_id=requests[0].id)
    assert (row.status, row.attempts) == ("SUCCEEDED", 2)


@pytest.mark.parametrize("mode", ["headers", "body"])
async def test_the_timeout_caps_the_whole_attempt_not_each_read(gql, workspace, server, monkeypatch, mode):
    # given a cap of 1 s (10 s in production) and a receiver answering 200
    # a piece every 0.3 s: no read waits 1 s, the answer takes 3 s
    settings = dataclasses.replace(server.settings, webhook_attempt_timeout_seconds=1.0)
    receiver = await Dribbler(mode, pause=0.3, pieces=10).start()
    try:
        # The test runs the attempt itself, on the cap it set.
        for send in ("send", "send_with_options"):
            monkeypatch.setattr(webhook_tasks.deliver, send, lambda *args, **kwargs: None)
        with worker_paused(server):
            endpoint, _ = await create_endpoint(gql, workspace.token, receiver.url)
            await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")
            # when the endpoint runs
            started = time.monotonic()
            await delivery.run_endpoint(settings, pk(endpoint["id"]))
            took = time.monotonic() - started
            row = await WebhookDelivery.get(endpoint_id=pk(endpoint["id"]))
    finally:
        await receiver.stop()
    # then the attempt ended at the cap, as a failed attempt timed out, retried as usual
    assert receiver.connections == 1 and receiver.finished == 0
    assert 1.0 <= took < 2.0
    assert (row.status, row.attempts, row.response_status, row.last_error) == (
        "RETRYING",
        1,
        None,
        "timeout (1 s)",
    )
    assert (
        row.next_attempt_at is not None
        and row.next_attempt_at <= row.schedule_started_at + delivery.FIRST_RETRY
    )


async def test_a_receiver_down_then_up_loses_nothing(gql, workspace):
    receiver = Receiver()  # not listening yet: connections are refused
    _, secret = await create_endpoint(gql, workspace.token, receiver.url)
    created = [
        await create_contact(gql, workspace.token, name=f"Cliente {i}", email=f"c{i}@cliente.com")
        for i in range(3)
    ]

    async def refused() -> bool:
        return await WebhookDelivery.filter(attempts__gte=1, status="RETRYING").exists()

    deadline = time.monotonic() + 20
    while not await refused():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    await receiver.start()
    try:
        await receiver.wait_for(3, timeout=40)
        await asyncio.sleep(0.5)
    finally:
        await receiver.stop()
    bodies = [verify(secret, r.headers, r.body) for r in receiver.requests]
    assert [b["data"]["id"] for b in bodies] == [c["id"] for c in created]
    first = await WebhookDelivery.filter(message_id=receiver.requests[0].id).first()
    # and the first was refused before it went through (its refused attempt counted, its error cleared)
    assert (first.status, first.attempts >= 2, first.last_error) == ("SUCCEEDED", True, None)


async def test_failed_after_three_days_then_disabled_after_five_with_a_notification(
    gql, workspace, server, monkeypatch
):
    clock = freeze(monkeypatch)
    healthy = {"yes": False}

    def answer(_):
        return (
            PlainTextResponse("ok") if healthy["yes"] else PlainTextResponse("erro " * 1000, status_code=503)
        )

    receiver = await Receiver(answer).start()
    try:
        with worker_paused(server):
            endpoint, secret = await create_endpoint(gql, workspace.token, receiver.url)
            endpoint_pk = pk(endpoint["id"])
            first = await create_contact(gql, workspace.token, name="Ana", email="ana@cliente.com")

            async def first_failed() -> bool:
                return await WebhookDelivery.filter(endpoint_id=endpoint_pk, status="FAILED").exists()

            # when the receiver fails every attempt, on the test's clock
            await drive(server, endpoint_pk, clock, until=first_failed)
            failed = await WebhookDelivery.get(endpoint_id=endpoint_pk, status="FAILED")
            span = clock.current - failed.schedule_started_at
            # then retries stop after about 3 days (FAILED, visible, not scheduled)
            assert delivery.RETRY_WINDOW * 0.9 <= span <= delivery.RETRY_WINDOW
            assert failed.attempts >= 15
            assert failed.response_body == ("erro " * 1000)[: delivery.RESPONSE_BODY_CHARS]
            log = await deliveries(gql, workspace.token, status="FAILED")
            assert log["totalCount"] == 1
            node = log["edges"][0]["node"]
            assert (node["nextAttemptAt"], node["lastError"], node["responseStatus"]) == (
                None,
                "HTTP 503",
                503,
            )
            assert len(set(receiver.ids())) == 1  # every attempt under one webhook-id

            # when the next event fails on too, until 5 days of failures
            second = await create_contact(gql, workspace.token, name="Bia", email="bia@cliente.com")

            async def disabled() -> bool:
                return not (await WebhookEndpoint.get(id=endpoint_pk)).enabled

            await drive(server, endpoint_pk, clock, until=disabled)
            # then the endpoint is disabled, on the log, and the admin notified
            assert clock.current - clock.start >= delivery.DISABLE_AFTER
            assert await Event.filter(kind="webhook_endpoint.disabled").count() == 1
            notes = (await gql.ok(NOTIFICATIONS, token=workspace.token))["notifications"]
            assert notes["totalCount"] == 1
            assert "desativado" in notes["edges"][0]["node"]["message"]
            sent = len(receiver.requests)
            await delivery.run_endpoint(server.settings, endpoint_pk)
            assert len(receiver.requests) == sent  # nothing is sent while disabled

            # when the receiver is fixed and the endpoint re-enabled
            healthy["yes"] = True
            enabled = await gql.ok(
                UPDATE_ENDPOINT, {"id": endpoint["id"], "input": {"enabled": True}}, token=workspace.token
            )
            assert enabled["updateWebhookEndpoint"]["webhookEndpoint"]["enabled"] is True

            async def second_delivered() -> bool:
                return await WebhookDelivery.filter(endpoint_id=endpoint_pk, status="SUCCEEDED").exists()

            await drive(server, endpoint_pk, clock, until=second_delivered)
            last = receiver.requests[-1]
            assert verify(secret, last.headers, last.body, now=clock.current)["data"]["id"] == second["id"]

            # and the FAILED one is sent again on request, with its webhook-id
            redone = await gql.ok(REDELIVER, {"id": node["id"]}, token=workspace.token)
            assert redone["redeliverWebhook"]["webhookDelivery"]["status"] == "PENDING"

            async def redelivered() -> bool:
                row = await WebhookDelivery.get(id=failed.id)
                return row.status == "SUCCEEDED"

            await drive(server, endpoint_pk, clock, until=redelivered)
            again = receiver.requests[-1]
            assert again.id == failed.message_id
            assert verify(secret, again.headers, again.body, now=clock.current)["data"]["id"] == first["id"]
    finally:
        await receiver.stop()


async def test_events_whose_tasks_were_lost_are_delivered_from_the_log_by_the_sweep(
    gql, workspace, server, monkeypatch
):
    # given every deliver message of this process lost (a Redis restart
    # without persistence, a crash between commit and enqueue)
    receiver = await Receiver().start()
    try:
        _, secret = await create_endpoint(gql, workspace.token, receiver.url)
        await settled()  # the endpoint's creation's own task has run
        for send in ("send", "send_with_options"):
            monkeypatch.setattr(webhook_tasks.deliver, send, lambda *args, **kwargs: None)
        # With Redis the sweep runs in the worker process, where the patch
        # above does not reach: the worker is held still while the messages
        # are lost, or a sweep falling in this window would deliver early.
        with worker_paused(server):
            created = [
                await create_contact(gql, workspace.token, name=f"Cliente {i}", email=f"c{i}@cliente.com")
                for i in range(3)
            ]
            await asyncio.sleep(1)
            assert receiver.requests == []
            # when messages flow again, the periodic sweep finds the endpoint behind the log
            monkeypatch.undo()
        # (the server's timers sweep every 15 s, REVGRAPH_WEBHOOK_SWEEP_SECONDS:
        # here the same timer of the schedule runs at 0.5 s)
        sweeping = asyncio.create_task(every(webhook_sweep(server.settings, seconds=0.5)))
        try:
            await receiver.wait_for(3, timeout=40)
            await asyncio.sleep(0.3)
        finally:
            sweeping.cancel()
    finally:
        await receiver.stop()
    # then nothing was lost, and the order held
    bodies = [verify(secret, r.headers, r.body) for r in receiver.requests]
    assert [b["data"]["id"] for b in bodies] == [c["id"] for c in created]


def test_the_attempt_cap_and_the_sweep_are_settings_with_the_production_defaults():
    def sweep_of(settings: Settings) -> timers.Timer:
        (timer,) = [t for t in timers.schedule(settings) if t.send == webhook_tasks.sweep.send]
        return timer

    # by default an attempt is capped at 10 s and the sweep runs at start, then every 15 s
    unset = Settings.from_env({"REVGRAPH_SECRET_KEY": "unused"})
    assert unset.webhook_attempt_timeout_seconds == 10.0
    assert (sweep_of(unset).seconds, sweep_of(unset).at_start) == (15.0, True)
    # and the environment sets both
    chosen = Settings.from_env(
        {
            "REVGRAPH_SECRET_KEY": "unused",
            "REVGRAPH_WEBHOOK_ATTEMPT_TIMEOUT_SECONDS": "2.5",
            "REVGRAPH_WEBHOOK_SWEEP_SECONDS": "0.5",
        }
    )
    assert chosen.webhook_attempt_timeout_seconds == 2.5
    assert sweep_of(chosen).seconds == 0.5
