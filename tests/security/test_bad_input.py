"""Bad input to queries and mutations (RELIABILITY.md "Exposure and
errors"): a malformed or oversized filter, an oversized search, and text
holding NUL, control characters or unpaired surrogates are INVALID naming
the field — a top-level error for reads, userErrors for writes, which then
change nothing — or they simply work. Never INTERNAL."""

from __future__ import annotations

import json
from typing import Any

from tests.graph.documents import CONTACTS, CREATE_CONTACT, UPDATE_CONTACT, create_company, create_contact
from tests.pipeline.support import create_deal, create_pipeline

COMPANIES = """
query Companies($filter: CompanyFilter, $search: String) {
  companies(filter: $filter, search: $search, first: 10) { totalCount }
}
"""
DEALS = """
query Deals($filter: DealFilter, $search: String) { deals(filter: $filter, search: $search, first: 10) { totalCount } }
"""
STAGE_DEALS = """
query Board($id: ID!, $filter: DealFilter) {
  pipeline(id: $id) { stages { name deals(first: 10, filter: $filter) { totalCount } } }
}
"""
CREATE_RULE = """
mutation CreateRule($input: AutomationRuleInput!) {
  createAutomationRule(input: $input) { rule { id } userErrors { code message field } }
}
"""
RULES = "query { automationRules { id } }"
COMPANIES_WITH_NULL_DOMAIN = "{ companies(filter: {domain: null}, first: 10) { totalCount } }"
CONTACTS_OR_NULL_NAME = "{ contacts(filter: {or: [{name: null}]}, first: 10) { totalCount } }"
DEALS_NOT_LIVE = "{ deals(filter: {not: {deleted: false}}, first: 10) { totalCount } }"


