"""Roletas in "Configurações", in Chromium: an admin sees who is online and
the backlog, changes a member's weight, capacity and "recebe leads"
inline, adds and removes (after confirming) a member, renames a roleta and
changes its strategy, sees a refused change's reason beside its field, and
archives it; a manager gets the Roletas tab (beside their people's), with the roletas where
people of their teams are, and changes only those people."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.distribution.support import contact, distribute
from tests.e2e.screens import DESKTOP, PHONE, assert_fits_sideways, logged_in_at, screenshot

CREATE_QUEUE = """
mutation($input: QueueInput!) {
  createQueue(input: $input) { queue { id } userErrors { code message field } }
}
"""
SET_MEMBER = """
mutation($q: ID!, $input: QueueMemberInput!) {
  setQueueMember(queueId: $q, input: $input) { userErrors { code } }
}
"""
ONLINE = "mutation { setAvailability(online: true) { userErrors { code } } }"
QUEUES = """
query { queues { name strategy archivedAt members { weight capacity active user { name } } } }
"""


async def a_queue(
    gql: Any, token: str, name: str, *members: dict[str, Any], strategy: str = "WEIGHTED"
) -> str:
    values = {"name": name, "mode": "OFFLINE", "strategy": strategy}
    values["members"] = [{"userId": m["id"]} for m in members]
    payload = (await gql.ok(CREATE_QUEUE, {"input": values}, token=token))["createQueue"]
    assert payload["userErrors"] == [], payload
    return payload["queue"]["id"]


async def queues_now(gql: Any, token: str) -> dict[str, Any]:
    """The server's roletas by name, each member as (weight, capacity, active) by name."""
    found = (await gql.ok(QUEUES, token=token))["queues"]
    return {
        q["name"]: {
            "strategy": q["strategy"],
            "members": {m["user"]["name"]: (m["weight"], m["capacity"], m["active"]) for m in q["members"]},
        }
        for q in found
    }


async def settled(page: Any) -> None:
    """The roletas drawn again from the server's answer (or the refusal shown):
    the section is aria-busy from a change until then."""
    await expect(page.locator(".settings-section[aria-busy]")).to_have_count(0)


async def changed(control: Any, value: str) -> None:
    """Type a value and leave the field (its change event saves it)."""
    await control.fill(value)
    await control.press("Tab")
    await settled(control.page)


