"""Capture forms in "Configurações", in Chromium: an admin creates a form
with its origin defaults, roleta, pipeline and field mapping (a mapping the
server refuses is explained on its row), a post to its public endpoint
brings the lead in through the form's mapping and defaults, an edit changes
the embed code, and an archived form's endpoint answers 404."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import expect

from tests.e2e.screens import assert_fits_sideways, logged_in_at, screenshot

CREATE_QUEUE = """
mutation($input: QueueInput!) { createQueue(input: $input) { userErrors { code message } } }
"""
TEMPLATE = 'mutation { createPipelineFromTemplate(key: "real_estate_pre_sales") { userErrors { code } } }'
FORMS = "query { forms(includeArchived: true) { name source media campaign fieldMapping archivedAt queue { name } pipeline { name } } }"
LEAD = """
query($search: String!) {
  contacts(search: $search) {
    edges { node { name email phone source customFields owner { name } deals { edges { node { pipeline { name } } } } } }
  }
}
"""


async def mapping_row(page: Any, posted: str, target: str, key: str | None = None) -> None:
    """Add a mapping row and fill it in (rows are numbered as they are made)."""
    editor = page.get_by_role("form", name=re.compile("Novo formulário|Editar"))
    await editor.get_by_role("button", name="Adicionar campo").click()
    row = editor.locator(".mapping-row").last
    await row.get_by_label(re.compile("Campo enviado pelo site")).fill(posted)
    await row.get_by_label(re.compile("Campo do lead")).select_option(label=target)
    if key is not None:
        await row.get_by_label(re.compile("Chave do campo personalizado")).fill(key)


async def test_an_admin_creates_a_form_whose_endpoint_brings_a_lead_in(
    open_page: Any, server: Any, gql: Any, workspace: Any
) -> None:
    token = workspace.token
    caio = await workspace.user("AGENT", name="Caio Corretor")
    values = {
        "name": "Plantão",
        "mode": "OFFLINE",
        "strategy": "ROUND_ROBIN",
        "members": [{"userId": caio["id"]}],
    }
    assert (await gql.ok(CREATE_QUEUE, {"input": values}, token=token))["createQueue"]["userErrors"] == []
    await gql.ok(TEMPLATE, token=token)
    pipeline = (await gql.ok("{ pipelines { name } }", token=token))["pipelines"][0]["name"]

    page = await logged_in_at(open_page, server, workspace.email, "#/config/formularios")
    await expect(page.get_by_text("Nenhum formulário de captura ainda.")).to_be_visible()
    await page.get_by_role("button", name="Novo formulário").click()
    editor = page.get_by_role("form", name="Novo formulário")
    await editor.get_by_label("Nome do formulário").fill("Site Horizonte")
    await editor.get_by_label("Origem").fill("site")
    await editor.get_by_label("Mídia padrão").fill("pago")
    await editor.get_by_label("Campanha padrão").fill("verao")
    await editor.get_by_label("Roleta dos leads").select_option(label="Plantão")
    await editor.get_by_label("Funil").select_option(label=pipeline)
    await mapping_row(page, "nome_completo", "Nome")
    await mapping_row(page, "celular", "Telefone")
    await mapping_row(page, "bairro", "Campo personalizado…", "bairro")
    await mapping_row(page, "fone", "Telefone")
    # a lead field fed twice is refused on the second row, and nothing is created
    await editor.get_by_role("button", name="Criar formulário").click()
    fone = editor.locator(".mapping-row").nth(3)
    await expect(fone.get_by_role("alert")).to_have_text(
        "phone já é preenchido por 'celular': mapeie-o uma vez só."
    )
    assert (await gql.ok(FORMS, token=token))["forms"] == []
    await screenshot(page, "settings-forms-refused-mapping")
    await fone.get_by_role("button", name=re.compile("Tirar")).click()
    await editor.get_by_role("button", name="Criar formulário").click()

    card = page.get_by_role("region", name="Site Horizonte")
    await expect(card).to_contain_text("Origem: site · Mídia: pago · Campanha: verao · Roleta: Plantão")
    await expect(card.get_by_role("list", name="Mapeamento de Site Horizonte")).to_contain_text(
        "celular → Telefone"
    )
    assert (await gql.ok(FORMS, token=token))["forms"] == [
        {
            "name": "Site Horizonte",
            "source": "site",
            "media": "pago",
            "campaign": "verao",
            "fieldMapping": {"nome_completo": "name", "celular": "phone", "bairro": "customFields.bairro"},
            "archivedAt": None,
            "queue": {"name": "Plantão"},
            "pipeline": {"name": pipeline},
        }
    ]
    code = await page.get_by_label("Código para o site: Site Horizonte").input_value()
    assert (
        'name="celular" type="tel"' in code and 'name="nome_completo"' in code and 'name="name"' not in code
    )
    action = re.search(r'action="([^"]+)"', code).group(1)
    await screenshot(page, "settings-forms-created")

    # when a site posts to the endpoint the embed code names
    posted = await gql.http.post(
        action,
        json={
            "nome_completo": "Lia Lead",
            "celular": "(11) 91234-5678",
            "email": "lia@example.com",
            "bairro": "Centro",
        },
    )
    assert posted.status_code == 201, posted.text
    # then the lead is in, read through the mapping, with the form's origin, roleta and pipeline
    [edge] = (await gql.ok(LEAD, {"search": "lia@example.com"}, token=token))["contacts"]["edges"]
    lead = edge["node"]
    assert (lead["name"], lead["phone"], lead["source"]) == ("Lia Lead", "+5511912345678", "site")
    assert lead["customFields"] == {"bairro": "Centro"} and lead["owner"] == {"name": "Caio Corretor"}
    assert [d["node"]["pipeline"]["name"] for d in lead["deals"]["edges"]] == [pipeline]
    # and the team finds it in the app
    await page.get_by_placeholder(re.compile("Pesquisar")).fill("Lia Lead")
    results = page.locator("#global-search-results")
    await expect(results.get_by_role("link", name=re.compile("Lia Lead")).first).to_be_visible()
    await page.keyboard.press("Escape")

    # an edit changes the form and its embed code
    await page.get_by_role("button", name="Editar Site Horizonte").click()
    await (
        page.get_by_role("form", name="Editar Site Horizonte").get_by_label("Campanha padrão").fill("inverno")
    )
    await mapping_row(page, "duvida", "Mensagem")
    await page.get_by_role("button", name="Salvar formulário").click()
    await expect(card).to_contain_text("Campanha: inverno")
    code = await page.get_by_label("Código para o site: Site Horizonte").input_value()
    assert 'name="duvida" placeholder="Mensagem"' in code
    (form,) = (await gql.ok(FORMS, token=token))["forms"]
    assert form["campaign"] == "inverno" and form["fieldMapping"]["duvida"] == "message"
    await assert_fits_sideways(page)

    # archiving asks first; then the endpoint answers 404
    await page.get_by_role("button", name="Arquivar Site Horizonte").click()
    await page.get_by_role("button", name="Confirmar arquivamento").click()
    await expect(page.get_by_role("region", name="Site Horizonte")).to_have_count(0)
    (form,) = (await gql.ok(FORMS, token=token))["forms"]
    assert form["archivedAt"] is not None
    assert (await gql.http.post(action, json={"name": "Depois"})).status_code == 404
