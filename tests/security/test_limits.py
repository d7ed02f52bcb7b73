"""Document limits (RELIABILITY.md "Demand control"): depth, aliases,
tokens, page sizes and mutations per document. For each, N passes and N+1
is refused before any SQL runs, even for an authenticated caller."""

from tests.support import LOG_IN, PASSWORD, SIGN_UP

TEAMS = "query { teams { id name } }"


def nested_parents(parents: int) -> str:
    """`me { team { parent { ... { id } } } }`: the leaf `id` sits at
    nesting level parents + 2 (the root field is level 0)."""
    return "query { me { team { " + "parent { " * parents + "id" + " }" * parents + " } } }"


def aliased_typenames(count: int) -> str:
    return "query { " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


def top_level_error(body: dict) -> dict:
    assert body["data"] is None, body
    assert len(body["errors"]) == 1, body["errors"]
    return body["errors"][0]


async def test_depth_of_ten_passes_and_eleven_is_refused_before_sql(gql, workspace, count_sql):
    # given an operation whose deepest field is at the limit, and one past it
    deep_enough, too_deep = nested_parents(8), nested_parents(9)
    # when both are sent by an authenticated caller
    assert (await gql.ok(deep_enough, token=workspace.token))["me"]["team"] is None
    with count_sql() as sql:
        body = await gql(too_deep, token=workspace.token)
    # then the deeper one is refused as too complex, without touching the database
    error = top_level_error(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "passa da profundidade máxima de operação, 10" in error["message"]
    assert sql.statements == []


async def test_a_hundred_aliases_pass_and_a_hundred_and_one_are_refused(gql, workspace, count_sql):
    data = await gql.ok(aliased_typenames(100), token=workspace.token)
    assert len(data) == 100
    with count_sql() as sql:
        body = await gql(aliased_typenames(101), token=workspace.token)
    error = top_level_error(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["message"] == "101 aliases encontrados. Permitido: 100"
    assert sql.statements == []


async def test_two_thousand_tokens_pass_and_more_are_refused(gql, workspace, count_sql):
    # given documents of exactly 2,000 tokens ("{", 333 × 6, "}") and 2,001
    at_limit = "{" + " ... on Query { __typename }" * 333 + " }"
    over = "{" + " ... on Query { __typename }" * 333 + " __typename }"
    assert (await gql.ok(at_limit, token=workspace.token)) == {"__typename": "Query"}
    with count_sql() as sql:
        body = await gql(over, token=workspace.token)
    error = top_level_error(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "more than 2000 tokens" in error["message"]
    # the refusal does not echo the document back
    assert len(str(body)) < 1000
    assert sql.statements == []


USERS_PAGE = "query Users($n: Int) { users(first: $n) { edges { node { id } } totalCount } }"


async def test_first_over_a_hundred_is_limit_exceeded_with_variables_resolved_and_no_sql(
    gql, workspace, count_sql
):
    # given a page size of 100 (allowed) and 101 given as a variable and as a literal
    data = await gql.ok(USERS_PAGE, {"n": 100}, token=workspace.token)
    assert data["users"]["totalCount"] == 1
    with count_sql() as sql:
        from_variable = await gql(USERS_PAGE, {"n": 101}, token=workspace.token)
        literal = await gql("{ users(first: 101) { totalCount } }", token=workspace.token)
        negative = await gql(USERS_PAGE, {"n": -1}, token=workspace.token)
    # then each is LIMIT_EXCEEDED (not clamped), refused before authentication or execution
    for body in (from_variable, literal, negative):
        error = top_level_error(body)
        assert error["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert "deve estar entre 0 e 100" in error["message"]
    assert "é 101" in top_level_error(from_variable)["message"]
    assert sql.statements == []


async def test_page_size_is_checked_before_the_cost(gql, workspace):
    # given a query both too large a page and far too costly
    query = "query { users(first: 5000) { edges { node { team { members { team { members { id } } } } } } } }"
    # then the page size is what the caller hears about
    error = top_level_error(await gql(query, token=workspace.token))
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"


CREATE_TEAMS = (
    "mutation {"
    + "".join(f' t{i}: createTeam(input: {{name: "T{i}"}}) {{ team {{ id }} }}' for i in range(5))
    + " }"
)
FOUR_TEAMS = (
    "mutation {"
    + "".join(f' t{i}: createTeam(input: {{name: "T{i}"}}) {{ team {{ id }} }}' for i in range(4))
    + " }"
)


async def test_four_mutations_per_document_pass_and_five_change_nothing(gql, workspace, count_sql):
    # given five createTeam mutations in one document
    with count_sql() as sql:
        body = await gql(CREATE_TEAMS, token=workspace.token)
    # then the document is refused as too complex, before any SQL
    error = top_level_error(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert "no máximo 4 mutations" in error["message"]
    assert sql.statements == []
    # and no team exists
    assert (await gql.ok(TEAMS, token=workspace.token))["teams"] == []
    # while four in one document all run
    data = await gql.ok(FOUR_TEAMS, token=workspace.token)
    assert len(data) == 4
    assert len((await gql.ok(TEAMS, token=workspace.token))["teams"]) == 4


async def test_log_in_twice_in_one_document_is_refused_even_with_aliases(gql, workspace, count_sql):
    # given a password spray: two logIn attempts behind aliases
    spray = f"""mutation {{
      a: logIn(input: {{email: "{workspace.email}", password: "guess one"}}) {{ token }}
      b: logIn(input: {{email: "{workspace.email}", password: "{PASSWORD}"}}) {{ token }}
    }}"""
    with count_sql() as sql:
        body = await gql(spray)
    error = top_level_error(body)
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["message"] == "`logIn` só pode ser executada uma vez por documento."
    # then no attempt ran: nothing was read, no failure was recorded
    assert sql.statements == []
    data = await gql.ok(LOG_IN, {"input": {"email": workspace.email, "password": PASSWORD}})
    assert data["logIn"]["token"]


async def test_sign_up_twice_in_one_document_creates_no_workspace(gql):
    double = """mutation {
      a: signUp(input: {workspaceName: "A", name: "A", email: "a@example.com", password: "long enough"}) { token }
      b: signUp(input: {workspaceName: "B", name: "B", email: "b@example.com", password: "long enough"}) { token }
    }"""
    error = top_level_error(await gql(double))
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert error["message"] == "`signUp` só pode ser executada uma vez por documento."
    # neither account exists: signing up with those e-mails still works
    for email in ("a@example.com", "b@example.com"):
        data = await gql.ok(
            SIGN_UP, {"input": {"workspaceName": "W", "name": "N", "email": email, "password": "long enough"}}
        )
        assert data["signUp"]["userErrors"] == []
