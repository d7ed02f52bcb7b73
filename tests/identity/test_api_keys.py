"""API keys act for a user with at most that user's role (hardening issue 9a)."""

from revgraph.models.events import Event

CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { apiKey { id role } secret userErrors { code message field } }
}
"""
API_KEYS = "query { apiKeys { id name role } }"


async def test_a_key_with_a_role_above_its_users_is_forbidden_and_nothing_is_issued(gql, workspace):
    # given an agent of the workspace
    agent = await workspace.user("AGENT")
    for role in ("MANAGER", "ADMIN"):
        # when the admin issues a key acting for the agent with a higher role
        body = await gql.ok(
            CREATE_API_KEY,
            {"input": {"name": "Parceiro", "role": role, "userId": agent["id"]}},
            token=workspace.token,
        )
        # then it is refused on the role
        payload = body["createApiKey"]
        assert payload["apiKey"] is None and payload["secret"] is None
        [error] = payload["userErrors"]
        assert (error["code"], error["field"]) == ("FORBIDDEN", ["input", "role"])
        assert "no máximo o papel dessa pessoa, AGENT" in error["message"]
    # and no key was issued, listed or logged
    assert (await gql.ok(API_KEYS, token=workspace.token))["apiKeys"] == []
    assert await Event.filter(kind="api_key.created").count() == 0


async def test_a_key_up_to_its_users_role_is_issued(gql, workspace):
    # given a manager of the workspace
    manager = await workspace.user("MANAGER")
    # when keys acting for the manager and for the admin are issued at their roles or below
    for role, user_id in (("MANAGER", manager["id"]), ("AGENT", manager["id"]), ("ADMIN", None)):
        body = await gql.ok(
            CREATE_API_KEY,
            {"input": {"name": f"{role} key", "role": role, "userId": user_id}},
            token=workspace.token,
        )
        # then each is issued with the role asked for
        assert body["createApiKey"]["userErrors"] == []
        assert body["createApiKey"]["apiKey"]["role"] == role
    assert [k["role"] for k in (await gql.ok(API_KEYS, token=workspace.token))["apiKeys"]] == [
        "MANAGER",
        "AGENT",
        "ADMIN",
    ]
