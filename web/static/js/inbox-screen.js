// The inbox screen: the conversation list beside the open thread (one at a
// time on a narrow screen), the actions on a conversation, and one live
// inboxEvents subscription that keeps both current and resumes with
// `since` the last sequence applied.

import { fetchExport, gql, session, websocketUrl } from "./api.js";
import { ConversationActions } from "./conversation-actions.js";
import { downloadBlob } from "./csv.js";
import { h } from "./dom.js";
import * as D from "./inbox-documents.js";
import { TI } from "./inbox-labels.js";
import { DEFAULT_FILTER, InboxList, conversationFilter } from "./inbox-state.js";
import { InboxListView } from "./inbox-view.js";
import { LiveSubscription } from "./live.js";
import { ThreadState } from "./thread-state.js";
import { ThreadView } from "./thread-view.js";
import { T } from "./labels.js";

const FILTER_KEY = "revgraph.inboxFilter";
const PAGE_SIZE = 30;
const CLOCK_MS = 30000;

function rememberedFilter() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(FILTER_KEY) || "{}");
    const spec = { ...DEFAULT_FILTER };
    for (const key of Object.keys(DEFAULT_FILTER)) if (typeof saved[key] === "string") spec[key] = saved[key];
    return spec;
  } catch {
    return { ...DEFAULT_FILTER };
  }
}

export class InboxScreen {
  /** @param shell what main.js gives a screen (see BoardScreen) */
  constructor(shell) {
    this.shell = shell;
    this.me = shell.me.me;
    this.zone = shell.me.workspace.timezone;
    this.thread = null;
    this.threadView = null;
    this.listEvents = null;
    this.threadEvents = null;
    this.listToken = 0;
    this.threadToken = 0;
    this.actions = new ConversationActions(this);
  }

  async start(route) {
    document.title = `${TI.conversations} · ${T.appName}`;
    this.listPane = h("section", { class: "inbox-list-pane", "aria-label": TI.conversations });
    this.threadPane = h("section", { class: "thread-pane", "aria-label": TI.messages });
    this.layout = h("div", { class: "inbox", dataset: { open: "false" } }, this.listPane, this.threadPane);
    this.shell.root.replaceChildren(this.layout);
    this.listPane.append(h("p", { class: "empty" }, T.loading));
    let setup;
    try {
      setup = await gql(D.INBOX_SETUP);
    } catch (error) {
      return this.shell.failed(error);
    }
    if (this.stopped) return;
    this.list = new InboxList(rememberedFilter(), this.me.id, setup.inboxSequence);
    this.listView = new InboxListView(this.listPane, this.list, {
      zone: this.zone,
      inboxes: setup.inboxes,
      onFilter: (spec) => this.loadList(spec),
      onLoadMore: () => this.loadMore(),
      onExport: () => this.exportList(),
    });
    this.listView.render();
    this.watchMore();
    this.clock = setInterval(() => this.tick(), CLOCK_MS);
    this.live = new LiveSubscription({
      url: websocketUrl(),
      connectionParams: () => session.connectionParams(),
      query: D.INBOX_EVENTS,
      variables: () => ({ since: this.list.lastSequence }),
      onStatus: this.shell.setStatus,
      onData: (data) => this.received(data.inboxEvents),
      onFailure: (reason, errors) => {
        if (reason === "rejected") this.shell.rejected();
        else this.shell.notify((errors && errors[0] && errors[0].message) || T.unexpected);
      },
    });
    // Subscribing from the sequence read before the list: nothing is missed.
    this.live.start();
    await Promise.all([this.loadList(this.list.spec), this.show(this.route || route)]);
  }

  stop() {
    this.stopped = true;
    if (this.live) this.live.stop();
    clearInterval(this.clock);
    if (this.observer) this.observer.disconnect();
  }

  async show(route) {
    // Asked before the screen is ready: start() opens the latest one asked for.
    this.route = route;
    if (!this.list) return;
    if (!route.conversationId) {
      this.threadToken += 1;
      this.thread = this.threadView = null;
      this.layout.dataset.open = "false";
      this.listView.select(null);
      this.threadPane.replaceChildren(h("p", { class: "empty" }, TI.pickConversation));
      document.title = `${TI.conversations} · ${T.appName}`;
      return;
    }
    await this.openThread(route.conversationId);
  }

  // -- the list --------------------------------------------------------

  async loadList(spec) {
    const token = ++this.listToken;
    sessionStorage.setItem(FILTER_KEY, JSON.stringify(spec));
    // Events that arrive while the page loads are applied again on top of it.
    this.listEvents = [];
    this.list.spec = { ...spec };
    this.list.loaded = false;
    this.listView.showSpec();
    let data;
    try {
      data = await gql(D.CONVERSATIONS, {
        filter: conversationFilter(spec, this.me.id),
        search: spec.search.trim() || null,
        first: PAGE_SIZE,
      });
    } catch (error) {
      return this.shell.failed(error);
    }
    if (token !== this.listToken || this.stopped) return;
    this.list.reset(data.conversations, spec);
    for (const event of this.listEvents) this.list.change(event);
    this.listEvents = null;
    this.listView.refresh();
  }

