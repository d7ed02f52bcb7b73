"""Tasks and notes: creation rules, completion, and their timeline events."""

import pytest

from tests.graph.documents import (
    ADD_NOTE,
    COMPLETE_TASK,
    CREATE_TASK,
    TIMELINE,
    create_company,
    create_contact,
    timeline_kinds,
)
from tests.support import TaskCount

CONTACT_TASKS = """
query ContactTasks($id: ID!, $first: Int, $after: String) {
  contact(id: $id) {
    tasks(first: $first, after: $after) {
      totalCount pageInfo { hasNextPage endCursor } edges { node { id title done dueAt } }
    }
  }
}
"""


async def test_create_task_defaults_to_the_caller_and_accepts_a_past_due_date(gql, workspace):
    # given an agent's contact
    agent = await workspace.user("AGENT")
    contact = await create_contact(gql, agent["token"], name="Fabio")
    # when the agent creates an overdue return on it
    data = await gql.ok(
        CREATE_TASK,
        {
            "input": {
                "title": "Retornar ligação",
                "dueAt": "2020-01-02T10:00:00-03:00",
                "contactId": contact["id"],
            }
        },
        token=agent["token"],
    )
    # then it is theirs, about the contact, not done, due when they said
    task = data["createTask"]["task"]
    assert data["createTask"]["userErrors"] == []
    assert task["assignee"] == {"id": agent["id"]}
    assert task["contact"] == {"id": contact["id"]}
    assert task["done"] is False
    assert task["dueAt"].startswith("2020-01-02T13:00:00")
    # and the contact's timeline shows task.created
    assert await timeline_kinds(gql, agent["token"], contact["id"]) == ["task.created", "contact.created"]


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        ({"title": "  "}, "INVALID", ["input", "title"]),
        ({"title": "x", "contactId": "Q29udGFjdDo5OTk5"}, "NOT_FOUND", ["input", "contactId"]),
        ({"title": "x", "assigneeId": "VXNlcjo5OTk5"}, "NOT_FOUND", ["input", "assigneeId"]),
        ({"title": "x", "dealId": "RGVhbDo5OTk5"}, "NOT_FOUND", ["input", "dealId"]),
    ],
)
async def test_invalid_tasks_are_refused_and_nothing_is_created(gql, workspace, input, code, field):
    contact = await create_contact(gql, workspace.token)
    data = await gql.ok(CREATE_TASK, {"input": {"contactId": contact["id"], **input}}, token=workspace.token)
    assert data["createTask"]["task"] is None
    assert [(e["code"], e["field"]) for e in data["createTask"]["userErrors"]] == [(code, field)]
    tasks = (await gql.ok(CONTACT_TASKS, {"id": contact["id"]}, token=workspace.token))["contact"]["tasks"]
    assert tasks["totalCount"] == 0


async def test_an_agent_cannot_assign_a_task_to_a_colleague(gql, workspace):
    agent = await workspace.user("AGENT")
    colleague = await workspace.user("AGENT")
    contact = await create_contact(gql, agent["token"])
    data = await gql.ok(
        CREATE_TASK,
        {"input": {"title": "Para outro", "contactId": contact["id"], "assigneeId": colleague["id"]}},
        token=agent["token"],
    )
    assert data["createTask"]["userErrors"][0]["code"] == "FORBIDDEN"
    tasks = (await gql.ok(CONTACT_TASKS, {"id": contact["id"]}, token=agent["token"]))["contact"]["tasks"]
    assert tasks["totalCount"] == 0


async def test_complete_task_once_records_one_event_and_repeating_is_a_no_op(gql, workspace):
    contact = await create_contact(gql, workspace.token)
    created = await gql.ok(
        CREATE_TASK,
        {"input": {"title": "Enviar proposta", "contactId": contact["id"]}},
        token=workspace.token,
    )
    task_id = created["createTask"]["task"]["id"]
    first = await gql.ok(COMPLETE_TASK, {"id": task_id}, token=workspace.token)
    again = await gql.ok(COMPLETE_TASK, {"id": task_id}, token=workspace.token)
    assert first["completeTask"] == {"task": {"id": task_id, "done": True}, "userErrors": []}
    assert again["completeTask"] == first["completeTask"]
    assert await timeline_kinds(gql, workspace.token, contact["id"]) == [
        "task.completed",
        "task.created",
        "contact.created",
    ]


async def test_completing_an_invisible_task_is_not_found_and_leaves_it_open(gql, workspace):
    owner = await workspace.user("AGENT")
    other = await workspace.user("AGENT")
    created = await gql.ok(CREATE_TASK, {"input": {"title": "Minha"}}, token=owner["token"])
    task_id = created["createTask"]["task"]["id"]
    data = await gql.ok(COMPLETE_TASK, {"id": task_id}, token=other["token"])
    assert data["completeTask"]["userErrors"] == [
        {"code": "NOT_FOUND", "message": "Tarefa: registro não encontrado.", "field": ["id"]}
    ]
    mine = await gql.ok(COMPLETE_TASK, {"id": task_id}, token=owner["token"])
    assert mine["completeTask"]["task"]["done"] is True


