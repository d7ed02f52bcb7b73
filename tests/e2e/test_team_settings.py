"""Settings, "Pessoas e equipes", in Chromium: an admin edits a team in
place (name, manager, team above) and a cycle is refused next to the field;
a manager reaches the same screen narrowed to inviting agents into their own
teams, and issues a link there."""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import expect

from tests.e2e.screens import logged_in_at, screenshot

TEAMS = "{ teams { name manager { name } parent { name } } }"
INVITATIONS = "{ invitations { email role team { name } invitedBy { name } } }"


async def test_an_admin_renames_a_team_gives_it_a_manager_and_a_parent_and_a_cycle_is_refused(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given teams Sul and Centro, and Rui, a manager
    await workspace.user("MANAGER", name="Rui Gestor")
    await workspace.team("Sul")
    await workspace.team("Centro")
    page = await logged_in_at(open_page, server, workspace.email, "#/config/pessoas")
    teams = page.get_by_role("table").filter(has_text="Equipe acima")
    await expect(teams).to_contain_text("Centro")

    # when the admin edits Centro: a new name, Rui as manager, under Sul
    await page.get_by_role("button", name="Editar Centro").click()
    form = page.get_by_role("form", name="Editar equipe Centro")
    await form.get_by_label("Nome").fill("Centro Expandido")
    await form.get_by_label("Gestor").select_option(label="Rui Gestor")
    await form.get_by_label("Equipe acima").select_option(label="Sul")
    await form.get_by_role("button", name="Salvar").click()

    # then the table shows it, and the server agrees
    row = teams.get_by_role("row").filter(has_text="Centro Expandido")
    await expect(row).to_contain_text("Rui Gestor")
    await expect(row).to_contain_text("Sul")
    data = await gql.ok(TEAMS, token=workspace.token)
    assert {"name": "Centro Expandido", "manager": {"name": "Rui Gestor"}, "parent": {"name": "Sul"}} in data[
        "teams"
    ]

    # when Sul is put under Centro Expandido (a cycle)
    await page.get_by_role("button", name="Editar Sul").click()
    form = page.get_by_role("form", name="Editar equipe Sul")
    await form.get_by_label("Equipe acima").select_option(label="Centro Expandido")
    await form.get_by_role("button", name="Salvar").click()
    # then the refusal is said next to the field, and Sul stays a root team
    await expect(form.locator('[data-error-for="parentId"]')).to_have_text(
        "Uma equipe não pode ficar sob ela mesma nem sob uma equipe abaixo dela."
    )
    await screenshot(page, "settings-team-edit")
    data = await gql.ok(TEAMS, token=workspace.token)
    assert {"name": "Sul", "manager": None, "parent": None} in data["teams"]


async def test_a_manager_invites_an_agent_into_one_of_their_teams_only(
    gql: Any, workspace: Any, server: Any, open_page: Any
) -> None:
    # given Marta managing Sul (Centro below it), and Norte, someone else's
    marta = await workspace.user("MANAGER", name="Marta Gestora")
    sul = await workspace.team("Sul", manager_id=marta["id"])
    await workspace.team("Centro", parent_id=sul["id"])
    await workspace.team("Norte")
    page = await logged_in_at(open_page, server, marta["email"], "#/dia")

    # when she opens Configurações, people and teams come first, beside her roletas
    await page.get_by_role("link", name="Configurações").click()
    tabs = page.get_by_role("navigation", name="Configurações")
    await expect(tabs.get_by_role("link")).to_have_text(["Pessoas e equipes", "Roletas"])

    # and the invite form offers agents, into her teams only
    invite = page.get_by_role("form", name="Convidar pessoas")
    await expect(invite.get_by_label("Papel").locator("option")).to_have_text(["Corretor"])
    # and (the screen drawn) no team can be created or edited from it
    await expect(page.get_by_role("cell", name="Norte")).to_be_visible()
    await expect(page.get_by_role("form", name="Nova equipe")).to_have_count(0)
    await expect(page.get_by_role("button", name="Editar Norte")).to_have_count(0)
    teams = await invite.get_by_label("Equipe").locator("option").all_text_contents()
    assert sorted(teams) == ["Centro", "Sul"]

    # when she invites Bia into Centro
    await invite.get_by_label("E-mail").fill("bia@example.com")
    await invite.get_by_label("Equipe").select_option(label="Centro")
    await invite.get_by_role("button", name="Convidar").click()
    # then the link is shown, and the invitation is listed as hers
    await expect(page.get_by_label("Link de convite")).to_have_value(re.compile(r"/#/convite/rgi_"))
    data = await gql.ok(INVITATIONS, token=workspace.token)
    assert data["invitations"] == [
        {
            "email": "bia@example.com",
            "role": "AGENT",
            "team": {"name": "Centro"},
            "invitedBy": {"name": "Marta Gestora"},
        }
    ]
    await page.reload()
    await expect(page.get_by_role("table").filter(has_text="Convidado por")).to_contain_text("Marta Gestora")
    await screenshot(page, "settings-manager-invite")
