"""Requests that cannot be read (RELIABILITY.md "Exposure and errors"): a
body that is not a JSON object, invalid UTF-8, JSON nested past the parser,
bad GET parameters, lone surrogates and unknown charsets in lead capture
posts are each a 400 with a JSON error body, never a 500."""

from __future__ import annotations

from typing import Any

from tests.distribution.test_forms import CONTACTS, create_form
from tests.distribution.test_intake import api_key

TYPENAME = "{ __typename }"
NOT_AN_OBJECT = (b"x", b"42", b"null", b'"query"', b"true")
INVALID_UTF8 = b'{"query": "{ __typename }", "variables": {"name": "\xff\xfe"}}'
DEEP_VARIABLES = b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 100_000 + b"}}"
DEEP_ARRAY = b"[" * 100_000
FIELD_NESTED_PAST_THE_PARSER = b'{"name": ' + b"[" * 60_000 + b"}"  # under the 64 KB capture limit
SURROGATE_NAME = b'{"name": "Ana \\ud800", "email": "ana@example.com"}'
MULTIPART_UNKNOWN_CHARSET = (
    b"--XX\r\n"
    b'Content-Disposition: form-data; name="name"\r\n'
    b"Content-Type: text/plain; charset=x-nope\r\n\r\n"
    b"Ana\r\n"
    b"--XX\r\n"
    b'Content-Disposition: form-data; name="email"\r\n\r\n'
    b"ana@example.com\r\n"
    b"--XX--\r\n"
)


