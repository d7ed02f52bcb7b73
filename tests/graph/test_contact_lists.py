"""contacts(...): filters, search, ordering, Relay pagination and its limits,
and a bounded number of SQL statements whatever the page size."""

import pytest

from tests.graph.documents import CONTACTS, DELETE_CONTACT, contact_ids, create_company, create_contact

LIST_WITH_EDGES = """
query List($first: Int) {
  contacts(first: $first) {
    totalCount
    edges { node { id name company { id name } owner { id name } tags } }
  }
}
"""


async def _people(gql, token, **extra):
    """Three contacts created in order: Ana, bruno, Carla."""
    ana = await create_contact(
        gql, token, name="Ana Lima", email="ana@lima.com", phone="11 98765-0001", tags=["vip", "sp"], **extra
    )
    bruno = await create_contact(
        gql, token, name="bruno Costa", email="bruno@costa.com", phone="21 98765-0002", tags=["sp"]
    )
    carla = await create_contact(gql, token, name="Carla Dias", source="whatsapp", lifecycleStage="MQL")
    return ana, bruno, carla


async def test_default_order_is_newest_first(gql, workspace):
    ana, bruno, carla = await _people(gql, workspace.token)
    assert await contact_ids(gql, workspace.token) == [carla["id"], bruno["id"], ana["id"]]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("ANA", ["ana"]),
        ("costa", ["bruno"]),
        ("@lima.c", ["ana"]),
        ("98765", ["ana", "bruno"]),
        ("0002", ["bruno"]),
        ("(21) 98765", ["bruno"]),
        ("a", ["ana", "bruno", "carla"]),
        ("%", []),
        ("zz", []),
        ("   ", ["ana", "bruno", "carla"]),
    ],
)
async def test_search_matches_name_email_or_phone_digits(gql, workspace, search, expected):
    people = dict(zip(["ana", "bruno", "carla"], await _people(gql, workspace.token), strict=True))
    found = await contact_ids(gql, workspace.token, search=search)
    assert sorted(found) == sorted(people[name]["id"] for name in expected)


async def test_filters_by_fields_tags_and_combinators(gql, workspace):
    company = await create_company(gql, workspace.token)
    ana, bruno, carla = await _people(gql, workspace.token, companyId=company["id"])

    async def ids(filter):
        return sorted(await contact_ids(gql, workspace.token, filter=filter))

    assert await ids({"tags": ["sp"]}) == sorted([ana["id"], bruno["id"]])
    assert await ids({"tags": ["sp", "vip"]}) == [ana["id"]]
    assert await ids({"lifecycleStage": ["MQL", "SQL"]}) == [carla["id"]]
    assert await ids({"source": {"eq": "whatsapp"}}) == [carla["id"]]
    assert await ids({"email": {"isNull": True}}) == [carla["id"]]
    assert await ids({"name": {"contains": "COSTA"}}) == [bruno["id"]]
    assert await ids({"name": {"startsWith": "Ana"}}) == [ana["id"]]
    assert await ids({"phone": {"in": ["+5511987650001"]}}) == [ana["id"]]
    assert await ids({"companyId": {"eq": company["id"]}}) == [ana["id"]]
    assert await ids({"companyId": {"isNull": False}}) == [ana["id"]]
    # an id of the wrong type matches nothing
    assert await ids({"companyId": {"eq": ana["id"]}}) == []
    assert await ids({"ownerId": {"isNull": True}}) == sorted([ana["id"], bruno["id"], carla["id"]])
    assert await ids({"score": {"gte": 0, "lt": 1}}) == sorted([ana["id"], bruno["id"], carla["id"]])
    assert await ids({"score": {"gt": 0}}) == []
    assert await ids({"createdAt": {"gt": "2000-01-01T00:00:00Z"}}) == sorted(
        [ana["id"], bruno["id"], carla["id"]]
    )
    assert await ids({"createdAt": {"lt": "2000-01-01T00:00:00Z"}}) == []
    assert await ids({"or": [{"tags": ["vip"]}, {"source": {"eq": "whatsapp"}}]}) == sorted(
        [ana["id"], carla["id"]]
    )
    assert await ids({"not": {"tags": ["sp"]}}) == [carla["id"]]
    assert await ids({"and": [{"tags": ["sp"]}, {"not": {"name": {"contains": "ana"}}}]}) == [bruno["id"]]


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ([{"field": "NAME", "direction": "ASC"}], ["ana", "bruno", "carla"]),
        ([{"field": "NAME", "direction": "DESC"}], ["carla", "bruno", "ana"]),
        ([{"field": "CREATED_AT", "direction": "ASC"}], ["ana", "bruno", "carla"]),
        ([{"field": "UPDATED_AT", "direction": "DESC"}], ["carla", "bruno", "ana"]),
        # equal scores: the tie is broken by id, in the key's direction
        ([{"field": "SCORE", "direction": "ASC"}], ["ana", "bruno", "carla"]),
    ],
)
async def test_order_by(gql, workspace, order, expected):
    people = dict(zip(["ana", "bruno", "carla"], await _people(gql, workspace.token), strict=True))
    assert await contact_ids(gql, workspace.token, orderBy=order) == [people[n]["id"] for n in expected]


