""" "Editar" on a task, in Chromium: on "Meu dia" the overdue task is
renamed and given a new due time in its row, moving to today's list, and
the server agrees; on a
contact's page a blank title is refused next to the field and nothing
changes, then the task is given to a colleague; a task ticked done folds
under "1 concluída" at once and is reopened from there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from tests.e2e.screens import logged_in_at, screenshot
from tests.e2e.test_my_day import a_day

TASK = "query T($id: ID!) { node(id: $id) { ... on Task { title dueAt assignee { name } } } }"
DONE = "query D($id: ID!) { node(id: $id) { ... on Task { done } } }"


async def test_a_task_is_edited_in_its_row_on_my_day(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given Ana's day with an overdue return call, seen at noon (São Paulo) of
    # today: "later today at 23:30" must be later than the browser's now, which
    # the real clock is not after 23:30
    zone = ZoneInfo("America/Sao_Paulo")
    day = await a_day(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, "#/dia")
    await page.clock.set_fixed_time(datetime.now(zone).replace(hour=12, minute=0, second=0, microsecond=0))
    await page.reload()
    overdue = page.get_by_role("list", name="Atrasadas")
    await expect(overdue.locator(".task-row")).to_have_count(1)

    # when she edits it: a new title, due later today at 23:30 (São Paulo)
    await page.get_by_role("button", name="Editar “Ligar de volta para Carla”").click()
    form = page.get_by_role("form", name="Editar “Ligar de volta para Carla”")
    await expect(form.get_by_label("Título")).to_have_value("Ligar de volta para Carla")
    later = datetime.now(zone).replace(hour=23, minute=30, second=0, microsecond=0)
    await form.get_by_label("Título").fill("Ligar para Carla às 23h30")
    await form.get_by_label("Prazo").fill(later.strftime("%Y-%m-%dT%H:%M"))
    await form.get_by_role("button", name="Salvar").click()

    # then the row shows the new title, and the server has both changes
    await expect(page.locator(".toast").last).to_have_text("Tarefa “Ligar para Carla às 23h30” salva.")
    # and, no longer overdue, it moved to today's list
    await expect(overdue.locator(".task-row")).to_have_count(0)
    row = page.get_by_role("list", name="Para hoje").locator(f'[data-task-id="{day["overdue"]}"]')
    await expect(row.locator(".task-title")).to_have_text("Ligar para Carla às 23h30")
    await expect(row.locator(".task-due")).to_contain_text("23:30")
    task = (await gql.ok(TASK, {"id": day["overdue"]}, token=workspace.token))["node"]
    assert task["title"] == "Ligar para Carla às 23h30"
    assert datetime.fromisoformat(task["dueAt"]) == later.astimezone(UTC)
    await screenshot(page, "meu-dia-task-edited")


async def test_a_blank_title_is_refused_next_to_the_field_and_the_task_is_reassigned(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given Carla's contact with Ana's task, and Bruno, a colleague
    day = await a_day(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, f"#/contato/{day['carla']}")
    name = "Editar “Ligar de volta para Carla”"
    await page.get_by_role("button", name=name).click()
    form = page.get_by_role("form", name=name)

    # when the title is blanked
    await form.get_by_label("Título").fill("")
    await form.get_by_role("button", name="Salvar").click()
    # then the refusal sits next to the title, and nothing changed
    await expect(form.locator('[data-error-for="title"]')).not_to_be_empty()
    task = (await gql.ok(TASK, {"id": day["overdue"]}, token=workspace.token))["node"]
    assert task["title"] == "Ligar de volta para Carla"

    # when the task is given to Bruno instead
    await form.get_by_label("Título").fill("Ligar de volta para Carla")
    await form.get_by_label("Responsável").select_option(label="Bruno Colega")
    await form.get_by_role("button", name="Salvar").click()
    # then the row names him, and so does the server
    row = page.locator(f'[data-task-id="{day["overdue"]}"]')
    await expect(row.locator(".task-assignee")).to_have_text("Bruno Colega")
    task = (await gql.ok(TASK, {"id": day["overdue"]}, token=workspace.token))["node"]
    assert task["assignee"] == {"name": "Bruno Colega"}
    assert datetime.fromisoformat(task["dueAt"]) < datetime.now(UTC) - timedelta(hours=12)


async def test_a_done_task_is_reopened_from_the_contact_page(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given Carla's page, where the overdue task is ticked done
    day = await a_day(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, f"#/contato/{day['carla']}")
    # click, not check(): the row leaves the open list once the server answers
    await page.get_by_role("checkbox", name="Concluir “Ligar de volta para Carla”").click()
    await expect(page.locator(".toast").last).to_have_text("Tarefa “Ligar de volta para Carla” concluída.")
    assert (await gql.ok(DONE, {"id": day["overdue"]}, token=workspace.token))["node"]["done"] is True

    # then, without reading the page again, it is folded under "1 concluída" and on the timeline
    await expect(page.get_by_text("1 concluída")).to_be_visible()
    await expect(page.locator(".timeline")).to_contain_text("concluiu a tarefa Ligar de volta para Carla")
    # when it is reopened from there
    await page.get_by_text("1 concluída").click()
    await page.get_by_role("button", name="Reabrir “Ligar de volta para Carla”").click()

    # then it is back among the open tasks, and the server agrees
    open_tasks = page.get_by_role("list", name="Tarefas abertas")
    await expect(open_tasks).to_contain_text("Ligar de volta para Carla")
    await expect(page.get_by_text("1 concluída")).to_have_count(0)
    assert (await gql.ok(DONE, {"id": day["overdue"]}, token=workspace.token))["node"]["done"] is False
