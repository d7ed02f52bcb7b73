"""Faults: Redis down while a mutation commits. The mutation succeeds, its
event waits in the log (the outbox), and its automation runs exactly once
when Redis is back, however many times the event is then dispatched."""

from __future__ import annotations

import uuid

from revgraph.models.events import Event
from revgraph.resolvers.events.bus import EventBus, current_bus, dispatch_pending, install_bus
from revgraph.resolvers.settings import Settings
from tests.automations.support import contact_timeline, create_rule, pk, runs, settle
from tests.graph.documents import create_contact
from tests.infra.private_redis import running_private_redis


async def test_redis_down_during_a_mutation_its_automation_runs_once_when_redis_is_back(gql, workspace):
    # given a rule on new contacts, and the server publishing through a Redis that will stop
    await create_rule(
        gql,
        workspace.token,
        name="Tarefa de boas-vindas",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"createTask": {"title": "Ligar para {{contact.name}}"}}],
    )
    server_bus = current_bus()
    with running_private_redis() as redis_server:
        bus = EventBus(
            Settings(redis_url=redis_server.url, redis_prefix=f"rgtest-auto-{uuid.uuid4().hex[:8]}")
        )
        bus.hooks = list(server_bus.hooks)
        await bus.connect()
        install_bus(bus)
        try:
            redis_server.stop()

            # when a contact is created while Redis is down
            contact = await create_contact(gql, workspace.token, name="Karina")
            await settle()

            # then the mutation succeeded, its event waits undispatched and nothing ran
            event = await Event.get(kind="contact.created", contact_id=pk(contact["id"]))
            assert event.dispatched is False
            assert await runs(gql, workspace.token) == []

            # when Redis is back and the sweep dispatches (twice: the server's own sweeper may race it)
            redis_server.start()
            await dispatch_pending()
            await dispatch_pending()
            await settle()
        finally:
            install_bus(server_bus)
            await bus.disconnect()

    # then the automation ran exactly once
    [run] = await runs(gql, workspace.token)
    assert run["status"] == "SUCCEEDED"
    assert (await Event.get(id=event.id)).dispatched is True
    kinds = [e["kind"] for e in await contact_timeline(gql, workspace.token, contact["id"])]
    assert kinds.count("task.created") == 1 and kinds.count("automation.run_started") == 1