def bad_request(response: Any) -> str:
    """A 400 in RequestGuard's GraphQL-over-HTTP error shape; its message."""
    assert response.status_code == 400, (response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("application/json")
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_REQUEST"}
    return error["message"]


def capture_refusal(response: Any) -> str:
    """A 400 in the capture endpoints' error shape; its message."""
    assert response.status_code == 400, (response.status_code, response.text[:200])
    body = response.json()
    assert body["ok"] is False and body["error"] == "BAD_REQUEST"
    return body["message"]


async def post_graphql(gql: Any, body: bytes) -> Any:
    return await gql.http.post(
        gql.server.graphql_url, content=body, headers={"content-type": "application/json"}
    )


async def test_graphql_bodies_that_are_not_one_json_object_are_400_json(gql):
    for body in (*NOT_AN_OBJECT, INVALID_UTF8, DEEP_VARIABLES, DEEP_ARRAY):
        # when /graphql is posted something it cannot read as one operation
        response = await post_graphql(gql, body)
        # then it answers 400 in the JSON error shape, never 500 or plain text
        message = bad_request(response)
        assert "Traceback" not in message and len(message) < 300, body[:20]
    # while a well-formed body still works
    assert (await post_graphql(gql, b'{"query": "{ __typename }"}')).json()["data"] == {"__typename": "Query"}


# JSON that Python's json.loads reads and the body's fast reader (orjson,
# web/graphql_http.py) refuses: still read, as before.
READ_BY_JSON_LOADS = (
    b'{"query": "{ __typename }", "variables": {"x": NaN}}',
    b'{"query": "{ __typename }", "variables": {"x": 1180591620717411303424}}',
    b'{"query": "{ __typename }", "variables": {"x": "\\ud800"}}',
    b'\xef\xbb\xbf{"query": "{ __typename }"}',
)
WRONG_MEMBERS = (
    (b'{"query": 42}', "`query` must be a string"),
    (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be an object"),
    (b'{"query": "{ __typename }", "extensions": "x"}', "`extensions` must be an object"),
)


async def test_graphql_bodies_only_json_loads_reads_are_still_answered(gql):
    for body in READ_BY_JSON_LOADS:
        # when a body is valid for json.loads but not for the fast reader
        response = await post_graphql(gql, body)
        # then it is answered as before
        assert response.status_code == 200, (body, response.text[:200])
        assert response.json()["data"] == {"__typename": "Query"}, body


async def test_graphql_body_members_of_the_wrong_type_are_400_json(gql):
    for body, expected in WRONG_MEMBERS:
        # when the body is an object whose query, variables or extensions has the wrong type
        response = await post_graphql(gql, body)
        # then it is a 400 naming the member, in the JSON error shape
        assert expected in bad_request(response), body


async def test_graphql_get_with_unreadable_variables_or_extensions_is_400_json(gql):
    for params in (
        {"variables": "x"},
        {"variables": "42"},
        {"variables": "[1]"},
        {"variables": '{"a": "\\udc80' + "[" * 3000},
        {"extensions": "[" * 3000},
        {"extensions": '"text"'},
    ):
        # when a GET carries variables or extensions that are not a JSON object
        response = await gql.http.get(gql.server.graphql_url, params={"query": TYPENAME, **params})
        # then it is a 400 in the JSON error shape
        bad_request(response)
    # `null` means none, as in a body, and a mutation over GET is refused in JSON too
    fine = await gql.http.get(gql.server.graphql_url, params={"query": TYPENAME, "variables": "null"})
    assert fine.json()["data"] == {"__typename": "Query"}
    assert "not allowed" in bad_request(
        await gql.http.get(gql.server.graphql_url, params={"query": "mutation { logOut { ok } }"})
    )


async def test_unreadable_form_posts_are_400_and_capture_nothing(gql, workspace):
    # given a public form
    form = await create_form(gql, workspace.token)
    url = gql.server.url + form["endpoint"]
    json_type = {"content-type": "application/json"}
    # when it is posted JSON nested past the parser, a lone surrogate, NUL,
    # or a multipart part in a charset nobody knows
    nested = await gql.http.post(url, content=FIELD_NESTED_PAST_THE_PARSER, headers=json_type)
    surrogate = await gql.http.post(url, content=SURROGATE_NAME, headers=json_type)
    nul = await gql.http.post(
        url,
        content=b"name=Ana%00&email=ana@example.com",
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    charset = await gql.http.post(
        url, content=MULTIPART_UNKNOWN_CHARSET, headers={"content-type": "multipart/form-data; boundary=XX"}
    )
    # then each is a 400 saying what is wrong, and no lead was captured
    assert capture_refusal(nested) == "O corpo não é um JSON válido."
    assert capture_refusal(surrogate) == "O texto não pode conter um surrogate sem par (U+D800) (em name)."
    assert "caractere de controle (U+0000)" in capture_refusal(nul)
    assert "charset" in capture_refusal(charset)
    assert (await gql.ok(CONTACTS, token=workspace.token))["contacts"]["totalCount"] == 0


async def test_unreadable_intake_posts_are_400_and_capture_nothing(gql, workspace):
    # given an API key for the intake
    secret = await api_key(gql, workspace.token)
    headers = {"authorization": f"Bearer {secret}", "content-type": "application/json"}
    url = gql.server.url + "/api/leads"
    # when it is posted JSON nested past the parser, a lone surrogate in a value or a key
    nested = await gql.http.post(url, content=FIELD_NESTED_PAST_THE_PARSER, headers=headers)
    surrogate = await gql.http.post(url, content=SURROGATE_NAME, headers=headers)
    key = await gql.http.post(url, content=b'{"\\ud800": 1, "email": "ana@example.com"}', headers=headers)
    # then each is a 400 that does not echo the bad text, and nothing was captured
    assert capture_refusal(nested) == "O corpo não é um JSON válido."
    assert "surrogate sem par (U+D800)" in capture_refusal(surrogate)
    assert capture_refusal(key) == "As chaves não podem conter um surrogate sem par (U+D800)."
    assert (await gql.ok(CONTACTS, token=workspace.token))["contacts"]["totalCount"] == 0


async def test_a_subscription_over_http_is_refused_cleanly(gql, workspace):
    # given a subscription sent as an HTTP POST (subscriptions are websocket-only)
    for query in (
        "subscription { inboxEvents { sequence } }",
        'subscription { boardEvents(pipelineId: "x") { sequence } }',
    ):
        # when it is posted
        response = await gql.raw({"query": query}, token=workspace.token)
        # then it is a 400 in the JSON error shape, not an internal error
        assert response.status_code == 400, response.text
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] != "INTERNAL"
        assert "subscription" in body["errors"][0]["message"].lower()
