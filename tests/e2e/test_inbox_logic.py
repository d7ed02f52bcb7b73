"""The inbox's pure logic (inbox-state.js, thread-state.js, drafts.js,
clock.js, inbox-labels.js, routes.js) run in the real browser: inbox
events applied in sequence to a filtered list, each message once in a
thread, the canned-response token, the idempotency key of a retried send,
snooze times in São Paulo, and pt-BR dates and error messages."""

from __future__ import annotations

from typing import Any


def conversation(cid: str, number: int, at: str, **more: Any) -> dict[str, Any]:
    return {
        "id": cid,
        "number": number,
        "status": "OPEN",
        "priority": "MEDIUM",
        "lastMessageAt": at,
        "contact": {"name": f"Contato {number}", "phone": f"+55119000000{number:02d}", "email": None},
        "inbox": {"id": "i1", "name": "Site"},
        "assignee": {"id": "me"},
        "sla": None,
        **more,
    }


PAGE = {
    "edges": [
        {"node": conversation("c3", 3, "2026-03-14T12:00:00Z")},
        {"node": conversation("c2", 2, "2026-03-14T11:00:00Z")},
    ],
    "pageInfo": {"hasNextPage": True, "endCursor": "k2"},
}

RUN_LIST = """
async (page) => {
  const { InboxList, conversationFilter } = await import("/js/inbox-state.js");
  const make = (id, number, at, more) => ({
    ...page.edges[0].node, id, number, lastMessageAt: at, contact: { name: `Contato ${number}` }, ...(more || {}),
  });
  const list = new InboxList({ assignment: "mine", status: "OPEN" }, "me", 10);
  list.reset(page);
  const ids = () => list.items.map((c) => c.id);
  const event = (sequence, kind, conversation, conversationId) =>
    ({ sequence, kind, conversationId: conversationId || conversation.id, conversation });
  const seen = {};
  seen.stale = list.apply(event(10, "CONVERSATION_CREATED", make("c9", 9, "2026-03-14T13:00:00Z")));
  seen.created = list.apply(event(11, "CONVERSATION_CREATED", make("c4", 4, "2026-03-14T13:00:00Z")));
  seen.afterCreate = ids();
  seen.replayed = list.apply(event(11, "CONVERSATION_CREATED", make("c4", 4, "2026-03-14T13:00:00Z")));
  // Older than every loaded one while more pages remain: it comes with those pages.
  seen.beyond = list.apply(event(12, "CONVERSATION_CREATED", make("c1", 1, "2026-03-14T09:00:00Z")));
  // A new message moves a conversation to the top.
  seen.message = list.apply(event(13, "MESSAGE_CREATED", make("c2", 2, "2026-03-14T14:00:00Z")));
  seen.afterMessage = ids();
  // Assigned to someone else: out of "Minhas".
  seen.reassigned = list.apply(event(14, "CONVERSATION_UPDATED", make("c3", 3, "2026-03-14T12:00:00Z", { assignee: { id: "bia" } })));
  // Resolved: out of the open ones.
  seen.resolved = list.apply(event(15, "CONVERSATION_UPDATED", make("c4", 4, "2026-03-14T13:00:00Z", { status: "RESOLVED" })));
  // A mutation's answer refreshes what is listed but never brings one back.
  seen.refreshedOut = list.refresh(make("c9", 9, "2026-03-14T15:00:00Z"));
  seen.refreshedIn = list.refresh(make("c2", 2, "2026-03-14T14:00:00Z", { priority: "URGENT" }));
  seen.priority = list.get("c2").priority;
  seen.removed = list.apply(event(16, "REMOVED", null, "c2"));
  seen.end = ids();
  seen.last = list.lastSequence;
  const more = { edges: [{ node: make("c1", 1, "2026-03-14T09:00:00Z") }, { node: make("c2", 2, "2026-03-14T08:00:00Z") }],
                 pageInfo: { hasNextPage: false, endCursor: "k0" } };
  list.append(more);
  seen.appended = ids();
  seen.filters = [
    conversationFilter({ assignment: "mine", status: "OPEN", sla: "", inboxId: "", search: "" }, "me"),
    conversationFilter({ assignment: "unassigned", status: "", sla: "BREACHED", inboxId: "i1", search: "x" }, "me"),
    conversationFilter({ assignment: "all", status: "", sla: "", inboxId: "", search: "" }, "me"),
  ];
  return seen;
}
"""


