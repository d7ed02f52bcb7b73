"""A move refused because the stage requires a scheduled task: the gate
offers the task in place (title, due date and time in America/Sao_Paulo,
assignee me by default), creates it with createTask and moves the card."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import expect

from tests.pipeline.support import DEAL, PRE_SALES, create_deal, create_pipeline
from tests.web.support import card, column, log_in, move_with_menu, screenshot

TASKS = "query { tasks(first: 10) { edges { node { title dueAt done assignee { id } deal { id } } } } }"


async def test_a_move_refused_for_a_scheduled_task_creates_it_inline_and_moves(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given a deal in "Em contato", and "Visita agendada" requires a scheduled task
    pipeline = await create_pipeline(gql, workspace.token, PRE_SALES)
    deal = await create_deal(
        gql,
        workspace.token,
        pipeline["id"],
        title="Apto Vila Mariana",
        stageId=pipeline["stage"]["Em contato"],
    )
    page = await open_page()
    await log_in(page, workspace.email)
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")

    # when the card is moved to "Visita agendada"
    await move_with_menu(page, deal["id"], "Visita agendada")

    # then the move is refused and the gate offers the task, with me as the assignee
    gate = column(page, "Visita agendada").get_by_role("form", name="Tarefa agendada obrigatória")
    await expect(gate).to_be_visible()
    await expect(gate.get_by_role("alert")).not_to_be_empty()  # the server's reason
    await expect(gate.get_by_label("Responsável")).to_have_value(workspace.admin["id"])
    await expect(column(page, "Em contato").locator(card(page, deal["id"]))).to_be_visible()
    assert (await gql.ok(TASKS, token=workspace.token))["tasks"]["edges"] == []

    # when the task is filled in (14:30 in São Paulo) and created
    await gate.get_by_label("Título da tarefa").fill("Visita ao decorado")
    await gate.get_by_label("Data e hora (horário de Brasília)").fill("2030-01-15T14:30")
    await screenshot(page, "task-gate")
    await gate.get_by_role("button", name="Criar tarefa e mover").click()

    # then the card moves, and the task is the deal's, due at 17:30 UTC, assigned to me
    moved_card = column(page, "Visita agendada").locator(card(page, deal["id"]))
    await expect(moved_card).to_be_visible()
    await expect(moved_card).not_to_have_class(re.compile(r"\bpending\b"))  # the server answered
    await expect(moved_card).to_be_visible()
    await expect(gate).to_have_count(0)
    moved = (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]
    assert moved["stage"]["name"] == "Visita agendada"
    tasks = [e["node"] for e in (await gql.ok(TASKS, token=workspace.token))["tasks"]["edges"]]
    assert tasks == [
        {
            "title": "Visita ao decorado",
            "dueAt": "2030-01-15T17:30:00+00:00",
            "done": False,
            "assignee": {"id": workspace.admin["id"]},
            "deal": {"id": deal["id"]},
        }
    ]


async def test_an_entry_condition_refusal_on_a_stage_that_also_needs_a_task_offers_no_task_form(
    gql: Any, workspace: Any, open_page: Any
) -> None:
    # given "Visita agendada" needs both a scheduled task and a value of 10,000,
    # and a deal of 5,000 that already has its scheduled task
    stages = [
        {"name": "Em contato"},
        {
            "name": "Visita agendada",
            "requiresScheduledTask": True,
            "entryCondition": {"value": {"gte": "10000"}},
        },
    ]
    pipeline = await create_pipeline(gql, workspace.token, stages)
    deal = await create_deal(gql, workspace.token, pipeline["id"], title="Sala pequena", value="5000")
    task = await gql.ok(
        "mutation($input: TaskInput!) { createTask(input: $input) { userErrors { code } } }",
        {"input": {"title": "Ligar", "dueAt": "2030-01-15T17:30:00Z", "dealId": deal["id"]}},
        token=workspace.token,
    )
    assert task["createTask"]["userErrors"] == []
    page = await open_page()
    await log_in(page, workspace.email)
    await expect(page.locator(".live-indicator")).to_have_attribute("data-state", "live")

    # when the card is moved there
    await move_with_menu(page, deal["id"], "Visita agendada")

    # then the refusal is the entry condition's, shown as it is: no task form
    await expect(page.locator(".toast").last).to_contain_text("condição de entrada")
    await expect(page.locator("form.task-gate")).to_have_count(0)
    await expect(column(page, "Em contato").locator(card(page, deal["id"]))).to_be_visible()
