"""A contacts page reads each contact's owner and company in its own
statement (issue 15: resolvers/pagination.py `paginate(joins=...)`,
resolvers/read_rows.py `Join`), as the physical floor does: the caller's
session, the page with owner, company and total, the tags (counted in
tests/graph/test_contact_lists.py) — and answers exactly what the contact
read by id answers, in every order and direction, with visibility, on both
backends."""

import json

from revgraph.models.crm import Contact as ContactModel
from revgraph.resolvers.ids import pk_of
from tests.graph.documents import UPDATE_CONTACT, create_company, create_contact
from tests.pipeline.support import create_deal, create_pipeline

SHOWN = "id name tags company { id name } owner { id name }"
# Every plain field of both, and fields that are not columns (the owner's
# team, the company's owner): read whole.
WIDE = """
  id name email score createdAt
  company { id name domain customFields createdAt deletedAt owner { id name } }
  owner { __typename id name email role active locale team { name } }
"""
PAGE = """
query($first: Int, $after: String, $last: Int, $before: String, $orderBy: [ContactOrder!]) {
  contacts(first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { %s } }
  }
}
"""
ONE = "query($id: ID!) { contact(id: $id) { %s } }"
COMPANY_PAGE = """
query($id: ID!, $first: Int) {
  company(id: $id) { contacts(first: $first) { totalCount edges { node { %s } } } }
}
"""


async def _page(gql, token, shown=SHOWN, **variables):
    return (await gql.ok(PAGE % shown, variables, token=token))["contacts"]


async def _mixed(gql, workspace):
    """Eight contacts: with and without an owner, a company, a trashed company."""
    agent = await workspace.user("AGENT", name="Agente Um")
    company = await create_company(gql, workspace.token, name="Acme", domain="acme.com.br")
    trashed = await create_company(gql, workspace.token, name="Antiga")
    made = []
    for index in range(8):
        made.append(
            await create_contact(
                gql,
                workspace.token,
                name=f"Pessoa {(index * 5) % 8}",
                ownerId=agent["id"] if index % 2 else None,
                companyId=[None, company["id"], trashed["id"]][index % 3],
                tags=["vip"] if index % 2 else [],
            )
        )
    await gql.ok(
        "mutation($id: ID!) { deleteCompany(id: $id) { userErrors { code } } }",
        {"id": trashed["id"]},
        token=workspace.token,
    )
    return made, company


async def test_a_listed_contact_answers_what_the_contact_read_by_id_answers(gql, workspace):
    # given contacts with and without an owner, a company, a trashed company
    made, _ = await _mixed(gql, workspace)
    for shown in (SHOWN, WIDE):
        # when the page is listed (plain and wide selections)
        page = await _page(gql, workspace.token, shown, first=10)
        assert [edge["node"]["id"] for edge in page["edges"]] == [c["id"] for c in reversed(made)]
        for edge in page["edges"]:
            # then each contact is exactly the one read by id, key order included
            alone = await gql.ok(ONE % shown, {"id": edge["node"]["id"]}, token=workspace.token)
            assert json.dumps(edge["node"]) == json.dumps(alone["contact"])
    nodes = [edge["node"] for edge in (await _page(gql, workspace.token, first=10))["edges"]]
    # a contact without an owner or a company still reads null
    assert sum(node["owner"] is None for node in nodes) == 4
    assert sum(node["company"] is None for node in nodes) == 3
    # a trashed company still shows, as by id
    assert sorted({node["company"]["name"] for node in nodes if node["company"]}) == ["Acme", "Antiga"]