async def test_inbox_events_apply_in_sequence_to_the_filtered_list(open_page: Any) -> None:
    # given a list of "Minhas", open, with more pages on the server
    page = await open_page()

    # when events arrive: one older than the list, one replayed, and changes of every kind
    result = await page.evaluate(RUN_LIST, PAGE)

    # then only newer events apply, each once, and the list keeps filter and order
    assert result["stale"] is None
    assert result["created"] is True
    assert result["afterCreate"] == ["c4", "c3", "c2"]
    assert result["replayed"] is None
    assert result["beyond"] is False
    assert result["afterMessage"] == ["c2", "c4", "c3"]
    assert (result["refreshedOut"], result["refreshedIn"], result["priority"]) == (False, True, "URGENT")
    assert result["reassigned"] is True and result["resolved"] is True and result["removed"] is True
    assert result["end"] == []
    assert result["last"] == 16
    # and a next page adds what was not there (no duplicates)
    assert result["appended"] == ["c1", "c2"]
    assert result["filters"] == [
        {"assigneeId": {"eq": "me"}, "status": ["OPEN"]},
        {"assigneeId": {"isNull": True}, "slaState": ["BREACHED"], "inboxId": {"eq": "i1"}},
        {},
    ]


RUN_BADGES = """
async () => {
  const { conversationBadges } = await import("/js/inbox-view.js");
  const now = new Date("2026-03-14T15:00:00Z");
  const text = (conversation) => conversationBadges(conversation, now).map((node) => node.textContent);
  return [
    text({ status: "OPEN", priority: "MEDIUM", sla: { state: "ON_TRACK" }, waitingSince: null }),
    text({ status: "PENDING", priority: "URGENT", sla: { state: "BREACHED" }, waitingSince: "2026-03-14T14:20:00Z" }),
    text({ status: "SNOOZED", priority: "LOW", sla: { state: "WARNING" }, waitingSince: null }),
    text({ status: "RESOLVED", priority: "HIGH", sla: null, waitingSince: "2026-03-14T14:20:00Z" }),
  ];
}
"""


async def test_list_badges_say_status_priority_sla_risk_and_waiting_in_portuguese(open_page: Any) -> None:
    # given the list's badges
    page = await open_page()

    # when drawn for conversations in each state
    result = await page.evaluate(RUN_BADGES)

    # then medium priority and a healthy SLA stay quiet, a resolved one waits for nobody
    assert result == [
        ["Aberta"],
        ["Pendente", "Urgente", "SLA estourado", "aguardando há 40 min"],
        ["Adiada", "Baixa", "SLA em alerta"],
        ["Resolvida", "Alta"],
    ]


