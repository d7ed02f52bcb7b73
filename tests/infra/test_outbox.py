"""The outbox: events are written with the change, published only after
commit, and whatever could not be published (Redis down, a crash) stays in
the log until the sweeper or the next start dispatches it."""

from __future__ import annotations

import uuid

import pytest

from revgraph.models.events import Event
from revgraph.models.identity import User, Workspace
from revgraph.resolvers.events import record_event, unit_of_work
from revgraph.resolvers.events.bus import EventBus, current_bus, dispatch_pending, install_bus
from revgraph.resolvers.settings import Settings
from revgraph.web import app as web_app
from tests.conftest import REAL_REDIS
from tests.infra.inbox import Inbox
from tests.infra.private_redis import PrivateRedis
from tests.infra.revgraph_process import ServeProcess
from tests.support import CREATE_TEAM


class Rollback(Exception):
    pass


async def test_events_are_published_only_after_commit(server):
    # given a listener on a workspace's events
    workspace = await Workspace.create(name="Imobiliária Outbox")
    bus = current_bus()
    async with bus.listen(workspace.id) as events:
        inbox = Inbox(events)
        # when an event is recorded in a unit of work
        async with unit_of_work():
            event = await record_event(None, workspace.id, "note.added", "Nota", actor_label="system")
            # then nothing is published while the transaction is open
            with pytest.raises(TimeoutError):
                await inbox.next(timeout=0.3)
        # and it is published once committed, and marked dispatched
        received = await inbox.next()
        assert (received["id"], received["kind"]) == (event.id, "note.added")
        assert (await Event.get(id=event.id)).dispatched is True
        await inbox.close()


async def test_a_rolled_back_unit_of_work_publishes_nothing_and_leaves_no_event(server):
    # given a listener on a workspace's events
    workspace = await Workspace.create(name="Imobiliária Rollback")
    bus = current_bus()
    async with bus.listen(workspace.id) as events:
        inbox = Inbox(events)
        # when a unit of work records an event and then fails
        with pytest.raises(Rollback):
            async with unit_of_work():
                await record_event(None, workspace.id, "note.added", "Nota", actor_label="system")
                raise Rollback()
        # then nothing was published and no event row remains
        with pytest.raises(TimeoutError):
            await inbox.next(timeout=0.5)
        assert await Event.filter(workspace_id=workspace.id).count() == 0
        await inbox.close()


async def test_redis_down_during_a_mutation_the_mutation_succeeds_and_the_event_arrives_later(
    gql, workspace, private_redis: PrivateRedis
):
    # given the server publishing through a Redis that is about to stop
    server_bus = current_bus()
    bus = EventBus(
        Settings(redis_url=private_redis.url, redis_prefix=f"rgtest-outbox-{uuid.uuid4().hex[:8]}")
    )
    bus.hooks = list(server_bus.hooks)
    await bus.connect()
    install_bus(bus)
    try:
        workspace_id = (await User.get(email=workspace.email)).workspace_id
        async with bus.listen(workspace_id) as events:
            inbox = Inbox(events)
            private_redis.stop()
            # when a mutation runs while Redis is down
            data = await gql.ok(CREATE_TEAM, {"input": {"name": "Vendas Sul"}}, token=workspace.token)
            # then it succeeds, and its event waits in the log
            assert data["createTeam"]["userErrors"] == []
            event = await Event.get(workspace_id=workspace_id, kind="team.created")
            assert event.dispatched is False
            # when Redis is back, the listener first hears it may have missed
            # something (it would re-read the log from its last sequence)
            private_redis.start()
            assert await inbox.next(timeout=15) is None
            # and the sweep then publishes the event and marks it dispatched
            # (the server's own periodic sweep may get there first)
            await dispatch_pending()
            assert (await Event.get(id=event.id)).dispatched is True
            received = await inbox.next()
            assert (received["id"], received["kind"]) == (event.id, "team.created")
            await inbox.close()
    finally:
        install_bus(server_bus)
        await bus.disconnect()


async def test_undispatched_events_are_dispatched_when_a_server_starts(server, monkeypatch):
    # this test's own server sweeps only events older than an hour, so the
    # starting process is the one that publishes (on a loaded machine the
    # start took longer than the 5 s sweep, and the sweep got there first)
    monkeypatch.setattr(web_app, "SWEEP_SECONDS", 3600.0)
    # given an event a crash left undispatched (committed with no bus to publish on)
    workspace = await Workspace.create(name="Imobiliária Crash")
    server_bus = current_bus()
    install_bus(None)
    try:
        async with unit_of_work():
            event = await record_event(
                None, workspace.id, "note.added", "Antes do crash", actor_label="system"
            )
    finally:
        install_bus(server_bus)
    assert (await Event.get(id=event.id)).dispatched is False
    async with server_bus.listen(workspace.id) as events:
        inbox = Inbox(events)
        # when another server process starts on the same database (and Redis)
        process = ServeProcess().start()
        try:
            await process.wait_ready()
            # then it dispatched the event before serving
            assert (await Event.get(id=event.id)).dispatched is True
            assert "published 1 event(s) recorded while no server was running" in process.output
            if REAL_REDIS:
                # and, with Redis, this process hears it from the other one
                received = await inbox.until(lambda e: e is not None and e["id"] == event.id)
                assert received[-1]["summary"] == "Antes do crash"
        finally:
            await process.stop()
            await inbox.close()