async def test_joined_pages_keep_their_order_both_ways_in_every_ordering(gql, workspace):
    # given contacts whose names and creation order differ
    await _mixed(gql, workspace)
    orderings = (
        None,
        [{"field": "NAME", "direction": "ASC"}],
        [{"field": "SCORE", "direction": "DESC"}, {"field": "CREATED_AT", "direction": "ASC"}],
        [{"field": "UPDATED_AT", "direction": "ASC"}],
    )
    for order_by in orderings:
        # when every page of 3 is walked forwards and backwards, with and without the joins
        for shown in (SHOWN, "id"):
            whole = await _page(gql, workspace.token, shown, first=10, orderBy=order_by)
            expected = [edge["node"]["id"] for edge in whole["edges"]]
            cursors = [edge["cursor"] for edge in whole["edges"]]
            forwards, after = [], None
            while True:
                page = await _page(gql, workspace.token, shown, first=3, after=after, orderBy=order_by)
                forwards += [edge["node"]["id"] for edge in page["edges"]]
                assert [edge["cursor"] for edge in page["edges"]] == cursors[
                    len(forwards) - len(page["edges"]) : len(forwards)
                ]
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            backwards, before = [], None
            while True:
                page = await _page(gql, workspace.token, shown, last=3, before=before, orderBy=order_by)
                backwards = [edge["node"]["id"] for edge in page["edges"]] + backwards
                if not page["pageInfo"]["hasPreviousPage"]:
                    break
                before = page["pageInfo"]["startCursor"]
            # then both walks give the whole list in its order
            assert forwards == expected == backwards, order_by
            if shown == SHOWN:
                joined_order = expected
            else:
                assert expected == joined_order, order_by


async def test_another_workspaces_owner_and_company_are_never_joined(gql, workspace, other_workspace):
    # given a contact whose owner and company columns point at another
    # workspace's user and company (what no use case writes)
    foreign_company = await create_company(gql, other_workspace.token, name="De fora")
    contact = await create_contact(gql, workspace.token, name="Cliente")
    await ContactModel.filter(id=pk_of(contact["id"], "Contact")).update(
        owner_id=pk_of(other_workspace.admin["id"], "User"),
        company_id=pk_of(foreign_company["id"], "Company"),
    )
    # when the page and the contact by id are read
    node = (await _page(gql, workspace.token, WIDE, first=5))["edges"][0]["node"]
    alone = (await gql.ok(ONE % WIDE, {"id": contact["id"]}, token=workspace.token))["contact"]
    # then neither shows the other workspace's records
    assert node["owner"] is None and node["company"] is None
    assert json.dumps(node) == json.dumps(alone)


async def test_a_joined_company_is_shown_only_to_who_may_see_it(gql, workspace):
    # given agent B's contact at agent A's company
    a = await workspace.user("AGENT", name="A")
    b = await workspace.user("AGENT", name="B")
    company = await create_company(gql, workspace.token, name="De A", ownerId=a["id"])
    contact = await create_contact(gql, workspace.token, name="Cliente de B", ownerId=b["id"])
    await gql.ok(
        UPDATE_CONTACT, {"id": contact["id"], "input": {"companyId": company["id"]}}, token=workspace.token
    )

    async def listed(token):
        return (await _page(gql, token, first=5))["edges"][0]["node"]

    # when B lists their contacts: A's company is not shown to B
    assert (await listed(b["token"]))["company"] is None
    # the admin sees it
    assert (await listed(workspace.token))["company"]["id"] == company["id"]
    # and once B owns a deal naming the company, B sees it on the list
    pipeline = await create_pipeline(gql, workspace.token)
    await create_deal(gql, workspace.token, pipeline["id"], ownerId=b["id"], companyId=company["id"])
    assert (await listed(b["token"]))["company"] == {"id": company["id"], "name": "De A"}


async def test_a_companys_contacts_read_their_owner_in_the_page(gql, workspace, count_sql):
    # given a company with contacts, owned or not
    agent = await workspace.user("AGENT", name="Dona")
    company = await create_company(gql, workspace.token, name="Acme")
    for index in range(4):
        await create_contact(
            gql,
            workspace.token,
            name=f"P{index}",
            companyId=company["id"],
            ownerId=agent["id"] if index % 2 else None,
        )
    # when its contacts are read with owner and company
    with count_sql() as counter:
        data = await gql.ok(COMPANY_PAGE % SHOWN, {"id": company["id"], "first": 10}, token=workspace.token)
    nodes = [edge["node"] for edge in data["company"]["contacts"]["edges"]]
    # then each shows its owner (or null) and the company, and the page read
    # them itself: session, the company, the page, the tags
    assert [node["owner"] and node["owner"]["name"] for node in nodes] == ["Dona", None, "Dona", None]
    assert {node["company"]["name"] for node in nodes} == {"Acme"}
    assert len(counter.statements) == 4, counter.statements
