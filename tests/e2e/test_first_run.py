"""Sign-up and first steps end to end in headless Chromium: a new admin
creates an account, creates the pre-sales pipeline from its template and
the first roleta, and issues an invitation link; a second tab (no
session) opens the link, sets a password and lands logged in as the
invited role. The server is asked what each step did. Settings: an
automation disabled from the screen is disabled for the server and after
a reload; a revoked invitation's link is refused; an API key's secret is
shown once. Screenshots go to $REVGRAPH_SCREENSHOTS or tests/artifacts/."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from revgraph.models.automation import AutomationRun
from revgraph.resolvers.ids import pk_of
from tests.automations.support import settle
from tests.support import LOG_IN, PASSWORD, sign_up

ARTIFACTS = Path(os.environ.get("REVGRAPH_SCREENSHOTS") or Path(__file__).parents[1] / "artifacts")
PHONE = {"width": 390, "height": 844}
# The page's own content fits a phone (the top bar is the board's, fixed elsewhere).
SIDEWAYS = """
() => [...document.querySelectorAll(".setup-page *")]
  .filter((el) => !el.closest("table") && el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .map((el) => `${el.tagName}.${el.className}`)
"""
CREATE_CONTACT = """
mutation($input: ContactInput!) { createContact(input: $input) { contact { id } userErrors { code message } } }
"""
CREATE_RULE = """
mutation($input: AutomationRuleInput!) { createAutomationRule(input: $input) { rule { id } userErrors { code message } } }
"""


async def settled(control: Any, *, checked: bool) -> None:
    """A settings switch drawn again from the server's answer (it is
    disabled from the click until then), in the state the server says."""
    await expect(control).to_be_enabled()
    if checked:
        await expect(control).to_be_checked()
    else:
        await expect(control).not_to_be_checked()


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


async def test_sign_up_first_steps_and_an_invitee_joining(open_page: Any, gql: Any) -> None:
    email = f"dona-{uuid.uuid4().hex[:6]}@example.com"
    page = await open_page()
    await page.set_viewport_size(PHONE)
    await page.get_by_role("button", name="Criar conta").click()
    await page.get_by_label("Nome da empresa").fill("Imobiliária Horizonte")
    await page.get_by_label("Seu nome").fill("Helena Dona")
    await page.get_by_label("E-mail").fill(email)
    # a short password is refused next to the field, in Portuguese
    await page.get_by_label("Senha").fill("curta")
    await page.get_by_role("button", name="Criar conta").click()
    await expect(page.locator('[data-error-for="password"]')).to_have_text(
        "A senha precisa ter de 8 a 256 caracteres."
    )
    await shot(page, "signup-phone")
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Criar conta").click()
    await expect(page.get_by_role("heading", name="Primeiros passos")).to_be_visible()
    assert page.url.endswith("#/primeiros-passos")
    assert await page.evaluate(SIDEWAYS) == []

    await page.get_by_role("button", name="Criar o funil “Pré-vendas”").click()
    await expect(page.get_by_text("Funil “Pré-vendas” criado.")).to_be_visible()
    await page.get_by_label("Nome da roleta").fill("Roleta do plantão")
    await page.get_by_role("button", name="Criar roleta").click()
    await expect(page.get_by_text("Roleta “Roleta do plantão” criada.")).to_be_visible()
    invite = page.get_by_role("form", name="Convidar pessoas")
    await invite.get_by_label("E-mail").fill("bruno@example.com")
    await invite.get_by_label("Nome").fill("Bruno")
    await invite.get_by_label("Papel").select_option("MANAGER")
    await invite.get_by_role("button", name="Convidar").click()
    await expect(page.get_by_label("Link de convite")).to_have_value(re.compile(r"/#/convite/rgi_"))
    link = await page.get_by_label("Link de convite").input_value()
    await shot(page, "first-run-phone")

    token = (await gql.ok(LOG_IN, {"input": {"email": email, "password": PASSWORD}}))["logIn"]["token"]
    state = await gql.ok(
        "{ pipelines { name stages { name requiresScheduledTask } } queues { name members { user { email } } }"
        " invitations { email role status } }",
        token=token,
    )
    assert [p["name"] for p in state["pipelines"]] == ["Pré-vendas"]
    assert state["pipelines"][0]["stages"][2] == {"name": "Visita agendada", "requiresScheduledTask": True}
    roleta = [q for q in state["queues"] if q["name"] == "Roleta do plantão"]
    assert [m["user"]["email"] for m in roleta[0]["members"]] == [email]
    assert state["invitations"] == [{"email": "bruno@example.com", "role": "MANAGER", "status": "PENDING"}]

    # a tab with no session opens the link and joins
    guest = await open_page()
    await guest.set_viewport_size(PHONE)
    await guest.goto(link)
    await expect(guest.get_by_role("heading", name="Convite para Imobiliária Horizonte")).to_be_visible()
    assert "rgi_" not in guest.url  # the token left the address bar
    await expect(guest.get_by_label("Seu nome")).to_have_value("Bruno")
    await guest.get_by_label("Senha").fill(PASSWORD)
    await shot(guest, "invitation-phone")
    await guest.get_by_role("button", name="Aceitar convite e entrar").click()
    await expect(guest.locator(".topbar .account-name")).to_have_text("Bruno")
    await expect(guest.locator(".topbar .workspace")).to_have_text("Imobiliária Horizonte")
    joined = await gql.ok(LOG_IN, {"input": {"email": "bruno@example.com", "password": PASSWORD}})
    assert joined["logIn"]["token"]

    # the same link, opened again, says it was used
    again = await open_page()
    await again.goto(link)
    await expect(again.get_by_role("alert")).to_have_text(
        "Este convite já foi usado. Entre com o e-mail e a senha cadastrados."
    )


async def test_settings_disable_an_automation_revoke_an_invitation_and_create_a_key(
    open_page: Any, gql: Any, server: Any
) -> None:
    ws = await sign_up(gql, "Imobiliária Config")
    rule = await gql.ok(
        CREATE_RULE,
        {
            "input": {
                "name": "Boas-vindas",
                "trigger": {"kind": "CONTACT_CREATED"},
                "actions": [{"addTag": {"tag": "novo"}}],
            }
        },
        token=ws.token,
    )
    assert rule["createAutomationRule"]["userErrors"] == []
    page = await open_page()
    await page.get_by_label("E-mail").fill(ws.email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await page.get_by_role("link", name="Configurações").click()
    await expect(page.get_by_role("heading", name="Configurações")).to_be_visible()

    # an invitation issued and revoked: its link is refused
    invite = page.get_by_role("form", name="Convidar pessoas")
    await invite.get_by_label("E-mail").fill("carla@example.com")
    await invite.get_by_role("button", name="Convidar").click()
    await expect(page.get_by_label("Link de convite")).to_have_value(re.compile(r"/#/convite/rgi_"))
    link = await page.get_by_label("Link de convite").input_value()
    await page.reload()
    await page.get_by_role("button", name="Revogar carla@example.com").click()
    await expect(page.locator('[data-status="REVOKED"]')).to_have_text("Revogado")
    await shot(page, "settings-people")
    guest = await open_page()
    await guest.goto(link)
    await expect(guest.get_by_role("alert")).to_have_text(
        "Este convite foi revogado. Peça um novo link a um administrador."
    )

    # a failed run retried from the screen runs again, for the server
    created = await gql.ok(CREATE_CONTACT, {"input": {"name": "Lia Lead"}}, token=ws.token)
    assert created["createContact"]["userErrors"] == []
    await settle()
    rule_pk = pk_of(rule["createAutomationRule"]["rule"]["id"], "AutomationRule")
    failed = await AutomationRun.filter(rule_id=rule_pk, status="SUCCEEDED").update(
        status="FAILED", error="Falha simulada"
    )
    assert failed == 1
    await page.get_by_role("link", name="Automações").click()
    await expect(page.get_by_text("Falha simulada")).to_be_visible()
    await page.get_by_role("button", name="Tentar de novo").click()
    await expect(page.get_by_role("button", name="Tentar de novo")).to_have_count(0)
    await settle()
    runs = await gql.ok("{ automationRuns { edges { node { status } } } }", token=ws.token)
    assert [e["node"]["status"] for e in runs["automationRuns"]["edges"]] == ["SUCCEEDED"]

    # an automation disabled from the screen
    await page.reload()
    switch = page.get_by_label("Ativa: Boas-vindas")
    await expect(switch).to_be_checked()
    await switch.click()
    await settled(page.get_by_label("Ativa: Boas-vindas"), checked=False)
    rules = await gql.ok("{ automationRules { name enabled } }", token=ws.token)
    assert rules["automationRules"] == [{"name": "Boas-vindas", "enabled": False}]
    await page.reload()
    await expect(page.get_by_label("Ativa: Boas-vindas")).not_to_be_checked()
    await shot(page, "settings-automations")

    # an API key: its secret shown once, and it works
    await page.get_by_role("link", name="Chaves de API").click()
    await page.get_by_label("Nome").fill("Portal de anúncios")
    await page.get_by_label("Escopo").select_option("READ_ONLY")
    await page.get_by_role("button", name="Criar chave").click()
    shown = page.get_by_label("Segredo da chave (copie agora: não será mostrado de novo)")
    await expect(shown).to_have_value(re.compile(r"^rgk_"))
    secret = await shown.input_value()
    me = await gql.ok("{ workspace { name } }", token=secret)
    assert me["workspace"]["name"] == "Imobiliária Config"
    await page.get_by_role("button", name="Revogar Portal de anúncios").click()
    await expect(page.get_by_text("Revogada em")).to_be_visible()
    refused = await gql("{ workspace { name } }", token=secret)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_settings_stage_gates_roleta_members_and_form_embed_code(open_page: Any, gql: Any) -> None:
    ws = await sign_up(gql, "Imobiliária Funis")
    await gql.ok(
        'mutation { createPipelineFromTemplate(key: "real_estate_pre_sales") { userErrors { code } } }',
        token=ws.token,
    )
    agent = await ws.user("AGENT", name="Caio Corretor")
    queue = await gql.ok(
        CREATE_QUEUE,
        {
            "input": {
                "name": "Plantão",
                "mode": "OFFLINE",
                "strategy": "ROUND_ROBIN",
                "members": [{"userId": agent["id"]}],
            }
        },
        token=ws.token,
    )
    assert queue["createQueue"]["userErrors"] == []
    form = await gql.ok(CREATE_FORM, {"input": {"name": "Site Horizonte", "source": "site"}}, token=ws.token)
    endpoint = form["createForm"]["form"]["endpoint"]

    page = await open_page()
    await page.get_by_label("E-mail").fill(ws.email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.locator(".topbar")).to_be_visible()

    # a gate switched on from the screen is the server's rule, and stays after a reload
    await page.goto(page.url.split("#")[0] + "#/config/funis")
    gate = page.get_by_label("Exige tarefa agendada: Em contato")
    await expect(gate).not_to_be_checked()
    await gate.click()
    await settled(page.get_by_label("Exige tarefa agendada: Em contato"), checked=True)
    await page.get_by_label("Valor exigido: Em contato").click()
    await settled(page.get_by_label("Valor exigido: Em contato"), checked=True)
    stages = (
        await gql.ok("{ pipelines { stages { name requiresScheduledTask requiredFields } } }", token=ws.token)
    )["pipelines"][0]["stages"]
    assert stages[1] == {"name": "Em contato", "requiresScheduledTask": True, "requiredFields": ["value"]}
    await page.reload()
    await expect(page.get_by_label("Exige tarefa agendada: Em contato")).to_be_checked()
    await shot(page, "settings-pipelines")

    # a roleta member paused from the screen receives no leads, for the server
    await page.get_by_role("link", name="Roletas").click()
    await page.get_by_label("Recebe leads: Caio Corretor em Plantão").click()
    await settled(page.get_by_label("Recebe leads: Caio Corretor em Plantão"), checked=False)
    members = (await gql.ok("{ queues { name members { active user { name } } } }", token=ws.token))["queues"]
    assert {"active": False, "user": {"name": "Caio Corretor"}} in next(
        q for q in members if q["name"] == "Plantão"
    )["members"]

    # the form's embed code posts to its endpoint
    await page.get_by_role("link", name="Formulários").click()
    code = await page.get_by_label("Código para o site: Site Horizonte").input_value()
    assert f'action="{page.url.split("/#")[0]}{endpoint}"' in code
    await shot(page, "settings-forms")


CREATE_QUEUE = """
mutation($input: QueueInput!) { createQueue(input: $input) { queue { id } userErrors { code message } } }
"""
CREATE_FORM = """
mutation($input: FormInput!) { createForm(input: $input) { form { endpoint } userErrors { code message } } }
"""
