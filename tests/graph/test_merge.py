"""mergeContacts: everything of the duplicate moves to the primary, the
duplicate goes to the trash, and its history stays readable on the primary."""

from tests.graph.documents import (
    ADD_NOTE,
    CONTACT,
    CREATE_CONTACT,
    CREATE_TASK,
    MERGE_CONTACTS,
    RESTORE_CONTACT,
    TIMELINE,
    contact_ids,
    create_company,
    create_contact,
    timeline_kinds,
)

CREATE_PIPELINE = """
mutation P($input: PipelineInput!) { createPipeline(input: $input) { pipeline { id } userErrors { code } } }
"""
CREATE_DEAL = """
mutation D($input: DealInput!) { createDeal(input: $input) { deal { id } userErrors { code message } } }
"""
DEALS_OF = """
query DealsOf($contactId: ID!) { deals(filter: {contactId: {eq: $contactId}}) { edges { node { id } } } }
"""
CONTACT_TASKS = """
query T($id: ID!) { contact(id: $id) { tasks { edges { node { id title } } } } }
"""


async def _deal_for(gql, token, contact_id):
    pipeline = await gql.ok(
        CREATE_PIPELINE, {"input": {"name": "Vendas", "stages": [{"name": "Novo"}]}}, token=token
    )
    data = await gql.ok(
        CREATE_DEAL,
        {
            "input": {
                "title": "Apto 12",
                "pipelineId": pipeline["createPipeline"]["pipeline"]["id"],
                "contactId": contact_id,
            }
        },
        token=token,
    )
    assert data["createDeal"]["userErrors"] == [], data
    return data["createDeal"]["deal"]["id"]


async def test_merge_moves_everything_and_trashes_the_duplicate(gql, workspace):
    token = workspace.token
    # given a primary and a duplicate with its own data, task, note and deal
    company = await create_company(gql, token)
    primary = await create_contact(
        gql, token, name="Gabi", email="gabi@example.com", tags=["a"], customFields={"x": 1}
    )
    duplicate = await create_contact(
        gql,
        token,
        name="Gabriela",
        email="gabriela@example.com",
        phone="11 91234-5678",
        companyId=company["id"],
        source="form",
        tags=["a", "b"],
        customFields={"x": 2, "y": 3},
    )
    task = await gql.ok(CREATE_TASK, {"input": {"title": "Ligar", "contactId": duplicate["id"]}}, token=token)
    await gql.ok(ADD_NOTE, {"input": {"subjectId": duplicate["id"], "body": "nota antiga"}}, token=token)
    deal_id = await _deal_for(gql, token, duplicate["id"])
    # when they are merged
    data = await gql.ok(
        MERGE_CONTACTS, {"primaryId": primary["id"], "duplicateId": duplicate["id"]}, token=token
    )
    # then the primary keeps its own values and takes what it lacked
    merged = data["mergeContacts"]["contact"]
    assert data["mergeContacts"]["userErrors"] == []
    assert merged["email"] == "gabi@example.com"
    assert merged["phone"] == "+5511912345678"
    assert merged["company"]["id"] == company["id"]
    assert merged["source"] == "form"
    assert sorted(merged["tags"]) == ["a", "b"]
    assert merged["customFields"] == {"x": 1, "y": 3}
    # tasks and deals moved
    tasks = (await gql.ok(CONTACT_TASKS, {"id": primary["id"]}, token=token))["contact"]["tasks"]["edges"]
    assert [t["node"]["id"] for t in tasks] == [task["createTask"]["task"]["id"]]
    deals = (await gql.ok(DEALS_OF, {"contactId": primary["id"]}, token=token))["deals"]["edges"]
    assert [d["node"]["id"] for d in deals] == [deal_id]
    # the duplicate is in the trash, out of lists
    gone = (await gql.ok(CONTACT, {"id": duplicate["id"]}, token=token))["contact"]
    assert gone["deletedAt"] is not None
    assert await contact_ids(gql, token) == [primary["id"]]
    # and the primary's timeline holds both histories plus the merge, newest first
    kinds = await timeline_kinds(gql, token, primary["id"])
    assert kinds[0] == "contact.merged"
    assert (kinds.count("contact.created"), kinds.count("task.created"), kinds.count("note.added")) == (
        2,
        1,
        1,
    )
    merge_event = (await gql.ok(TIMELINE, {"id": primary["id"]}, token=token))["contact"]["timeline"][
        "edges"
    ][0]
    assert merge_event["node"]["summary"] == "Ana Admin mesclou Gabriela em Gabi"
    assert merge_event["node"]["data"]["duplicateId"] == duplicate["id"]
    assert merge_event["node"]["data"]["moved"]["tasks"] == 1
    assert merge_event["node"]["data"]["moved"]["deals"] == 1


