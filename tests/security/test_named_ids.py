"""Every id an input names goes through the caller's visibility, not only
the subject (RELIABILITY.md "Authorisation and tenancy"): an anchor, a link,
an id in a list or in a rule's definition that names a record the caller
may not see behaves exactly like a random id of the same type (same code,
message and field) and changes nothing."""

from revgraph.resolvers.ids import encode_id
from tests.pipeline.support import BOARD, DEAL, column, create_deal, create_pipeline, move

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
        {"code": "NOT_FOUND", "message": "Deal not found.", "field": ["input", "afterDealId"]}
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