RUN_THREAD = """
async () => {
  const { ThreadState } = await import("/js/thread-state.js");
  const message = (id, at, more) => ({ id, at, kind: "TEXT", direction: "INBOUND", body: id, status: "RECEIVED", ...(more || {}) });
  const thread = new ThreadState({
    id: "c1", canReply: true, replyWindowClosesAt: "2026-03-15T10:00:00Z",
    inbox: { id: "i1", name: "WhatsApp", replyWindowHours: 24, templates: [{ name: "retomada" }] },
    messages: { edges: [{ node: message("m2", "2026-03-14T10:00:00Z") }], pageInfo: { hasPreviousPage: true, startCursor: "s" } },
  });
  const ids = () => thread.messages.map((m) => m.id);
  const seen = {};
  seen.other = thread.apply({ sequence: 1, kind: "MESSAGE_CREATED", conversationId: "c2", conversation: { id: "c2" }, message: message("x", "2026-03-14T10:00:00Z") });
  seen.created = thread.apply({ sequence: 2, kind: "MESSAGE_CREATED", conversationId: "c1", conversation: { id: "c1", status: "OPEN", inbox: { id: "i1" } }, message: message("m3", "2026-03-14T11:00:00Z", { direction: "OUTBOUND", status: "QUEUED" }) });
  // The same message again (the payload, then its live event): once.
  seen.again = thread.message(message("m3", "2026-03-14T11:00:00Z", { direction: "OUTBOUND", status: "QUEUED" }));
  seen.updated = thread.apply({ sequence: 3, kind: "MESSAGE_UPDATED", conversationId: "c1", conversation: { id: "c1" }, message: message("m3", "2026-03-14T11:00:00Z", { direction: "OUTBOUND", status: "DELIVERED" }) });
  // A send's payload (QUEUED) arriving after its live FAILED event does not take it back.
  thread.apply({ sequence: 3.5, kind: "MESSAGE_CREATED", conversationId: "c1", conversation: { id: "c1" }, message: message("m4", "2026-03-14T12:00:00Z", { direction: "OUTBOUND", status: "FAILED", error: "não conectada" }) });
  seen.lateChanged = thread.message(message("m4", "2026-03-14T12:00:00Z", { direction: "OUTBOUND", status: "QUEUED", error: null }));
  seen.late = [thread.messages.find((m) => m.id === "m4").status, thread.messages.find((m) => m.id === "m4").error];
  thread.older({ edges: [{ node: message("m1", "2026-03-14T09:00:00Z") }, { node: message("m2", "2026-03-14T10:00:00Z") }], pageInfo: { hasPreviousPage: false, startCursor: null } });
  seen.order = ids();
  seen.status = thread.messages[2].status;
  seen.templates = thread.templates.map((t) => t.name);
  seen.open = thread.canReplyNow(new Date("2026-03-15T09:59:00Z"));
  seen.closedByTime = thread.canReplyNow(new Date("2026-03-15T10:00:01Z"));
  seen.removed = thread.apply({ sequence: 4, kind: "REMOVED", conversationId: "c1", conversation: null, message: null });
  seen.gone = thread.gone;
  return seen;
}
"""


async def test_a_thread_keeps_each_message_once_in_order_and_knows_when_its_window_closes(
    open_page: Any,
) -> None:
    # given an open thread
    page = await open_page()

    # when events, payloads and an older page arrive
    result = await page.evaluate(RUN_THREAD)

    # then each message is there once, oldest first, as it is now
    assert result["other"] is None
    assert result["created"] == {"header": True, "messages": True, "gone": False}
    assert result["again"] is False
    assert result["updated"]["messages"] is True
    assert result["order"] == ["m1", "m2", "m3", "m4"]
    assert result["lateChanged"] is False and result["late"] == ["FAILED", "não conectada"]
    assert result["status"] == "DELIVERED"
    assert result["templates"] == ["retomada"]
    # and the window closes by the clock too, and a REMOVED conversation is gone
    assert (result["open"], result["closedByTime"]) == (True, False)
    assert result["removed"]["gone"] is True and result["gone"] is True


RUN_DRAFTS = """
async () => {
  const { slashToken, insertCanned, fillTemplate, OutgoingMessage } = await import("/js/drafts.js");
  let n = 0;
  const outgoing = new OutgoingMessage(() => `id-${++n}`);
  const keys = [
    outgoing.idFor("c1", "Olá", "TEXT"),
    outgoing.idFor("c1", "Olá", "TEXT"),   // a retry: the same key
    outgoing.idFor("c1", "Olá", "NOTE"),   // another message
  ];
  outgoing.settled();
  keys.push(outgoing.idFor("c1", "Olá", "NOTE"));   // sent before: the next one is new
  const token = slashToken("Oi, /bom", 8);
  return {
    tokens: [token, slashToken("a/b", 3), slashToken("/", 1), slashToken("/bom dia", 8)],
    inserted: insertCanned("Oi, /bom!", token, "Bom dia!"),
    filled: [fillTemplate("Olá {{1}}, e o {{2}}?", ["Ana", "Jardins"]), fillTemplate("Olá {{1}}, e o {{2}}?", ["Ana"])],
    keys,
  };
}
"""


async def test_canned_tokens_templates_and_the_key_of_a_retried_send(open_page: Any) -> None:
    # given the reply box's text logic
    page = await open_page()

    # when it reads tokens, fills templates and keys messages
    result = await page.evaluate(RUN_DRAFTS)

    # then "/word" at the caret is found only at a word's start, and replaced by the body
    assert result["tokens"] == [
        {"start": 4, "end": 8, "query": "bom"},
        None,
        {"start": 0, "end": 1, "query": ""},
        None,
    ]
    assert result["inserted"] == {"text": "Oi, Bom dia!!", "caret": 12}
    assert result["filled"] == ["Olá Ana, e o Jardins?", "Olá Ana, e o {{2}}?"]
    # and a retry reuses the key while a new message gets a new one
    assert result["keys"] == ["id-1", "id-1", "id-2", "id-3"]