async def test_an_admin_runs_a_roleta_from_settings(
    open_page: Any, server: Any, gql: Any, workspace: Any
) -> None:
    token = workspace.token
    caio = await workspace.user("AGENT", name="Caio Corretor")
    duda = await workspace.user("AGENT", name="Duda Online")
    await workspace.user("AGENT", name="Edu Novo")
    await gql.ok(ONLINE, token=duda["token"])
    await a_queue(gql, token, "Plantão", caio, duda)
    # a roleta whose only member is paused keeps a lead waiting
    noite = await a_queue(gql, token, "Noite", caio)
    await gql.ok(SET_MEMBER, {"q": noite, "input": {"userId": caio["id"], "active": False}}, token=token)
    await distribute(gql, token, noite, contact_id=await contact(gql, token))

    page = await logged_in_at(open_page, server, workspace.email, "#/config/roletas")
    card = page.get_by_role("region", name="Roleta Plantão")
    # who is online, and the backlog
    await expect(card.get_by_role("row").filter(has_text="Duda Online")).to_contain_text("Online")
    await expect(card.get_by_role("row").filter(has_text="Caio Corretor")).to_contain_text("Offline")
    await expect(page.get_by_role("region", name="Roleta Noite")).to_contain_text("1 lead aguardando")
    await expect(card).to_contain_text("Nenhum lead aguardando")

    # weight and capacity changed inline are the server's
    await changed(page.get_by_label("Peso: Caio Corretor em Plantão"), "3")
    await expect(page.get_by_label("Peso: Caio Corretor em Plantão")).to_be_enabled()
    await changed(page.get_by_label("Capacidade: Caio Corretor em Plantão"), "2")
    await expect(page.get_by_label("Capacidade: Caio Corretor em Plantão")).to_have_value("2")
    assert (await queues_now(gql, token))["Plantão"]["members"]["Caio Corretor"] == (3, 2, True)
    # a weight out of range is refused beside the field, and nothing changes
    await changed(page.get_by_label("Peso: Caio Corretor em Plantão"), "0")
    caio_row = card.get_by_role("row").filter(has_text="Caio Corretor")
    await expect(caio_row.locator('[data-error-for="weight"]')).to_have_text(
        "O peso é um número inteiro de 1 a 1000."
    )
    assert (await queues_now(gql, token))["Plantão"]["members"]["Caio Corretor"] == (3, 2, True)
    # while the weight is wrong, a switch is refused too and goes back to the server's state
    await page.get_by_label("Recebe leads: Caio Corretor em Plantão").click()
    await settled(page)
    await expect(page.get_by_label("Recebe leads: Caio Corretor em Plantão")).to_be_checked()
    await changed(page.get_by_label("Peso: Caio Corretor em Plantão"), "3")
    await expect(caio_row.locator('[data-error-for="weight"]')).to_have_text("")
    # pausing
    await page.get_by_label("Recebe leads: Caio Corretor em Plantão").click()
    await settled(page)
    await expect(page.get_by_label("Recebe leads: Caio Corretor em Plantão")).not_to_be_checked()
    await expect(page.get_by_label("Recebe leads: Caio Corretor em Plantão")).to_be_enabled()
    assert (await queues_now(gql, token))["Plantão"]["members"]["Caio Corretor"] == (3, 2, False)

    # adding someone, then removing them after confirming
    adding = page.get_by_role("form", name="Adicionar à roleta Plantão")
    await adding.get_by_label("Adicionar pessoa").select_option(label="Edu Novo")
    await adding.get_by_role("button", name="Adicionar").click()
    await settled(page)
    await expect(page.get_by_label("Peso: Edu Novo em Plantão")).to_be_visible()
    assert "Edu Novo" in (await queues_now(gql, token))["Plantão"]["members"]
    await page.get_by_role("button", name="Remover Edu Novo em Plantão").click()
    await expect(page.get_by_text("Remover Edu Novo da roleta?")).to_be_visible()
    assert "Edu Novo" in (await queues_now(gql, token))["Plantão"]["members"]
    await page.get_by_role("button", name="Confirmar remoção").click()
    await settled(page)
    await expect(page.get_by_label("Peso: Edu Novo em Plantão")).to_have_count(0)
    assert "Edu Novo" not in (await queues_now(gql, token))["Plantão"]["members"]

    # renaming to a name in use is refused beside the name; then renamed, re-strategised
    settings = page.get_by_role("form", name="Configurar a roleta Plantão")
    await settings.get_by_label("Nome da roleta").fill("Noite")
    await settings.get_by_role("button", name="Salvar roleta").click()
    await settled(page)
    await expect(settings.locator('[data-error-for="name"]')).to_have_text(
        "Já existe uma fila chamada 'Noite'."
    )
    await settings.get_by_label("Nome da roleta").fill("Plantão Sul")
    await settings.get_by_label("Estratégia").select_option(label="Menos carregado")
    await settings.get_by_role("button", name="Salvar roleta").click()
    await settled(page)
    await expect(page.get_by_role("region", name="Roleta Plantão Sul")).to_be_visible()
    now = await queues_now(gql, token)
    assert set(now) == {"Plantão Sul", "Noite"} and now["Plantão Sul"]["strategy"] == "LEAST_LOADED"
    await screenshot(page, "settings-roletas-admin")
    # and on a phone nothing goes off the side
    await page.set_viewport_size(PHONE)
    await assert_fits_sideways(page)
    await page.set_viewport_size(DESKTOP)

    # archiving a roleta with a lead waiting is refused with the reason; another is archived
    noite_card = page.get_by_role("region", name="Roleta Noite")
    await noite_card.get_by_role("button", name="Arquivar a roleta Noite").click()
    await noite_card.get_by_role("button", name="Confirmar arquivamento").click()
    await settled(page)
    await expect(
        noite_card.get_by_role("alert").filter(has_text="1 lead aguarda na fila Noite")
    ).to_be_visible()
    await page.get_by_role("button", name="Arquivar a roleta Plantão Sul").click()
    await page.get_by_role("button", name="Confirmar arquivamento").click()
    await settled(page)
    await expect(page.get_by_role("region", name="Roleta Plantão Sul")).to_have_count(0)
    assert set(await queues_now(gql, token)) == {"Noite"}


