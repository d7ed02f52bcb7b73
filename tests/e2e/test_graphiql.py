"""GraphiQL is served from the package itself (issue: a white page offline
when its assets came from a CDN): every asset the page names is local, and
in Chromium, with every request off this server refused, the IDE renders
and runs a query."""

import re
from urllib.parse import urlparse

import httpx

ASSET = re.compile(r'(?:src|href)="([^"]+)"')


async def test_the_graphiql_page_names_only_assets_this_server_serves(server):
    async with httpx.AsyncClient(timeout=10) as http:
        page = await http.get(server.graphql_url, headers={"accept": "text/html"})
        assert page.status_code == 200 and "GraphiQL" in page.text
        assets = ASSET.findall(page.text)
        assert len(assets) == 6, assets
        for asset in assets:
            # then no asset is on another host, and each is served here
            assert urlparse(asset).netloc == "" and asset.startswith("/vendor/graphiql/"), asset
            served = await http.get(server.url + asset)
            assert served.status_code == 200, asset
            assert len(served.content) > 500, asset
        assert "http://" not in page.text and "https://" not in page.text


async def test_graphiql_renders_and_runs_a_query_with_the_internet_out_of_reach(browser, server):
    # given a tab where every request to another host is refused
    page = await browser.new_page()
    foreign: list[str] = []
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    async def only_this_server(route, request):
        if urlparse(request.url).port == server.port:
            await route.continue_()
        else:
            foreign.append(request.url)
            await route.abort()

    await page.route("**/*", only_this_server)
    try:
        # when GraphiQL opens and runs its default query (anonymous: me is null)
        await page.goto(server.graphql_url)
        await page.wait_for_selector(".graphiql-container", timeout=15000)
        await page.click(".graphiql-execute-button")
        await page.wait_for_function(
            "() => document.querySelector('.graphiql-response')?.innerText.includes('\"me\"')",
            timeout=15000,
        )
    finally:
        await page.close()
    # then it worked without asking any other host for anything
    assert foreign == []
    assert errors == []