async def raw(gql: Any, query: str, variables: dict[str, Any], token: str) -> dict[str, Any]:
    """Post with json.dumps' ASCII escapes, so a lone surrogate travels as
    the `\\ud800` a client's JSON would carry."""
    response = await gql.http.post(
        gql.server.graphql_url,
        content=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json", "authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    return response.json()


def invalid(body: dict[str, Any], field: list[str]) -> dict[str, Any]:
    """The one top-level error of a refused read: INVALID on `field`."""
    [error] = body["errors"]
    assert error["extensions"] == {"code": "INVALID", "field": field}, error
    return error


async def test_a_filter_field_sent_as_null_constrains_nothing(gql, workspace):
    # given a company, a contact and a live deal
    await create_company(gql, workspace.token)
    await create_contact(gql, workspace.token)
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(gql, workspace.token, pipeline["id"])
    # when filters name a field with null, or `deleted` inside `not`
    companies = await gql.ok(COMPANIES_WITH_NULL_DOMAIN, token=workspace.token)
    contacts = await gql.ok(CONTACTS_OR_NULL_NAME, token=workspace.token)
    deals = await gql.ok(DEALS_NOT_LIVE, token=workspace.token)
    # then they are answered: null means "no condition", and a live deal is
    # not "not live"
    assert companies["companies"]["totalCount"] == 1
    assert contacts["contacts"]["totalCount"] == 1
    assert deals["deals"]["totalCount"] == 0


async def test_an_oversized_or_nested_filter_is_invalid_naming_where(gql, workspace, server):
    # given a contact and the filter limits
    await create_contact(gql, workspace.token, tags=["vip"])
    limits = server.settings.limits
    names = [{"name": {"eq": f"n{i}"}} for i in range(2000)]
    # when filters pass them: 2,000 alternatives, 20,000 tags, 101 values, 6 levels of
    # `not`, 101 conditions in all
    many_alternatives = await gql(CONTACTS, {"filter": {"or": names}}, token=workspace.token)
    many_tags = await gql(
        CONTACTS, {"filter": {"tags": [f"t{i}" for i in range(20_000)]}}, token=workspace.token
    )
    values = [f"x{i}" for i in range(limits.max_filter_values + 1)]
    many_values = await gql(CONTACTS, {"filter": {"name": {"in": values}}}, token=workspace.token)
    deep: dict[str, Any] = {"name": {"eq": "x"}}
    for _ in range(limits.max_filter_depth + 1):
        deep = {"not": deep}
    too_deep = await gql(CONTACTS, {"filter": deep}, token=workspace.token)
    halves = {"and": [{"or": names[:60]}, {"or": names[60:101]}]}
    too_many = await gql(CONTACTS, {"filter": halves}, token=workspace.token)
    # then each is INVALID, naming the filter or the part of it at fault
    assert "`or` recebe no máximo 100 filtros" in invalid(many_alternatives, ["filter", "or"])["message"]
    assert "no máximo 100 valores" in invalid(many_tags, ["filter", "tags"])["message"]
    invalid(many_values, ["filter", "name", "in"])
    assert "em no máximo 5 níveis" in invalid(too_deep, ["filter", *["not"] * 6])["message"]
    assert "no máximo 100 condições de campo" in invalid(too_many, ["filter"])["message"]
    # while a filter at the limits is answered
    at_limits = {"or": [*names[:98], {"tags": ["vip"]}], "name": {"in": [*values[:-2], "Maria Souza"]}}
    assert (await gql.ok(CONTACTS, {"filter": at_limits}, token=workspace.token))["contacts"][
        "totalCount"
    ] == 1
    five_deep = deep["not"]
    assert (await gql.ok(CONTACTS, {"filter": five_deep}, token=workspace.token))["contacts"][
        "totalCount"
    ] == 1


async def test_an_automation_condition_past_the_filter_limits_is_refused_and_nothing_is_created(
    gql, workspace
):
    # given an automation rule whose deal conditions nest past the limit
    deep: dict[str, Any] = {"title": {"contains": "x"}}
    for _ in range(6):
        deep = {"not": deep}
    rule = {
        "name": "Deep",
        "trigger": {"kind": "DEAL_CREATED"},
        "dealConditions": deep,
        "actions": [{"addTag": {"tag": "x"}}],
    }
    # when an admin saves it
    data = await gql.ok(CREATE_RULE, {"input": rule}, token=workspace.token)
    # then it is refused on the conditions and no rule exists
    [error] = data["createAutomationRule"]["userErrors"]
    assert error["code"] == "INVALID"
    assert error["field"] == ["input", "dealConditions", *["not"] * 6]
    assert (await gql.ok(RULES, token=workspace.token))["automationRules"] == []


async def test_a_search_past_the_limit_is_invalid_on_every_list(gql, workspace, server):
    # given a contact, a company and a deal whose names a search would scan
    await create_contact(gql, workspace.token)
    await create_company(gql, workspace.token)
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(gql, workspace.token, pipeline["id"])
    longest = server.settings.limits.max_search_chars
    huge = "a" * 500_000  # SQLite refused this LIKE pattern: "pattern too complex"
    for document, name in ((CONTACTS, "contacts"), (COMPANIES, "companies"), (DEALS, "deals")):
        # when the list is searched with 500 KB, and with the longest search allowed
        refused = await gql(document, {"search": huge}, token=workspace.token)
        answered = await gql.ok(document, {"search": "a" * longest}, token=workspace.token)
        # then the first is INVALID on `search` and the second answered
        assert f"no máximo {longest} caracteres" in invalid(refused, ["search"])["message"], name
        assert answered[name]["totalCount"] == 0


async def test_a_board_column_filter_is_checked_like_a_list_filter(gql, workspace):
    # given a pipeline with a deal
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(gql, workspace.token, pipeline["id"])
    # when its columns are read with a title holding NUL and with 101 owners
    nul = await gql(
        STAGE_DEALS, {"id": pipeline["id"], "filter": {"title": {"contains": "a\x00"}}}, token=workspace.token
    )
    owners = {"ownerId": {"in": ["VXNlcjox"] * 101}}
    many = await gql(STAGE_DEALS, {"id": pipeline["id"], "filter": owners}, token=workspace.token)
    # then both are INVALID naming the filter's part
    assert "caractere de controle (U+0000)" in nul["errors"][0]["message"]
    assert nul["errors"][0]["extensions"] == {"code": "INVALID", "field": ["filter", "title", "contains"]}
    assert many["errors"][0]["extensions"] == {"code": "INVALID", "field": ["filter", "ownerId", "in"]}


async def test_lone_surrogates_and_nul_in_a_query_are_invalid_naming_the_argument(gql, workspace):
    # given a contact
    await create_contact(gql, workspace.token)
    # when a search or a filter value holds an unpaired surrogate or NUL
    search = await raw(gql, CONTACTS, {"search": "Maria\ud800"}, workspace.token)
    deals = await raw(gql, DEALS, {"search": "\x00"}, workspace.token)
    in_filter = await raw(gql, CONTACTS, {"filter": {"or": [{"email": {"eq": "\udfff"}}]}}, workspace.token)
    # then each is INVALID on the exact path, with no data
    assert invalid(search, ["search"])["message"] == "O texto não pode conter um surrogate sem par (U+D800)."
    assert (
        invalid(deals, ["search"])["message"] == "O texto não pode conter um caractere de controle (U+0000)."
    )
    invalid(in_filter, ["filter", "or", "0", "email", "eq"])
    assert search["data"] is None and in_filter["data"] is None


async def test_lone_surrogates_and_control_characters_in_a_mutation_are_user_errors_and_change_nothing(
    gql, workspace
):
    # given a contact
    contact = await create_contact(gql, workspace.token, tags=["vip"])
    attempts = [
        (CREATE_CONTACT, {"input": {"name": "Ana\ud800"}}, ["input", "name"]),
        (CREATE_CONTACT, {"input": {"name": "Ana", "customFields": {"nota": ["ok", "\x00"]}}}, None),
        (UPDATE_CONTACT, {"id": contact["id"], "input": {"tags": ["ok", "x\ud800"]}}, ["input", "tags", "1"]),
        (UPDATE_CONTACT, {"id": contact["id"], "input": {"source": "site\x07"}}, ["input", "source"]),
    ]
    for document, variables, field in attempts:
        # when a mutation carries such text
        body = await raw(gql, document, variables, workspace.token)
        # then it answers with an INVALID userError on the path, not an error
        assert "errors" not in body, body
        [payload] = body["data"].values()
        [error] = payload["userErrors"]
        assert error["code"] == "INVALID"
        assert error["field"] == (field or ["input", "customFields", "nota", "1"])
        assert payload["contact"] is None
    # a line break belongs in free text, not in a name
    multiline = await gql.ok(CREATE_CONTACT, {"input": {"name": "Ana\nSouza"}}, token=workspace.token)
    assert multiline["createContact"]["userErrors"][0]["field"] == ["input", "name"]
    # and nothing changed: one contact, as it was
    page = (await gql.ok(CONTACTS, {"first": 10}, token=workspace.token))["contacts"]
    assert page["totalCount"] == 1
    assert page["edges"][0]["node"]["tags"] == ["vip"]
