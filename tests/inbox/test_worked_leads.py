"""A lead answered in the inbox is a lead worked: `nextPending` stops
offering it once its owner replied to the contact (a note or an
automation's message would not do)."""

from tests.distribution.support import capture, create_queue
from tests.inbox.support import create_inbox, receive, send

NEXT = "query { nextPending { id name } }"


async def test_a_reply_in_the_inbox_works_the_lead(gql, workspace):
    # given a lead distributed to an agent, who also holds the lead's conversation
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    lead = await capture(gql, workspace.token, phone="+5511977770001", name="Lead Zap", queueId=queue["id"])
    inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    conv = (await receive(gql, workspace.token, inbox["id"], phone="+5511977770001"))["conversation"]
    assert conv["contact"]["id"] == lead["contact"]["id"] and conv["assignee"] == {"id": agent["id"]}
    assert (await gql.ok(NEXT, token=agent["token"]))["nextPending"]["id"] == lead["contact"]["id"]
    # when the agent only adds a private note, it is still pending
    await send(gql, agent["token"], conv["id"], body="ligar depois", kind="NOTE")
    assert (await gql.ok(NEXT, token=agent["token"]))["nextPending"]["id"] == lead["contact"]["id"]
    # when the agent replies to the contact
    await send(gql, agent["token"], conv["id"], body="Olá! Vamos conversar?")
    # then the lead is worked: nothing pending
    assert (await gql.ok(NEXT, token=agent["token"]))["nextPending"] is None
