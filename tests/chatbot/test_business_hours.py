"""The example flow (exampleBotFlow, README "Chatbot") branches on the
inbox's business hours at the time the contact wrote: inside them it
qualifies the lead, outside them it collects name and phone and promises a
call back, handing the conversation to the queue for the team's morning."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from revgraph.models.crm import Contact
from revgraph.resolvers.ids import pk_of
from tests.chatbot.support import bot_view, said, set_flow, settle
from tests.distribution.support import create_queue
from tests.inbox.clock import freeze
from tests.inbox.support import create_inbox, receive

EXAMPLE = """
query {
  exampleBotFlow {
    start handOffKeywords
    nodes {
      id kind text next display options { label next } retryLimit invalidText field customFieldKey
      rules { source key operator value next } otherwise queueId reason
    }
  }
}
"""
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
WEEK_9_TO_18 = [{"weekday": day, "opens": "09:00", "closes": "18:00"} for day in range(1, 8)]


async def test_outside_hours_the_example_flow_collects_details_and_promises_a_call_back(
    gql, workspace, monkeypatch
):
    # given an inbox open 09:00-18:00 in São Paulo, with the example flow as the API gives it
    clock = freeze(monkeypatch)
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    inbox = await create_inbox(
        gql,
        workspace.token,
        queue_id=queue["id"],
        businessHours={"timezone": "America/Sao_Paulo", "days": WEEK_9_TO_18},
    )
    example = (await gql.ok(EXAMPLE, token=workspace.token))["exampleBotFlow"]
    await set_flow(gql, workspace.token, inbox["id"], example)
    day = clock.current.astimezone(SAO_PAULO).date()

    async def write(body, phone):
        received = await receive(gql, workspace.token, inbox["id"], body=body, phone=phone)
        await settle()
        clock.advance(30)
        return received["conversation"]["id"]

    # when a contact writes at 22:00, after hours
    clock.current = datetime.combine(day, time(22, 0), SAO_PAULO)
    late = await write("Boa noite, vi um anúncio", "+5511987650001")
    # then the bot greets, says the team is away and asks for the name
    view = await bot_view(gql, workspace.token, late)
    assert view["status"] == "PENDING" and view["bot"]["currentNodeId"] == "fora_nome"
    assert said(view)[-1].startswith("Nosso time está fora do horário de atendimento agora.")
    # when they give their name and a phone
    await write("Maria Souza", "+5511987650001")
    await write("(11) 98765-4321", "+5511987650001")
    # then the contact has them, the call back is promised, and the team's queue has it
    view = await bot_view(gql, workspace.token, late)
    assert said(view)[-1].startswith("Anotado! Um corretor vai ligar para você")
    assert view["status"] == "OPEN" and view["assignee"] == {"id": agent["id"]}
    assert view["bot"]["handOffReason"] == "Retorno prometido fora do horário de atendimento"
    contact = await Contact.filter(name="Maria Souza").first()
    assert contact is not None and contact.phone == "+5511987654321"

    # when another contact writes at 12:00 that day, inside hours
    clock.current = datetime.combine(day, time(12, 0), SAO_PAULO) + timedelta(seconds=1)
    noon = await write("Oi", "+5511987650002")
    # then the bot asks how it can help, with the options as buttons
    view = await bot_view(gql, workspace.token, noon)
    assert view["bot"]["currentNodeId"] == "interesse"
    assert said(view)[-1] == "Como podemos ajudar?\n\n1. Comprar\n2. Alugar\n3. Outro assunto"
    assert pk_of(noon, "Conversation") != pk_of(late, "Conversation")
