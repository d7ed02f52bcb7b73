"""Invitations: an ADMIN issues a one-time link (7 days, token stored
hashed, revocable, listed with its status); the invitee joins through it
with the invitation's e-mail, role and team and is logged in; a used,
revoked, expired or unknown token is refused, and every step is logged."""

from datetime import UTC, datetime, timedelta

from revgraph.models.events import Event
from revgraph.models.identity import Invitation
from revgraph.resolvers.ids import pk_of
from tests.support import PASSWORD, sign_up

CREATE = """
mutation Invite($input: CreateInvitationInput!) {
  createInvitation(input: $input) {
    invitation { id email name role status expiresAt team { id } }
    token path userErrors { code message field }
  }
}
"""
ACCEPT = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { token user { id name email role } userErrors { code message field } }
}
"""
REVOKE = (
    "mutation($id: ID!) { revokeInvitation(id: $id) { invitation { status } userErrors { code field } } }"
)
LIST = "{ invitations { id email status acceptedAt } }"
PREVIEW = "query($t: String!) { invitationPreview(token: $t) { email name workspaceName role status } }"
ME = "{ me { email role team { id } } workspace { name } }"


async def invite(gql, ws, email="bia@example.com", **extra):
    body = await gql.ok(CREATE, {"input": {"email": email, "role": "AGENT", **extra}}, token=ws.token)
    return body["createInvitation"]


async def accept(gql, token, name="Bia Corretora", password=PASSWORD):
    body = await gql.ok(ACCEPT, {"input": {"token": token, "name": name, "password": password}})
    return body["acceptInvitation"]


async def test_an_invitee_joins_with_the_invited_role_and_team_and_is_logged_in(gql):
    ws = await sign_up(gql, "Imobiliária Sol")
    team = await ws.team("Plantão Centro")
    issued = await invite(gql, ws, "Bia@Example.com", name="Bia", teamId=team["id"])
    assert issued["userErrors"] == []
    assert issued["path"] == f"/#/convite/{issued['token']}"
    assert issued["invitation"]["status"] == "PENDING"
    assert issued["invitation"]["email"] == "bia@example.com"
    # only the keyed hash is stored
    row = await Invitation.get(id=pk_of(issued["invitation"]["id"], "Invitation"))
    assert issued["token"] not in row.token_hash and len(row.token_hash) == 64
    preview = await gql.ok(PREVIEW, {"t": issued["token"]})
    assert preview["invitationPreview"] == {
        "email": "bia@example.com",
        "name": "Bia",
        "workspaceName": "Imobiliária Sol",
        "role": "AGENT",
        "status": "PENDING",
    }
    joined = await accept(gql, issued["token"])
    assert joined["userErrors"] == []
    me = await gql.ok(ME, token=joined["token"])
    assert me == {
        "me": {"email": "bia@example.com", "role": "AGENT", "team": {"id": team["id"]}},
        "workspace": {"name": "Imobiliária Sol"},
    }
    listed = (await gql.ok(LIST, token=ws.token))["invitations"]
    assert [(i["email"], i["status"]) for i in listed] == [("bia@example.com", "ACCEPTED")]
    assert listed[0]["acceptedAt"]
    events = await Event.filter(kind__in=["user.invited", "invitation.accepted"]).order_by("id")
    assert [e.kind for e in events] == ["user.invited", "invitation.accepted"]
    # the stored summaries are in the workspace's language (pt-BR)
    assert [e.summary for e in events] == [
        "bia@example.com convidado como agente",
        "Bia Corretora aceitou o convite e entrou como agente",
    ]


async def test_a_link_works_once(gql):
    ws = await sign_up(gql)
    issued = await invite(gql, ws)
    assert (await accept(gql, issued["token"]))["token"]
    again = await accept(gql, issued["token"], name="Outra")
    assert again["token"] is None
    assert again["userErrors"] == [
        {
            "code": "INVALID",
            "message": "Este convite já foi usado; entre com o e-mail e a senha dele.",
            "field": ["input", "token"],
        }
    ]


async def test_revoked_expired_and_unknown_links_are_refused_and_create_nobody(gql):
    ws = await sign_up(gql)
    revoked = await invite(gql, ws, "rev@example.com")
    body = await gql.ok(REVOKE, {"id": revoked["invitation"]["id"]}, token=ws.token)
    assert body["revokeInvitation"] == {"invitation": {"status": "REVOKED"}, "userErrors": []}
    expired = await invite(gql, ws, "exp@example.com")
    await Invitation.filter(id=pk_of(expired["invitation"]["id"], "Invitation")).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )
    for token, message in (
        (revoked["token"], "Este convite foi revogado; peça um novo a um administrador."),
        (expired["token"], "Este convite expirou; peça um novo a um administrador."),
        ("rgi_not-a-real-token", "Este link de convite é inválido; peça um novo a um administrador."),
    ):
        refused = await accept(gql, token)
        assert refused["token"] is None
        assert refused["userErrors"][0]["code"] == "INVALID"
        assert refused["userErrors"][0]["message"] == message
    statuses = {i["email"]: i["status"] for i in (await gql.ok(LIST, token=ws.token))["invitations"]}
    assert statuses == {"rev@example.com": "REVOKED", "exp@example.com": "EXPIRED"}
    users = await gql.ok("{ users { edges { node { email } } } }", token=ws.token)
    assert [e["node"]["email"] for e in users["users"]["edges"]] == [ws.email]


async def test_an_existing_account_cannot_be_invited_and_agents_cannot_invite(gql):
    ws = await sign_up(gql)
    taken = await invite(gql, ws, ws.email.upper())
    assert taken["token"] is None
    assert taken["userErrors"][0]["code"] == "DUPLICATE"
    assert taken["userErrors"][0]["field"] == ["input", "email"]
    agent = await ws.user("AGENT")
    body = await gql(CREATE, {"input": {"email": "x@example.com", "role": "AGENT"}}, token=agent["token"])
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Invitation.filter(email="x@example.com").count() == 0


async def test_a_newer_invitation_to_the_same_email_revokes_the_older(gql):
    ws = await sign_up(gql)
    first = await invite(gql, ws)
    second = await invite(gql, ws)
    refused = await accept(gql, first["token"])
    assert (
        refused["userErrors"][0]["message"] == "Este convite foi revogado; peça um novo a um administrador."
    )
    assert (await accept(gql, second["token"]))["userErrors"] == []
