"""What the web app's browser tests share: a board to look at, logging in
through the form, and screenshots kept for a person to look at."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.pipeline.support import create_deal, create_pipeline
from tests.support import PASSWORD

# $REVGRAPH_SCREENSHOTS, else tests/artifacts/screenshots (gitignored).
SCREENSHOTS = Path(
    os.environ.get("REVGRAPH_SCREENSHOTS")
    or Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
)

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}

# More stages than fit side by side at 1440 px; the last one requires a value.
WIDE_FUNNEL = [
    {"name": "Novo lead"},
    {"name": "Em contato", "probability": 10},
    {"name": "Qualificado", "probability": 20},
    {"name": "Visita agendada", "probability": 30},
    {"name": "Visita feita", "probability": 40},
    {"name": "Negociação", "probability": 50},
    {"name": "Proposta", "probability": 60},
    {"name": "Contrato", "probability": 90, "requiredFields": ["value"]},
]


async def screenshot(page: Any, name: str) -> Path:
    await asyncio.to_thread(SCREENSHOTS.mkdir, parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path))
    return path


async def wide_board(gql: Any, workspace: Any) -> dict[str, Any]:
    """A pipeline wider than a laptop screen, with a deal with no value in its first stage."""
    pipeline = await create_pipeline(gql, workspace.token, WIDE_FUNNEL, name="Lançamentos")
    deal = await create_deal(
        gql, workspace.token, pipeline["id"], title="Casa Jardins", stageId=pipeline["stage"]["Novo lead"]
    )
    return {**pipeline, "deal": deal}


async def log_in(page: Any, email: str) -> None:
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Senha").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("button", name="Sair", exact=True)).to_be_visible()


def column(page: Any, name: str) -> Any:
    return page.locator(f'.column[data-stage-name="{name}"]')


def card(page: Any, deal_id: str) -> Any:
    return page.locator(f'.card[data-deal-id="{deal_id}"]')


async def inside_viewport(page: Any, locator: Any) -> bool:
    box = await locator.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["x"] >= 0
        and box["y"] >= 0
        and box["x"] + box["width"] <= size["width"] + 0.5
        and box["y"] + box["height"] <= size["height"] + 0.5
    )


async def move_with_menu(page: Any, deal_id: str, stage: str) -> None:
    """ "Mover para…" from the keyboard, as test_board does."""
    await card(page, deal_id).get_by_role("button", name="Mover para…").focus()
    await page.keyboard.press("Enter")
    await page.get_by_role("menuitem", name=stage, exact=True).click()
