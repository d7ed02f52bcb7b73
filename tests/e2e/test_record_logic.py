"""The record pages' pure logic run in the real browser (record-format.js,
record-forms.js, record-specs.js, routes.js): pt-BR instants and phones in
São Paulo, a date-time input read in São Paulo, userError paths to field
names, pt-BR decimals, what an edit sends; and what the pages' documents
cost against the server's limit."""

from __future__ import annotations

from typing import Any

from graphql import parse, validate

from revgraph.resolvers.settings import Limits
from revgraph.schema import build_schema
from revgraph.schema.demand import measure_demand

RUN_LOGIC = """
async () => {
  const f = await import("/js/record-format.js");
  const forms = await import("/js/record-forms.js");
  const specs = await import("/js/record-specs.js");
  const routes = await import("/js/routes.js");
  const zone = "America/Sao_Paulo";
  const now = new Date("2026-12-06T15:00:00Z"); // 12:00 in São Paulo
  const renda = { key: "renda", type: "DECIMAL", options: [] };
  const vip = { key: "vip", type: "BOOLEAN", options: [] };
  const tipo = { key: "tipo", type: "MULTI_SELECT", options: [{ key: "apto", label: "Apartamento" }, { key: "casa", label: "Casa" }] };
  const contact = {
    name: "Marina", email: "m@x.com", phone: "+5511976543210", company: null, owner: { id: "U1", name: "Ana" },
    lifecycleStage: "LEAD", tags: ["vip"], customFields: { renda: "18500.50", antigo: "fica" },
  };
  return {
    dateTime: f.dateTime("2026-12-06T17:32:05Z", zone),
    dateOnly: f.dateOnly("2026-12-07T02:00:00Z", zone),
    phones: [f.phone("+5511976543210"), f.phone("+551133334444"), f.phone("+14155550100"), f.phone(null)],
    due: [
      f.dueState("2026-12-06T14:59:00Z", now, zone),
      f.dueState("2026-12-07T02:59:00Z", now, zone),
      f.dueState("2026-12-07T03:00:00Z", now, zone),
    ],
    endOfToday: f.endOfToday(now, zone).toISOString(),
    instant: f.instantOf("2026-12-07T10:00", zone),
    day: f.instantOf("2026-12-07", zone),
    local: f.localInput("2026-12-07T13:00:00Z", zone),
    fieldNames: [forms.fieldName(["input", "email"]), forms.fieldName(["input", "customFields", "renda"]), forms.fieldName(null)],
    decimals: [forms.decimalText("1.250.000,50"), forms.decimalText("R$ 350000.00"), forms.decimalText("  "), forms.decimalText("12,5")],
    custom: forms.customFieldsOf(
      { "customFields.renda": "21.000,00", "customFields.vip": false, "customFields.tipo": ["casa"] },
      [renda, vip, tipo],
      { renda: "18500.50", antigo: "fica" },
    ),
    cleared: forms.customFieldsOf({ "customFields.renda": "" }, [renda], { renda: "1.00" }),
    texts: [forms.customFieldText(renda, "18500.50"), forms.customFieldText(vip, true), forms.customFieldText(tipo, ["apto", "casa"]), forms.customFieldText(renda, null)],
    unchanged: specs.contactInput(
      { name: "Marina", email: "m@x.com", phone: "+5511976543210", companyId: "", ownerId: "U1", lifecycleStage: "LEAD", tags: "vip", "customFields.renda": "18500.50" },
      [renda],
      contact,
    ),
    edit: specs.contactInput(
      { name: "Marina", email: "", phone: "+5511976543210", companyId: "C1", ownerId: "U1", lifecycleStage: "SQL", tags: "vip, quente", "customFields.renda": "" },
      [renda],
      contact,
    ),
    created: specs.contactInput(
      { name: "Novo", email: "", phone: "", companyId: "", ownerId: "", lifecycleStage: "LEAD", tags: "", "customFields.renda": "" },
      [renda],
    ),
    problems: [specs.dealProblems({ value: "abc" }), specs.dealProblems({ value: "1.000,5" }), specs.dealProblems({ value: "" })],
    routes: [
      routes.parseRoute("#/contato/Q29udGFjdDox"),
      routes.parseRoute("#/negocio/RGVhbDox"),
      routes.parseRoute("#/empresa/nova"),
      routes.parseRoute("#/dia"),
      routes.parseRoute("#/inbox/abc"),
    ],
    hashes: [routes.recordHash("contact", "a/b"), routes.recordHash("deal", "D1"), routes.routeHash("day")],
  };
}
"""


