// The board as data, without the DOM: columns, cards in card order, column
// totals, and how board events and local moves change them.

/** "1250000.5" -> 125000050. Decimals travel as strings; cents keep sums exact. */
export function cents(value) {
  if (value === null || value === undefined || value === "") return 0;
  const text = String(value).trim();
  const negative = text.startsWith("-");
  const [whole, fraction = ""] = text.replace(/^[-+]/, "").split(".");
  const amount = Number(whole || "0") * 100 + Number((fraction + "00").slice(0, 2));
  return negative ? -amount : amount;
}

export class BoardState {
  /** @param pipeline the `pipeline` of the BOARD query */
  constructor(pipeline) {
    this.id = pipeline.id;
    this.name = pipeline.name;
    this.lastSequence = pipeline.boardSequence;
    this.stages = pipeline.stages.map((stage) => {
      const cards = stage.deals.edges.map((edge) => edge.node);
      const loadedCents = cards.reduce((sum, deal) => sum + cents(deal.value), 0);
      return {
        id: stage.id,
        name: stage.name,
        kind: stage.kind,
        probability: stage.probability,
        requiredFields: stage.requiredFields,
        requiresScheduledTask: stage.requiresScheduledTask,
        cards,
        // A column shows at most 100 cards; what lies beyond still counts
        // in its header.
        hiddenCount: Math.max(0, stage.dealCount - cards.length),
        hiddenCents: cents(stage.totalValue) - loadedCents,
      };
    });
  }

  stage(stageId) {
    return this.stages.find((stage) => stage.id === stageId) || null;
  }

  find(dealId) {
    for (const stage of this.stages) {
      const index = stage.cards.findIndex((deal) => deal.id === dealId);
      if (index >= 0) return { stage, index, deal: stage.cards[index] };
    }
    return null;
  }

  totals(stage) {
    return {
      count: stage.hiddenCount + stage.cards.length,
      cents: stage.hiddenCents + stage.cards.reduce((sum, deal) => sum + cents(deal.value), 0),
    };
  }

  /** Where a card is now, to put it back if the server refuses a move. */
  snapshot(dealId) {
    const found = this.find(dealId);
    if (!found) return null;
    const above = found.index > 0 ? found.stage.cards[found.index - 1].id : null;
    return { deal: found.deal, stageId: found.stage.id, afterDealId: above };
  }

  /** Removes a card; returns the id of the column it was in, or null. */
  remove(dealId) {
    const found = this.find(dealId);
    if (!found) return null;
    found.stage.cards.splice(found.index, 1);
    return found.stage.id;
  }

  /**
   * Puts `deal` right after `afterDealId` in the column (at the top when
   * null). Returns the ids of the columns that changed.
   */
  place(deal, stageId, afterDealId) {
    const touched = new Set();
    const from = this.remove(deal.id);
    if (from) touched.add(from);
    const stage = this.stage(stageId);
    if (!stage) return touched;
    touched.add(stage.id);
    if (afterDealId === null || afterDealId === undefined) {
      stage.cards.unshift(deal);
      return touched;
    }
    const index = stage.cards.findIndex((card) => card.id === afterDealId);
    if (index >= 0) {
      stage.cards.splice(index + 1, 0, deal);
    } else if (stage.hiddenCount > 0) {
      // It lands among the cards beyond the first 100.
      stage.hiddenCount += 1;
      stage.hiddenCents += cents(deal.value);
    } else {
      stage.cards.push(deal);
    }
    return touched;
  }

  /** Replaces a card's data where it stands. */
  update(deal) {
    const found = this.find(deal.id);
    if (!found) return new Set();
    found.stage.cards[found.index] = deal;
    return new Set([found.stage.id]);
  }

  /**
   * Applies one BoardEvent in sequence order. Returns the ids of the
   * columns that changed, or null when the event was already applied.
   */
  apply(event) {
    if (event.sequence <= this.lastSequence) return null;
    this.lastSequence = event.sequence;
    const loaded = this.find(event.dealId);
    if (!loaded && event.fromStageId) this.forgetHidden(event.fromStageId, event.deal);
    if (event.kind === "REMOVED" || !event.deal) {
      const from = this.remove(event.dealId);
      return new Set(from ? [from] : []);
    }
    const deal = event.deal;
    const target = event.toStageId || (deal.stage && deal.stage.id);
    if (event.kind === "UPDATED" && loaded && loaded.stage.id === target) return this.update(deal);
    return this.place(deal, target, event.afterDealId);
  }

  forgetHidden(stageId, deal) {
    const stage = this.stage(stageId);
    if (!stage || stage.hiddenCount === 0) return;
    stage.hiddenCount -= 1;
    if (deal) stage.hiddenCents -= cents(deal.value);
  }
}
