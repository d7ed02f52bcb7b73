"""updateTask and reopenTask: a task is edited by whoever may read it, the
assignee under createTask's rules (agents name only themselves, managers
someone of their teams); bad input is a userError that changes nothing; a
done task is refused until it is reopened; each change is one event on the
contact's timeline, and nothing changed records nothing."""

from datetime import UTC, datetime, timedelta

import pytest

from revgraph.models.automation import OverdueTaskMark
from revgraph.models.crm import Task
from revgraph.models.events import Event
from revgraph.resolvers.ids import pk_of
from tests.graph.documents import COMPLETE_TASK, CREATE_TASK, TIMELINE, create_contact, timeline_kinds

UPDATE_TASK = """
mutation UpdateTask($id: ID!, $input: TaskUpdateInput!) {
  updateTask(id: $id, input: $input) {
    task { id title dueAt done assignee { id } }
    userErrors { code message field }
  }
}
"""
REOPEN_TASK = """
mutation ReopenTask($id: ID!) { reopenTask(id: $id) { task { id done } userErrors { code message field } } }
"""
TASK = "query($id: ID!) { node(id: $id) { ... on Task { id title dueAt done assignee { id } } } }"


async def new_task(gql, token, **input):
    data = await gql.ok(CREATE_TASK, {"input": {"title": "Ligar para Carla", **input}}, token=token)
    assert data["createTask"]["userErrors"] == [], data
    return data["createTask"]["task"]


async def update(gql, token, task_id, **input):
    return (await gql.ok(UPDATE_TASK, {"id": task_id, "input": input}, token=token))["updateTask"]


async def read(gql, token, task_id):
    return (await gql.ok(TASK, {"id": task_id}, token=token))["node"]


async def test_a_manager_edits_the_title_due_time_and_assignee_within_their_team(gql, workspace):
    # given Marta managing Ana and Bia, and Ana's task on her contact
    manager = await workspace.user("MANAGER", name="Marta")
    team = await workspace.team("Centro", manager_id=manager["id"])
    ana = await workspace.user("AGENT", team_id=team["id"], name="Ana")
    bia = await workspace.user("AGENT", team_id=team["id"], name="Bia")
    contact = await create_contact(gql, ana["token"], name="Carla")
    task = await new_task(gql, ana["token"], contactId=contact["id"], dueAt="2026-12-10T10:00:00-03:00")
    # when Marta renames it, moves its due time and gives it to Bia
    payload = await update(
        gql,
        manager["token"],
        task["id"],
        title="Visita com Carla",
        dueAt="2026-12-11T15:30:00-03:00",
        assigneeId=bia["id"],
    )
    # then the task is changed
    assert payload["userErrors"] == []
    assert payload["task"]["title"] == "Visita com Carla"
    assert payload["task"]["dueAt"].startswith("2026-12-11T18:30:00")
    assert payload["task"]["assignee"] == {"id": bia["id"]}
    assert await read(gql, workspace.token, task["id"]) == payload["task"] | {"done": False}
    # and the contact's timeline has one task.updated with every change, the summary in pt-BR
    assert await timeline_kinds(gql, manager["token"], contact["id"]) == [
        "task.updated",
        "task.created",
        "contact.created",
    ]
    timeline = await gql.ok(TIMELINE, {"id": contact["id"]}, token=manager["token"])
    event = timeline["contact"]["timeline"]["edges"][0]["node"]
    assert event["actor"] == {"id": manager["id"]}
    assert event["data"]["changes"]["title"] == {"from": "Ligar para Carla", "to": "Visita com Carla"}
    assert event["data"]["changes"]["assigneeId"] == {"from": ana["id"], "to": bia["id"]}
    assert event["data"]["changes"]["dueAt"]["to"].startswith("2026-12-11T18:30:00")
    assert event["summary"] == (
        "Marta alterou a tarefa Ligar para Carla: título Visita com Carla, "
        "vencimento 11/12/2026 15:30, responsável Bia"
    )
    # when the due time is cleared and the same title sent again
    cleared = await update(gql, manager["token"], task["id"], dueAt=None, title="Visita com Carla")
    assert cleared["userErrors"] == [] and cleared["task"]["dueAt"] is None
    # and nothing changed records nothing
    same = await update(gql, manager["token"], task["id"], title="Visita com Carla", dueAt=None)
    assert same["userErrors"] == []
    assert await Event.filter(kind="task.updated").count() == 2


