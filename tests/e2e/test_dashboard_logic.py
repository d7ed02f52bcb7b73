"""The dashboard's pure logic (csv.js, report-format.js, dashboard-cards.js,
dashboard-screen.js's team subtree, routes.js) run in the real browser: RFC 4180
quoting with ";" and a decimal comma, the byte-order mark, pt-BR money,
shares and "1 h 05 min" durations, the "as of" line, and which [from, to)
each range choice covers in São Paulo."""

from __future__ import annotations

from typing import Any

from graphql import parse

from revgraph.schema import build_schema
from revgraph.schema.demand import measure_demand

RUN_CSV = """
async () => {
  const csv = await import("/js/csv.js");
  const columns = [
    { key: "name", label: "Etapa", type: "text" },
    { key: "n", label: "Entraram", type: "int" },
    { key: "rate", label: "Conversão (%)", type: "percent" },
    { key: "value", label: "Valor", type: "money" },
    { key: "wait", label: "Mediana", csvLabel: "Mediana (s)", type: "seconds" },
  ];
  const rows = [
    { name: "Visita; agendada", n: 1234, rate: 2 / 3, value: "1250000.5", wait: 3900 },
    { name: 'Proposta "quente"', n: 0, rate: null, value: "0.00", wait: null },
    { name: "Linha\\nquebrada", n: 7, rate: 1, value: "-10", wait: 0 },
  ];
  return {
    text: csv.toCsv(columns, rows),
    fields: [csv.csvField("a,b"), csv.csvField("a;b"), csv.csvField('"'), csv.csvField("x\\ry"), csv.csvField(null)],
    numbers: [csv.csvNumber(0.5), csv.csvNumber("12.345", 2), csv.csvNumber(null), csv.csvNumber("abc")],
    name: csv.csvFileName("funil", "2026-12-06"),
  };
}
"""


async def test_csv_is_rfc_4180_with_semicolons_a_decimal_comma_and_a_bom(open_page: Any) -> None:
    page = await open_page()
    result = await page.evaluate(RUN_CSV)
    assert result["text"] == (
        "\ufeffEtapa;Entraram;Conversão (%);Valor;Mediana (s)\r\n"
        '"Visita; agendada";1234;66,7;1250000,50;3900\r\n'
        '"Proposta ""quente""";0;;0,00;\r\n'
        '"Linha\nquebrada";7;100;-10,00;0\r\n'
    )
    assert result["fields"] == ["a,b", '"a;b"', '""""', '"x\ry"', ""]
    assert result["numbers"] == ["0,5", "12,35", "", ""]
    assert result["name"] == "funil-2026-12-06.csv"


RUN_FORMAT = """
async () => {
  const f = await import("/js/report-format.js");
  const zone = "America/Sao_Paulo";
  const at = new Date("2026-12-06T17:32:05Z");
  const range = (choice, now, custom) => {
    const r = f.reportRange(choice, new Date(now), zone, custom);
    return r && { from: r.from.toISOString(), to: r.to.toISOString(), first: r.first, last: r.last, days: r.days, period: f.periodOf(r) };
  };
  return {
    durations: [null, 0, 45, 60, 3599, 3600, 3900, 86399, 86400, 277200].map(f.duration),
    money: [f.money("1250000.5", "BRL"), f.money("0", "BRL"), f.money(null, "BRL")].map((s) => s.replace(/\\s/g, " ")),
    compact: [f.compactMoney(300000, "BRL"), f.compactMoney(1250000, "BRL"), f.compactMoney(0, "BRL"), f.compactMoney(950, "USD")]
      .map((s) => s.replace(/\\s/g, " ")),
    percent: [f.percent(2 / 3), f.percent(0.5), f.percent(1), f.percent(null)],
    integer: [f.integer(1234567), f.integer(0), f.integer(null)],
    asOf: f.asOf(at, zone),
    isoDay: f.isoDay(new Date("2026-12-07T02:30:00Z"), zone),
    brDay: f.brDay("2026-12-06"),
    month: range("month", "2026-12-06T17:32:05Z"),
    last30: range("last30", "2026-12-06T17:32:05Z"),
    year: range("year", "2026-12-06T17:32:05Z"),
    lateNight: range("month", "2026-12-01T02:00:00Z"),
    custom: range("custom", "2026-12-06T17:32:05Z", { first: "2026-10-01", last: "2026-12-06" }),
    reversed: range("custom", "2026-12-06T17:32:05Z", { first: "2026-12-07", last: "2026-12-06" }),
    incomplete: range("custom", "2026-12-06T17:32:05Z", { first: "2026-12-01", last: "" }),
  };
}
"""


