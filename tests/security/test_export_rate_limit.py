"""CSV exports draw from the caller's rate-limit budget like queries: each
page is admitted for its worst case and charged what it delivered (a point
per cell and one per row, plus one), and an export the budget cannot cover
is refused with 429 LIMIT_EXCEEDED before any byte of the file, and is not
logged as an export."""

import httpx

from tests.exports.support import export_events
from tests.graph.documents import create_contact

# 12 columns without custom fields: a page of 100 may cost 100 * 13 + 1.
PAGE_COST = 1301


async def _export(server, token):
    async with httpx.AsyncClient(timeout=30) as http:
        return await http.get(
            f"{server.url}/export/contacts.csv", headers={"authorization": f"Bearer {token}"}
        )


async def test_an_export_is_charged_what_it_delivered(gql, workspace, private_server):
    # given a budget for a few pages and two contacts
    limited = await private_server(limits={"rate_limit_points": PAGE_COST * 3})
    await create_contact(gql, workspace.token, name="Ana Lima")
    await create_contact(gql, workspace.token, name="Bruno Reis")

    # when the admin exports them
    response = await _export(limited, workspace.token)

    # then the file came, and the budget paid for two rows of 12 cells
    assert response.status_code == 200
    assert response.headers["x-ratelimit-limit"] == str(PAGE_COST * 3)
    again = await _export(limited, workspace.token)
    assert again.headers["x-ratelimit-used"] == str(2 * 13 + 1)


async def test_an_export_the_budget_cannot_cover_is_429_and_not_logged(gql, workspace, private_server):
    # given a budget smaller than a page
    limited = await private_server(limits={"rate_limit_points": PAGE_COST - 1})
    await create_contact(gql, workspace.token, name="Ana Lima")

    # when the admin exports
    response = await _export(limited, workspace.token)

    # then it is refused as a query would be, with the budget's headers
    assert response.status_code == 429
    assert response.headers["content-type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
    assert "Limite de uso esgotado" in error["message"]
    assert response.headers["x-ratelimit-remaining"] == str(PAGE_COST - 1)
    assert int(response.headers["retry-after"]) >= 1
    assert await export_events(workspace.admin["id"]) == []
