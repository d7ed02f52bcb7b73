"""Campos adicionais, defined: ADMIN creates, changes, archives and
restores typed fields (each change on the log), every member reads them
through `customFieldDefinitions`, and what would break stored values or
the settings that use a field is refused."""

from __future__ import annotations

from revgraph.models.custom_fields import CustomFieldDefinition
from revgraph.models.identity import User
from revgraph.resolvers.ids import decode_id
from tests.graph.custom_field_support import (
    ARCHIVE_DEFINITION,
    CREATE_DEFINITION,
    DEFINITION_NODE,
    INTERESSES,
    RESTORE_DEFINITION,
    TIPOLOGIAS,
    UPDATE_DEFINITION,
    define,
    definition_events,
    definitions,
)
from tests.graph.documents import create_contact
from tests.pipeline.support import UPDATE_DEAL, create_deal, create_pipeline

UPDATE_STAGE = """
mutation UpdateStage($id: ID!, $input: StageUpdateInput!) {
  updateStage(id: $id, input: $input) { stage { id requiredFields } userErrors { code message field } }
}
"""
CREATE_FORM = """
mutation CreateForm($input: FormInput!) { createForm(input: $input) { form { id } userErrors { code } } }
"""
ARCHIVE_FORM = "mutation ArchiveForm($id: ID!) { archiveForm(id: $id) { form { id } userErrors { code } } }"


async def test_an_admin_defines_changes_archives_and_restores_a_field_each_change_on_the_log(gql, workspace):
    # given a workspace with no custom fields
    assert await definitions(gql, workspace.token) == []

    # when the admin defines a SELECT field for contacts and a DATE one for deals
    tipologia = await define(
        gql, workspace.token, key="tipologia", label="Tipologia", type="SELECT", options=TIPOLOGIAS
    )
    entrega = await define(
        gql, workspace.token, entity="DEAL", key="previsao_entrega", label="Entrega", type="DATE"
    )

    # then they read back as written, contacts' first, in position order
    assert tipologia["entity"] == "CONTACT" and tipologia["type"] == "SELECT"
    assert tipologia["options"] == TIPOLOGIAS and tipologia["required"] is False
    assert tipologia["position"] == 0 and entrega["position"] == 0 and tipologia["archivedAt"] is None
    assert [d["key"] for d in await definitions(gql, workspace.token)] == ["tipologia", "previsao_entrega"]
    assert [d["key"] for d in await definitions(gql, workspace.token, entity="DEAL")] == ["previsao_entrega"]
    node = (await gql.ok(DEFINITION_NODE, {"id": tipologia["id"]}, token=workspace.token))["node"]
    assert node == tipologia

    # when they relabel it, add an option, require it and move it
    changed = await gql.ok(
        UPDATE_DEFINITION,
        {
            "id": tipologia["id"],
            "input": {
                "label": "Tipologia desejada",
                "options": [*TIPOLOGIAS, {"key": "cobertura", "label": "Cobertura"}],
                "required": True,
                "position": 5,
            },
        },
        token=workspace.token,
    )
    payload = changed["updateCustomFieldDefinition"]
    # then the key and type stay
    assert payload["userErrors"] == []
    assert payload["definition"]["key"] == "tipologia" and payload["definition"]["type"] == "SELECT"
    assert payload["definition"]["label"] == "Tipologia desejada"
    assert [o["key"] for o in payload["definition"]["options"]][-1] == "cobertura"
    assert payload["definition"]["required"] is True and payload["definition"]["position"] == 5

    # when they archive it
    archived = (await gql.ok(ARCHIVE_DEFINITION, {"id": tipologia["id"]}, token=workspace.token))[
        "archiveCustomFieldDefinition"
    ]
    # then it is left out of the list unless asked for, and can come back
    assert archived["userErrors"] == [] and archived["definition"]["archivedAt"]
    assert [d["key"] for d in await definitions(gql, workspace.token, entity="CONTACT")] == []
    listed = await definitions(gql, workspace.token, entity="CONTACT", includeArchived=True)
    assert [d["key"] for d in listed] == ["tipologia"]
    restored = (await gql.ok(RESTORE_DEFINITION, {"id": tipologia["id"]}, token=workspace.token))[
        "restoreCustomFieldDefinition"
    ]
    assert restored["userErrors"] == [] and restored["definition"]["archivedAt"] is None

    # and every change is on the log, with the admin as actor
    events = await definition_events(workspace.admin["id"])
    assert [e["kind"] for e in events] == [
        "custom_field.created",
        "custom_field.created",
        "custom_field.updated",
        "custom_field.archived",
        "custom_field.restored",
    ]
    admin_pk = decode_id(workspace.admin["id"])[1]
    assert {e["actor_user_id"] for e in events} == {admin_pk}
    assert events[0]["data"]["definition"]["key"] == "tipologia"
    assert sorted(events[2]["data"]["changes"]) == ["label", "options", "position", "required"]
    assert events[2]["data"]["changes"]["label"] == {"from": "Tipologia", "to": "Tipologia desejada"}


