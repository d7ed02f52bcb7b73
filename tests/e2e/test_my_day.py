""" "Meu dia" in Chromium: "Atender pendentes" opens the lead nextPending
names; my overdue tasks are listed (not other people's, not next week's)
and one ticked leaves the list with the server agreeing it is done; my
leads are listed; a notification arrives live; and on a 390 px phone
nothing overflows sideways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.automations.support import create_rule, settle
from tests.e2e.screens import PHONE, assert_fits_sideways, logged_in_at, screenshot
from tests.e2e.test_inbox import given_an_agent_with_an_inbox
from tests.inbox.support import receive

CREATE_CONTACT = """
mutation C($input: ContactInput!) { createContact(input: $input) { contact { id } userErrors { field message } } }
"""
CREATE_TASK = """
mutation T($input: TaskInput!) { createTask(input: $input) { task { id } userErrors { field message } } }
"""
CREATE_PIPELINE = """
mutation P($input: PipelineInput!) {
  createPipeline(input: $input) { pipeline { id stages { id } } userErrors { message } }
}
"""
CREATE_DEAL = """
mutation D($input: DealInput!) { createDeal(input: $input) { deal { id } userErrors { field message } } }
"""
TASK_DONE = "query Done($id: ID!) { node(id: $id) { ... on Task { done } } }"


async def ok(gql: Any, token: str, query: str, input: dict[str, Any], name: str) -> dict[str, Any]:
    payload = (await gql.ok(query, {"input": input}, token=token))[name]
    assert payload.get("userErrors") in ([], None), payload
    return payload


async def a_day(gql: Any, workspace: Any) -> dict[str, Any]:
    """Ana's lead Carla with a return call overdue since yesterday, a task of
    Ana due next week, a colleague's overdue task, and an open deal."""
    token, me = workspace.token, workspace.admin["id"]
    carla = (
        await ok(
            gql,
            token,
            CREATE_CONTACT,
            {"name": "Carla Retorno", "phone": "11987654321", "ownerId": me},
            "createContact",
        )
    )["contact"]["id"]
    now = datetime.now(UTC)
    overdue = await ok(
        gql,
        token,
        CREATE_TASK,
        {
            "title": "Ligar de volta para Carla",
            "dueAt": (now - timedelta(days=1)).isoformat(),
            "contactId": carla,
        },
        "createTask",
    )
    await ok(
        gql,
        token,
        CREATE_TASK,
        {
            "title": "Visita na semana que vem",
            "dueAt": (now + timedelta(days=7)).isoformat(),
            "contactId": carla,
        },
        "createTask",
    )
    colleague = await workspace.user("AGENT", name="Bruno Colega")
    await ok(
        gql,
        token,
        CREATE_TASK,
        {
            "title": "Tarefa do Bruno",
            "dueAt": (now - timedelta(hours=2)).isoformat(),
            "assigneeId": colleague["id"],
        },
        "createTask",
    )
    pipeline = (
        await ok(
            gql,
            token,
            CREATE_PIPELINE,
            {"name": "Vendas", "stages": [{"name": "Novo"}, {"name": "Visita"}]},
            "createPipeline",
        )
    )["pipeline"]
    deal = (
        await ok(
            gql,
            token,
            CREATE_DEAL,
            {
                "title": "Apartamento Moema",
                "pipelineId": pipeline["id"],
                "value": "480000.00",
                "contactId": carla,
                "ownerId": me,
            },
            "createDeal",
        )
    )["deal"]["id"]
    return {"carla": carla, "overdue": overdue["task"]["id"], "deal": deal}