async def test_pt_br_figures_durations_as_of_and_the_range_of_each_choice(open_page: Any) -> None:
    page = await open_page()
    result = await page.evaluate(RUN_FORMAT)
    assert result["durations"] == [
        "—",
        "0 s",
        "45 s",
        "1 min",
        "59 min",
        "1 h 00 min",
        "1 h 05 min",
        "23 h 59 min",
        "1 d 00 h",
        "3 d 05 h",
    ]
    assert result["money"] == ["R$ 1.250.000,50", "R$ 0,00", "R$ 0,00"]
    # money on a chart's axis, short
    assert result["compact"] == ["R$ 300 mil", "R$ 1,3 mi", "R$ 0", "US$ 950"]
    assert result["percent"] == ["66,7%", "50%", "100%", "—"]
    assert result["integer"] == ["1.234.567", "0", "—"]
    assert result["asOf"] == "Atualizado às 14:32:05"
    # 02:30 UTC on the 7th is still the 6th in São Paulo (UTC-3)
    assert result["isoDay"] == "2026-12-06"
    assert result["brDay"] == "06/12/2026"
    # whole days in São Paulo, up to the end of today
    assert result["month"] == {
        "from": "2026-12-01T03:00:00.000Z",
        "to": "2026-12-07T03:00:00.000Z",
        "first": "2026-12-01",
        "last": "2026-12-06",
        "days": 6,
        "period": "DAY",
    }
    assert result["last30"]["from"] == "2026-11-07T03:00:00.000Z" and result["last30"]["days"] == 30
    assert result["year"]["from"] == "2026-01-01T03:00:00.000Z" and result["year"]["period"] == "WEEK"
    # 23:00 on 30 November in São Paulo is still November
    assert (result["lateNight"]["first"], result["lateNight"]["last"]) == ("2026-11-01", "2026-11-30")
    assert result["custom"]["to"] == "2026-12-07T03:00:00.000Z" and result["custom"]["days"] == 67
    assert result["custom"]["period"] == "WEEK"
    assert result["reversed"] is None and result["incomplete"] is None


RUN_CARDS = """
async () => {
  const { dashboardCards } = await import("/js/dashboard-cards.js");
  const { subtreeMembers } = await import("/js/dashboard-screen.js");
  const { parseRoute, routeHash } = await import("/js/routes.js");
  const stats = (count, a, m, p) => ({ count, averageSeconds: a, medianSeconds: m, p90Seconds: p });
  const data = {
    funnel: {
      stages: [
        { stage: { name: "Novo" }, entered: 2, converted: 1, conversionRate: 0.5, current: 1, currentValue: "10.00", timeInStage: stats(1, 60, 60, 60) },
      ],
      won: 0, lost: 1, wonValue: "0.00", winRate: 0,
      lossReasons: [{ key: "Preço", label: "Preço", count: 1, value: null }],
    },
    bySource: [{ key: "Site", label: "Site", count: 2, value: null }],
    byOwner: [{ key: "", label: "—", count: 2, value: null }],
    byPeriod: [{ key: "2026-W49", label: "Semana 49 de 2026", count: 2, value: null }],
    inboxReport: {
      conversations: 4, resolved: 3, slaMet: 3, slaBreached: 1, csatAverage: 4.5, csatResponses: 2,
      firstResponse: stats(4, 90, 60, 300), waitTime: stats(0, null, null, null),
      handleTime: stats(3, 3900, 3600, 7200), resolution: stats(3, 4000, 3700, 7300),
    },
    appointments: [], distributionReport: [], activityReport: [],
  };
  const cards = dashboardCards(data, "WEEK");
  const teams = [
    { id: "t1", parent: null, members: [{ id: "u1" }] },
    { id: "t2", parent: { id: "t1" }, members: [{ id: "u2" }, { id: "u1" }] },
    { id: "t3", parent: { id: "t2" }, members: [{ id: "u3" }] },
    { id: "t4", parent: null, members: [{ id: "u4" }] },
  ];
  return {
    ids: cards.map((c) => c.id),
    files: cards.map((c) => c.file),
    period: cards[1].title,
    service: cards.find((c) => c.id === "service").tiles.map((t) => [t.type, t.value]),
    serviceRows: cards.find((c) => c.id === "service").rows.map((r) => [r.measure, r.average]),
    withoutFunnel: dashboardCards({ ...data, funnel: null }, "DAY").map((c) => c.id),
    routes: [parseRoute("#/dashboard"), parseRoute("#/dashboard/x"), routeHash("dashboard")],
    subtree: [subtreeMembers(teams, "t1").sort(), subtreeMembers(teams, "t2").sort(), subtreeMembers(teams, "t4")],
  };
}
"""


