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
            "message": "A user with this e-mail already exists.",
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
