"""Every id an input names goes through the caller's visibility, not only
the subject (RELIABILITY.md "Authorisation and tenancy"): an anchor, a link,
an id in a list or in a rule's definition that names a record the caller
may not see behaves exactly like a random id of the same type (same code,
message and field) and changes nothing."""

from typing import Any

import pytest
from graphql import GraphQLInputObjectType, GraphQLScalarType, get_named_type

from revgraph.resolvers.ids import decode_id, encode_id
from revgraph.schema import build_schema
from tests.pipeline.support import BOARD, DEAL, column, create_deal, create_pipeline, move
from tests.security.named_id_cases import CASES
from tests.security.named_ids import MUTATIONS, build_world, every_row, settled

# A well-formed id that names no row: what a caller guessing ids would send.
UNUSED_PK = 2**31 - 2


def random_id(type_name: str) -> str:
    return encode_id(type_name, UNUSED_PK)


async def test_an_anchor_the_agent_may_not_see_is_refused_like_a_random_one(gql, workspace):
    # given two agents with a card each in the same column, theirs on top of mine
    pipeline = await create_pipeline(gql, workspace.token)
    me = await workspace.user("AGENT", name="me")
    other = await workspace.user("AGENT", name="other")
    mine = await create_deal(gql, me["token"], pipeline["id"], title="mine")
    theirs = await create_deal(gql, other["token"], pipeline["id"], title="theirs")
    column_id = pipeline["stage"]["Novo lead"]
    before = await gql.ok(BOARD, {"id": pipeline["id"]}, token=workspace.token)
    assert column(before["pipeline"], "Novo lead") == ["theirs", "mine"]
    # when I place my card right after theirs, which I cannot see, and after a random id
    hidden = await move(gql, me["token"], dealId=mine["id"], stageId=column_id, afterDealId=theirs["id"])
    random = await move(gql, me["token"], dealId=mine["id"], stageId=column_id, afterDealId=random_id("Deal"))
    # then both are the same NOT_FOUND on the anchor, and nothing moved
    assert hidden == random
    assert hidden["deal"] is None
    assert hidden["userErrors"] == [
        {
            "code": "NOT_FOUND",
            "message": "Negócio: registro não encontrado.",
            "field": ["input", "afterDealId"],
        }
    ]
    after = await gql.ok(BOARD, {"id": pipeline["id"]}, token=workspace.token)
    assert after == before
    for deal in (mine, theirs):
        assert (await gql.ok(DEAL, {"id": deal["id"]}, token=workspace.token))["deal"]["version"] == 1
    # while an anchor I can see still places the card
    placed = await move(gql, me["token"], dealId=mine["id"], stageId=column_id, afterDealId=mine["id"])
    assert placed["userErrors"][0]["field"] == ["input", "afterDealId"]  # not after itself
    mine_too = await create_deal(gql, me["token"], pipeline["id"], title="mine too")
    ok = await move(gql, me["token"], dealId=mine_too["id"], stageId=column_id, afterDealId=mine["id"])
    assert ok["userErrors"] == []
    board_view = await gql.ok(BOARD, {"id": pipeline["id"]}, token=workspace.token)
    assert column(board_view["pipeline"], "Novo lead") == ["theirs", "mine", "mine too"]


def type_of(global_id: str) -> str:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[0]


def answer(body: dict[str, Any]) -> dict[str, Any]:
    """What an answer says about the request (not the cost and rate-limit
    accounting in `extensions`, which moves with every call)."""
    errors = [(e.get("message"), (e.get("extensions") or {}).get("code")) for e in body.get("errors") or []]
    return {"data": body.get("data"), "errors": errors}


def changed_tables(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


@pytest.mark.parametrize("caller", sorted(CASES))
async def test_an_id_the_caller_may_not_see_answers_like_a_random_one(
    gql, workspace, other_workspace, caller
):
    # given records the caller may not see: another agent's (outside the
    # manager's teams too), and for the outsider all of another workspace
    world = await build_world(gql, workspace, other_workspace)
    mine = world.mine[caller]
    await settled()
    rows = await every_row()
    wrong = []
    for case in CASES[caller]:
        document = MUTATIONS[case.mutation]
        named = world.theirs[case.hidden]
        # when an input names one of them, and then a random id of its type
        hidden = answer(await gql(document, case.variables(mine, named), token=mine["token"]))
        random = answer(
            await gql(document, case.variables(mine, random_id(type_of(named))), token=mine["token"])
        )
        # then both get the same answer: a refusal on that input; and no row changed
        errors = ((hidden["data"] or {}).get(case.mutation) or {}).get("userErrors") or []
        refusal = [(e["code"], e["field"]) for e in errors]
        if hidden != random:
            wrong.append(f"{case.name} naming {case.hidden}: {hidden} != {random}")
        elif refusal != [(case.code, case.expected_field)]:
            wrong.append(f"{case.name} naming {case.hidden}: {hidden}")
        after = await every_row()
        if after != rows:
            wrong.append(f"{case.name} naming {case.hidden} changed {changed_tables(rows, after)}")
            rows = after
    assert wrong == []


def id_inputs() -> set[str]:
    """Every mutation input of type ID, nested ones included, as
    `mutation(path)`; filter values (matched, never looked up) left out."""
    schema = build_schema()._schema
    found: set[str] = set()

    def walk(mutation: str, path: str, kind: Any) -> None:
        kind = get_named_type(kind)
        if isinstance(kind, GraphQLScalarType) and kind.name == "ID":
            found.add(f"{mutation}({path})")
        elif isinstance(kind, GraphQLInputObjectType) and not kind.name.endswith("Filter"):
            for name, field in kind.fields.items():
                walk(mutation, f"{path}.{name}", field.type)

    for mutation, field in schema.mutation_type.fields.items():
        for name, argument in field.args.items():
            walk(mutation, name, argument.type)
    return found


def test_every_id_input_of_every_mutation_has_a_case():
    covered = {case.name for cases in CASES.values() for case in cases}
    inputs = id_inputs()
    # the walk really sees the API (guards against an empty, vacuous pass)
    assert {"moveDeal(input.afterDealId)", "createAutomationRule(input.actions.assign.userId)"} <= inputs
    assert sorted(inputs - covered) == []