async def test_an_agent_edits_a_task_they_see_but_may_not_give_it_to_a_colleague(gql, workspace):
    # given an agent's task
    agent = await workspace.user("AGENT")
    colleague = await workspace.user("AGENT")
    task = await new_task(gql, agent["token"])
    # when they try to give it to a colleague, or to nobody
    to_colleague = await update(gql, agent["token"], task["id"], assigneeId=colleague["id"], title="Outro")
    to_nobody = await update(gql, agent["token"], task["id"], assigneeId=None)
    # then both are FORBIDDEN on input.assigneeId, and nothing changed
    assert [(e["code"], e["field"]) for e in to_colleague["userErrors"]] == [
        ("FORBIDDEN", ["input", "assigneeId"])
    ]
    assert [(e["code"], e["field"]) for e in to_nobody["userErrors"]] == [
        ("FORBIDDEN", ["input", "assigneeId"])
    ]
    assert await read(gql, agent["token"], task["id"]) == {
        "id": task["id"],
        "title": "Ligar para Carla",
        "dueAt": None,
        "done": False,
        "assignee": {"id": agent["id"]},
    }
    # while naming themselves (already the assignee) and a new title is fine
    payload = await update(gql, agent["token"], task["id"], assigneeId=agent["id"], title="Ligar de novo")
    assert payload["userErrors"] == [] and payload["task"]["title"] == "Ligar de novo"


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        ({"title": "  "}, "INVALID", ["input", "title"]),
        ({"title": None}, "INVALID", ["input", "title"]),
        ({"title": "x" * 301}, "INVALID", ["input", "title"]),
        ({"assigneeId": "VXNlcjo5OTk5"}, "NOT_FOUND", ["input", "assigneeId"]),
        ({"assigneeId": "outsider"}, "NOT_FOUND", ["input", "assigneeId"]),
    ],
)
async def test_bad_edits_are_refused_and_change_nothing(gql, workspace, input, code, field):
    # given a manager's task, and an agent outside their teams
    manager = await workspace.user("MANAGER")
    await workspace.team("Centro", manager_id=manager["id"])
    outsider = await workspace.user("AGENT")
    task = await new_task(gql, manager["token"], dueAt="2026-12-10T10:00:00-03:00")
    if input.get("assigneeId") == "outsider":
        input = {"assigneeId": outsider["id"]}
    payload = await update(gql, manager["token"], task["id"], **input)
    assert payload["task"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    before = {k: task[k] for k in ("id", "title", "dueAt", "done", "assignee")}
    assert await read(gql, manager["token"], task["id"]) == before
    assert await Event.filter(kind="task.updated").count() == 0


async def test_a_task_the_caller_cannot_see_is_not_found_and_unchanged(gql, workspace):
    owner = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    task = await new_task(gql, owner["token"])
    payload = await update(gql, other["token"], task["id"], title="Minha agora")
    assert payload["userErrors"] == [
        {"code": "NOT_FOUND", "message": "Tarefa: registro não encontrado.", "field": ["id"]}
    ]
    reopened = (await gql.ok(REOPEN_TASK, {"id": task["id"]}, token=other["token"]))["reopenTask"]
    assert [e["code"] for e in reopened["userErrors"]] == ["NOT_FOUND"]
    assert (await read(gql, owner["token"], task["id"]))["title"] == "Ligar para Carla"


async def test_a_done_task_is_refused_until_reopened_and_reopening_twice_is_a_no_op(gql, workspace):
    # given a done task on a contact
    contact = await create_contact(gql, workspace.token)
    task = await new_task(gql, workspace.token, contactId=contact["id"])
    await gql.ok(COMPLETE_TASK, {"id": task["id"]}, token=workspace.token)
    # when it is edited, then it is RULE_VIOLATION on id and unchanged
    refused = await update(gql, workspace.token, task["id"], title="Depois")
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("RULE_VIOLATION", ["id"])]
    assert refused["userErrors"][0]["message"] == "Esta tarefa está concluída: reabra-a antes de alterá-la."
    assert (await read(gql, workspace.token, task["id"]))["title"] == "Ligar para Carla"
    # when it is reopened (twice: a retry)
    first = (await gql.ok(REOPEN_TASK, {"id": task["id"]}, token=workspace.token))["reopenTask"]
    again = (await gql.ok(REOPEN_TASK, {"id": task["id"]}, token=workspace.token))["reopenTask"]
    assert first == again == {"task": {"id": task["id"], "done": False}, "userErrors": []}
    assert (await Task.get(id=pk_of(task["id"], "Task"))).done_at is None
    # then it may be edited and completed again, each step once on the timeline
    assert (await update(gql, workspace.token, task["id"], title="Depois"))["userErrors"] == []
    await gql.ok(COMPLETE_TASK, {"id": task["id"]}, token=workspace.token)
    assert await timeline_kinds(gql, workspace.token, contact["id"]) == [
        "task.completed",
        "task.updated",
        "task.reopened",
        "task.completed",
        "task.created",
        "contact.created",
    ]


async def test_a_new_due_time_or_a_reopening_may_be_announced_overdue_again(gql, workspace):
    # given a task already announced overdue
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    task = await new_task(gql, workspace.token, dueAt=past)
    pk = pk_of(task["id"], "Task")
    await OverdueTaskMark.create(task_id=pk)
    # when only its title changes, the announcement stands
    await update(gql, workspace.token, task["id"], title="Retorno")
    assert await OverdueTaskMark.filter(task_id=pk).exists()
    # when its due time moves, it is a new deadline to announce
    await update(gql, workspace.token, task["id"], dueAt=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert not await OverdueTaskMark.filter(task_id=pk).exists()
    # and a reopened task is announced again too
    await OverdueTaskMark.create(task_id=pk)
    await gql.ok(COMPLETE_TASK, {"id": task["id"]}, token=workspace.token)
    await gql.ok(REOPEN_TASK, {"id": task["id"]}, token=workspace.token)
    assert not await OverdueTaskMark.filter(task_id=pk).exists()
