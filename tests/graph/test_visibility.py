"""Tenancy and the sales hierarchy on every path of the 360° graph: lists,
lookups, node, search, totalCount, nested edges, updates and deletes.

The hierarchy: root team A managed by M1 with sub-team B (managed by MB);
a separate team C. Agents a1 in A, b1 in B, c1 in C. One contact each for
a1, b1, c1 and M1, and one unowned contact made by the admin."""

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from revgraph.models.identity import User
from revgraph.resolvers.context import Actor, Context
from revgraph.resolvers.ids import decode_id
from revgraph.resolvers.visibility import scope_of
from tests.graph.documents import (
    CONTACT,
    CONTACTS,
    CREATE_TASK,
    DELETE_CONTACT,
    MERGE_CONTACTS,
    NODE,
    TIMELINE,
    UPDATE_CONTACT,
    contact_ids,
    create_company,
    create_contact,
)


@dataclass
class Hierarchy:
    admin: str
    users: dict[str, dict[str, Any]]
    contacts: dict[str, dict[str, Any]]

    def token(self, who: str) -> str:
        return self.admin if who == "admin" else self.users[who]["token"]


# The tests that only read the hierarchy share one (tests/conftest.py keeps
# the tables, and `kept_data`, between them): building it is a score of
# requests, most of each such test's time.
READS_THE_HIERARCHY = pytest.mark.shares_data("visibility hierarchy")


@pytest.fixture
async def hierarchy(request, gql, workspace, kept_data) -> Hierarchy:
    shared = request.node.get_closest_marker("shares_data") is not None
    if shared and "hierarchy" in kept_data:
        return kept_data["hierarchy"]
    built = await build_hierarchy(gql, workspace)
    if shared:
        kept_data["hierarchy"] = built
    return built


async def build_hierarchy(gql, workspace) -> Hierarchy:
    m1 = await workspace.user("MANAGER", name="M1")
    mb = await workspace.user("MANAGER", name="MB")
    team_a = await workspace.team("A", manager_id=m1["id"])
    team_b = await workspace.team("B", manager_id=mb["id"], parent_id=team_a["id"])
    team_c = await workspace.team("C")
    users = {
        "m1": m1,
        "mb": mb,
        "a1": await workspace.user("AGENT", team_id=team_a["id"], name="a1"),
        "b1": await workspace.user("AGENT", team_id=team_b["id"], name="b1"),
        "c1": await workspace.user("AGENT", team_id=team_c["id"], name="c1"),
    }
    contacts = {
        owner: await create_contact(
            gql,
            workspace.token,
            name=f"Cliente de {owner}",
            email=f"{owner}@cliente.com",
            ownerId=users[owner]["id"],
        )
        for owner in ("a1", "b1", "c1", "m1")
    }
    contacts["nobody"] = await create_contact(gql, workspace.token, name="Cliente de ninguém")
    return Hierarchy(workspace.token, users, contacts)


SEES = {
    "admin": {"a1", "b1", "c1", "m1", "nobody"},
    "m1": {"a1", "b1", "m1"},
    "mb": {"b1"},
    "a1": {"a1"},
    "b1": {"b1"},
    "c1": {"c1"},
}


@READS_THE_HIERARCHY
@pytest.mark.parametrize("who", sorted(SEES))
async def test_each_role_lists_searches_and_counts_only_its_scope(gql, hierarchy, who):
    token = hierarchy.token(who)
    expected = sorted(hierarchy.contacts[o]["id"] for o in SEES[who])
    # list and totalCount
    data = (await gql.ok(CONTACTS, {"first": 100}, token=token))["contacts"]
    assert sorted(e["node"]["id"] for e in data["edges"]) == expected
    assert data["totalCount"] == len(expected)
    # search across names every contact shares
    assert sorted(await contact_ids(gql, token, search="cliente")) == expected
    # a filter naming an invisible owner finds nothing more
    c1_only = await contact_ids(gql, token, filter={"ownerId": {"eq": hierarchy.users["c1"]["id"]}})
    assert c1_only == ([hierarchy.contacts["c1"]["id"]] if "c1" in SEES[who] else [])


@READS_THE_HIERARCHY
@pytest.mark.parametrize("who", sorted(SEES))
async def test_lookup_node_and_timeline_of_an_invisible_contact_are_null(gql, hierarchy, who):
    token = hierarchy.token(who)
    for owner, contact in hierarchy.contacts.items():
        visible = owner in SEES[who]
        looked_up = (await gql.ok(CONTACT, {"id": contact["id"]}, token=token))["contact"]
        node = (await gql.ok(NODE, {"id": contact["id"]}, token=token))["node"]
        timeline = (await gql.ok(TIMELINE, {"id": contact["id"]}, token=token))["contact"]
        assert (looked_up is not None, node is not None, timeline is not None) == (visible,) * 3, owner