async def test_agents_and_managers_read_definitions_but_may_not_change_them(gql, workspace):
    # given a field and an agent and a manager
    field = await define(gql, workspace.token, key="bairro", label="Bairro", type="TEXT")
    agent = await workspace.user("AGENT")
    manager = await workspace.user("MANAGER")
    before = await definitions(gql, workspace.token, includeArchived=True)
    for user in (agent, manager):
        # when they read the definitions, they see them
        assert [d["key"] for d in await definitions(gql, user["token"])] == ["bairro"]
        # when they try to create, change, archive or restore one
        attempts = [
            (CREATE_DEFINITION, {"input": {"entity": "CONTACT", "key": "x", "label": "X", "type": "TEXT"}}),
            (UPDATE_DEFINITION, {"id": field["id"], "input": {"label": "Outro"}}),
            (ARCHIVE_DEFINITION, {"id": field["id"]}),
            (RESTORE_DEFINITION, {"id": field["id"]}),
        ]
        for document, variables in attempts:
            body = await gql(document, variables, token=user["token"])
            # then each is a top-level FORBIDDEN
            assert body["data"] is None, body
            assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # and nothing changed
    assert await definitions(gql, workspace.token, includeArchived=True) == before
    assert [e["kind"] for e in await definition_events(workspace.admin["id"])] == ["custom_field.created"]


async def test_bad_definitions_are_refused_on_the_field_at_fault_and_nothing_is_saved(gql, workspace):
    # given an existing field, one archived, and 100 live deal fields (the limit)
    await define(gql, workspace.token, key="bairro", label="Bairro", type="TEXT")
    old = await define(gql, workspace.token, key="antigo", label="Antigo", type="TEXT")
    await gql.ok(ARCHIVE_DEFINITION, {"id": old["id"]}, token=workspace.token)
    admin_workspace = (await User.get(id=decode_id(workspace.admin["id"])[1])).workspace_id
    for index in range(100):
        await define(
            gql, workspace.token, entity="DEAL", key=f"campo_{index}", label=f"Campo {index}", type="TEXT"
        )
    before = await definitions(gql, workspace.token, includeArchived=True)
    option = {"key": "a", "label": "A"}
    cases = [
        ({"key": "Renda Mensal"}, "INVALID", ["input", "key"]),
        ({"key": "1renda"}, "INVALID", ["input", "key"]),
        ({"key": "x" * 65}, "INVALID", ["input", "key"]),
        ({"key": "bairro"}, "DUPLICATE", ["input", "key"]),
        ({"key": "antigo"}, "DUPLICATE", ["input", "key"]),
        ({"label": "  "}, "INVALID", ["input", "label"]),
        ({"type": "SELECT"}, "INVALID", ["input", "options"]),
        ({"type": "TEXT", "options": [option]}, "INVALID", ["input", "options"]),
        ({"type": "SELECT", "options": [option, option]}, "DUPLICATE", ["input", "options", "1", "key"]),
        (
            {"type": "MULTI_SELECT", "options": [{"key": "A b", "label": "A"}]},
            "INVALID",
            ["input", "options", "0", "key"],
        ),
        (
            {"type": "SELECT", "options": [{"key": "a", "label": ""}]},
            "INVALID",
            ["input", "options", "0", "label"],
        ),
        ({"position": -1}, "INVALID", ["input", "position"]),
        ({"entity": "DEAL"}, "LIMIT_EXCEEDED", ["input", "entity"]),
    ]
    for change, code, field in cases:
        # when the admin sends a bad definition
        data = await gql.ok(
            CREATE_DEFINITION,
            {"input": {"entity": "CONTACT", "key": "novo", "label": "Novo", "type": "TEXT", **change}},
            token=workspace.token,
        )
        payload = data["createCustomFieldDefinition"]
        # then it is refused on the field at fault
        assert payload["definition"] is None, change
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], (change, payload)
    # and nothing was saved
    assert await definitions(gql, workspace.token, includeArchived=True) == before
    assert not await CustomFieldDefinition.filter(workspace_id=admin_workspace, key="novo").exists()


