"""The contact's 360° page and the deal's page in Chromium, on a lead with a
custom field, a company, a deal, a task and a conversation-free history:
the fields read in pt-BR; a note added appears at the top of the timeline
and on the server; an edit with a bad e-mail shows the server's userError
next to the e-mail field and changes nothing; the header's search finds the
contact by phone digits and opens the page; a deal's page edits its value
and creates a task; and a 390 px phone shows the page without sideways
scroll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.async_api import expect

from tests.e2e.screens import PHONE, assert_fits_sideways, logged_in_at, screenshot
from tests.e2e.test_my_day import CREATE_CONTACT, CREATE_DEAL, CREATE_PIPELINE, CREATE_TASK, ok

CREATE_FIELD = """
mutation F($input: CustomFieldDefinitionInput!) {
  createCustomFieldDefinition(input: $input) { userErrors { message } }
}
"""
CREATE_COMPANY = """
mutation Co($input: CompanyInput!) { createCompany(input: $input) { company { id } userErrors { message } } }
"""
CONTACT = """
query Contact($id: ID!) {
  contact(id: $id) {
    name email customFields
    timeline(first: 5) { edges { node { kind data } } }
  }
}
"""
DEAL = """
query Deal($id: ID!) {
  deal(id: $id) { value version timeline(first: 5) { edges { node { kind } } } }
  tasks(filter: { dealId: { eq: $id } }) { edges { node { title dueAt done } } }
}
"""


async def a_lead(gql: Any, workspace: Any) -> dict[str, Any]:
    token = workspace.token
    await ok(
        gql,
        token,
        CREATE_FIELD,
        {"entity": "CONTACT", "key": "renda_mensal", "label": "Renda mensal", "type": "DECIMAL"},
        "createCustomFieldDefinition",
    )
    company = (
        await ok(
            gql,
            token,
            CREATE_COMPANY,
            {"name": "Construtora Horizonte", "domain": "horizonte.com.br"},
            "createCompany",
        )
    )["company"]["id"]
    contact = (
        await ok(
            gql,
            token,
            CREATE_CONTACT,
            {
                "name": "Marina Duarte",
                "email": "marina@example.com",
                "phone": "(11) 97654-3210",
                "companyId": company,
                "ownerId": workspace.admin["id"],
                "customFields": {"renda_mensal": "18500.50"},
            },
            "createContact",
        )
    )["contact"]["id"]
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
                "title": "Cobertura Vila Mariana",
                "pipelineId": pipeline["id"],
                "value": "1250000.00",
                "contactId": contact,
            },
            "createDeal",
        )
    )["deal"]["id"]
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    await ok(
        gql,
        token,
        CREATE_TASK,
        {"title": "Enviar proposta", "dueAt": due, "contactId": contact},
        "createTask",
    )
    return {"contact": contact, "company": company, "deal": deal}


async def test_the_contact_page_shows_the_lead_takes_a_note_and_refuses_a_bad_email_next_to_the_field(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given Marina, found through the header's search by digits of her phone
    lead = await a_lead(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, "#/dia")
    await page.get_by_role("searchbox", name="Pesquisar").fill("97654")
    found = page.get_by_role("search", name="Pesquisar")
    result = found.get_by_role("list", name="Contatos", exact=True).get_by_role("link", name="Marina Duarte")
    await expect(result).to_be_visible()
    await result.click()
    await expect(page).to_have_url(f"{server.url}/#/contato/{lead['contact']}")

    # then her page shows her data in pt-BR, the custom field included
    await expect(page.get_by_role("heading", name="Marina Duarte", level=1)).to_be_visible()
    details = page.get_by_role("region", name="Dados")
    await expect(details).to_contain_text("marina@example.com")
    await expect(details).to_contain_text("+55 (11) 97654-3210")
    await expect(details).to_contain_text("Construtora Horizonte")
    await expect(details).to_contain_text("Renda mensal")
    await expect(details).to_contain_text("18.500,5")
    # her deal, her open task and her timeline
    await expect(page.get_by_role("region", name="Negócios")).to_contain_text("Cobertura Vila Mariana")
    await expect(page.get_by_role("region", name="Negócios")).to_contain_text("R$\xa01.250.000,00")
    await expect(page.get_by_role("list", name="Tarefas abertas")).to_contain_text("Enviar proposta")
    timeline = page.get_by_role("list", name="Linha do tempo")
    await expect(timeline.locator(".event").first).to_be_visible()

    # when a note is added
    await page.get_by_label("Nova nota").fill("Prefere visitas aos sábados.\nTem dois filhos.")
    await page.get_by_role("button", name="Adicionar nota").click()
    # then it is the timeline's first entry, whole, and the server has it
    await expect(timeline.locator(".event").first).to_have_attribute("data-kind", "note.added")
    await expect(timeline.locator(".event").first).to_contain_text(
        "Prefere visitas aos sábados.\nTem dois filhos."
    )
    await expect(timeline.locator(".event").first).to_contain_text("Ana Admin")
    data = (await gql.ok(CONTACT, {"id": lead["contact"]}, token=workspace.token))["contact"]
    newest = data["timeline"]["edges"][0]["node"]
    assert (
        newest["kind"] == "note.added"
        and newest["data"]["body"] == "Prefere visitas aos sábados.\nTem dois filhos."
    )
    await screenshot(page, "contato-desktop")
    await assert_fits_sideways(page)  # at 1440 px too

    # when she is edited with an invalid e-mail
    await details.get_by_role("button", name="Editar").click()
    form = page.get_by_role("form", name="Editar: Marina Duarte")
    email = form.get_by_label("E-mail")
    await email.fill("marina@@exemplo")
    await form.get_by_label("Renda mensal").fill("21.000,00")
    await form.get_by_role("button", name="Salvar").click()
    # then the server's error shows next to the e-mail field, which is marked invalid and focused
    error = form.locator('[data-error-for="email"]')
    await expect(error).not_to_be_empty()
    await expect(email).to_have_attribute("aria-invalid", "true")
    await expect(email).to_be_focused()
    assert await email.get_attribute("aria-describedby") == await error.get_attribute("id")
    # and nothing changed on the server
    data = (await gql.ok(CONTACT, {"id": lead["contact"]}, token=workspace.token))["contact"]
    assert data["email"] == "marina@example.com" and data["customFields"] == {"renda_mensal": "18500.50"}

    # when the e-mail is corrected
    await email.fill("marina.duarte@example.com")
    await form.get_by_role("button", name="Salvar").click()
    # then the page shows the new values, and the server has them (the decimal read from pt-BR)
    await expect(details).to_contain_text("marina.duarte@example.com")
    await expect(details).to_contain_text("21.000")
    data = (await gql.ok(CONTACT, {"id": lead["contact"]}, token=workspace.token))["contact"]
    assert data["email"] == "marina.duarte@example.com" and data["customFields"] == {
        "renda_mensal": "21000.00"
    }


async def test_a_new_contact_with_a_taken_email_is_refused_next_to_the_field(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    await a_lead(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, "#/contato/novo")
    form = page.get_by_role("form", name="Novo contato")
    await form.get_by_label("Nome *").fill("Marina Outra")
    await form.get_by_label("E-mail").fill("MARINA@example.com")
    await form.get_by_role("button", name="Criar").click()
    await expect(form.locator('[data-error-for="email"]')).not_to_be_empty()
    await expect(form.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")

    # and with a free e-mail it is created and its page opens
    await form.get_by_label("E-mail").fill("marina.outra@example.com")
    await form.get_by_role("button", name="Criar").click()
    await expect(page.get_by_role("heading", name="Marina Outra", level=1)).to_be_visible()
    assert "#/contato/" in page.url


async def test_the_deal_page_edits_the_value_adds_a_task_and_fits_a_phone(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    lead = await a_lead(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, f"#/contato/{lead['contact']}")
    await (
        page.get_by_role("region", name="Negócios").get_by_role("link", name="Cobertura Vila Mariana").click()
    )
    await expect(page.get_by_role("heading", name="Cobertura Vila Mariana", level=1)).to_be_visible()
    details = page.get_by_role("region", name="Dados")
    await expect(details).to_contain_text("R$\xa01.250.000,00")
    await expect(details.get_by_role("link", name="Marina Duarte")).to_have_attribute(
        "href", f"#/contato/{lead['contact']}"
    )

    # when the value is changed in pt-BR
    await details.get_by_role("button", name="Editar").click()
    form = page.get_by_role("form", name="Editar: Cobertura Vila Mariana")
    await form.get_by_label("Valor (R$)").fill("1.190.000,00")
    await form.get_by_role("button", name="Salvar").click()
    await expect(details).to_contain_text("R$\xa01.190.000,00")

    # when a task is created on the deal for tomorrow at 10:00 (São Paulo)
    await page.get_by_role("button", name="Nova tarefa").click()
    task_form = page.get_by_role("form", name="Nova tarefa")
    await task_form.get_by_label("Título *").fill("Levar contraproposta")
    tomorrow = (datetime.now(UTC) - timedelta(hours=3) + timedelta(days=1)).date()
    await task_form.get_by_label("Prazo").fill(f"{tomorrow.isoformat()}T10:00")
    await task_form.get_by_role("button", name="Criar").click()
    await expect(page.get_by_role("list", name="Tarefas abertas")).to_contain_text("Levar contraproposta")
    await expect(page.get_by_role("list", name="Tarefas abertas")).to_contain_text(
        f"{tomorrow.strftime('%d/%m/%Y')} 10:00"
    )

    # then the server has both: the value and the task due 13:00 UTC
    data = await gql.ok(DEAL, {"id": lead["deal"]}, token=workspace.token)
    assert data["deal"]["value"] == "1190000.00"
    [task] = [edge["node"] for edge in data["tasks"]["edges"]]
    assert task["title"] == "Levar contraproposta" and task["dueAt"].startswith(
        f"{tomorrow.isoformat()}T13:00"
    )

    # and a note on the deal lands on its timeline
    await page.get_by_label("Nova nota").fill("Cliente pediu desconto.")
    await page.get_by_role("button", name="Adicionar nota").click()
    await expect(page.get_by_role("list", name="Linha do tempo").locator(".event").first).to_contain_text(
        "Cliente pediu desconto."
    )
    await screenshot(page, "negocio-desktop")

    # and on a 390 px phone the deal's and the contact's pages fit the screen
    await page.set_viewport_size(PHONE)
    await assert_fits_sideways(page)
    await screenshot(page, "negocio-celular")
    await page.goto(f"{server.url}/#/contato/{lead['contact']}")
    await expect(page.get_by_role("heading", name="Marina Duarte", level=1)).to_be_visible()
    await expect(page.get_by_role("list", name="Linha do tempo").locator(".event").first).to_be_visible()
    await assert_fits_sideways(page)
    await screenshot(page, "contato-celular")


async def test_the_search_walks_with_the_keyboard_to_a_company_and_its_page_edits_it(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    lead = await a_lead(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, "#/dia")
    search = page.get_by_role("searchbox", name="Pesquisar")
    found = page.get_by_role("search", name="Pesquisar")
    # a company by part of its name, reached with the arrow keys
    await search.fill("horizonte")
    companies = found.get_by_role("list", name="Empresas", exact=True)
    await expect(companies.get_by_role("link")).to_have_count(1)
    await expect(found.get_by_role("list", name="Contatos", exact=True)).to_have_count(0)
    await search.press("ArrowDown")
    await expect(companies.get_by_role("link", name="Construtora Horizonte")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page).to_have_url(f"{server.url}/#/empresa/{lead['company']}")
    await expect(page.get_by_role("heading", name="Construtora Horizonte", level=1)).to_be_visible()
    await expect(page.get_by_role("region", name="Contatos da empresa")).to_contain_text("Marina Duarte")
    await expect(page.get_by_role("region", name="Dados")).to_contain_text("horizonte.com.br")

    # a deal by its title; Escape closes the results and keeps the focus in the box
    await search.fill("cobertura")
    await expect(found.get_by_role("list", name="Negócios", exact=True).get_by_role("link")).to_contain_text(
        "Cobertura Vila Mariana"
    )
    await search.press("Escape")
    await expect(page.locator("#global-search-results")).to_be_hidden()
    await expect(search).to_be_focused()
    # nothing found says so
    await search.fill("zzzz-nada")
    await expect(page.locator("#global-search-results")).to_contain_text("Nada encontrado.")

    # the company's domain is edited in place
    dados = page.get_by_role("region", name="Dados")
    await dados.get_by_role("button", name="Editar").click()
    form = page.get_by_role("form", name="Editar: Construtora Horizonte")
    await form.get_by_label("Domínio").fill("https://www.horizonte.eng.br/")
    await form.get_by_role("button", name="Salvar").click()
    await expect(dados).to_contain_text("horizonte.eng.br")


async def test_a_board_card_title_opens_the_deal_page(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    lead = await a_lead(gql, workspace)
    page = await logged_in_at(open_page, server, workspace.email, "#/board")
    card = page.locator(f'.card[data-deal-id="{lead["deal"]}"]')
    await card.get_by_role("link", name="Cobertura Vila Mariana").click()
    await expect(page).to_have_url(f"{server.url}/#/negocio/{lead['deal']}")
    await expect(page.get_by_role("heading", name="Cobertura Vila Mariana", level=1)).to_be_visible()
    await expect(page.get_by_role("link", name="Meu dia")).not_to_have_attribute("aria-current", "page")


ADD_NOTE = """
mutation N($input: NoteInput!) { addNote(input: $input) { event { id } userErrors { message } } }
"""


async def test_the_timeline_pages_by_twenty_and_a_deal_and_a_company_are_created_from_the_pages(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given Marina with 25 notes after her 3 first events (28 in all)
    lead = await a_lead(gql, workspace)
    for n in range(1, 26):
        await ok(
            gql, workspace.token, ADD_NOTE, {"subjectId": lead["contact"], "body": f"Nota {n:02d}"}, "addNote"
        )
    page = await logged_in_at(open_page, server, workspace.email, f"#/contato/{lead['contact']}")
    timeline = page.get_by_role("list", name="Linha do tempo")
    # then the newest twenty show first, and "Carregar mais" brings the rest, oldest last
    await expect(timeline.locator(".event")).to_have_count(20)
    await expect(timeline.locator(".event").first).to_contain_text("Nota 25")
    await page.get_by_role("button", name="Carregar mais").click()
    await expect(timeline.locator(".event")).to_have_count(28)
    await expect(timeline.locator(".event").last).to_have_attribute("data-kind", "contact.created")
    await expect(page.get_by_role("button", name="Carregar mais")).to_be_hidden()

    # when a deal is opened from her page, in the pipeline's second stage
    await page.get_by_role("button", name="Novo negócio").click()
    form = page.get_by_role("form", name="Novo negócio")
    await form.get_by_label("Funil › Etapa").select_option(label="Vendas › Visita")
    await form.get_by_label("Título *").fill("Studio Pinheiros")
    await form.get_by_label("Valor (R$)").fill("abc")
    await form.get_by_role("button", name="Criar").click()
    # then a bad value is refused next to the value field
    await expect(form.locator('[data-error-for="value"]')).not_to_be_empty()
    await form.get_by_label("Valor (R$)").fill("390.000,00")
    await form.get_by_role("button", name="Criar").click()
    # and with a good one its page opens, with Marina as its contact
    await expect(page.get_by_role("heading", name="Studio Pinheiros", level=1)).to_be_visible()
    details = page.get_by_role("region", name="Dados")
    await expect(details).to_contain_text("R$\xa0390.000,00")
    await expect(details).to_contain_text("Visita")
    await expect(details.get_by_role("link", name="Marina Duarte")).to_be_visible()

    # and a company is created from "Meu dia"
    await page.get_by_role("link", name="Meu dia").click()
    await page.get_by_role("link", name="Nova empresa").click()
    company_form = page.get_by_role("form", name="Nova empresa")
    await company_form.get_by_label("Nome *").fill("Incorporadora Sol")
    await company_form.get_by_role("button", name="Criar").click()
    await expect(page.get_by_role("heading", name="Incorporadora Sol", level=1)).to_be_visible()
    assert "#/empresa/" in page.url