async def test_pt_br_instants_phones_decimals_error_paths_and_what_an_edit_sends(open_page: Any) -> None:
    page = await open_page()
    r = await page.evaluate(RUN_LOGIC)
    assert r["dateTime"] == "06/12/2026 14:32"
    assert r["dateOnly"] == "06/12/2026"
    assert r["phones"] == ["+55 (11) 97654-3210", "+55 (11) 3333-4444", "+14155550100", "—"]
    assert r["due"] == ["overdue", "today", "later"]
    assert r["endOfToday"] == "2026-12-07T03:00:00.000Z"
    assert r["instant"] == "2026-12-07T13:00:00.000Z"
    assert r["day"] == "2026-12-07T03:00:00.000Z"
    assert r["local"] == "2026-12-07T10:00"
    assert r["fieldNames"] == ["email", "customFields.renda", ""]
    assert r["decimals"] == ["1250000.50", "350000.00", None, "12.5"]
    # the form's fields over the record's; an unchecked box never set stays unset; other keys stay
    assert r["custom"] == {"renda": "21000.00", "tipo": ["casa"], "antigo": "fica"}
    assert r["cleared"] == {}
    assert r["texts"] == ["18.500,5", "Sim", "Apartamento, Casa", "—"]
    # an edit sends only what changed, a cleared e-mail as null and the tags as a list
    assert r["unchanged"] == {}
    assert r["edit"] == {
        "email": None,
        "companyId": "C1",
        "lifecycleStage": "SQL",
        "tags": ["vip", "quente"],
        "customFields": {"antigo": "fica"},
    }
    # a new record sends no empty field
    assert r["created"] == {"name": "Novo", "lifecycleStage": "LEAD"}
    # a value the Decimal type would refuse is said next to the field, before sending
    assert r["problems"] == [
        [
            {
                "code": "INVALID",
                "message": "Valor inválido: use só números, como 350.000,00.",
                "field": ["input", "value"],
            }
        ],
        [],
        [],
    ]
    assert r["routes"] == [
        {"screen": "contact", "conversationId": None, "id": "Q29udGFjdDox"},
        {"screen": "deal", "conversationId": None, "id": "RGVhbDox"},
        {"screen": "company", "conversationId": None, "id": "nova"},
        {"screen": "day", "conversationId": None},
        {"screen": "inbox", "conversationId": "abc"},
    ]
    assert r["hashes"] == ["#/contato/a%2Fb", "#/negocio/D1", "#/dia"]


READ_DOCUMENTS = """
async () => {
  const d = await import("/js/record-documents.js");
  return Object.fromEntries(Object.entries(d).filter(([, text]) => /^\\s*(query|mutation|subscription)/.test(text)));
}
"""


async def test_every_document_of_the_pages_is_valid_and_within_the_cost_limit(open_page: Any) -> None:
    page = await open_page()
    documents = await page.evaluate(READ_DOCUMENTS)
    assert {"CONTACT_PAGE", "DEAL_PAGE", "COMPANY_PAGE", "MY_DAY", "SEARCH", "NEXT_PENDING"} <= set(documents)
    schema = build_schema()._schema
    variables = {
        "id": "x",
        "me": "x",
        "text": "x",
        "contactId": "x",
        "entity": "CONTACT",
        "endOfToday": "2026-12-07T03:00:00Z",
    }
    for name, text in documents.items():
        document = parse(text)
        assert validate(schema, document) == [], name
        if text.lstrip().startswith("mutation"):
            continue  # one record back: the reads are what could cost much
        demand = measure_demand(schema, document, None, variables, max_page_size=100, default_page_size=50)
        assert demand is not None and demand.page_size_problem is None, name
        assert demand.cost <= Limits.max_cost, (name, demand.cost)
