// The board screen: the pipeline picker in the top bar, the Kanban below,
// and its live boardEvents subscription while it is on screen.

import { gql, session, websocketUrl } from "./api.js";
import { BoardState } from "./board-state.js";
import { BoardView } from "./board-view.js";
import { h } from "./dom.js";
import { BOARD, BOARD_EVENTS } from "./documents.js";
import { LiveSubscription } from "./live.js";
import { T } from "./labels.js";
import { MoveController } from "./moves.js";

export const PIPELINE_KEY = "revgraph.pipeline";

export class BoardScreen {
  /**
   * @param {object} shell
   * @param {HTMLElement} shell.root where the screen draws
   * @param {HTMLElement} shell.slot the top bar's place for screen controls
   * @param {object} shell.me the ME query's data
   * @param {(status: string) => void} shell.setStatus the live indicator
   * @param {(message: string) => void} shell.notify a toast
   * @param {(error: Error) => void} shell.failed a failed request
   * @param {() => void} shell.rejected the live connection refused the session
   */
  constructor(shell) {
    this.shell = shell;
    this.live = null;
  }

  async start() {
    const { me, root, slot } = this.shell;
    document.title = `${T.board} · ${T.appName}`;
    const picker = h(
      "select",
      { id: "pipeline-picker", name: "pipeline" },
      me.pipelines.map((pipeline) => h("option", { value: pipeline.id }, pipeline.name)),
    );
    slot.replaceChildren(h("label", { for: "pipeline-picker", class: "picker-label" }, T.pipeline), picker);
    this.root = h("div", { class: "board-root", id: "board" });
    root.replaceChildren(this.root);
    if (!me.pipelines.length) {
      picker.disabled = true;
      this.root.append(h("p", { class: "empty" }, T.noPipelines));
      return;
    }
    const remembered = sessionStorage.getItem(PIPELINE_KEY);
    if (remembered && me.pipelines.some((p) => p.id === remembered)) picker.value = remembered;
    picker.addEventListener("change", () => this.open(picker.value));
    await this.open(picker.value);
  }

  show() {}

  stop() {
    if (this.live) this.live.stop();
    this.live = null;
    this.stopped = true;
  }

  async open(pipelineId) {
    if (this.live) this.live.stop();
    this.live = null;
    const root = this.root;
    sessionStorage.setItem(PIPELINE_KEY, pipelineId);
    root.replaceChildren(h("p", { class: "empty" }, T.loading));
    let pipeline;
    try {
      pipeline = (await gql(BOARD, { id: pipelineId })).pipeline;
    } catch (error) {
      return this.shell.failed(error);
    }
    if (this.stopped) return;
    if (!pipeline) {
      sessionStorage.removeItem(PIPELINE_KEY);
      root.replaceChildren(h("p", { class: "empty" }, T.notFound));
      return;
    }
    document.title = `${pipeline.name} · ${T.appName}`;
    // A fresh surface per board, so listeners of a previous board (and its
    // stale state) go away with it.
    const surface = h("div", { class: "board-surface" });
    root.replaceChildren(surface);
    const state = new BoardState(pipeline);
    const moves = new MoveController(state, null, this.shell.notify, this.shell.me);
    const view = new BoardView(surface, state, this.shell.me.workspace.currency, {
      openMoveMenu: (dealId, button) => moves.openMoveMenu(dealId, button),
    });
    moves.view = view;
    view.render();
    moves.attach(surface);
    // Subscribing from the sequence read with the board: nothing is missed
    // between the read and the subscription, and nothing is applied twice.
    this.live = new LiveSubscription({
      url: websocketUrl(),
      connectionParams: () => session.connectionParams(),
      query: BOARD_EVENTS,
      variables: () => ({ pipelineId, since: state.lastSequence }),
      onStatus: this.shell.setStatus,
      onData: (data) => {
        const touched = state.apply(data.boardEvents);
        if (touched) view.refresh(touched);
      },
      onFailure: (reason, errors) => {
        if (reason === "rejected") this.shell.rejected();
        else this.shell.notify((errors && errors[0] && errors[0].message) || T.unexpected);
      },
    });
    this.live.start();
  }
}