async def test_another_workspace_sees_nothing_and_changes_nothing(gql, hierarchy, other_workspace):
    token = other_workspace.token
    assert await contact_ids(gql, token) == []
    assert await contact_ids(gql, token, search="cliente") == []
    target = hierarchy.contacts["a1"]
    assert (await gql.ok(CONTACT, {"id": target["id"]}, token=token))["contact"] is None
    assert (await gql.ok(NODE, {"id": target["id"]}, token=token))["node"] is None
    update = await gql.ok(UPDATE_CONTACT, {"id": target["id"], "input": {"name": "Hacked"}}, token=token)
    delete = await gql.ok(DELETE_CONTACT, {"id": target["id"]}, token=token)
    assert update["updateContact"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert delete["deleteContact"]["userErrors"][0]["code"] == "NOT_FOUND"
    after = (await gql.ok(CONTACT, {"id": target["id"]}, token=hierarchy.admin))["contact"]
    assert (after["name"], after["deletedAt"]) == (target["name"], None)


@pytest.mark.parametrize(
    ("who", "owner"), [("a1", "b1"), ("mb", "a1"), ("mb", "m1"), ("m1", "c1"), ("c1", "nobody")]
)
async def test_updates_deletes_and_merges_outside_the_scope_are_not_found(gql, hierarchy, who, owner):
    token = hierarchy.token(who)
    target = hierarchy.contacts[owner]
    update = await gql.ok(UPDATE_CONTACT, {"id": target["id"], "input": {"name": "Mudado"}}, token=token)
    delete = await gql.ok(DELETE_CONTACT, {"id": target["id"]}, token=token)
    own = next(iter(SEES[who]))
    merge = await gql.ok(
        MERGE_CONTACTS, {"primaryId": hierarchy.contacts[own]["id"], "duplicateId": target["id"]}, token=token
    )
    note_task = await gql.ok(
        CREATE_TASK, {"input": {"title": "Ligar", "contactId": target["id"]}}, token=token
    )
    assert update["updateContact"]["userErrors"] == [
        {"code": "NOT_FOUND", "message": "Contato: registro não encontrado.", "field": ["id"]}
    ]
    assert delete["deleteContact"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert merge["mergeContacts"]["userErrors"][0]["field"] == ["duplicateId"]
    assert note_task["createTask"]["userErrors"][0]["field"] == ["input", "contactId"]
    # and the contact is unchanged, untrashed, unmerged
    after = (await gql.ok(CONTACT, {"id": target["id"]}, token=hierarchy.admin))["contact"]
    assert (after["name"], after["deletedAt"]) == (target["name"], None)


async def test_a_manager_updates_contacts_of_their_subtree(gql, hierarchy):
    target = hierarchy.contacts["b1"]
    data = await gql.ok(
        UPDATE_CONTACT,
        {"id": target["id"], "input": {"ownerId": hierarchy.users["a1"]["id"]}},
        token=hierarchy.token("m1"),
    )
    assert data["updateContact"]["contact"]["owner"] == {"id": hierarchy.users["a1"]["id"]}
    # and once handed to a1, MB (manager of B only) no longer sees it
    assert (await gql.ok(CONTACT, {"id": target["id"]}, token=hierarchy.token("mb")))["contact"] is None


COMPANY_CONTACTS = """
query CompanyContacts($id: ID!) {
  company(id: $id) { id contacts { totalCount edges { node { id company { id } } } } }
}
"""


async def test_nested_edges_respect_visibility(gql, hierarchy):
    # given a company owned by a1 with the contacts of a1 and b1, and c1's company
    company = await create_company(
        gql, hierarchy.admin, name="Compartilhada", ownerId=hierarchy.users["a1"]["id"]
    )
    c1_company = await create_company(gql, hierarchy.admin, name="De c1", ownerId=hierarchy.users["c1"]["id"])
    for owner in ("a1", "b1"):
        await gql.ok(
            UPDATE_CONTACT,
            {"id": hierarchy.contacts[owner]["id"], "input": {"companyId": company["id"]}},
            token=hierarchy.admin,
        )
    await gql.ok(
        UPDATE_CONTACT,
        {"id": hierarchy.contacts["m1"]["id"], "input": {"companyId": c1_company["id"]}},
        token=hierarchy.admin,
    )
    # then a1 sees the company with only their own contact in it
    seen = (await gql.ok(COMPANY_CONTACTS, {"id": company["id"]}, token=hierarchy.token("a1")))["company"]
    assert seen["contacts"]["totalCount"] == 1
    assert [e["node"]["id"] for e in seen["contacts"]["edges"]] == [hierarchy.contacts["a1"]["id"]]
    # M1 sees both contacts; b1 cannot see a1's company at all
    seen_m1 = (await gql.ok(COMPANY_CONTACTS, {"id": company["id"]}, token=hierarchy.token("m1")))["company"]
    assert seen_m1["contacts"]["totalCount"] == 2
    assert (await gql.ok(COMPANY_CONTACTS, {"id": company["id"]}, token=hierarchy.token("b1")))[
        "company"
    ] is None
    # so b1's contact shows no company, and M1's contact hides c1's company from M1
    b1_contact = await gql.ok(CONTACT, {"id": hierarchy.contacts["b1"]["id"]}, token=hierarchy.token("b1"))
    assert b1_contact["contact"]["company"] is None
    m1_contact = await gql.ok(CONTACT, {"id": hierarchy.contacts["m1"]["id"]}, token=hierarchy.token("m1"))
    assert m1_contact["contact"]["company"] is None
    admin_view = await gql.ok(CONTACT, {"id": hierarchy.contacts["m1"]["id"]}, token=hierarchy.admin)
    assert admin_view["contact"]["company"]["id"] == c1_company["id"]


TASK_NODE = """
query TaskNode($id: ID!) { node(id: $id) { id ... on Task { title contact { id } assignee { id } } } }
"""


async def test_a_task_is_visible_through_its_assignee_or_its_contact(gql, hierarchy):
    # given a task on c1's contact assigned to a1
    data = await gql.ok(
        CREATE_TASK,
        {
            "input": {
                "title": "Visita",
                "contactId": hierarchy.contacts["c1"]["id"],
                "assigneeId": hierarchy.users["a1"]["id"],
            }
        },
        token=hierarchy.admin,
    )
    task_id = data["createTask"]["task"]["id"]

    async def node_for(who):
        return (await gql.ok(TASK_NODE, {"id": task_id}, token=hierarchy.token(who)))["node"]

    # a1 sees it as assignee, but not the contact it is about
    assert (await node_for("a1"))["contact"] is None
    # c1 sees it through the contact
    assert (await node_for("c1"))["contact"] == {"id": hierarchy.contacts["c1"]["id"]}
    # M1 sees it through a1; MB and b1 do not see it at all
    assert (await node_for("m1"))["assignee"] == {"id": hierarchy.users["a1"]["id"]}
    assert await node_for("mb") is None
    assert await node_for("b1") is None


TIMELINE_EVENT_NODE = """
query EventNode($id: ID!) { node(id: $id) { id ... on TimelineEvent { kind } } }
"""


async def test_a_timeline_event_is_visible_with_its_contact(gql, hierarchy):
    timeline = (await gql.ok(TIMELINE, {"id": hierarchy.contacts["b1"]["id"]}, token=hierarchy.admin))[
        "contact"
    ]
    event_id = timeline["timeline"]["edges"][0]["node"]["id"]
    for who, visible in (
        ("admin", True),
        ("m1", True),
        ("mb", True),
        ("b1", True),
        ("a1", False),
        ("c1", False),
    ):
        node = (await gql.ok(TIMELINE_EVENT_NODE, {"id": event_id}, token=hierarchy.token(who)))["node"]
        assert (node is not None) == visible, who


async def test_a_scope_asked_for_by_concurrent_resolvers_is_read_once(hierarchy, count_sql, server):
    # given one request's context for a manager, whose scope takes the team tree to compute
    user_id = decode_id(hierarchy.users["m1"]["id"])[1]
    workspace_id = (await User.get(id=user_id)).workspace_id
    ctx = Context(server.settings, actor=Actor(workspace_id, user_id, "MANAGER"))
    # when three resolvers ask for it at once, then once more later
    with count_sql() as counter:
        scopes = await asyncio.gather(*(scope_of(ctx) for _ in range(3)))
        again = await scope_of(ctx)
    # then they all have the same scope, read with one set of statements
    assert all(scope is scopes[0] for scope in [*scopes, again])
    assert user_id in scopes[0].owner_ids
    assert len(counter.statements) == len(set(counter.statements)) == 3, counter.statements
