"""A team's first day, from an empty database, through the web app only
(issue 14's "done means"): an admin signs up, creates the pre-sales funnel
from its template and invites a broker, who opens the invitation link in a
browser of her own and joins; back on "Primeiros passos" the admin creates
the roleta with both of them, then a capture form in "Configurações ›
Formulários" that sends its leads to the roleta and the funnel. A visitor of
the company's site (a third browser) sends the form the admin's embed code
makes; the roleta gives the lead, and the deal opened for it, to one of the
two, and the day follows whoever got it: they find it on their "Meu dia"
and work it (a note, and a call made: a task created and completed, then
the next task, a visit), the admin hands it off to the other one (the deal,
the contact and that very task, reassigned with "Editar"), who finds the
task in their "Meu dia", completes it and wins the deal from the board.
The server is asked what each step did (the roleta's reason included); a
screenshot of each step goes to tests/artifacts/team-day/ (or
$REVGRAPH_SCREENSHOTS/team-day/)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.e2e.screens import ARTIFACTS
from tests.support import LOG_IN, PASSWORD

SHOTS = ARTIFACTS / "team-day"
# The company's site, served to the visitor's browser by Playwright (nothing
# leaves the machine): the page an admin pastes the embed code into.
SITE = "http://imobiliaria-aurora.example/contato"
DEAL = "Marina Duarte (site)"  # a captured lead's deal: the contact's name and the form's origin
STATE = """
query {
  pipelines { name stages { name kind } }
  queues { name members { user { email } } }
  users { edges { node { email name role } } }
  deals { edges { node { title status stage { name } owner { email } contact { name email owner { email } } } } }
  tasks { edges { node { title done assignee { email } deal { title } } } }
}
"""
ASSIGNMENTS = """
query {
  assignments { edges { node { status reason queue { name } user { email } contact { name email phone source } } } }
}
"""
DEAL_NOTES = """
query($id: ID!) { deal(id: $id) { timeline(first: 10) { edges { node { kind data } } } } }
"""


@dataclass
class Person:
    """One of the team, in a browser of their own."""

    page: Any
    name: str
    email: str
    who: str  # "admin" or "agent": how the screenshots name them


def site_with(embed_code: str) -> str:
    return (
        '<!doctype html><html lang="pt-BR"><head><meta charset="utf-8"><title>Imobiliária Aurora</title>'
        f"</head><body><h1>Fale com a Aurora</h1>{embed_code}</body></html>"
    )


class Steps:
    """Numbered full-page screenshots, in the order the day goes."""

    def __init__(self) -> None:
        self.count = 0
        # who works the lead names some of them: one run's pictures only
        for old in SHOTS.glob("*.png"):
            old.unlink()

    async def __call__(self, page: Any, name: str) -> None:
        self.count += 1
        await page.screenshot(path=str(SHOTS / f"{self.count:02d}-{name}.png"), full_page=True)


async def test_a_team_day_from_an_empty_database_through_the_browser(
    open_page: Any, server: Any, gql: Any
) -> None:
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

    # -- a capture form that sends its leads to the roleta and the funnel ------
    await admin.get_by_role("link", name="Ir para o quadro").click()
    await admin.get_by_role("link", name="Configurações").click()
    await admin.get_by_role("link", name="Formulários").click()
    await expect(admin.get_by_text("Nenhum formulário de captura ainda.")).to_be_visible()
    await admin.get_by_role("button", name="Novo formulário").click()
    editor = admin.get_by_role("form", name="Novo formulário")
    await editor.get_by_label("Nome do formulário").fill("Site da Aurora")
    await editor.get_by_label("Origem").fill("site")
    await editor.get_by_label("Roleta dos leads").select_option(label="Plantão de vendas")
    await editor.get_by_label("Funil").select_option(label="Pré-vendas")
    await shot(admin, "admin-capture-form")
    await editor.get_by_role("button", name="Criar formulário").click()
    card = admin.get_by_role("region", name="Site da Aurora")
    await expect(card).to_contain_text("Origem: site · Roleta: Plantão de vendas · Funil: Pré-vendas")
    embed_code = await card.get_by_label("Código para o site: Site da Aurora").input_value()
    action = re.search(r'action="([^"]+)"', embed_code).group(1)
    assert action.startswith(f"{server.url}/f/"), action
    await shot(admin, "admin-capture-form-created")

    # -- a visitor of the site sends the form --------------------------------
    visitor = await open_page()

    async def the_site(route: Any) -> None:
        await route.fulfill(content_type="text/html; charset=utf-8", body=site_with(embed_code))

    await visitor.route(SITE, the_site)
    await visitor.goto(SITE)
    await visitor.get_by_placeholder("Nome").fill("Marina Duarte")
    await visitor.get_by_placeholder("E-mail").fill("marina@example.com")
    await visitor.get_by_placeholder("Telefone").fill("(11) 97654-3210")
    await shot(visitor, "visitor-site-form")
    await visitor.get_by_role("button", name="Enviar").click()
    await expect(visitor.get_by_role("heading", name="Obrigado!")).to_be_visible()
    assert visitor.url == action
    await shot(visitor, "visitor-thanks")

    # the roleta gave the lead to one of the two, and says why
    [assignment] = [e["node"] for e in (await gql.ok(ASSIGNMENTS, token=token))["assignments"]["edges"]]
    team = {
        admin_email: Person(admin, "Helena Dona", admin_email, "admin"),
        agent_email: Person(agent, "Bruna Corretora", agent_email, "agent"),
    }
    assert assignment["status"] == "ASSIGNED" and assignment["queue"] == {"name": "Plantão de vendas"}
    assert assignment["contact"] == {
        "name": "Marina Duarte",
        "email": "marina@example.com",
        "phone": "+5511976543210",
        "source": "site",
    }
    worker = team[assignment["user"]["email"]]
    [other] = [person for person in team.values() if person is not worker]
    # (the explanation in the admin's language, pt-BR)
    assert assignment["reason"].startswith(
        f"ROUND_ROBIN: nenhuma atribuição anterior; a vez é de {worker.name} (posição "
    ), assignment["reason"]
    state = await gql.ok(STATE, token=token)
    [deal] = [e["node"] for e in state["deals"]["edges"]]
    assert deal == {
        "title": DEAL,
        "status": "OPEN",
        "stage": {"name": "Novo lead"},
        "owner": {"email": worker.email},
        "contact": {"name": "Marina Duarte", "email": "marina@example.com", "owner": {"email": worker.email}},
    }

    # -- whoever got it finds it on their "Meu dia" and works it ----------------
    page = worker.page
    await page.reload()
    await page.get_by_role("link", name="Meu dia").click()
    mine = page.get_by_role("list", name="Negócios em aberto")
    await expect(mine).to_contain_text(DEAL)
    await shot(page, f"{worker.who}-lead-arrived")
    await mine.get_by_role("link", name=DEAL).click()
    await expect(page.get_by_role("heading", name=DEAL, level=1)).to_be_visible()
    deal_id = page.url.rsplit("/", 1)[-1]
    details = page.get_by_role("region", name="Dados")
    await expect(details).to_contain_text("Novo lead")
    await expect(details.get_by_role("link", name="Marina Duarte")).to_be_visible()
    await expect(details.locator(".fact", has_text="Responsável")).to_contain_text(worker.name)

    await page.get_by_label("Nova nota").fill("Quer dois quartos perto do metrô.")
    await page.get_by_role("button", name="Adicionar nota").click()
    timeline = page.get_by_role("list", name="Linha do tempo")
    await expect(timeline.locator(".event").first).to_contain_text("Quer dois quartos perto do metrô.")
    await page.get_by_role("button", name="Nova tarefa").click()
    task_form = page.get_by_role("form", name="Nova tarefa")
    await task_form.get_by_label("Título *").fill("Ligar para Marina")
    await task_form.get_by_role("button", name="Criar").click()
    tasks = page.get_by_role("list", name="Tarefas abertas")
    await expect(tasks).to_contain_text("Ligar para Marina")
    # (a click, not check(): a ticked task leaves the open list at once, so
    # check()'s own wait for the box to read as checked can find it gone)
    await page.get_by_role("checkbox", name="Concluir “Ligar para Marina”").click()
    await expect(tasks).not_to_contain_text("Ligar para Marina")
    await expect(timeline.locator(".event").first).to_contain_text(
        f"{worker.name} concluiu a tarefa Ligar para Marina"
    )
    # the next step, a visit, is theirs too until the hand-off; due now (São
    # Paulo's clock, no summer time): on a "Meu dia" whether it reads as for
    # today or, a minute on, as overdue
    await page.get_by_role("button", name="Nova tarefa").click()
    task_form = page.get_by_role("form", name="Nova tarefa")
    await task_form.get_by_label("Título *").fill("Agendar visita com Marina")
    due = datetime.now(UTC) - timedelta(hours=3)
    await task_form.get_by_label("Prazo").fill(due.strftime("%Y-%m-%dT%H:%M"))
    await task_form.get_by_role("button", name="Criar").click()
    visit = tasks.locator(".task-row", has_text="Agendar visita com Marina")
    await expect(visit.locator(".task-assignee")).to_have_text(worker.name)
    await shot(page, f"{worker.who}-worked")

    # -- handed off by the admin (an agent may only give records to herself):
    # the deal, the visit (the same task, "Editar"), and the lead herself ------
    await admin.get_by_role("link", name="Quadro").click()
    await admin.locator(f'.card[data-deal-id="{deal_id}"]').get_by_role("link", name=DEAL).click()
    details = admin.get_by_role("region", name="Dados")
    await details.get_by_role("button", name="Editar", exact=True).click()
    edit = admin.get_by_role("form", name=f"Editar: {DEAL}")
    await edit.get_by_label("Responsável").select_option(label=other.name)
    await edit.get_by_role("button", name="Salvar").click()
    await expect(edit).to_have_count(0)  # the page is drawn again from the server's answer
    await expect(details.locator(".fact", has_text="Responsável")).to_contain_text(other.name)
    await admin.get_by_role("button", name="Editar “Agendar visita com Marina”").click()
    edit = admin.get_by_role("form", name="Editar “Agendar visita com Marina”")
    await expect(edit.get_by_label("Responsável")).to_have_value(re.compile(".+"))
    await edit.get_by_label("Responsável").select_option(label=other.name)
    await edit.get_by_role("button", name="Salvar").click()
    tasks = admin.get_by_role("list", name="Tarefas abertas")
    visit = tasks.locator(".task-row", has_text="Agendar visita com Marina")
    await expect(visit.locator(".task-assignee")).to_have_text(other.name)
    await expect(admin.get_by_role("list", name="Linha do tempo").locator(".event").first).to_contain_text(
        f"Helena Dona alterou a tarefa Agendar visita com Marina: responsável {other.name}"
    )
    await shot(admin, "admin-handed-off")
    await details.get_by_role("link", name="Marina Duarte").click()
    contact_details = admin.get_by_role("region", name="Dados")
    await contact_details.get_by_role("button", name="Editar", exact=True).click()
    edit = admin.get_by_role("form", name="Editar: Marina Duarte")
    await edit.get_by_label("Responsável").select_option(label=other.name)
    await edit.get_by_role("button", name="Salvar").click()
    await expect(edit).to_have_count(0)
    await expect(contact_details.locator(".fact", has_text="Responsável")).to_contain_text(other.name)

    state = await gql.ok(STATE, token=token)
    [deal] = [e["node"] for e in state["deals"]["edges"]]
    assert deal == {
        "title": DEAL,
        "status": "OPEN",
        "stage": {"name": "Novo lead"},
        "owner": {"email": other.email},
        "contact": {"name": "Marina Duarte", "email": "marina@example.com", "owner": {"email": other.email}},
    }
    assert sorted(
        (t["node"]["title"], t["node"]["done"], t["node"]["assignee"]["email"])
        for t in state["tasks"]["edges"]
    ) == [
        ("Agendar visita com Marina", False, other.email),
        ("Ligar para Marina", True, worker.email),
    ]
    assert {t["node"]["deal"]["title"] for t in state["tasks"]["edges"]} == {DEAL}
    notes = (await gql.ok(DEAL_NOTES, {"id": deal_id}, token=token))["deal"]["timeline"]["edges"]
    assert any(
        n["node"]["kind"] == "note.added" and n["node"]["data"]["body"] == "Quer dois quartos perto do metrô."
        for n in notes
    )

    # -- the other one's day: the visit, then the deal won on the board ---------
    page = other.page
    await page.get_by_role("link", name="Meu dia").click()
    await expect(page.locator(".my-tasks")).to_contain_text("Agendar visita com Marina")
    await expect(page.get_by_role("list", name="Negócios em aberto")).to_contain_text(DEAL)
    await expect(page.get_by_role("list", name="Contatos recentes")).to_contain_text("Marina Duarte")
    await shot(page, f"{other.who}-my-day")
    await page.get_by_role("checkbox", name="Concluir “Agendar visita com Marina”").click()
    await expect(page.locator(".my-tasks")).not_to_contain_text("Agendar visita com Marina")

    await page.get_by_role("link", name="Quadro").click()
    card = page.locator(f'.card[data-deal-id="{deal_id}"]')
    await expect(card).to_contain_text(DEAL)
    await card.get_by_role("button", name="Mover para…").focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("menuitem", name="Ganho", exact=True).click()
    won_card = page.locator('.column[data-stage-name="Ganho"]').locator(f'[data-deal-id="{deal_id}"]')
    await expect(won_card).to_be_visible()
    # (the card moves at once; it stops being "pending" when the server has the move)
    await expect(won_card).not_to_have_class(re.compile(r"\bpending\b"))
    await shot(page, f"{other.who}-won")

    state = await gql.ok(STATE, token=token)
    [deal] = [e["node"] for e in state["deals"]["edges"]]
    assert deal["status"] == "WON" and deal["stage"] == {"name": "Ganho"}
    assert deal["owner"] == {"email": other.email}
    assert all(t["node"]["done"] for t in state["tasks"]["edges"])

    # and the admin sees it won by them: on the board, and on the deal's page
    await admin.get_by_role("link", name="Quadro").click()
    won = admin.locator('.column[data-stage-name="Ganho"]').locator(f'.card[data-deal-id="{deal_id}"]')
    await won.get_by_role("link", name=DEAL).click()
    details = admin.get_by_role("region", name="Dados")
    await expect(details.locator(".fact", has_text="Situação")).to_contain_text("Ganho")
    await expect(details.locator(".fact", has_text="Responsável")).to_contain_text(other.name)
    await shot(admin, "admin-sees-it-won")
