"""The bot at work: a conversation of an inbox with a flow starts PENDING
with the bot, which answers on the worker, collects into the contact,
branches, and hands off to people through the queue (or resolves),
idempotently and surviving a lost task."""

from revgraph.models.crm import Contact
from revgraph.models.events import Event
from revgraph.resolvers.ids import pk_of
from revgraph.tasks import chatbot as bot_tasks
from tests.chatbot.support import HAND_OFF, SIMPLE_FLOW, bot_rows, bot_view, said, set_flow, settle, thread
from tests.distribution.support import create_queue
from tests.inbox.support import create_inbox, receive

QUESTION = "Você quer comprar ou alugar?\n\n1. Comprar\n2. Alugar"


async def bot_inbox(gql, workspace, flow=SIMPLE_FLOW):
    """An inbox whose queue has one agent (OFFLINE mode: always assignable), with `flow`."""
    agent = await workspace.user("AGENT")
    queue = await create_queue(gql, workspace.token, [{"userId": agent["id"]}])
    inbox = await create_inbox(gql, workspace.token, queue_id=queue["id"])
    await set_flow(gql, workspace.token, inbox["id"], flow)
    return agent, inbox


async def write(gql, workspace, inbox, body, phone="+5511987650001"):
    received = await receive(gql, workspace.token, inbox["id"], body=body, phone=phone)
    await settle()
    return received


async def test_a_full_run_collects_branches_and_hands_off_through_the_queue(gql, workspace):
    # given an inbox with a flow and a queue whose agent could take conversations
    agent, inbox = await bot_inbox(gql, workspace)
    # when the contact writes
    first = await write(gql, workspace, inbox, "Oi, tudo bem?")
    conv_id = first["conversation"]["id"]
    # then the conversation is PENDING, not routed, and the bot greeted and asked
    assert first["conversation"]["status"] == "PENDING"
    view = await bot_view(gql, workspace.token, conv_id)
    assert view["status"] == "PENDING" and view["assignee"] is None
    assert said(view) == ["Oi, tudo bem?", "Olá! Sou o assistente virtual.", QUESTION]
    assert view["bot"]["state"] == "WAITING" and view["bot"]["currentNodeId"] == "menu"
    assert view["bot"]["currentNodeKind"] == "QUESTION" and view["bot"]["flowVersion"] == 1
    # when they answer with the option's text, in capitals and with an accent
    await write(gql, workspace, inbox, "  CÔMPRAR! ")
    # then the bot asks for the e-mail
    view = await bot_view(gql, workspace.token, conv_id)
    assert said(view)[-1] == "Qual é o seu e-mail?" and view["bot"]["currentNodeId"] == "email"
    # when the e-mail is invalid, it asks again in pt-BR
    await write(gql, workspace, inbox, "maria@")
    view = await bot_view(gql, workspace.token, conv_id)
    assert said(view)[-1].startswith("Esse e-mail não parece válido")
    assert view["bot"]["retries"] == 1 and view["status"] == "PENDING"
    # when it is valid
    await write(gql, workspace, inbox, "Maria.Cliente@Example.COM")
    # then the contact has it, the condition chose sales, and people have the conversation
    view = await bot_view(gql, workspace.token, conv_id)
    contact = await Contact.get(id=pk_of(view_contact := first["conversation"]["contact"]["id"], "Contact"))
    assert view_contact and contact.email == "maria.cliente@example.com"
    assert view["status"] == "OPEN" and view["assignee"] == {"id": agent["id"]}
    assert view["bot"]["state"] == "HANDED_OFF" and view["bot"]["handOffReason"] == "Lead de compra"
    assert view["bot"]["answers"] == {
        "menu": {"value": "Comprar", "option": 1},
        "email": {"value": "maria.cliente@example.com"},
    }
    # and the whole transcript is kept, with the hand-off's reason in the thread
    assert said(view) == [
        "Oi, tudo bem?",
        "Olá! Sou o assistente virtual.",
        QUESTION,
        "  CÔMPRAR! ",
        "Qual é o seu e-mail?",
        "maria@",
        "Esse e-mail não parece válido. Pode conferir e enviar de novo? (ex.: nome@empresa.com.br)",
        "Maria.Cliente@Example.COM",
        "Vou chamar um corretor de vendas.",
    ]
    labels = [(e["node"]["direction"], e["node"]["authorLabel"]) for e in view["messages"]["edges"]]
    assert [label for direction, label in labels if direction == "OUTBOUND"] == ["bot"] * 5
    assert {label for direction, label in labels if direction == "INBOUND"} == {None}
    notes = [body for kind, _, body in thread(view) if kind == "ACTIVITY"]
    assert "Bot: conversa transferida para atendimento humano. Motivo: Lead de compra" in notes
    # and the bot's messages are OUTBOUND by "bot", sent through the channel's sender
    _, messages = await bot_rows(conv_id)
    outbound = [m for m in messages if m.direction == "OUTBOUND"]
    assert len(outbound) == 5 and {m.status for m in outbound} == {"SENT"}
    assert {m.author_id for m in outbound} == {None}
    assert outbound[1].channel_data["interactive"] == {
        "type": "button",
        "body": "Você quer comprar ou alugar?",
        "options": ["Comprar", "Alugar"],
    }
    # and the log says who changed the contact and why the conversation went to people
    events = (
        await Event.filter(conversation_id=pk_of(conv_id, "Conversation"))
        .order_by("id")
        .values("kind", "data")
    )
    handed = [e for e in events if e["kind"] == "conversation.status_changed"]
    assert handed[-1]["data"]["reason"] == "Lead de compra" and handed[-1]["data"]["to"] == "OPEN"
    updated = await Event.filter(kind="contact.updated", contact_id=contact.id).values_list(
        "actor_label", flat=True
    )
    assert list(updated) == ["bot"]