  /** The list as its filter shows it, as the server's CSV (";" for Excel in Portuguese). */
  async exportList() {
    try {
      const { blob, fileName } = await fetchExport("conversations", {
        filter: conversationFilter(this.list.spec, this.me.id),
        search: this.list.spec.search.trim() || null,
      });
      downloadBlob(blob, fileName);
    } catch (error) {
      this.shell.notify(TI.exportFailed, error.message);
    }
  }

  async loadMore() {
    if (this.loadingMore || !this.list.hasNextPage) return;
    this.loadingMore = true;
    const token = this.listToken;
    try {
      const data = await gql(D.CONVERSATIONS, {
        filter: conversationFilter(this.list.spec, this.me.id),
        search: this.list.spec.search.trim() || null,
        first: PAGE_SIZE,
        after: this.list.endCursor,
      });
      if (token === this.listToken && !this.stopped) {
        this.list.append(data.conversations);
        this.listView.refresh();
      }
    } catch (error) {
      this.shell.failed(error);
    } finally {
      this.loadingMore = false;
    }
  }

  /** The next page comes by itself when "Carregar mais" scrolls into view. */
  watchMore() {
    if (!("IntersectionObserver" in window)) return;
    this.observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && this.list.loaded) this.loadMore();
    });
    this.observer.observe(this.listView.more);
  }

  // -- live ------------------------------------------------------------

  received(event) {
    const changed = this.list.apply(event);
    if (changed === null) return;
    if (this.listEvents) this.listEvents.push(event);
    else if (changed) this.listView.refresh();
    if (this.threadEvents) this.threadEvents.push(event);
    if (!this.thread) return;
    const touched = this.thread.apply(event);
    if (!touched) return;
    if (touched.header) this.threadView.refreshHeader();
    if (touched.messages) this.threadView.refreshMessages();
  }

  tick() {
    this.listView.refresh();
    if (!this.threadView) return;
    if (this.threadView.header.contains(document.activeElement)) this.threadView.refreshFooter();
    else this.threadView.refreshHeader();
  }

  // -- the thread ------------------------------------------------------

  async openThread(conversationId) {
    if (this.thread && this.thread.id === conversationId) return;
    const token = ++this.threadToken;
    this.threadEvents = [];
    this.thread = this.threadView = null;
    this.layout.dataset.open = "true";
    this.listView.select(conversationId);
    this.threadPane.replaceChildren(h("p", { class: "empty" }, T.loading));
    let data;
    try {
      data = await gql(D.THREAD, { id: conversationId });
    } catch (error) {
      return this.shell.failed(error);
    }
    if (token !== this.threadToken || this.stopped) return;
    const events = this.threadEvents;
    this.threadEvents = null;
    if (!data.conversation) {
      this.threadPane.replaceChildren(h("p", { class: "empty", role: "alert" }, TI.notFound));
      return;
    }
    this.thread = new ThreadState(data.conversation);
    for (const event of events) this.thread.apply(event);
    document.title = `${this.thread.conversation.contact.name} · ${T.appName}`;
    this.threadView = new ThreadView(this.threadPane, this.thread, {
      zone: this.zone,
      meId: this.me.id,
      actions: this.actions.forThread(),
    });
    this.threadView.render();
  }

  async loadOlder() {
    const thread = this.thread;
    if (!thread || !thread.hasOlder) return;
    try {
      const data = await gql(D.THREAD, { id: thread.id, before: thread.olderCursor });
      if (this.thread !== thread || !data.conversation) return;
      const scroller = this.threadView.scroller;
      const fromBottom = scroller.scrollHeight - scroller.scrollTop;
      thread.older(data.conversation.messages);
      this.threadView.refreshMessages();
      scroller.scrollTop = scroller.scrollHeight - fromBottom;
    } catch (error) {
      this.shell.failed(error);
    }
  }

  /** A mutation's answer, shown at once (the live event that follows changes nothing more). */
  answered(conversation, message) {
    if (this.list.refresh(conversation)) this.listView.refresh();
    if (!this.thread || this.thread.id !== conversation.id) return;
    this.thread.update(conversation);
    if (message) this.thread.message(message);
    this.threadView.refreshHeader();
    if (message) this.threadView.refreshMessages(true);
  }

  /** A refused mutation: controls that changed before asking (priority, snooze) show the truth again. */
  refused() {
    if (this.threadView) this.threadView.refreshHeader();
  }
}