async def test_a_manager_tends_the_people_of_their_teams_in_roletas(
    open_page: Any, server: Any, gql: Any, workspace: Any
) -> None:
    token = workspace.token
    marta = await workspace.user("MANAGER", name="Marta Gestora")
    team_t = await workspace.team("Equipe T", manager_id=marta["id"])
    team_u = await workspace.team("Equipe U")
    ana = await workspace.user("AGENT", team_id=team_t["id"], name="Ana Time")
    await workspace.user("AGENT", team_id=team_t["id"], name="Bia Time")
    otto = await workspace.user("AGENT", team_id=team_u["id"], name="Otto Fora")
    await a_queue(gql, token, "Plantão", ana, otto)
    await a_queue(gql, token, "Alheia", otto)

    page = await logged_in_at(open_page, server, marta["email"], "#/dia")
    await page.get_by_role("link", name="Configurações").click()
    # her two tabs (her people's invitations, her roletas); the roleta where her team is
    await expect(page.locator(".settings-tabs a")).to_have_text(["Pessoas e equipes", "Roletas"])
    await page.locator(".settings-tabs").get_by_role("link", name="Roletas").click()
    await expect(page.get_by_role("region", name="Roleta Plantão")).to_be_visible()
    await expect(page.get_by_role("region", name="Roleta Alheia")).to_have_count(0)
    # she may not rename nor archive it, nor touch Otto
    await expect(page.get_by_role("form", name="Configurar a roleta Plantão")).to_have_count(0)
    await expect(page.get_by_role("button", name="Arquivar a roleta Plantão")).to_have_count(0)
    await expect(page.get_by_label("Peso: Otto Fora em Plantão")).to_have_count(0)
    await expect(page.get_by_role("button", name="Remover Otto Fora em Plantão")).to_have_count(0)
    # she may add only people of her teams
    options = page.get_by_role("form", name="Adicionar à roleta Plantão").get_by_label("Adicionar pessoa")
    labels = await options.locator("option").all_text_contents()
    assert labels == ["Escolha uma pessoa…", "Bia Time", "Marta Gestora"]
    # and change Ana
    await changed(page.get_by_label("Peso: Ana Time em Plantão"), "4")
    await expect(page.get_by_label("Peso: Ana Time em Plantão")).to_be_enabled()
    await expect(page.get_by_label("Peso: Ana Time em Plantão")).to_have_value("4")
    assert (await queues_now(gql, token))["Plantão"]["members"]["Ana Time"] == (4, None, True)
    await assert_fits_sideways(page)
    await screenshot(page, "settings-roletas-manager")
    # removing the last of her people: the roleta no longer concerns her and leaves her view
    await page.get_by_role("button", name="Remover Ana Time em Plantão").click()
    await expect(page.get_by_text("É a última pessoa das suas equipes nela")).to_be_visible()
    await page.get_by_role("button", name="Confirmar remoção").click()
    await settled(page)
    await expect(page.get_by_label("Peso: Ana Time em Plantão")).to_have_count(0)
    assert (await queues_now(gql, token))["Plantão"]["members"] == {"Otto Fora": (1, None, True)}
    await expect(page.get_by_text("Nenhuma roleta com pessoas das suas equipes.")).to_be_visible()

    # while an agent has no Configurações, not even by its address
    agent = await logged_in_at(open_page, server, otto["email"], "#/config/roletas")
    await expect(agent.get_by_text("As configurações são de administradores e gestores.")).to_be_visible()
    await expect(agent.get_by_role("link", name="Configurações")).to_have_count(0)
    await expect(agent.locator(".settings-tabs")).to_have_count(0)