async def test_the_contact_typing_the_keyword_gets_a_person(gql, workspace):
    # given a conversation with the bot, waiting at its question
    agent, inbox = await bot_inbox(gql, workspace)
    conv_id = (await write(gql, workspace, inbox, "Oi"))["conversation"]["id"]
    # when the contact types the keyword, any case and accents, as the whole message
    await write(gql, workspace, inbox, "Atendênte!")
    # then it is OPEN and assigned through the queue, the reason saying why
    view = await bot_view(gql, workspace.token, conv_id)
    assert view["status"] == "OPEN" and view["assignee"] == {"id": agent["id"]}
    assert view["bot"]["state"] == "HANDED_OFF" and "atendente" in view["bot"]["handOffReason"].lower()
    # and the keyword inside a sentence would not have counted: the thread has no reply to it
    assert said(view)[-1] == "Atendênte!"


async def test_a_word_inside_a_sentence_is_an_answer_not_the_keyword(gql, workspace):
    _, inbox = await bot_inbox(gql, workspace)
    conv_id = (await write(gql, workspace, inbox, "Oi"))["conversation"]["id"]
    await write(gql, workspace, inbox, "quero um atendente")
    view = await bot_view(gql, workspace.token, conv_id)
    assert view["status"] == "PENDING" and view["bot"]["retries"] == 1
    assert said(view)[-1].startswith("Desculpe, não entendi.")


async def test_an_agent_hands_off_and_the_bot_stops(gql, workspace):
    # given a conversation with the bot
    agent, inbox = await bot_inbox(gql, workspace)
    conv_id = (await write(gql, workspace, inbox, "Oi"))["conversation"]["id"]
    # when the queue's agent hands it off with a reason
    handed = (await gql.ok(HAND_OFF, {"id": conv_id, "reason": "Cliente VIP"}, token=agent["token"]))[
        "handOffToHuman"
    ]
    # then it is OPEN and theirs through the queue, the bot HANDED_OFF
    assert handed["userErrors"] == [] and handed["conversation"]["status"] == "OPEN"
    assert handed["conversation"]["assignee"] == {"id": agent["id"]}
    view = await bot_view(gql, workspace.token, conv_id)
    assert view["bot"]["state"] == "HANDED_OFF" and view["bot"]["handOffReason"] == "Cliente VIP"
    # when the contact writes again, the bot says nothing
    before = len(said(view))
    await write(gql, workspace, inbox, "1")
    view = await bot_view(gql, workspace.token, conv_id)
    assert len(said(view)) == before + 1 and said(view)[-1] == "1"