async def test_the_cards_of_a_poll_and_a_team_subtree(open_page: Any) -> None:
    page = await open_page()
    result = await page.evaluate(RUN_CARDS)
    assert result["ids"] == [
        "funnel",
        "by-period",
        "by-source",
        "by-owner",
        "losses",
        "time-in-stage",
        "appointments",
        "service",
        "distribution",
        "activity",
    ]
    assert result["files"] == [
        "funil",
        "leads-por-semana",
        "leads-por-canal",
        "leads-por-corretor",
        "perdas-por-motivo",
        "tempo-na-etapa",
        "visitas-por-semana",
        "atendimento",
        "distribuicao-por-roleta",
        "atividades-por-usuario",
    ]
    assert result["period"] == "Leads por semana"
    assert result["service"] == [["int", 4], ["int", 3], ["percent", 0.75], ["text", "4,5 (2 respostas)"]]
    assert result["serviceRows"] == [
        ["Primeira resposta", 90],
        ["Tempo médio de espera (TME)", None],
        ["Tempo médio de atendimento (TMA)", 3900],
        ["Resolução", 4000],
    ]
    assert result["withoutFunnel"] == [
        "by-period",
        "by-source",
        "by-owner",
        "appointments",
        "service",
        "distribution",
        "activity",
    ]
    assert result["routes"] == [
        {"screen": "dashboard", "conversationId": None},
        {"screen": "dashboard", "conversationId": None},
        "#/dashboard",
    ]
    assert result["subtree"] == [["u1", "u2", "u3"], ["u1", "u2", "u3"], ["u4"]]


RUN_DEAL_CARDS = """
async () => {
  const { dashboardCards } = await import("/js/dashboard-cards.js");
  const { DASHBOARD } = await import("/js/dashboard-documents.js");
  const stats = (count, m) => ({ count, averageSeconds: m, medianSeconds: m, p90Seconds: m });
  const data = {
    funnel: null,
    snapshot: {
      stages: [
        { stage: { name: "Novo" }, count: 2, value: "1000.00", weightedValue: "100.00" },
        { stage: { name: "Proposta" }, count: 1, value: "500.50", weightedValue: "250.25" },
      ],
      count: 3, value: "1500.50", weightedValue: "350.25",
      forecast: [
        { key: "2026-11", label: "novembro de 2026", count: 1, value: "250.25" },
        { key: "", label: "—", count: 2, value: "100.00" },
      ],
    },
    dealsByOwner: [
      { key: "u1", label: "Carla", created: 2, won: 1, lost: 0, createdValue: "10.00", wonValue: "7.50", lostValue: "0.00" },
    ],
    bySource: [], byOwner: [], byPeriod: [],
    inboxReport: null,
    appointments: [{ key: "2026-12-05", label: "05/12/2026", count: 3, value: null }],
    distributionReport: [
      { queue: { id: "q1", name: "Site" }, member: { id: "u1", name: "Carla" }, assigned: 4, worked: 3, firstContact: stats(3, 600) },
      { queue: { id: "q1", name: "Site" }, member: { id: "u2", name: "Bruno" }, assigned: 2, worked: 0, firstContact: stats(0, null) },
    ],
    activityReport: [
      { user: { id: "u1", name: "Carla" }, notes: 1, tasksCompleted: 2, dealMoves: 3, messagesSent: 4 },
      { user: { id: "u2", name: "Bruno" }, notes: 0, tasksCompleted: 0, dealMoves: 0, messagesSent: 0 },
    ],
  };
  const pick = (cards, id) => cards.find((c) => c.id === id);
  const cards = dashboardCards(data, "DAY");
  const narrowed = dashboardCards(data, "DAY", ["u2"]);
  const csv = await import("/js/csv.js");
  const forecast = pick(cards, "forecast");
  return {
    ids: cards.map((c) => c.id),
    files: cards.map((c) => c.file),
    negotiation: pick(cards, "negotiation").rows,
    negotiationChart: pick(cards, "negotiation").chart.values,
    forecastCsv: csv.toCsv(forecast.columns, forecast.rows),
    forecastChart: forecast.chart,
    owners: pick(cards, "deals-by-owner").columns.map((c) => c.label),
    visits: [pick(cards, "appointments").title, pick(cards, "appointments").columns[1].label],
    distribution: pick(cards, "distribution").rows,
    activity: pick(cards, "activity").chart.values,
    narrowed: [pick(narrowed, "distribution").rows.length, pick(narrowed, "activity").rows.map((r) => r.user)],
    document: DASHBOARD,
  };
}
"""
DASHBOARD_VARIABLES = {
    "pipelineId": "UGlwZWxpbmU6MQ==",
    "range": {"from": "2026-01-01T03:00:00Z", "to": "2027-01-01T03:00:00Z"},
    "period": "WEEK",
    "visitPeriod": "WEEK",
    "teamId": None,
    "ownerId": None,
    "leads": None,
    "withFunnel": True,
}


