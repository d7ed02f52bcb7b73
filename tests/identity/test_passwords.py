"""Passwords after sign-up: changePassword (the caller's own, proving the
current one, throttled with failed log-ins; other sessions revoked, the
current one kept) and one-time reset links an admin issues (24 hours, once,
a newer link voids the older; every session revoked), with the web page the
link lands on."""

import time
from datetime import UTC, datetime, timedelta

from revgraph.models.events import Event
from revgraph.models.identity import PasswordReset, Session, User
from revgraph.resolvers.ids import pk_of
from tests.live import closed_with, connect, run_on
from tests.support import LOG_IN, PASSWORD

NEW_PASSWORD = "cavalo correto bateria"
CHANGE_PASSWORD = """
mutation ChangePassword($input: ChangePasswordInput!) {
  changePassword(input: $input) { ok userErrors { code message field } }
}
"""
CREATE_RESET_LINK = """
mutation CreateResetLink($userId: ID!) {
  createPasswordResetLink(userId: $userId) {
    user { id } token path expiresAt userErrors { code message field }
  }
}
"""
RESET_PASSWORD = """
mutation ResetPassword($input: ResetPasswordInput!) {
  resetPassword(input: $input) { ok userErrors { code message field } }
}
"""
DEACTIVATE_USER = """
mutation Deactivate($id: ID!) { deactivateUser(id: $id, leadsGoTo: MANAGER) { userErrors { code } } }
"""
CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret userErrors { code } }
}
"""
ME = "query { me { id } }"
WITHIN = 1.0


async def log_in(gql, email, password, ip="203.0.113.7"):
    variables = {"input": {"email": email, "password": password}}
    response = await gql.raw({"query": LOG_IN, "variables": variables}, headers={"x-forwarded-for": ip})
    return response.json()["data"]["logIn"]


async def refused_token(gql, token):
    """Whether the server refuses the bearer token as revoked."""
    body = await gql(ME, token=token)
    return [e["extensions"]["code"] for e in body.get("errors") or []] == ["UNAUTHENTICATED"]


async def email_of(user):
    return (await User.get(id=pk_of(user["id"], "User"))).email


async def credentials(user_id):
    """The user's password hash and sessions: what a refusal must not change."""
    pk = pk_of(user_id, "User")
    user = await User.get(id=pk)
    sessions = await Session.filter(user_id=pk).order_by("id").values("id", "revoked_at")
    resets = await PasswordReset.filter(user_id=pk).order_by("id").values("id", "used_at", "expires_at")
    return user.password_hash, sessions, resets


async def change(gql, token, current, new, ip=None):
    variables = {"input": {"currentPassword": current, "newPassword": new}}
    headers = {"x-forwarded-for": ip} if ip else None
    response = await gql.raw({"query": CHANGE_PASSWORD, "variables": variables}, token=token, headers=headers)
    return response.json()["data"]["changePassword"]


async def issue(gql, token, user_id):
    return (await gql.ok(CREATE_RESET_LINK, {"userId": user_id}, token=token))["createPasswordResetLink"]


async def reset(gql, token, new=NEW_PASSWORD, ip="198.51.100.20"):
    response = await gql.raw(
        {"query": RESET_PASSWORD, "variables": {"input": {"token": token, "newPassword": new}}},
        headers={"x-forwarded-for": ip},
    )
    return response.json()["data"]["resetPassword"]


def refusal(payload):
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


async def test_change_password_keeps_the_current_session_and_closes_the_others(gql, workspace):
    # given an agent logged in twice, with a socket on each session
    agent = await workspace.user("AGENT")
    email = await email_of(agent)
    other = (await log_in(gql, email, PASSWORD))["token"]
    async with connect(gql.server.ws_url, agent["token"]) as kept, connect(gql.server.ws_url, other) as ws:
        # when they change their password on the first session
        started = time.monotonic()
        payload = await change(gql, agent["token"], PASSWORD, NEW_PASSWORD)
        assert payload == {"ok": True, "userErrors": []}
        # then the other session's socket closes with 4403 within a second
        assert (await closed_with(ws))[0] == 4403
        assert time.monotonic() - started < WITHIN
        # and the current session's socket and token still work
        reply = await run_on(kept, "me", ME)
        assert reply["payload"]["data"] == {"me": {"id": agent["id"]}}
    assert (await gql.ok(ME, token=agent["token"]))["me"] == {"id": agent["id"]}
    assert await refused_token(gql, other)
    # and only the new password logs in
    assert refusal(await log_in(gql, email, PASSWORD)) == [("INVALID", ["input", "password"])]
    assert (await log_in(gql, email, NEW_PASSWORD))["token"]
    event = await Event.get(kind="user.password_changed")
    assert event.data["sessionsRevoked"] == 1