async def test_a_redelivered_task_does_nothing_twice(gql, workspace):
    # given the bot answered the first two messages
    _, inbox = await bot_inbox(gql, workspace)
    first = await write(gql, workspace, inbox, "Oi")
    second = await write(gql, workspace, inbox, "2")
    conv_id = first["conversation"]["id"]
    session, messages = await bot_rows(conv_id)
    # when the tasks for both messages are delivered again
    conversation_pk = pk_of(conv_id, "Conversation")
    for received in (first, second):
        bot_tasks.answer_as_bot.send(conversation_pk, pk_of(received["message"]["id"], "Message"))
    await settle()
    # then nothing more was sent and the bot's state is the same
    again, messages_again = await bot_rows(conv_id)
    assert [m.id for m in messages_again] == [m.id for m in messages]
    assert (again.node_id, again.last_message_id, again.answers) == (
        session.node_id,
        session.last_message_id,
        session.answers,
    )
    assert again.node_id == "email" and again.answers == {"menu": {"value": "Alugar", "option": 2}}


async def test_a_lost_task_is_resumed_at_the_node_the_bot_was_on(gql, workspace, monkeypatch):
    # given the bot waits at its question
    _, inbox = await bot_inbox(gql, workspace)
    conv_id = (await write(gql, workspace, inbox, "Oi"))["conversation"]["id"]
    # when the answer's task is lost (a broker restart drops it)
    with monkeypatch.context() as lost:
        lost.setattr(bot_tasks.answer_as_bot, "send", lambda *args, **kwargs: None)
        await write(gql, workspace, inbox, "1")
    # then nothing was answered: the bot is still at the question
    view = await bot_view(gql, workspace.token, conv_id)
    assert said(view)[-1] == "1" and view["bot"]["currentNodeId"] == "menu"
    # when the worker starts again and sweeps pending bot work
    bot_tasks.sweep_bots.send()
    await settle()
    # then it resumes there: the answer is taken and the next node asked
    view = await bot_view(gql, workspace.token, conv_id)
    assert said(view)[-1] == "Qual é o seu e-mail?" and view["bot"]["currentNodeId"] == "email"
    # and a second sweep finds nothing to do
    count = len(said(view))
    bot_tasks.sweep_bots.send()
    await settle()
    assert len(said(await bot_view(gql, workspace.token, conv_id))) == count


async def test_an_end_node_resolves_the_conversation(gql, workspace):
    flow = {
        "start": "aviso",
        "nodes": [
            {"id": "aviso", "kind": "MESSAGE", "text": "Recebemos sua mensagem.", "next": "fim"},
            {"id": "fim", "kind": "END", "text": "Obrigado pelo contato. Até logo!"},
        ],
    }
    _, inbox = await bot_inbox(gql, workspace, flow)
    conv_id = (await write(gql, workspace, inbox, "Oi"))["conversation"]["id"]
    view = await bot_view(gql, workspace.token, conv_id)
    assert view["status"] == "RESOLVED" and view["assignee"] is None
    assert view["bot"]["state"] == "ENDED" and view["bot"]["currentNodeId"] == "fim"
    assert said(view)[:3] == ["Oi", "Recebemos sua mensagem.", "Obrigado pelo contato. Até logo!"]
    # and, as any resolution does, the contact is offered the CSAT survey
    assert len(said(view)) == 4 and said(view)[3].startswith("Seu atendimento foi concluído.")


async def test_a_running_conversation_keeps_the_version_it_started_on(gql, workspace):
    # given a conversation waiting at version 1's question
    _, inbox = await bot_inbox(gql, workspace)
    conv_id = (await write(gql, workspace, inbox, "Oi"))["conversation"]["id"]
    # when the admin replaces the flow with one that ends at once
    ending = {"start": "fim", "nodes": [{"id": "fim", "kind": "END", "text": "Encerrado."}]}
    assert (await set_flow(gql, workspace.token, inbox["id"], ending))["version"] == 2
    # then the running conversation goes on with version 1
    await write(gql, workspace, inbox, "1")
    view = await bot_view(gql, workspace.token, conv_id)
    assert view["bot"]["flowVersion"] == 1 and said(view)[-1] == "Qual é o seu e-mail?"
    # and a new contact's conversation starts on version 2
    other = (await write(gql, workspace, inbox, "Olá", phone="+5511987650002"))["conversation"]["id"]
    view = await bot_view(gql, workspace.token, other)
    assert view["bot"]["flowVersion"] == 2 and view["status"] == "RESOLVED"


