"""Delayed actions with exit conditions (the due-time scan is called with a
later clock instead of sleeping), `task.overdue`, and e-mail through a real
SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.automations.support import (
    NOTIFICATIONS,
    contact_timeline,
    create_rule,
    runs,
    settle,
)
from tests.graph.documents import ADD_NOTE, CREATE_TASK, create_contact

CALL_LATER = {
    "name": "Ligar 2h depois",
    "trigger": {"kind": "CONTACT_CREATED"},
    "actions": [
        {
            "createTask": {"title": "Ligar para {{contact.name}}", "assignTo": "OWNER"},
            "waitMinutes": 120,
            "exitCondition": {"unlessContacted": True},
        }
    ],
}


async def test_a_delayed_action_waits_in_the_database_and_its_exit_condition_is_rechecked(gql, workspace):
    from revgraph.resolvers.automations.engine import wake_due_runs

    # given "create a call task 2 hours after the lead arrives, unless it was contacted"
    agent = await workspace.user("AGENT")
    await create_rule(gql, workspace.token, **CALL_LATER)
    worked = await create_contact(gql, agent["token"], name="Carla")
    waiting = await create_contact(gql, agent["token"], name="Diego")
    await settle()

    # then both runs wait two hours, and nothing was created yet
    found = await runs(gql, workspace.token)
    assert {r["status"] for r in found} == {"WAITING"}
    wake_at = datetime.fromisoformat(found[0]["wakeAt"])
    assert timedelta(minutes=119) < wake_at - datetime.now(UTC) <= timedelta(minutes=120)

    # when Carla is contacted meanwhile, and the scan runs before and after the wait is over
    note = await gql.ok(
        ADD_NOTE, {"input": {"subjectId": worked["id"], "body": "Liguei"}}, token=agent["token"]
    )
    assert note["addNote"]["userErrors"] == []
    assert await wake_due_runs(datetime.now(UTC) + timedelta(minutes=60)) == 0
    assert await wake_due_runs(datetime.now(UTC) + timedelta(minutes=121)) == 2
    await settle()

    # then Carla's run exited without a task, Diego's created it
    status = {r["contact"]["id"]: r for r in await runs(gql, workspace.token)}
    assert status[worked["id"]]["status"] == "EXITED"
    assert status[worked["id"]]["reason"] == "o lead já foi contatado"
    assert status[waiting["id"]]["status"] == "SUCCEEDED"
    carla = [e["kind"] for e in await contact_timeline(gql, agent["token"], worked["id"])]
    diego = [e["kind"] for e in await contact_timeline(gql, agent["token"], waiting["id"])]
    assert "task.created" not in carla and carla[0] == "automation.exited"
    assert diego[:2] == ["automation.action", "task.created"]
    # and a second scan resumes nothing again
    assert await wake_due_runs(datetime.now(UTC) + timedelta(minutes=121)) == 0


async def test_overdue_tasks_are_announced_once_and_trigger_rules(gql, workspace):
    from revgraph.resolvers.automations.engine import emit_overdue_tasks

    # given a rule that notifies the owner when a task is overdue, and a task due soon
    agent = await workspace.user("AGENT")
    await create_rule(
        gql,
        workspace.token,
        name="Avisar atraso",
        trigger={"kind": "TASK_OVERDUE"},
        actions=[{"notify": {"to": "OWNER", "message": "Tarefa atrasada: {{contact.name}}"}}],
    )
    contact = await create_contact(gql, agent["token"], name="Elisa")
    due = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    task = await gql.ok(
        CREATE_TASK,
        {"input": {"title": "Retornar", "dueAt": due, "contactId": contact["id"]}},
        token=agent["token"],
    )
    assert task["createTask"]["userErrors"] == []

    # when the scan runs before and (twice) after the due time
    assert await emit_overdue_tasks(datetime.now(UTC)) == 0
    assert await emit_overdue_tasks(datetime.now(UTC) + timedelta(minutes=6)) == 1
    assert await emit_overdue_tasks(datetime.now(UTC) + timedelta(minutes=7)) == 0
    await settle()

    # then the owner got one notification
    data = await gql.ok(NOTIFICATIONS, {}, token=agent["token"])
    assert [n["node"]["message"] for n in data["notifications"]["edges"]] == ["Tarefa atrasada: Elisa"]
    kinds = [e["kind"] for e in await contact_timeline(gql, agent["token"], contact["id"])]
    assert kinds.count("task.overdue") == 1


async def test_an_email_goes_out_over_smtp_with_the_subjects_fields(gql, workspace, mailbox):
    # given a welcome e-mail rule
    await create_rule(
        gql,
        workspace.token,
        name="Boas-vindas",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[
            {
                "sendEmail": {
                    "to": "CONTACT",
                    "subject": "Olá, {{contact.name}}",
                    "body": "Recebemos seu contato, {{contact.name}}. Regra: {{rule.name}}.",
                }
            }
        ],
    )

    # when a contact with an e-mail is created
    contact = await create_contact(gql, workspace.token, name="Fábio Reis", email="fabio@example.com")
    await settle()

    # then the SMTP server received exactly that message
    assert len(mailbox.messages) == 1
    message = mailbox.messages[0]
    assert mailbox.envelopes[0].rcpt_tos == ["fabio@example.com"]
    assert message["From"] == "robo@revgraph.test" and message["To"] == "fabio@example.com"
    assert message["Subject"] == "Olá, Fábio Reis"
    body = message.get_content()
    assert "Recebemos seu contato, Fábio Reis. Regra: Boas-vindas." in body
    [run] = await runs(gql, workspace.token)
    assert run["status"] == "SUCCEEDED"
    timeline = await contact_timeline(gql, workspace.token, contact["id"])
    assert "enviou o e-mail 'Olá, Fábio Reis' para fabio@example.com" in timeline[0]["summary"]


async def test_an_smtp_server_that_refuses_ends_in_failed_with_its_reply(gql, workspace, mailbox):
    # given an SMTP server that refuses the recipient
    mailbox.refuse_with = "550 5.1.1 Mailbox unavailable"
    await create_rule(
        gql,
        workspace.token,
        name="Boas-vindas",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"sendEmail": {"to": "CONTACT", "subject": "Olá", "body": "Oi"}}],
    )

    # when a contact is created
    contact = await create_contact(gql, workspace.token, name="Gil", email="gil@example.com")
    await settle()

    # then the run was retried and failed with the server's reply; nothing was delivered
    [run] = await runs(gql, workspace.token, status="FAILED")
    assert run["attempts"] == 5
    assert "550" in run["error"] and "Mailbox unavailable" in run["error"]
    assert mailbox.messages == []
    timeline = await contact_timeline(gql, workspace.token, contact["id"])
    assert timeline[0]["kind"] == "automation.failed" and "550" in timeline[0]["summary"]


UPDATE_WORKSPACE = """
mutation($input: WorkspaceInput!) { updateWorkspace(input: $input) { userErrors { code field } } }
"""


async def test_automation_emails_come_from_the_workspaces_sender_when_it_has_one(gql, workspace, mailbox):
    # given a workspace whose e-mails come from its own address and name
    sender = {"emailSenderName": "Imobiliária Horizonte", "emailSenderAddress": "Contato@Horizonte.example"}
    updated = await gql.ok(UPDATE_WORKSPACE, {"input": sender}, token=workspace.token)
    assert updated["updateWorkspace"]["userErrors"] == []
    await create_rule(
        gql,
        workspace.token,
        name="Boas-vindas",
        trigger={"kind": "CONTACT_CREATED"},
        actions=[{"sendEmail": {"to": "CONTACT", "subject": "Olá", "body": "Oi, {{contact.name}}."}}],
    )
    # when a contact with an e-mail is created
    await create_contact(gql, workspace.token, name="Lia Rocha", email="lia@example.com")
    await settle()
    # then the message is from the workspace, not the server's default
    assert len(mailbox.messages) == 1
    assert mailbox.messages[0]["From"] == "Imobiliária Horizonte <contato@horizonte.example>"