async def test_the_deal_and_people_cards_and_the_cost_of_the_poll(open_page: Any) -> None:
    page = await open_page()
    result = await page.evaluate(RUN_DEAL_CARDS)
    assert result["ids"] == [
        "negotiation",
        "forecast",
        "deals-by-owner",
        "by-period",
        "by-source",
        "by-owner",
        "appointments",
        "distribution",
        "activity",
    ]
    assert result["files"][:3] == [
        "propostas-em-negociacao",
        "previsao-de-fechamento",
        "negocios-por-corretor",
    ]
    assert result["files"][6:] == ["visitas-por-dia", "distribuicao-por-roleta", "atividades-por-usuario"]
    # the stages, then the totals as the last row (in the table and in the CSV)
    assert result["negotiation"] == [
        {"stage": "Novo", "count": 2, "value": "1000.00", "weightedValue": "100.00"},
        {"stage": "Proposta", "count": 1, "value": "500.50", "weightedValue": "250.25"},
        {"stage": "Total", "count": 3, "value": "1500.50", "weightedValue": "350.25", "total": True},
    ]
    assert result["negotiationChart"] == [1000, 500.5]
    # the deals without an expected close date: "Sem data"
    assert result["forecastCsv"] == (
        "\ufeffMês;Negócios;Valor ponderado\r\nnovembro de 2026;1;250,25\r\nSem data;2;100,00\r\n"
    )
    assert result["forecastChart"]["labels"] == ["novembro de 2026", "Sem data"]
    assert result["forecastChart"]["values"] == [250.25, 100]
    assert result["owners"] == [
        "Corretor",
        "Criados",
        "Valor criado",
        "Ganhos",
        "Valor ganho",
        "Perdidos",
        "Valor perdido",
    ]
    assert result["visits"] == ["Visitas agendadas por dia", "Visitas"]
    assert result["distribution"] == [
        {"queue": "Site", "member": "Carla", "assigned": 4, "worked": 3, "median": 600},
        {"queue": "Site", "member": "Bruno", "assigned": 2, "worked": 0, "median": None},
    ]
    assert result["activity"] == [10, 0]
    # a corretor chosen: only their rows in the reports that cannot narrow themselves
    assert result["narrowed"] == [1, ["Bruno"]]

    # and the one poll's document costs a tenth of the limit (50 000) at most: 1 487 now, a year by week
    demand = measure_demand(
        build_schema()._schema,
        parse(result["document"]),
        None,
        DASHBOARD_VARIABLES,
        max_page_size=100,
        default_page_size=50,
    )
    assert demand is not None and demand.page_size_problem is None
    assert demand.cost <= 5_000, demand.cost
