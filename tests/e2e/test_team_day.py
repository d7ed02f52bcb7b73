"""A team's first day, from an empty database, through the web app only
(issue 14's "done means"): an admin signs up, creates the pre-sales funnel
from its template and invites a broker, who opens the invitation link in a
browser of her own and joins; back on "Primeiros passos" the admin creates
the roleta with both of them; a lead is captured from "Meu dia" (new contact,
then a deal in the funnel's first stage from the contact's page); it is
worked (a note, and a call made: a task created and completed, from the
deal's page), handed off (the deal and the contact reassigned to the broker,
with a task for her), and the broker, in her browser, finds
the task in her "Meu dia", completes it and wins the deal from the board.
The server is asked what each step did; a screenshot of each step goes to
tests/artifacts/team-day/ (or $REVGRAPH_SCREENSHOTS/team-day/)."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.e2e.screens import ARTIFACTS
from tests.support import LOG_IN, PASSWORD

SHOTS = ARTIFACTS / "team-day"
STATE = """
query {
  pipelines { name stages { name kind } }
  queues { name members { user { email } } }
  users { edges { node { email name role } } }
  deals { edges { node { title status stage { name } owner { email } contact { name email owner { email } } } } }
  tasks { edges { node { title done assignee { email } deal { title } } } }
}
"""
DEAL_NOTES = """
query($id: ID!) { deal(id: $id) { timeline(first: 10) { edges { node { kind data } } } } }
"""


class Steps:
    """Numbered full-page screenshots, in the order the day goes."""

    def __init__(self) -> None:
        self.count = 0

    async def __call__(self, page: Any, name: str) -> None:
        self.count += 1
        await page.screenshot(path=str(SHOTS / f"{self.count:02d}-{name}.png"), full_page=True)


async def test_a_team_day_from_an_empty_database_through_the_browser(open_page: Any, gql: Any) -> None:
    shot = Steps()
    admin_email = f"helena-{uuid.uuid4().hex[:6]}@example.com"
    agent_email = f"bruna-{uuid.uuid4().hex[:6]}@example.com"

    # -- the admin signs up ------------------------------------------------
    admin = await open_page()
    await admin.get_by_role("button", name="Criar conta").click()
    await admin.get_by_label("Nome da empresa").fill("Imobiliária Aurora")
    await admin.get_by_label("Seu nome").fill("Helena Dona")
    await admin.get_by_label("E-mail").fill(admin_email)
    await admin.get_by_label("Senha").fill(PASSWORD)
    await shot(admin, "admin-sign-up")
    await admin.get_by_role("button", name="Criar conta").click()
    await expect(admin.get_by_role("heading", name="Primeiros passos")).to_be_visible()

    # -- the funnel from its template ---------------------------------------
    await admin.get_by_role("button", name="Criar o funil “Pré-vendas”").click()
    await expect(admin.get_by_text("Funil “Pré-vendas” criado.")).to_be_visible()

    # -- an invitation link for the broker ----------------------------------
    invite = admin.get_by_role("form", name="Convidar pessoas")
    await invite.get_by_label("E-mail").fill(agent_email)
    await invite.get_by_label("Nome").fill("Bruna Corretora")
    await invite.get_by_label("Papel").select_option("AGENT")
    await invite.get_by_role("button", name="Convidar").click()
    await expect(admin.get_by_label("Link de convite")).to_have_value(re.compile(r"/#/convite/rgi_"))
    link = await admin.get_by_label("Link de convite").input_value()
    await shot(admin, "admin-funnel-and-invitation")

    # -- the broker joins, in a browser of her own ---------------------------
    agent = await open_page()
    await agent.goto(link)
    await expect(agent.get_by_role("heading", name="Convite para Imobiliária Aurora")).to_be_visible()
    await expect(agent.get_by_label("Seu nome")).to_have_value("Bruna Corretora")
    await agent.get_by_label("Senha").fill(PASSWORD)
    await shot(agent, "agent-invitation")
    await agent.get_by_role("button", name="Aceitar convite e entrar").click()
    await expect(agent.locator(".topbar .account-name")).to_have_text("Bruna Corretora")
    # a broker has no settings
    await expect(agent.get_by_role("link", name="Configurações")).to_have_count(0)
    await shot(agent, "agent-joined")

    # -- the roleta, with both of them ---------------------------------------
    await admin.reload()
    await expect(admin.get_by_role("heading", name="Primeiros passos")).to_be_visible()
    roleta = admin.get_by_role("form", name="2. Roleta de leads")
    await expect(roleta.get_by_label("Bruna Corretora")).to_be_checked()
    await expect(roleta.get_by_label("Helena Dona")).to_be_checked()
    await roleta.get_by_label("Nome da roleta").fill("Plantão de vendas")
    await roleta.get_by_role("button", name="Criar roleta").click()
    await expect(admin.get_by_text("Roleta “Plantão de vendas” criada.")).to_be_visible()
    await shot(admin, "admin-roleta")

    token = (await gql.ok(LOG_IN, {"input": {"email": admin_email, "password": PASSWORD}}))["logIn"]["token"]
    state = await gql.ok(STATE, token=token)
    assert [p["name"] for p in state["pipelines"]] == ["Pré-vendas"]
    [queue] = state["queues"]
    assert queue["name"] == "Plantão de vendas"
    assert sorted(m["user"]["email"] for m in queue["members"]) == sorted([admin_email, agent_email])
    people = {u["node"]["email"]: u["node"]["role"] for u in state["users"]["edges"]}
    assert people == {admin_email: "ADMIN", agent_email: "AGENT"}

    # -- a lead captured from "Meu dia" --------------------------------------
    await admin.get_by_role("link", name="Ir para o quadro").click()
    await admin.get_by_role("link", name="Meu dia").click()
    await admin.get_by_role("link", name="Novo contato").click()
    form = admin.get_by_role("form", name="Novo contato")
    await form.get_by_label("Nome *").fill("Marina Duarte")
    await form.get_by_label("E-mail").fill("marina@example.com")
    await form.get_by_label("Telefone").fill("(11) 97654-3210")
    await shot(admin, "admin-new-contact")
    await form.get_by_role("button", name="Criar").click()
    await expect(admin.get_by_role("heading", name="Marina Duarte", level=1)).to_be_visible()

    await admin.get_by_role("button", name="Novo negócio").click()
    form = admin.get_by_role("form", name="Novo negócio")
    await form.get_by_label("Funil › Etapa").select_option(label="Pré-vendas › Novo lead")
    await form.get_by_label("Título *").fill("Apartamento Moema")
    await form.get_by_label("Valor (R$)").fill("480.000,00")
    await form.get_by_role("button", name="Criar").click()
    await expect(admin.get_by_role("heading", name="Apartamento Moema", level=1)).to_be_visible()
    deal_id = admin.url.rsplit("/", 1)[-1]
    details = admin.get_by_role("region", name="Dados")
    await expect(details).to_contain_text("Novo lead")
    await expect(details.get_by_role("link", name="Marina Duarte")).to_be_visible()
    await shot(admin, "admin-deal-captured")

    # -- worked: a note, and a call made (a task created and completed) ---------
    await admin.get_by_label("Nova nota").fill("Quer dois quartos perto do metrô.")
    await admin.get_by_role("button", name="Adicionar nota").click()
    timeline = admin.get_by_role("list", name="Linha do tempo")
    await expect(timeline.locator(".event").first).to_contain_text("Quer dois quartos perto do metrô.")
    await admin.get_by_role("button", name="Nova tarefa").click()
    task_form = admin.get_by_role("form", name="Nova tarefa")
    await task_form.get_by_label("Título *").fill("Ligar para Marina")
    await task_form.get_by_role("button", name="Criar").click()
    tasks = admin.get_by_role("list", name="Tarefas abertas")
    await expect(tasks).to_contain_text("Ligar para Marina")
    await shot(admin, "admin-worked")
    await admin.get_by_role("checkbox", name="Concluir “Ligar para Marina”").check()
    await expect(tasks).not_to_contain_text("Ligar para Marina")

    # -- handed off: the deal to the broker, with her next task ----------------
    await details.get_by_role("button", name="Editar").click()
    edit = admin.get_by_role("form", name="Editar: Apartamento Moema")
    await edit.get_by_label("Responsável").select_option(label="Bruna Corretora")
    await edit.get_by_role("button", name="Salvar").click()
    await expect(edit).to_have_count(0)  # the page is drawn again from the server's answer
    await expect(details.locator(".fact", has_text="Responsável")).to_contain_text("Bruna Corretora")
    await admin.get_by_role("button", name="Nova tarefa").click()
    task_form = admin.get_by_role("form", name="Nova tarefa")
    await task_form.get_by_label("Título *").fill("Agendar visita com Marina")
    # due now (São Paulo's clock, no summer time): on her "Meu dia" whether
    # it reads as for today or, a minute on, as overdue
    due = datetime.now(UTC) - timedelta(hours=3)
    await task_form.get_by_label("Prazo").fill(due.strftime("%Y-%m-%dT%H:%M"))
    await task_form.get_by_label("Responsável").select_option(label="Bruna Corretora")
    await task_form.get_by_role("button", name="Criar").click()
    await expect(tasks).to_contain_text("Agendar visita com Marina")
    await expect(tasks).to_contain_text("Bruna Corretora")
    await shot(admin, "admin-handed-off")
    # and the lead herself, from her page (the deal's contact link)
    await details.get_by_role("link", name="Marina Duarte").click()
    contact_details = admin.get_by_role("region", name="Dados")
    await contact_details.get_by_role("button", name="Editar").click()
    edit = admin.get_by_role("form", name="Editar: Marina Duarte")
    await edit.get_by_label("Responsável").select_option(label="Bruna Corretora")
    await edit.get_by_role("button", name="Salvar").click()
    await expect(edit).to_have_count(0)
    await expect(contact_details.locator(".fact", has_text="Responsável")).to_contain_text("Bruna Corretora")

    state = await gql.ok(STATE, token=token)
    [deal] = [e["node"] for e in state["deals"]["edges"]]
    assert deal == {
        "title": "Apartamento Moema",
        "status": "OPEN",
        "stage": {"name": "Novo lead"},
        "owner": {"email": agent_email},
        "contact": {"name": "Marina Duarte", "email": "marina@example.com", "owner": {"email": agent_email}},
    }
    assert sorted(
        (t["node"]["title"], t["node"]["done"], t["node"]["assignee"]["email"])
        for t in state["tasks"]["edges"]
    ) == [
        ("Agendar visita com Marina", False, agent_email),
        ("Ligar para Marina", True, admin_email),
    ]
    assert {t["node"]["deal"]["title"] for t in state["tasks"]["edges"]} == {"Apartamento Moema"}
    notes = (await gql.ok(DEAL_NOTES, {"id": deal_id}, token=token))["deal"]["timeline"]["edges"]
    assert any(
        n["node"]["kind"] == "note.added" and n["node"]["data"]["body"] == "Quer dois quartos perto do metrô."
        for n in notes
    )

    # -- the broker's day: her task, then the deal won on the board -----------
    await agent.get_by_role("link", name="Meu dia").click()
    await expect(agent.locator(".my-tasks")).to_contain_text("Agendar visita com Marina")
    await expect(agent.get_by_role("list", name="Negócios em aberto")).to_contain_text("Apartamento Moema")
    await expect(agent.get_by_role("list", name="Contatos recentes")).to_contain_text("Marina Duarte")
    await shot(agent, "agent-my-day")
    await agent.get_by_role("checkbox", name="Concluir “Agendar visita com Marina”").check()
    await expect(agent.locator(".my-tasks")).not_to_contain_text("Agendar visita com Marina")

    await agent.get_by_role("link", name="Quadro").click()
    card = agent.locator(f'.card[data-deal-id="{deal_id}"]')
    await expect(card).to_contain_text("Apartamento Moema")
    await card.get_by_role("button", name="Mover para…").focus()
    await agent.keyboard.press("Enter")
    await agent.get_by_role("menuitem", name="Ganho", exact=True).click()
    await expect(
        agent.locator('.column[data-stage-name="Ganho"]').locator(f'[data-deal-id="{deal_id}"]')
    ).to_be_visible()
    await shot(agent, "agent-won")

    state = await gql.ok(STATE, token=token)
    [deal] = [e["node"] for e in state["deals"]["edges"]]
    assert deal["status"] == "WON" and deal["stage"] == {"name": "Ganho"}
    assert deal["owner"] == {"email": agent_email}
    assert all(t["node"]["done"] for t in state["tasks"]["edges"])

    # and the admin sees it won by the broker: on the board, and on the deal's page
    await admin.get_by_role("link", name="Quadro").click()
    won = admin.locator('.column[data-stage-name="Ganho"]').locator(f'.card[data-deal-id="{deal_id}"]')
    await won.get_by_role("link", name="Apartamento Moema").click()
    details = admin.get_by_role("region", name="Dados")
    await expect(details.locator(".fact", has_text="Situação")).to_contain_text("Ganho")
    await expect(details.locator(".fact", has_text="Responsável")).to_contain_text("Bruna Corretora")
    await shot(admin, "admin-sees-it-won")