async def test_a_merged_duplicate_frees_its_phone_for_the_primary_and_cannot_be_restored(gql, workspace):
    token = workspace.token
    primary = await create_contact(gql, token, name="Hugo")
    duplicate = await create_contact(gql, token, name="Hugo 2", phone="11 99999-0000")
    await gql.ok(MERGE_CONTACTS, {"primaryId": primary["id"], "duplicateId": duplicate["id"]}, token=token)
    # the phone now belongs to the primary: a new contact with it is a duplicate
    again = await gql.ok(CREATE_CONTACT, {"input": {"name": "Hugo 3", "phone": "11999990000"}}, token=token)
    assert again["createContact"]["userErrors"][0]["code"] == "DUPLICATE"
    restore = await gql.ok(RESTORE_CONTACT, {"id": duplicate["id"]}, token=token)
    assert restore["restoreContact"]["userErrors"][0]["code"] == "RULE_VIOLATION"
    assert (await gql.ok(CONTACT, {"id": duplicate["id"]}, token=token))["contact"]["deletedAt"] is not None


async def test_merging_twice_keeps_every_history_on_the_last_primary(gql, workspace):
    token = workspace.token
    first = await create_contact(gql, token, name="Ivo 1")
    second = await create_contact(gql, token, name="Ivo 2")
    third = await create_contact(gql, token, name="Ivo 3")
    await gql.ok(ADD_NOTE, {"input": {"subjectId": first["id"], "body": "do primeiro"}}, token=token)
    await gql.ok(MERGE_CONTACTS, {"primaryId": second["id"], "duplicateId": first["id"]}, token=token)
    await gql.ok(MERGE_CONTACTS, {"primaryId": third["id"], "duplicateId": second["id"]}, token=token)
    kinds = await timeline_kinds(gql, token, third["id"])
    assert kinds.count("contact.created") == 3
    assert kinds.count("contact.merged") == 2
    assert "note.added" in kinds


async def test_invalid_merges_change_nothing(gql, workspace):
    token = workspace.token
    primary = await create_contact(gql, token, name="Julia", tags=["p"])
    duplicate = await create_contact(gql, token, name="Julia 2", tags=["d"])
    trashed = await create_contact(gql, token, name="Julia 3")
    await gql.ok(
        "mutation($id: ID!) { deleteContact(id: $id) { deletedId } }", {"id": trashed["id"]}, token=token
    )
    cases = [
        ({"primaryId": primary["id"], "duplicateId": primary["id"]}, ("INVALID", ["duplicateId"])),
        ({"primaryId": primary["id"], "duplicateId": trashed["id"]}, ("NOT_FOUND", ["duplicateId"])),
        ({"primaryId": trashed["id"], "duplicateId": duplicate["id"]}, ("NOT_FOUND", ["primaryId"])),
        ({"primaryId": "bad", "duplicateId": duplicate["id"]}, ("NOT_FOUND", ["primaryId"])),
    ]
    for variables, expected in cases:
        data = await gql.ok(MERGE_CONTACTS, variables, token=token)
        assert [(e["code"], e["field"]) for e in data["mergeContacts"]["userErrors"]] == [expected]
    assert sorted(await contact_ids(gql, token)) == sorted([primary["id"], duplicate["id"]])
    after = (await gql.ok(CONTACT, {"id": primary["id"]}, token=token))["contact"]
    assert after["tags"] == ["p"]
    assert await timeline_kinds(gql, token, primary["id"]) == ["contact.created"]
