from tests.support import LOG_IN, PASSWORD, SIGN_UP, sign_up

ME = "query { me { id name email role team { id } online } workspace { id name currency timezone } }"


async def test_sign_up_creates_workspace_with_defaults_and_logs_in(gql):
    # given a new workspace
    ws = await sign_up(gql, "Imobiliária Sol")
    # when the admin asks who they are
    data = await gql.ok(ME, token=ws.token)
    # then they are its ADMIN, in BRL and São Paulo time
    assert data["me"]["role"] == "ADMIN"
    assert data["me"]["email"] == ws.email
    assert data["workspace"] == {
        "id": data["workspace"]["id"],
        "name": "Imobiliária Sol",
        "currency": "BRL",
        "timezone": "America/Sao_Paulo",
    }


async def test_sign_up_with_taken_email_is_duplicate_and_creates_nothing(gql):
    ws = await sign_up(gql)
    body = await gql.ok(
        SIGN_UP,
        {"input": {"workspaceName": "Outra", "name": "X", "email": ws.email.upper(), "password": PASSWORD}},
    )
    assert body["signUp"]["token"] is None
    assert body["signUp"]["userErrors"] == [
        {
            "code": "DUPLICATE",
            "message": "Já existe um usuário com este e-mail.",
            "field": ["input", "email"],
        }
    ]


async def test_log_in_with_wrong_password_is_invalid_user_error(gql):
    ws = await sign_up(gql)
    body = await gql.ok(LOG_IN, {"input": {"email": ws.email, "password": "wrong password"}})
    assert body["logIn"]["token"] is None
    assert body["logIn"]["userErrors"][0]["code"] == "INVALID"
    good = await gql.ok(LOG_IN, {"input": {"email": ws.email, "password": PASSWORD}})
    assert good["logIn"]["token"]


LOG_OUT = "mutation { logOut { ok userErrors { code } } }"
CREATE_KEY = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id role } secret userErrors { code } } }"
REVOKE_KEY = (
    "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { id revokedAt } userErrors { code field } } }"
)


async def test_log_out_revokes_the_session_token(gql):
    ws = await sign_up(gql)
    other = await gql.ok(LOG_IN, {"input": {"email": ws.email, "password": PASSWORD}})
    assert (await gql.ok(LOG_OUT, token=ws.token))["logOut"] == {"ok": True, "userErrors": []}
    # the revoked token is refused for everything; the other session still works
    refused = await gql("{ me { id } }", token=ws.token)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert (await gql.ok("{ me { id } }", token=other["logIn"]["token"]))["me"]["id"] == ws.admin["id"]


async def test_api_key_secret_shown_once_works_until_revoked(gql):
    ws = await sign_up(gql)
    issued = (await gql.ok(CREATE_KEY, {"input": {"name": "RD Station", "role": "AGENT"}}, token=ws.token))[
        "createApiKey"
    ]
    assert issued["secret"].startswith("rgk_") and issued["apiKey"]["role"] == "AGENT"
    assert (await gql.ok("{ me { id } }", token=issued["secret"]))["me"]["id"] == ws.admin["id"]
    listed = (await gql.ok("{ apiKeys { id name revokedAt } }", token=ws.token))["apiKeys"]
    assert listed == [{"id": issued["apiKey"]["id"], "name": "RD Station", "revokedAt": None}]
    revoked = (await gql.ok(REVOKE_KEY, {"id": issued["apiKey"]["id"]}, token=ws.token))["revokeApiKey"]
    assert revoked["apiKey"]["revokedAt"] is not None
    refused = await gql("{ me { id } }", token=issued["secret"])
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # an API key cannot log out; it is revoked by an admin
    key2 = (await gql.ok(CREATE_KEY, {"input": {"name": "X", "role": "ADMIN"}}, token=ws.token))[
        "createApiKey"
    ]
    assert (await gql.ok(LOG_OUT, token=key2["secret"]))["logOut"]["userErrors"] == [{"code": "INVALID"}]


async def test_revoking_a_key_of_another_workspace_is_not_found(gql):
    ws, other = await sign_up(gql), await sign_up(gql)
    issued = (await gql.ok(CREATE_KEY, {"input": {"name": "K", "role": "AGENT"}}, token=ws.token))[
        "createApiKey"
    ]
    body = (await gql.ok(REVOKE_KEY, {"id": issued["apiKey"]["id"]}, token=other.token))["revokeApiKey"]
    assert body["userErrors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    assert (await gql.ok("{ me { id } }", token=issued["secret"]))["me"]["id"] == ws.admin["id"]
