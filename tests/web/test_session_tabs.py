"""The session in Chromium: a second tab of the same browser is logged in
already; "Sair" in one tab logs out the others; "Sair de todos os
dispositivos" ends the session of another browser too."""

from __future__ import annotations

from typing import Any

from playwright.async_api import expect

from tests.web.support import log_in, wide_board

ME = "query { me { id } }"


async def test_a_second_tab_is_logged_in_and_logging_out_in_one_logs_out_both(
    server: Any, workspace: Any, open_page: Any
) -> None:
    # given one tab logged in
    first = await open_page()
    await log_in(first, workspace.email)
    await expect(first.get_by_role("button", name="Sair", exact=True)).to_be_visible()
    # nothing of the session is readable by scripts but the CSRF token
    cookies = {c["name"]: c for c in await first.context.cookies()}
    assert cookies["revgraph_session"]["httpOnly"] is True
    assert cookies["revgraph_session"]["sameSite"] == "Lax"
    assert "revgraph_session" not in await first.evaluate("document.cookie")
    assert await first.evaluate("sessionStorage.length") in (0, 1)  # at most the remembered pipeline

    # when a second tab of the same browser opens the app
    second = open_page.watch(await first.context.new_page())
    await second.goto(server.url + "/")

    # then it is logged in, without the form
    await expect(second.get_by_role("button", name="Sair", exact=True)).to_be_visible()
    await expect(second.get_by_label("Senha")).to_have_count(0)

    # when the first tab logs out
    await first.get_by_role("button", name="Sair", exact=True).click()

    # then both tabs show the log-in form, and a reload stays logged out
    await expect(first.get_by_label("Senha")).to_be_visible()
    await expect(second.get_by_label("Senha")).to_be_visible()
    await expect(second.get_by_role("alert")).to_have_text("Você saiu em outra aba.")
    await second.reload()
    await expect(second.get_by_label("Senha")).to_be_visible()
    assert "revgraph_session" not in {c["name"] for c in await first.context.cookies()}


async def test_log_out_everywhere_from_the_menu_ends_other_browsers_sessions(
    server: Any, workspace: Any, gql: Any, open_page: Any
) -> None:
    # given the user in two browsers (laptop and phone), each live on a board
    await wide_board(gql, workspace)
    laptop = await open_page()
    await log_in(laptop, workspace.email)
    phone = await open_page()
    await log_in(phone, workspace.email)
    await expect(phone.locator(".live-indicator")).to_have_attribute("data-state", "live")

    # when the laptop chooses "Sair de todos os dispositivos" in the user's menu
    await laptop.locator(".user-menu summary").click()
    await laptop.get_by_role("menuitem", name="Sair de todos os dispositivos").click()

    # then the laptop is logged out, the phone's live connection is closed and
    # it asks for the password, and the API token of the user stopped working
    await expect(laptop.get_by_role("alert")).to_have_text("Você saiu de todos os dispositivos.")
    await expect(phone.get_by_label("Senha")).to_be_visible()
    await expect(phone.get_by_role("alert")).to_have_text("Sua sessão expirou. Entre novamente.")
    body = await gql(ME, token=workspace.token)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