async def test_a_wrong_current_password_is_refused_changes_nothing_and_counts_as_a_failed_log_in(
    gql, workspace
):
    # given an agent
    agent = await workspace.user("AGENT")
    email = await email_of(agent)
    before = await credentials(agent["id"])
    # when they give a wrong current password, and then a new one too short
    wrong = await change(gql, agent["token"], "not my password", NEW_PASSWORD, ip="192.0.2.44")
    short = await change(gql, agent["token"], PASSWORD, "curta", ip="192.0.2.44")
    same = await change(gql, agent["token"], PASSWORD, PASSWORD, ip="192.0.2.44")
    # then each is INVALID on its field, and nothing changed
    assert refusal(wrong) == [("INVALID", ["input", "currentPassword"])]
    assert refusal(short) == [("INVALID", ["input", "newPassword"])]
    assert refusal(same) == [("INVALID", ["input", "newPassword"])]
    assert await credentials(agent["id"]) == before
    # when wrong guesses use up the e-mail's budget of failed log-ins (10)
    for _ in range(9):
        await change(gql, agent["token"], "another guess", NEW_PASSWORD, ip="192.0.2.44")
    # then changePassword, and logIn with the right password, are throttled
    throttled = await change(gql, agent["token"], PASSWORD, NEW_PASSWORD, ip="192.0.2.44")
    assert refusal(throttled) == [("LIMIT_EXCEEDED", ["input", "currentPassword"])]
    assert refusal(await log_in(gql, email, PASSWORD, ip="192.0.2.45")) == [
        ("LIMIT_EXCEEDED", ["input", "email"])
    ]
    assert await credentials(agent["id"]) == before


async def test_change_password_is_not_for_api_keys_and_runs_once_per_document(gql, workspace):
    # given an API key of the admin
    issued = await gql.ok(
        CREATE_API_KEY, {"input": {"name": "Parceiro", "role": "ADMIN"}}, token=workspace.token
    )
    before = await credentials(workspace.admin["id"])
    # when the key changes the password, and a session tries two changes in one document
    by_key = await change(gql, issued["createApiKey"]["secret"], PASSWORD, NEW_PASSWORD)
    twice = await gql(
        f"""mutation {{
          a: changePassword(input: {{currentPassword: "guess", newPassword: "{NEW_PASSWORD}"}}) {{ ok }}
          b: changePassword(input: {{currentPassword: "{PASSWORD}", newPassword: "{NEW_PASSWORD}"}}) {{ ok }}
        }}""",
        token=workspace.token,
    )
    # then the key is refused, the document is refused before it runs, and nothing changed
    assert refusal(by_key) == [("INVALID", None)]
    assert twice["errors"][0]["message"] == "`changePassword` só pode ser executada uma vez por documento."
    assert await credentials(workspace.admin["id"]) == before