ROOMS_FLOW = {
    "start": "quartos",
    "nodes": [
        {
            "id": "quartos",
            "kind": "COLLECT",
            "field": "CUSTOM",
            "customFieldKey": "quartos",
            "text": "Quantos quartos você procura?",
            "retryLimit": 1,
            "next": "checa",
        },
        {
            "id": "checa",
            "kind": "CONDITION",
            "rules": [
                {
                    "source": "CONTACT_FIELD",
                    "key": "quartos",
                    "operator": "EQUALS",
                    "value": "3",
                    "next": "tres",
                }
            ],
            "otherwise": "outro",
        },
        {"id": "tres", "kind": "END", "text": "Temos ótimas opções de 3 quartos! Vou enviar por aqui."},
        {"id": "outro", "kind": "HANDOFF", "reason": "Outro tamanho"},
    ],
}


async def test_a_custom_field_is_collected_as_its_type_and_too_many_invalid_answers_hand_off(gql, workspace):
    # given a NUMBER custom field of contacts and a flow that collects it and branches on it
    from tests.graph.custom_field_support import define

    await define(gql, workspace.token, key="quartos", label="Quartos", type="NUMBER")
    agent, inbox = await bot_inbox(gql, workspace, ROOMS_FLOW)
    # when a contact answers in words, then with the number
    first = await write(gql, workspace, inbox, "Oi", phone="+5511987650011")
    await write(gql, workspace, inbox, "três", phone="+5511987650011")
    await write(gql, workspace, inbox, "3", phone="+5511987650011")
    # then the field holds the number, the condition read it and the END resolved the conversation
    contact = await Contact.get(id=pk_of(first["conversation"]["contact"]["id"], "Contact"))
    assert contact.custom_fields == {"quartos": 3}
    view = await bot_view(gql, workspace.token, first["conversation"]["id"])
    assert said(view)[1:5] == [
        "Quantos quartos você procura?",
        "três",
        "Desculpe, não consegui entender essa resposta. Pode enviar de novo?",
        "3",
    ]
    assert view["status"] == "RESOLVED" and view["bot"]["state"] == "ENDED"
    # when another contact answers badly twice (the limit is one retry)
    other = await write(gql, workspace, inbox, "Oi", phone="+5511987650012")
    await write(gql, workspace, inbox, "muitos", phone="+5511987650012")
    await write(gql, workspace, inbox, "vários", phone="+5511987650012")
    # then the bot gives up and people get it, saying why
    view = await bot_view(gql, workspace.token, other["conversation"]["id"])
    assert view["status"] == "OPEN" and view["assignee"] == {"id": agent["id"]}
    assert (
        view["bot"]["handOffReason"]
        == "O contato não deu uma resposta válida em “quartos” após 2 tentativas."
    )
    assert said(view)[-1] == "vários"


RESOLVE = (
    "mutation($id: ID!) { resolveConversation(id: $id) { conversation { status } userErrors { code } } }"
)


async def test_a_person_resolving_stops_the_bot_and_the_next_message_starts_afresh(gql, workspace):
    # given a conversation waiting at the bot's question
    _, inbox = await bot_inbox(gql, workspace)
    conv_id = (await write(gql, workspace, inbox, "Oi"))["conversation"]["id"]
    # when an admin resolves it
    resolved = (await gql.ok(RESOLVE, {"id": conv_id}, token=workspace.token))["resolveConversation"]
    assert resolved == {"conversation": {"status": "RESOLVED"}, "userErrors": []}
    # then the bot shows it stopped where it was
    view = await bot_view(gql, workspace.token, conv_id)
    assert view["bot"]["state"] == "STOPPED" and view["bot"]["currentNodeId"] == "menu"
    # when the contact writes again, a new conversation starts with the bot from the beginning
    again = (await write(gql, workspace, inbox, "1"))["conversation"]["id"]
    assert again != conv_id
    view = await bot_view(gql, workspace.token, again)
    assert view["status"] == "PENDING" and view["bot"]["state"] == "WAITING"
    assert said(view) == ["1", "Olá! Sou o assistente virtual.", QUESTION]
