"""Managers grow their own teams: a MANAGER invites AGENTs into a team of
their scope (their team, the teams they manage, and every team below), and
nothing else (another role, another team, no team: FORBIDDEN, nothing
issued); they list and revoke the invitations they issued or that name a
team of their scope, and may not supersede an admin's invitation. Agents
invite no one."""

from revgraph.models.identity import Invitation
from tests.identity.test_invitations import ACCEPT, CREATE, LIST, ME, REVOKE
from tests.support import PASSWORD

LIST_WITH_INVITER = "{ invitations { email invitedBy { id } team { id } } }"
IN_MY_SCOPE = "{ teams { name inMyScope } }"


async def invite(gql, token, email, role="AGENT", team_id=None):
    body = await gql.ok(CREATE, {"input": {"email": email, "role": role, "teamId": team_id}}, token=token)
    return body["createInvitation"]


async def a_region(workspace):
    """Marta manages Sul, which has Centro below it; Norte is someone else's."""
    marta = await workspace.user("MANAGER", name="Marta")
    sul = await workspace.team("Sul", manager_id=marta["id"])
    centro = await workspace.team("Centro", parent_id=sul["id"])
    norte = await workspace.team("Norte")
    return marta, sul, centro, norte


async def test_a_manager_invites_an_agent_into_a_team_below_and_they_join_there(gql, workspace):
    marta, _sul, centro, _norte = await a_region(workspace)
    # the teams query says which teams are hers
    teams = (await gql.ok(IN_MY_SCOPE, token=marta["token"]))["teams"]
    assert {t["name"]: t["inMyScope"] for t in teams} == {"Sul": True, "Centro": True, "Norte": False}
    # when Marta invites an agent into Centro
    issued = await invite(gql, marta["token"], "bia@example.com", team_id=centro["id"])
    assert issued["userErrors"] == []
    assert issued["invitation"]["role"] == "AGENT" and issued["invitation"]["team"] == {"id": centro["id"]}
    # then the invitee joins as an agent of Centro
    joined = (
        await gql.ok(ACCEPT, {"input": {"token": issued["token"], "name": "Bia", "password": PASSWORD}})
    )["acceptInvitation"]
    assert joined["userErrors"] == []
    me = await gql.ok(ME, token=joined["token"])
    assert me["me"] == {"email": "bia@example.com", "role": "AGENT", "team": {"id": centro["id"]}}


async def test_a_manager_may_not_invite_another_role_or_into_another_team(gql, workspace):
    marta, sul, _centro, norte = await a_region(workspace)
    cases = [
        ({"role": "MANAGER", "team_id": sul["id"]}, ["input", "role"], "Gestores só podem convidar agentes."),
        ({"role": "ADMIN", "team_id": sul["id"]}, ["input", "role"], "Gestores só podem convidar agentes."),
        ({"team_id": norte["id"]}, ["input", "teamId"], "Norte não é uma das suas equipes."),
        ({}, ["input", "teamId"], "Escolha uma das suas equipes."),
    ]
    for options, field, message in cases:
        payload = await invite(gql, marta["token"], "carla@example.com", **options)
        assert payload["invitation"] is None and payload["token"] is None
        assert payload["userErrors"] == [{"code": "FORBIDDEN", "message": message, "field": field}], options
    assert await Invitation.all().count() == 0
    # and an agent invites no one
    agent = await workspace.user("AGENT", team_id=sul["id"])
    body = await gql(
        CREATE,
        {"input": {"email": "d@example.com", "role": "AGENT", "teamId": sul["id"]}},
        token=agent["token"],
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(LIST, token=agent["token"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Invitation.all().count() == 0


async def test_a_manager_lists_and_revokes_their_own_and_their_teams_invitations_only(gql, workspace):
    marta, sul, centro, norte = await a_region(workspace)
    # given Marta's invitation, an admin's into Centro (her scope), and an admin's into Norte
    mine = (await invite(gql, marta["token"], "a@example.com", team_id=sul["id"]))["invitation"]
    into_centro = (await invite(gql, workspace.token, "b@example.com", team_id=centro["id"]))["invitation"]
    into_norte = (await invite(gql, workspace.token, "c@example.com", role="MANAGER", team_id=norte["id"]))[
        "invitation"
    ]
    # when she lists them, she sees hers and Centro's, not Norte's
    listed = (await gql.ok(LIST_WITH_INVITER, token=marta["token"]))["invitations"]
    assert [(i["email"], i["invitedBy"]["id"]) for i in listed] == [
        ("b@example.com", workspace.admin["id"]),
        ("a@example.com", marta["id"]),
    ]
    # and Norte's is not found for her: not by node, not to revoke (it stays pending)
    node = await gql.ok(
        "query($id: ID!) { node(id: $id) { id } }", {"id": into_norte["id"]}, token=marta["token"]
    )
    assert node["node"] is None
    refused = (await gql.ok(REVOKE, {"id": into_norte["id"]}, token=marta["token"]))["revokeInvitation"]
    assert refused == {"invitation": None, "userErrors": [{"code": "NOT_FOUND", "field": ["id"]}]}
    # while she revokes hers and Centro's
    for invitation in (mine, into_centro):
        revoked = (await gql.ok(REVOKE, {"id": invitation["id"]}, token=marta["token"]))["revokeInvitation"]
        assert revoked == {"invitation": {"status": "REVOKED"}, "userErrors": []}
    statuses = {i["email"]: i["status"] for i in (await gql.ok(LIST, token=workspace.token))["invitations"]}
    assert statuses == {"a@example.com": "REVOKED", "b@example.com": "REVOKED", "c@example.com": "PENDING"}


async def test_a_manager_may_not_supersede_an_invitation_they_cannot_revoke(gql, workspace):
    marta, sul, _centro, norte = await a_region(workspace)
    # given the admin invited Carla as a MANAGER of Norte
    await invite(gql, workspace.token, "carla@example.com", role="MANAGER", team_id=norte["id"])
    # when Marta invites the same e-mail as an agent of Sul
    payload = await invite(gql, marta["token"], "carla@example.com", team_id=sul["id"])
    # then it is DUPLICATE, and the admin's invitation stands
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("DUPLICATE", ["input", "email"])]
    rows = await Invitation.all().values_list("role", "revoked_at")
    assert rows == [("MANAGER", None)]
    # while her own open invitation is superseded by her newer one
    first = await invite(gql, marta["token"], "dora@example.com", team_id=sul["id"])
    second = await invite(gql, marta["token"], "dora@example.com", team_id=sul["id"])
    assert first["userErrors"] == [] and second["userErrors"] == []
    assert await Invitation.filter(email="dora@example.com", revoked_at=None).count() == 1
