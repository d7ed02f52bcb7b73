"""The board at 1440x900 and on a 390x844 phone: the last column can be
reached, the stage gate form opens in view, and "Sair" can be reached and
clicked. Screenshots go to tests/artifacts/screenshots (or
$REVGRAPH_SCREENSHOTS) for a person to look at."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from tests.web.support import (
    DESKTOP,
    PHONE,
    column,
    inside_viewport,
    log_in,
    move_with_menu,
    screenshot,
    wide_board,
)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1440x900", "390x844"])
async def test_the_last_column_and_its_gate_form_are_reachable_and_sair_clickable(
    gql: Any, workspace: Any, open_page: Any, viewport: dict[str, int]
) -> None:
    name = f"board-{viewport['width']}"
    # given a funnel wider than the screen, whose last stage requires a value
    board = await wide_board(gql, workspace)
    page = await open_page(viewport=viewport)
    await log_in(page, workspace.email)
    last = column(page, "Contrato")
    await expect(last).to_have_count(1)
    await screenshot(page, name)

    # then the page itself does not scroll sideways: the board does
    assert await page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # and scrolling the board (column by column on a phone) brings the last column fully into view
    snap = await page.locator(".board").evaluate("b => getComputedStyle(b).scrollSnapType")
    if viewport is PHONE:
        assert snap.startswith("x mandatory")
        for _ in range(len(board["stages"])):
            await page.locator(".board").evaluate("b => b.scrollBy({left: b.clientWidth})")
            await page.wait_for_timeout(150)
    else:
        await page.locator(".board").evaluate("b => b.scrollTo({left: b.scrollWidth})")
    await expect(last.locator("h2")).to_be_visible()
    assert await inside_viewport(page, last.locator(".column-header"))
    await screenshot(page, f"{name}-last-column")

    # when a deal is sent to it from the first column, and the gate refuses for a missing value
    await page.locator(".board").evaluate("b => b.scrollTo({left: 0})")
    await move_with_menu(page, board["deal"]["id"], "Contrato")

    # then the gate form opens inside the window, its field focused
    gate = last.get_by_role("form", name="Campos obrigatórios")
    await expect(gate.get_by_label("Valor")).to_be_focused()
    await page.wait_for_timeout(300)  # smooth scrolling and snapping settle
    assert await inside_viewport(page, gate), await gate.bounding_box()
    await screenshot(page, f"{name}-gate-form")

    # and "Sair" is visible, inside the window, and logs out when clicked
    sair = page.get_by_role("button", name="Sair", exact=True)
    await expect(sair).to_be_visible()
    assert await inside_viewport(page, sair)
    await sair.click()
    await expect(page.get_by_label("Senha")).to_be_visible()


async def test_the_header_fits_a_phone_on_every_screen(workspace: Any, open_page: Any) -> None:
    page = await open_page(viewport=PHONE)
    await log_in(page, workspace.email)
    for screen in ("inbox", "dashboard", "board"):
        await page.get_by_role(
            "link", name={"inbox": "Conversas", "dashboard": "Painel", "board": "Quadro"}[screen]
        ).click()
        await page.wait_for_timeout(300)
        header = page.locator(".topbar")
        assert await inside_viewport(page, page.get_by_role("button", name="Sair", exact=True)), screen
        assert await header.evaluate("h => h.scrollWidth <= h.clientWidth"), screen
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], screen
        await screenshot(page, f"phone-{screen}")