async def test_a_type_change_or_an_option_removal_that_would_break_stored_values_is_refused(gql, workspace):
    # given a NUMBER field a contact holds a value of, and a MULTI_SELECT one a contact chose from
    dependentes = await define(gql, workspace.token, key="dependentes", label="Dependentes", type="NUMBER")
    interesses = await define(
        gql, workspace.token, key="interesses", label="Lazer", type="MULTI_SELECT", options=INTERESSES
    )
    vazio = await define(gql, workspace.token, key="vazio", label="Sem valores", type="NUMBER")
    contact = await create_contact(
        gql, workspace.token, name="Ana", customFields={"dependentes": 2, "interesses": ["academia"]}
    )
    before = await definitions(gql, workspace.token)

    # when the admin changes the type of the field with a value
    retyped = (
        await gql.ok(
            UPDATE_DEFINITION, {"id": dependentes["id"], "input": {"type": "TEXT"}}, token=workspace.token
        )
    )["updateCustomFieldDefinition"]
    # then it is refused, saying how many records hold values
    assert [(e["code"], e["field"]) for e in retyped["userErrors"]] == [("RULE_VIOLATION", ["input", "type"])]
    assert retyped["userErrors"][0]["message"].startswith("1 contato: valores de 'dependentes'")

    # when they remove the option a contact chose (and keep the others)
    kept = [o for o in INTERESSES if o["key"] != "academia"]
    removed = (
        await gql.ok(
            UPDATE_DEFINITION, {"id": interesses["id"], "input": {"options": kept}}, token=workspace.token
        )
    )["updateCustomFieldDefinition"]
    # then that is refused too
    assert [(e["code"], e["field"]) for e in removed["userErrors"]] == [
        ("RULE_VIOLATION", ["input", "options"])
    ]
    assert "'academia'" in removed["userErrors"][0]["message"]
    # and nothing changed
    assert await definitions(gql, workspace.token) == before

    # while an option nobody chose goes, and a field without values changes type
    unused = [o for o in INTERESSES if o["key"] != "piscina"]
    ok = (
        await gql.ok(
            UPDATE_DEFINITION, {"id": interesses["id"], "input": {"options": unused}}, token=workspace.token
        )
    )["updateCustomFieldDefinition"]
    assert ok["userErrors"] == [] and [o["key"] for o in ok["definition"]["options"]] == [
        "academia",
        "varanda",
    ]
    retyped = (
        await gql.ok(
            UPDATE_DEFINITION,
            {"id": vazio["id"], "input": {"type": "SELECT", "options": TIPOLOGIAS}},
            token=workspace.token,
        )
    )["updateCustomFieldDefinition"]
    assert retyped["userErrors"] == [] and retyped["definition"]["type"] == "SELECT"
    # and once the stored value is cleared, the type may change as well
    cleared = await gql.ok(
        "mutation($id: ID!, $input: ContactUpdateInput!) { updateContact(id: $id, input: $input) { userErrors { code } } }",
        {"id": contact["id"], "input": {"customFields": {"interesses": ["academia"]}}},
        token=workspace.token,
    )
    assert cleared["updateContact"]["userErrors"] == []
    retyped = (
        await gql.ok(
            UPDATE_DEFINITION, {"id": dependentes["id"], "input": {"type": "DECIMAL"}}, token=workspace.token
        )
    )["updateCustomFieldDefinition"]
    assert retyped["userErrors"] == [] and retyped["definition"]["type"] == "DECIMAL"


async def test_a_field_a_stage_requires_or_a_form_writes_cannot_be_archived(gql, workspace):
    # given a deal field a stage requires and a contact field a form writes
    renda = await define(gql, workspace.token, entity="DEAL", key="renda", label="Renda", type="DECIMAL")
    origem = await define(gql, workspace.token, key="origem", label="Origem", type="TEXT")
    pipeline = await create_pipeline(gql, workspace.token)
    proposta = pipeline["stage"]["Proposta"]
    required = await gql.ok(
        UPDATE_STAGE,
        {"id": proposta, "input": {"requiredFields": ["value", "customFields.renda"]}},
        token=workspace.token,
    )
    assert required["updateStage"]["userErrors"] == []
    form = await gql.ok(
        CREATE_FORM,
        {"input": {"name": "Site", "fieldMapping": {"como_conheceu": "customFields.origem"}}},
        token=workspace.token,
    )
    assert form["createForm"]["userErrors"] == []

    # when the admin archives either
    for field, user in ((renda, "etapa Proposta"), (origem, "formulário Site")):
        data = await gql.ok(ARCHIVE_DEFINITION, {"id": field["id"]}, token=workspace.token)
        payload = data["archiveCustomFieldDefinition"]
        # then it is refused, naming what uses it, and the field stays live
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [("RULE_VIOLATION", ["id"])]
        assert user in payload["userErrors"][0]["message"]
    assert len(await definitions(gql, workspace.token)) == 2

    # when the stage no longer requires it and the form is archived, both archive
    await gql.ok(
        UPDATE_STAGE, {"id": proposta, "input": {"requiredFields": ["value"]}}, token=workspace.token
    )
    await gql.ok(ARCHIVE_FORM, {"id": form["createForm"]["form"]["id"]}, token=workspace.token)
    for field in (renda, origem):
        payload = (await gql.ok(ARCHIVE_DEFINITION, {"id": field["id"]}, token=workspace.token))[
            "archiveCustomFieldDefinition"
        ]
        assert payload["userErrors"] == [] and payload["definition"]["archivedAt"]
    # and an archived field's stored values stay while no new ones are written
    deal = await create_deal(gql, workspace.token, pipeline["id"])
    refused = await gql.ok(
        UPDATE_DEAL, {"id": deal["id"], "input": {"customFields": {"renda": "5000"}}}, token=workspace.token
    )
    assert [(e["code"], e["field"]) for e in refused["updateDeal"]["userErrors"]] == [
        ("INVALID", ["input", "customFields", "renda"])
    ]