async def test_contact_tasks_page_in_creation_order(gql, workspace):
    contact = await create_contact(gql, workspace.token)
    for index in range(3):
        await gql.ok(
            CREATE_TASK, {"input": {"title": f"T{index}", "contactId": contact["id"]}}, token=workspace.token
        )
    page = (await gql.ok(CONTACT_TASKS, {"id": contact["id"], "first": 2}, token=workspace.token))["contact"][
        "tasks"
    ]
    assert [e["node"]["title"] for e in page["edges"]] == ["T0", "T1"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
    rest = await gql.ok(
        CONTACT_TASKS,
        {"id": contact["id"], "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=workspace.token,
    )
    assert [e["node"]["title"] for e in rest["contact"]["tasks"]["edges"]] == ["T2"]


async def test_add_note_returns_its_timeline_event(gql, workspace):
    contact = await create_contact(gql, workspace.token)
    body = "Cliente pediu retorno na segunda.\nPrefere WhatsApp."
    data = await gql.ok(
        ADD_NOTE, {"input": {"subjectId": contact["id"], "body": body}}, token=workspace.token
    )
    event = data["addNote"]["event"]
    assert data["addNote"]["userErrors"] == []
    assert event["kind"] == "note.added"
    assert event["summary"] == "Ana Admin adicionou uma nota: Cliente pediu retorno na segunda."
    assert event["data"]["body"] == body
    assert event["actor"] == {"id": workspace.admin["id"], "name": "Ana Admin"}
    timeline = await gql.ok(TIMELINE, {"id": contact["id"]}, token=workspace.token)
    assert timeline["contact"]["timeline"]["edges"][0]["node"]["id"] == event["id"]


async def test_a_note_on_something_that_is_not_a_visible_contact_is_not_found(gql, workspace):
    agent = await workspace.user("AGENT")
    theirs = await create_contact(gql, workspace.token, name="Do admin")
    company = await create_company(gql, workspace.token)
    for subject in (theirs["id"], company["id"], "RGVhbDox", "garbage"):
        data = await gql.ok(ADD_NOTE, {"input": {"subjectId": subject, "body": "oi"}}, token=agent["token"])
        assert [(e["code"], e["field"]) for e in data["addNote"]["userErrors"]] == [
            ("NOT_FOUND", ["input", "subjectId"])
        ]
    assert await timeline_kinds(gql, workspace.token, theirs["id"]) == ["contact.created"]


async def test_a_blank_note_is_invalid(gql, workspace):
    contact = await create_contact(gql, workspace.token)
    data = await gql.ok(
        ADD_NOTE, {"input": {"subjectId": contact["id"], "body": " \n "}}, token=workspace.token
    )
    assert data["addNote"]["userErrors"][0]["field"] == ["input", "body"]
    assert await timeline_kinds(gql, workspace.token, contact["id"]) == ["contact.created"]


async def test_timeline_pages_newest_first(gql, workspace):
    contact = await create_contact(gql, workspace.token)
    for index in range(4):
        await gql.ok(
            ADD_NOTE, {"input": {"subjectId": contact["id"], "body": f"nota {index}"}}, token=workspace.token
        )
    first = (await gql.ok(TIMELINE, {"id": contact["id"], "first": 3}, token=workspace.token))["contact"][
        "timeline"
    ]
    assert [e["node"]["data"].get("body") for e in first["edges"]] == ["nota 3", "nota 2", "nota 1"]
    assert (first["totalCount"], first["pageInfo"]["hasNextPage"]) == (5, True)
    rest = await gql.ok(
        TIMELINE,
        {"id": contact["id"], "first": 3, "after": first["pageInfo"]["endCursor"]},
        token=workspace.token,
    )
    assert [e["node"]["kind"] for e in rest["contact"]["timeline"]["edges"]] == [
        "note.added",
        "contact.created",
    ]
    body = await gql(TIMELINE, {"id": contact["id"], "first": 101}, token=workspace.token)
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


ACTIVITY = """
query Activity($id: ID!) {
  contact(id: $id) {
    timeline(first: 50) { edges { node { kind actorLabel actor { id name } } } }
    tasks(first: 50) { edges { node { title assignee { id name } } } }
  }
}
"""


async def test_a_timeline_and_task_list_answer_their_people_without_a_task_per_row(gql, workspace):
    # given two contacts, with notes and tasks by two people: 2 of each on one, 10 on the other
    other = await workspace.user("ADMIN", name="Beatriz Souza")
    tokens = [workspace.token, other["token"]]
    contacts = {}
    for count in (2, 10):
        contact = await create_contact(gql, workspace.token, name=f"Cliente {count}")
        for index in range(count):
            note = {"subjectId": contact["id"], "body": f"Nota {index}"}
            await gql.ok(ADD_NOTE, {"input": note}, token=tokens[index % 2])
            task = {"contactId": contact["id"], "title": f"Retornar {index}", "assigneeId": other["id"]}
            await gql.ok(CREATE_TASK, {"input": task}, token=tokens[index % 2])
        contacts[count] = contact["id"]
    # when each contact's timeline and tasks are read, counting the tasks made
    made = {}
    for count, contact_id in contacts.items():
        with TaskCount() as counter:
            data = await gql.ok(ACTIVITY, {"id": contact_id}, token=workspace.token)
        notes = [e["node"] for e in data["contact"]["timeline"]["edges"] if e["node"]["kind"] == "note.added"]
        assert len(notes) == count
        assert {note["actor"]["id"] for note in notes} == {workspace.admin["id"], other["id"]}
        assert all(note["actorLabel"] == note["actor"]["name"] for note in notes)
        tasks = data["contact"]["tasks"]["edges"]
        assert len(tasks) == count and all(t["node"]["assignee"]["name"] == "Beatriz Souza" for t in tasks)
        made[count] = counter.created
    # then the actors, labels and assignees answer over the page's one batch
    # each: 8 more rows of each kind add no task per row (a task or two may
    # come from the event bus meanwhile)
    assert made[10] - made[2] < 8, made
