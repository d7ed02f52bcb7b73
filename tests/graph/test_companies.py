"""Companies: create, list with filter and search, update, trash, visibility."""

import pytest

from tests.graph.documents import CREATE_COMPANY, create_company

COMPANIES = """
query Companies($filter: CompanyFilter, $search: String, $first: Int, $after: String) {
  companies(filter: $filter, search: $search, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { node { id name domain } }
  }
}
"""
UPDATE_COMPANY = """
mutation U($id: ID!, $input: CompanyUpdateInput!) {
  updateCompany(id: $id, input: $input) { company { id name domain owner { id } } userErrors { code field } }
}
"""
DELETE_COMPANY = "mutation($id: ID!) { deleteCompany(id: $id) { deletedId userErrors { code field } } }"
RESTORE_COMPANY = (
    "mutation($id: ID!) { restoreCompany(id: $id) { company { id deletedAt } userErrors { code field } } }"
)
COMPANY = "query($id: ID!) { company(id: $id) { id name deletedAt owner { id } } }"


async def _names(gql, token, **variables):
    data = await gql.ok(COMPANIES, {"first": 100, **variables}, token=token)
    return [e["node"]["name"] for e in data["companies"]["edges"]]


async def test_create_company_normalises_the_domain(gql, workspace):
    company = await create_company(
        gql, workspace.token, name=" Acme ", domain="https://www.Acme.com.br/contato"
    )
    assert (company["name"], company["domain"], company["owner"]) == ("Acme", "acme.com.br", None)
    assert company["deletedAt"] is None


@pytest.mark.parametrize(
    ("input", "field"),
    [({"name": ""}, ["input", "name"]), ({"name": "X", "domain": "not a domain"}, ["input", "domain"])],
)
async def test_invalid_company_is_refused_and_nothing_is_created(gql, workspace, input, field):
    data = await gql.ok(CREATE_COMPANY, {"input": input}, token=workspace.token)
    assert [(e["code"], e["field"]) for e in data["createCompany"]["userErrors"]] == [("INVALID", field)]
    assert await _names(gql, workspace.token) == []


async def test_list_by_name_with_search_filter_and_pages(gql, workspace):
    for name, domain in (("Beta", "beta.io"), ("Alfa", "alfa.com"), ("Gama", "gamma.com")):
        await create_company(gql, workspace.token, name=name, domain=domain)
    assert await _names(gql, workspace.token) == ["Alfa", "Beta", "Gama"]
    assert await _names(gql, workspace.token, search="GAMMA") == ["Gama"]
    assert await _names(gql, workspace.token, search="a.c") == ["Alfa", "Gama"]
    assert await _names(gql, workspace.token, filter={"domain": {"contains": ".com"}}) == ["Alfa", "Gama"]
    assert await _names(gql, workspace.token, filter={"not": {"name": {"eq": "Beta"}}}) == ["Alfa", "Gama"]
    page = (await gql.ok(COMPANIES, {"first": 2}, token=workspace.token))["companies"]
    assert (page["totalCount"], page["pageInfo"]["hasNextPage"]) == (3, True)
    rest = await gql.ok(
        COMPANIES, {"first": 2, "after": page["pageInfo"]["endCursor"]}, token=workspace.token
    )
    assert [e["node"]["name"] for e in rest["companies"]["edges"]] == ["Gama"]
    body = await gql(COMPANIES, {"first": 101}, token=workspace.token)
    assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_update_trash_and_restore(gql, workspace):
    company = await create_company(gql, workspace.token, name="Delta")
    updated = await gql.ok(
        UPDATE_COMPANY, {"id": company["id"], "input": {"domain": "delta.com"}}, token=workspace.token
    )
    assert updated["updateCompany"]["company"]["domain"] == "delta.com"
    deleted = await gql.ok(DELETE_COMPANY, {"id": company["id"]}, token=workspace.token)
    assert deleted["deleteCompany"] == {"deletedId": company["id"], "userErrors": []}
    assert await _names(gql, workspace.token) == []
    assert await _names(gql, workspace.token, filter={"deleted": True}) == ["Delta"]
    refused = await gql.ok(
        UPDATE_COMPANY, {"id": company["id"], "input": {"name": "X"}}, token=workspace.token
    )
    assert refused["updateCompany"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    restored = await gql.ok(RESTORE_COMPANY, {"id": company["id"]}, token=workspace.token)
    assert restored["restoreCompany"]["company"]["deletedAt"] is None
    assert await _names(gql, workspace.token) == ["Delta"]


async def test_companies_are_visible_by_owner(gql, workspace, other_workspace):
    agent = await workspace.user("AGENT")
    other_agent = await workspace.user("AGENT")
    mine = await create_company(gql, agent["token"], name="Minha")
    assert mine["owner"] == {"id": agent["id"]}
    await create_company(gql, workspace.token, name="Do admin")
    assert await _names(gql, agent["token"]) == ["Minha"]
    assert await _names(gql, other_agent["token"]) == []
    assert await _names(gql, other_workspace.token) == []
    assert (await gql.ok(COMPANY, {"id": mine["id"]}, token=other_agent["token"]))["company"] is None
    for document, variables in (
        (UPDATE_COMPANY, {"id": mine["id"], "input": {"name": "Roubada"}}),
        (DELETE_COMPANY, {"id": mine["id"]}),
    ):
        data = await gql.ok(document, variables, token=other_workspace.token)
        payload = next(iter(data.values()))
        assert payload["userErrors"] == [{"code": "NOT_FOUND", "field": ["id"]}]
    after = (await gql.ok(COMPANY, {"id": mine["id"]}, token=agent["token"]))["company"]
    assert (after["name"], after["deletedAt"]) == ("Minha", None)