async def test_a_reset_link_sets_the_password_once_and_closes_every_session(gql, workspace):
    # given an agent with two sessions, one with an open socket
    agent = await workspace.user("AGENT")
    email = await email_of(agent)
    other = (await log_in(gql, email, PASSWORD))["token"]
    # when the admin issues a reset link for them
    link = await issue(gql, workspace.token, agent["id"])
    # then a token is shown once with the page's path, valid 24 hours
    assert link["userErrors"] == [] and link["user"] == {"id": agent["id"]}
    assert link["path"] == f"/reset-password#{link['token']}"
    expires = datetime.fromisoformat(link["expiresAt"])
    assert timedelta(hours=23, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=24)
    reset_row = await PasswordReset.get(user_id=pk_of(agent["id"], "User"))
    assert link["token"] not in reset_row.token_hash  # only its keyed hash is stored
    async with connect(gql.server.ws_url, agent["token"]) as ws:
        # when the link is used
        started = time.monotonic()
        assert await reset(gql, link["token"]) == {"ok": True, "userErrors": []}
        # then every session of the agent is revoked and the socket closes with 4403 within a second
        assert (await closed_with(ws))[0] == 4403
        assert time.monotonic() - started < WITHIN
    for token in (agent["token"], other):
        assert await refused_token(gql, token)
    # and the new password logs in, the old one does not
    assert refusal(await log_in(gql, email, PASSWORD)) == [("INVALID", ["input", "password"])]
    assert (await log_in(gql, email, NEW_PASSWORD))["token"]
    # and the link does not work twice
    before = await credentials(agent["id"])
    again = await reset(gql, link["token"], new="terceira senha boa")
    assert refusal(again) == [("INVALID", ["input", "token"])]
    assert await credentials(agent["id"]) == before
    kinds = (
        await Event.filter(kind__startswith="password_reset.").order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["password_reset.issued", "password_reset.used"]


async def test_an_expired_link_and_a_link_older_than_the_newest_do_not_work(gql, workspace):
    # given an agent with a link, then a second link
    agent = await workspace.user("AGENT")
    first = await issue(gql, workspace.token, agent["id"])
    second = await issue(gql, workspace.token, agent["id"])
    before = await credentials(agent["id"])
    # when the first link is used
    older = await reset(gql, first["token"])
    # then it is refused like an unknown token, and nothing changed
    assert refusal(older) == [("INVALID", ["input", "token"])]
    assert refusal(await reset(gql, "rgr_not-a-token")) == refusal(older)
    assert await credentials(agent["id"]) == before
    # when the second link's 24 hours have passed
    await PasswordReset.filter(user_id=pk_of(agent["id"], "User"), used_at=None).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    before = await credentials(agent["id"])
    # then it is refused too, and nothing changed
    assert refusal(await reset(gql, second["token"])) == [("INVALID", ["input", "token"])]
    assert await credentials(agent["id"]) == before


async def test_only_an_admin_issues_links_and_only_for_active_users(gql, workspace):
    # given a manager, and an agent who is deactivated
    manager = await workspace.user("MANAGER")
    agent = await workspace.user("AGENT")
    await gql.ok(DEACTIVATE_USER, {"id": agent["id"]}, token=workspace.token)
    # when the manager issues a link for the agent, and the admin does
    by_manager = await gql(CREATE_RESET_LINK, {"userId": agent["id"]}, token=manager["token"])
    by_admin = await issue(gql, workspace.token, agent["id"])
    # then the manager is FORBIDDEN and the admin is told to reactivate the agent first
    assert by_manager["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refusal(by_admin) == [("RULE_VIOLATION", ["userId"])]
    assert by_admin["token"] is None
    # and no link exists
    assert await PasswordReset.all().count() == 0


async def test_invalid_reset_tokens_are_throttled_per_client_ip_and_run_once_per_document(gql, workspace):
    # given an agent with a valid link
    agent = await workspace.user("AGENT")
    link = await issue(gql, workspace.token, agent["id"])
    before = await credentials(agent["id"])
    # when one address tries 20 invalid tokens
    for attempt in range(20):
        assert refusal(await reset(gql, f"rgr_guess{attempt}", ip="192.0.2.99"))[0][0] == "INVALID"
    # then its next try is refused even with the valid token, and nothing changed
    throttled = await reset(gql, link["token"], ip="192.0.2.99")
    assert refusal(throttled) == [("LIMIT_EXCEEDED", ["input", "token"])]
    assert await credentials(agent["id"]) == before
    # and two resets in one document are refused before they run
    twice = await gql(
        f"""mutation {{
          a: resetPassword(input: {{token: "rgr_guess", newPassword: "{NEW_PASSWORD}"}}) {{ ok }}
          b: resetPassword(input: {{token: "{link["token"]}", newPassword: "{NEW_PASSWORD}"}}) {{ ok }}
        }}"""
    )
    assert twice["errors"][0]["message"] == "`resetPassword` só pode ser executada uma vez por documento."
    assert await credentials(agent["id"]) == before
    # while another address still uses the link
    assert (await reset(gql, link["token"], ip="192.0.2.100"))["ok"] is True


async def test_the_reset_page_is_served_with_its_form_and_no_external_assets(gql):
    # when a browser follows a reset link to the web app
    page = await gql.http.get(f"{gql.server.url}/reset-password")
    script = await gql.http.get(f"{gql.server.url}/js/reset-password.js")
    # then the page is the pt-BR form that calls resetPassword, kept out of caches
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    html = page.text
    assert '<html lang="pt-BR">' in html
    assert '<form id="reset-password"' in html
    assert 'type="password"' in html and 'autocomplete="new-password"' in html
    assert "Salvar nova senha" in html
    assert '<section id="reset-done" class="login" role="status" hidden>' in html  # until it worked
    assert script.status_code == 200 and "resetPassword(input: $input)" in script.text
    # and it loads nothing from elsewhere
    for body in (html, script.text):
        assert "http://" not in body and "https://" not in body and "//cdn" not in body