async def test_my_day_attends_the_pending_lead_and_completes_a_task_inline(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given Ana's day
    day = await a_day(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, "#/dia")
    await expect(page.get_by_role("heading", name="Meu dia", level=1)).to_be_visible()

    # then her overdue task is listed with its contact, and neither next week's nor Bruno's task
    overdue = page.get_by_role("list", name="Atrasadas")
    await expect(overdue.locator(".task-row")).to_have_count(1)
    await expect(overdue.locator(".task-row")).to_contain_text("Ligar de volta para Carla")
    await expect(overdue.locator(".task-row")).to_contain_text("Carla Retorno")
    await expect(page.locator(".my-tasks")).not_to_contain_text("Visita na semana que vem")
    await expect(page.locator(".my-tasks")).not_to_contain_text("Tarefa do Bruno")
    # and her leads: the contact and the open deal, money in reais
    await expect(page.get_by_role("list", name="Contatos recentes")).to_contain_text("Carla Retorno")
    deals = page.get_by_role("list", name="Negócios em aberto")
    await expect(deals).to_contain_text("Apartamento Moema")
    await expect(deals).to_contain_text("R$\xa0480.000,00")
    await screenshot(page, "meu-dia-desktop")
    await assert_fits_sideways(page)  # at 1440 px too

    # when she presses "Atender pendentes"
    await page.get_by_role("button", name="Atender pendentes").click()
    # then the lead with the overdue return opens: Carla's page
    await expect(page).to_have_url(f"{server.url}/#/contato/{day['carla']}")
    await expect(page.get_by_role("heading", name="Carla Retorno", level=1)).to_be_visible()

    # when she goes back to her day and ticks the task
    await page.get_by_role("link", name="Meu dia").click()
    box = page.get_by_role("checkbox", name="Concluir “Ligar de volta para Carla”")
    await box.click()  # not check(): the row is gone as soon as the server answers
    # then it leaves the list, and the server says it is done
    await expect(overdue.locator(".task-row")).to_have_count(0)
    await expect(page.locator(".my-tasks")).to_contain_text("Nenhuma tarefa atrasada ou para hoje.")
    data = await gql.ok(TASK_DONE, {"id": day["overdue"]}, token=workspace.token)
    assert data["node"]["done"] is True

    # and with nothing overdue, "Atender pendentes" says there is nothing to attend
    await page.get_by_role("button", name="Atender pendentes").click()
    await expect(page.locator(".toast").last).to_have_text("Nenhum lead pendente agora. Bom trabalho!")


async def test_a_notification_arrives_live_and_a_phone_shows_my_day_without_sideways_scroll(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given a rule that notifies Ana of every new contact, and her day open on a phone
    await create_rule(
        gql,
        workspace.token,
        trigger={"kind": "CONTACT_CREATED"},
        actions=[
            {
                "notify": {
                    "to": "USER",
                    "userId": workspace.admin["id"],
                    "message": "Novo lead: {{contact.name}}",
                }
            }
        ],
    )
    await a_day(gql, workspace)
    await settle()
    page = await logged_in_at(open_page, server, workspace.email, "#/dia", PHONE)
    notifications = page.get_by_role("list", name="Notificações")
    await expect(notifications.locator(".notification")).to_have_count(1)
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")

    # when a lead arrives
    await ok(gql, workspace.token, CREATE_CONTACT, {"name": "Diego Novo"}, "createContact")
    await settle()
    # then its notification appears at the top, unread, without a reload
    first = notifications.locator(".notification").first
    await expect(first).to_contain_text("Novo lead: Diego Novo")
    await expect(first).to_have_class("notification unread")
    # and marking it read is kept by the server
    await first.get_by_role("button", name="Marcar como lida").click()
    await expect(first).to_have_class("notification")

    # and on the phone nothing overflows sideways, header included
    await assert_fits_sideways(page)
    await expect(page.get_by_role("button", name="Sair")).to_be_in_viewport()
    await screenshot(page, "meu-dia-celular")


async def test_attending_a_lead_who_wrote_opens_the_waiting_conversation(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given an agent's lead with a return overdue, who has just written to the agent's inbox
    agent, inbox = await given_an_agent_with_an_inbox(gql, workspace)
    lead = await ok(
        gql,
        workspace.token,
        CREATE_CONTACT,
        {"name": "Rita Escreveu", "phone": "+5511912340000", "ownerId": agent["id"]},
        "createContact",
    )
    yesterday = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    task = {
        "title": "Retornar Rita",
        "dueAt": yesterday,
        "contactId": lead["contact"]["id"],
        "assigneeId": agent["id"],
    }
    await ok(gql, workspace.token, CREATE_TASK, task, "createTask")
    message = await receive(gql, workspace.token, inbox["id"], phone="+5511912340000", name="Rita Escreveu")
    assert message["userErrors"] == [], message
    conversation_id = message["conversation"]["id"]

    # when she presses "Atender pendentes"
    page = await logged_in_at(open_page, server, agent["email"], "#/dia")
    await page.get_by_role("button", name="Atender pendentes").click()
    # then the conversation waiting for her reply opens in the inbox
    await expect(page).to_have_url(f"{server.url}/#/inbox/{conversation_id}")
    # and her contact page lists the conversation, linked to it
    await page.goto(f"{server.url}/#/contato/{lead['contact']['id']}")
    conversations = page.get_by_role("list", name="Conversas", exact=True)
    link = conversations.get_by_role("link")
    await expect(link).to_have_attribute("href", f"#/inbox/{conversation_id}")
    await expect(conversations).to_contain_text("Aberta")
