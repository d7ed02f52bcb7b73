"""The board's pure logic (board-state.js, moves.js, labels.js) run in the
real browser: sequence order, column totals beyond the loaded cards, the
field paths of stage-gate errors, and pt-BR money."""

from __future__ import annotations

from typing import Any

STAGES = {
    "id": "p1",
    "name": "Vendas",
    "boardSequence": 7,
    "stages": [
        {
            "id": "s1",
            "name": "Novo",
            "kind": "OPEN",
            "probability": 10,
            "requiredFields": [],
            "requiresScheduledTask": False,
            # 102 deals, only the first two loaded: the header must still say 102.
            "dealCount": 102,
            "totalValue": "1000000.00",
            "deals": {
                "edges": [
                    {"node": {"id": "d1", "title": "A", "value": "100.50", "version": 1}},
                    {"node": {"id": "d2", "title": "B", "value": None, "version": 1}},
                ]
            },
        },
        {
            "id": "s2",
            "name": "Proposta",
            "kind": "OPEN",
            "probability": 50,
            "requiredFields": ["value"],
            "requiresScheduledTask": False,
            "dealCount": 0,
            "totalValue": "0",
            "deals": {"edges": []},
        },
    ],
}

RUN_STATE = """
async (pipeline) => {
  const { BoardState } = await import("/js/board-state.js");
  const state = new BoardState(pipeline);
  const seen = [];
  const totals = () => state.stages.map((s) => [s.id, state.totals(s)]);
  seen.push(totals());
  const moved = (sequence, afterDealId) => ({
    sequence, kind: "MOVED", dealId: "d1", fromStageId: "s1", toStageId: "s2", afterDealId,
    deal: { id: "d1", title: "A", value: "100.50", version: 2, stage: { id: "s2" } },
  });
  const stale = state.apply(moved(7, null));
  const applied = state.apply(moved(8, null));
  seen.push(totals());
  const replayed = state.apply(moved(8, null));
  const created = state.apply({
    sequence: 9, kind: "CREATED", dealId: "d3", toStageId: "s2", afterDealId: "d1",
    deal: { id: "d3", title: "C", value: "10.00", version: 1, stage: { id: "s2" } },
  });
  const removed = state.apply({ sequence: 10, kind: "REMOVED", dealId: "d2", fromStageId: "s1", deal: null });
  seen.push(totals());
  return {
    stale, applied: [...applied].sort(), replayed, created: [...created], removed: [...removed],
    order: state.stage("s2").cards.map((d) => d.id), last: state.lastSequence, seen,
  };
}
"""


async def test_board_state_applies_events_in_sequence_and_keeps_totals(open_page: Any) -> None:
    # given a board whose first column holds more deals than it loaded
    page = await open_page()

    # when events arrive, one of them older than the board and one replayed
    result = await page.evaluate(RUN_STATE, STAGES)

    # then only newer events apply, each once, and headers count hidden deals too
    assert result["stale"] is None
    assert result["applied"] == ["s1", "s2"]
    assert result["replayed"] is None
    assert result["created"] == ["s2"]
    assert result["removed"] == ["s1"]
    assert result["order"] == ["d1", "d3"]
    assert result["last"] == 10
    first, after_move, after_all = result["seen"]
    assert first == [["s1", {"count": 102, "cents": 100000000}], ["s2", {"count": 0, "cents": 0}]]
    assert after_move == [["s1", {"count": 101, "cents": 99989950}], ["s2", {"count": 1, "cents": 10050}]]
    assert after_all == [["s1", {"count": 100, "cents": 99989950}], ["s2", {"count": 2, "cents": 11050}]]


FIELD_PATHS = """
async () => {
  const { missingField, decimalInput } = await import("/js/moves.js");
  const { money, fieldLabel } = await import("/js/labels.js");
  return {
    paths: [
      ["input", "patch", "value"],
      ["input", "patch", "companyId"],
      ["input", "patch", "customFields", "cpf"],
      ["input", "patch", "customFields.cpf"],
      ["input", "lostReason"],
      ["input"],
      null,
    ].map(missingField),
    decimals: ["250.000,50", "250000.5", "R$ 1.000", "abc"].map(decimalInput),
    money: [money("1250000.5", "BRL"), money("10", "USD")],
    labels: ["value", "customFields.cpf", "lostReason"].map(fieldLabel),
  };
}
"""


async def test_gate_error_paths_and_money_are_read_the_brazilian_way(open_page: Any) -> None:
    # given the board's modules in the browser
    page = await open_page()

    # when they read userError paths, typed amounts and format money
    result = await page.evaluate(FIELD_PATHS)

    # then each path names the deal field to ask for, in Portuguese
    assert result["paths"] == [
        "value",
        "company",
        "customFields.cpf",
        "customFields.cpf",
        "lostReason",
        None,
        None,
    ]
    assert result["decimals"] == ["250000.50", "250000.50", "1000.00", None]
    # Intl separates the symbol with a no-break space.
    assert [m.replace("\xa0", " ") for m in result["money"]] == ["R$ 1.250.000,50", "US$ 10,00"]
    assert result["labels"] == ["Valor", "cpf", "Motivo da perda"]