@pytest.mark.parametrize(
    "order",
    [None, [{"field": "NAME", "direction": "ASC"}], [{"field": "UPDATED_AT", "direction": "ASC"}]],
)
async def test_pages_forward_and_backward_cover_the_list_once(gql, workspace, order):
    # given seven contacts, two of them with the same name
    for index in range(7):
        await create_contact(gql, workspace.token, name=f"Pessoa {min(index, 5)}")
    everything = await contact_ids(gql, workspace.token, orderBy=order)
    # when paging forward by three
    seen, after, pages = [], None, []
    while True:
        data = (
            await gql.ok(CONTACTS, {"first": 3, "after": after, "orderBy": order}, token=workspace.token)
        )["contacts"]
        seen += [e["node"]["id"] for e in data["edges"]]
        pages.append(data["pageInfo"])
        assert data["totalCount"] == 7
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    # then every contact is seen once, in order, and pageInfo tells where we are
    assert seen == everything
    assert [p["hasNextPage"] for p in pages] == [True, True, False]
    assert [p["hasPreviousPage"] for p in pages] == [False, True, True]
    # and paging backward from the end gives the last three, in the same order
    back = (await gql.ok(CONTACTS, {"last": 3, "orderBy": order}, token=workspace.token))["contacts"]
    assert [e["node"]["id"] for e in back["edges"]] == everything[-3:]
    assert back["pageInfo"]["hasPreviousPage"] is True
    before = back["pageInfo"]["startCursor"]
    earlier = (
        await gql.ok(CONTACTS, {"last": 3, "before": before, "orderBy": order}, token=workspace.token)
    )["contacts"]
    assert [e["node"]["id"] for e in earlier["edges"]] == everything[1:4]


async def test_page_size_defaults_to_50_and_more_than_100_is_limit_exceeded(gql, workspace):
    for index in range(51):
        await create_contact(gql, workspace.token, name=f"C{index}")
    page = (await gql.ok(CONTACTS, {}, token=workspace.token))["contacts"]
    assert len(page["edges"]) == 50
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["totalCount"] == 51
    assert len((await gql.ok(CONTACTS, {"first": 100}, token=workspace.token))["contacts"]["edges"]) == 51
    empty = (await gql.ok(CONTACTS, {"first": 0}, token=workspace.token))["contacts"]
    assert (empty["edges"], empty["totalCount"]) == ([], 51)
    for variables in ({"first": 101}, {"last": 101}):
        body = await gql(CONTACTS, variables, token=workspace.token)
        assert body["errors"][0]["extensions"]["code"] == "LIMIT_EXCEEDED"
        assert body.get("data") is None


