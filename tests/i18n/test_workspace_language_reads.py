"""A unit of work asks the database for a workspace's language once: an
automation step speaks it (resolvers/automations/engine.py `_step`) and
then records its events in it, which read it again (bench/automations.py:
one query more a step cost the runs ~4 % of their throughput)."""

from revgraph.models.identity import Workspace
from revgraph.resolvers import events
from revgraph.resolvers.i18n import N_


async def test_a_unit_of_work_reads_a_workspaces_language_once(server, monkeypatch):
    # given a workspace that speaks Spanish
    workspace = await Workspace.create(name="Inmobiliaria Idioma", default_locale="es")
    asked = []
    original = Workspace.filter

    def counted(*args, **kwargs):
        asked.append(kwargs)
        return original(*args, **kwargs)

    monkeypatch.setattr(Workspace, "filter", counted)
    # when a unit of work speaks its language and records an event in it
    async with events.unit_of_work():
        spoken = await events.workspace_locale(workspace.id)
        event = await events.record_event(
            None, workspace.id, "note.added", N_("Automation '{name}'", name="Boas-vindas"), actor_label="t"
        )
    # then the language was read once, and the event's summary is in it
    assert spoken == "es"
    assert [k for k in asked if k.get("id") == workspace.id] == [{"id": workspace.id}]
    assert event.summary == N_("Automation '{name}'", name="Boas-vindas").render("es")
    # and outside a unit of work every call reads it (nothing kept between units)
    asked.clear()
    await events.workspace_locale(workspace.id)
    await events.workspace_locale(workspace.id)
    assert len(asked) == 2