RUN_TIMES = """
async () => {
  const { snoozePresets, zonedDate } = await import("/js/clock.js");
  const { listTime, messageTime, elapsed, userErrorText } = await import("/js/inbox-labels.js");
  const { parseRoute, routeHash } = await import("/js/routes.js");
  const now = new Date("2026-03-14T15:00:00Z");   // a Saturday, 12:00 in São Paulo
  const sp = "America/Sao_Paulo";
  return {
    presets: snoozePresets(now, sp).map((p) => [p.key, p.until.toISOString()]),
    newYork: zonedDate({ year: 2026, month: 3, day: 14, hour: 9 }, "America/New_York").toISOString(),
    list: ["2026-03-14T14:05:00Z", "2026-03-14T02:00:00Z", "2026-03-12T14:00:00Z", "2026-01-02T14:00:00Z", "2025-12-31T14:00:00Z"]
      .map((at) => listTime(at, sp, now)),
    unknownZone: listTime("2026-03-14T14:05:00Z", "Mars/Olympus", now),
    message: [messageTime("2026-03-14T14:05:00Z", sp, now), messageTime("2026-03-14T02:00:00Z", sp, now)],
    elapsed: ["2026-03-14T14:59:30Z", "2026-03-14T14:55:00Z", "2026-03-14T12:00:00Z", "2026-03-11T15:00:00Z"].map((at) => elapsed(at, now)),
    errors: [
      { code: "WINDOW_CLOSED", message: "closed", field: ["input", "body"] },
      { code: "NOT_FOUND", message: "no", field: ["input", "userId"] },
      { code: "NOT_FOUND", message: "no", field: ["id"] },
      { code: "INVALID", message: "Reason too long", field: ["input", "reason"] },
      { code: "SOMETHING_NEW", message: "?", field: null },
    ].map(userErrorText),
    routes: [parseRoute(""), parseRoute("#/board"), parseRoute("#/inbox"), parseRoute("#/inbox/Q29udjox"), routeHash("inbox", "a/b")],
  };
}
"""


async def test_times_are_written_in_sao_paulo_the_brazilian_way_and_errors_in_portuguese(
    open_page: Any,
) -> None:
    # given the inbox's clock, labels and routes
    page = await open_page()

    # when they compute snoozes, write times and errors, and read addresses
    result = await page.evaluate(RUN_TIMES)

    # then snoozes end at 9:00 in São Paulo (UTC-3) tomorrow and next Monday
    assert result["presets"] == [
        ["hour", "2026-03-14T16:00:00.000Z"],
        ["threeHours", "2026-03-14T18:00:00.000Z"],
        ["tomorrow", "2026-03-15T12:00:00.000Z"],
        ["monday", "2026-03-16T12:00:00.000Z"],
    ]
    assert result["newYork"] == "2026-03-14T13:00:00.000Z"  # daylight time had begun there
    # and times read as in Brazil, in the workspace's zone
    # (02:00 UTC on the 14th is 23:00 of the 13th there: yesterday)
    assert result["list"] == ["11:05", "ontem", "12/03", "02/01", "31/12/2025"]
    assert result["unknownZone"] == "11:05"
    assert result["message"] == ["11:05", "13/03/2026 23:00"]
    assert result["elapsed"] == ["menos de 1 min", "5 min", "3 h", "3 d"]
    # and userErrors become Portuguese, keeping the server's words as detail
    assert [e["message"] for e in result["errors"]] == [
        "A janela de 24 h está fechada: envie um modelo aprovado.",
        "Esta pessoa não existe mais ou não está ativa.",
        "Esta conversa não existe ou você não pode vê-la.",
        "Não foi possível: confira os dados informados.",
        "Algo deu errado. Tente de novo.",
    ]
    assert result["errors"][3]["detail"] == "Reason too long"
    assert result["routes"] == [
        {"screen": "board", "conversationId": None},
        {"screen": "board", "conversationId": None},
        {"screen": "inbox", "conversationId": None},
        {"screen": "inbox", "conversationId": "Q29udjox"},
        "#/inbox/a%2Fb",
    ]