async def test_a_foreign_cursor_is_an_invalid_argument_not_a_crash(gql, workspace):
    await create_contact(gql, workspace.token)
    body = await gql(CONTACTS, {"after": "bm90LWEtY3Vyc29y"}, token=workspace.token)
    assert body["errors"][0]["extensions"]["code"] == "INVALID"


async def _statements_for_page(gql, workspace, count_sql, size):
    with count_sql() as counter:
        data = await gql.ok(LIST_WITH_EDGES, {"first": size}, token=workspace.token)
    assert len(data["contacts"]["edges"]) == size
    return counter.statements


async def test_a_page_with_company_owner_and_tags_costs_the_same_sql_at_any_size(gql, workspace, count_sql):
    # given 60 contacts, each with an owner, a company and tags
    agents = [await workspace.user("AGENT") for _ in range(3)]
    companies = [await create_company(gql, workspace.token, name=f"Empresa {i}") for i in range(4)]
    for index in range(60):
        await create_contact(
            gql,
            workspace.token,
            name=f"Pessoa {index}",
            ownerId=agents[index % 3]["id"],
            companyId=companies[index % 4]["id"],
            tags=[f"t{index % 5}", "todos"],
        )
    # when a page of 5 and a page of 50 are listed with their edges
    small = await _statements_for_page(gql, workspace, count_sql, 5)
    large = await _statements_for_page(gql, workspace, count_sql, 50)
    # then the number of SQL statements does not grow with the page size:
    # the caller's session, the page with its owners, companies and total
    # (resolvers/read_rows.py `Join`), the tags: 3 for the whole request
    assert len(large) == len(small), (small, large)
    assert len(large) == 3, large
    assert "JOIN" in large[1] and "rg_total_rows" in large[1] and "contact_tag" in large[2]


async def test_the_folded_total_counts_rows_not_ids(gql, workspace, count_sql):
    # given contacts, one of them trashed
    for index in range(3):
        await create_contact(gql, workspace.token, name=f"Pessoa {index}")
    trashed = await create_contact(gql, workspace.token, name="Na lixeira")
    await gql.ok(DELETE_CONTACT, {"id": trashed["id"]}, token=workspace.token)
    # when the first page is read with its total
    with count_sql() as counter:
        page = (await gql.ok(LIST_WITH_EDGES, {"first": 2}, token=workspace.token))["contacts"]
    # then the total is right and counted in the page's statement as
    # COUNT(*): PostgreSQL answers it from the (workspace_id, deleted_at)
    # index alone, where COUNT("id") reads every row of the table
    assert page["totalCount"] == 3
    listed = [sql for sql in counter.statements if "rg_total_rows" in sql]
    assert len(listed) == 1 and "COUNT(*)" in listed[0] and 'COUNT("id")' not in listed[0], listed


COUNTED = """
query Counted($first: Int, $after: String, $last: Int, $filter: ContactFilter) {
  contacts(first: $first, after: $after, last: $last, filter: $filter) {
    totalCount pageInfo { endCursor hasNextPage } edges { node { name } }
  }
}
"""


async def test_total_count_is_the_same_on_the_first_page_and_past_a_cursor(gql, workspace):
    # given 7 contacts, 3 of them tagged
    for index in range(7):
        await create_contact(gql, workspace.token, name=f"Pessoa {index}", tags=["vip"] if index < 3 else [])

    async def counted(**variables):
        return (await gql.ok(COUNTED, variables, token=workspace.token))["contacts"]

    # the first page counts in the same statement, later pages separately: same answer
    first = await counted(first=2)
    assert (first["totalCount"], len(first["edges"])) == (7, 2)
    second = await counted(first=2, after=first["pageInfo"]["endCursor"])
    assert (second["totalCount"], len(second["edges"])) == (7, 2)
    assert (await counted(last=3))["totalCount"] == 7
    assert (await counted(first=5, filter={"tags": ["vip"]}))["totalCount"] == 3
    assert (await counted(first=5, filter={"tags": ["nenhum"]}))["totalCount"] == 0
    assert (await counted(first=0))["totalCount"] == 7
