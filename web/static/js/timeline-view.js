// A record's timeline (contact or deal), newest first, twenty at a time
// with "Carregar mais", and the note box above it: a note added appears at
// the top once the server recorded it.

import { gql } from "./api.js";
import { h } from "./dom.js";
import { dateTime } from "./record-format.js";
import { ADD_NOTE } from "./record-documents.js";
import { recordForm } from "./record-forms.js";
import { R } from "./record-labels.js";

export class TimelinePanel {
  /**
   * @param {object} options
   * @param {string} options.subjectId the contact's or deal's id
   * @param {string} options.query a document reading `record { timeline(after:) }`
   * @param {string} options.zone the workspace's time zone
   * @param {object} options.shell the app shell (notify, failed)
   */
  constructor({ subjectId, query, zone, shell }) {
    this.subjectId = subjectId;
    this.query = query;
    this.zone = zone;
    this.shell = shell;
    this.list = h("ol", { class: "timeline", "aria-label": R.timeline });
    this.more = h("button", { type: "button", class: "secondary", hidden: true, onclick: () => this.page() }, R.loadMore);
    this.cursor = null;
    const note = recordForm({
      label: R.notes,
      fields: [{ name: "body", label: R.newNote, kind: "textarea", required: true }],
      submitLabel: R.addNote,
      onSubmit: async (values) => {
        const payload = (await gql(ADD_NOTE, { input: { subjectId: this.subjectId, body: values.body } })).addNote;
        if (payload.userErrors.length) return payload.userErrors;
        note.reset();
        this.shell.notify(R.noteAdded);
        await this.reload();
        return [];
      },
    });
    note.classList.add("note-form");
    this.element = h(
      "section",
      { class: "panel timeline-panel", "aria-labelledby": `timeline-${subjectId}` },
      h("h2", { id: `timeline-${subjectId}` }, R.timeline),
      note,
      this.list,
      this.more,
    );
  }

  async reload() {
    this.cursor = null;
    this.list.replaceChildren();
    await this.page();
  }

  async page() {
    this.more.disabled = true;
    let timeline;
    try {
      const data = await gql(this.query, { id: this.subjectId, after: this.cursor });
      timeline = data.record && data.record.timeline;
    } catch (error) {
      this.more.disabled = false;
      return this.shell.failed(error);
    }
    if (!timeline) return;
    for (const { node } of timeline.edges) this.list.append(this.item(node));
    if (!this.list.children.length) this.list.append(h("li", { class: "muted" }, R.noEvents));
    this.cursor = timeline.pageInfo.endCursor;
    this.more.hidden = !timeline.pageInfo.hasNextPage;
    this.more.disabled = false;
  }

  item(event) {
    const note = event.kind === "note.added";
    return h(
      "li",
      { class: note ? "event note" : "event", dataset: { kind: event.kind } },
      h("time", { datetime: event.at }, dateTime(event.at, this.zone)),
      h("span", { class: "event-who" }, event.actorLabel || R.system),
      // A note shows its whole text; other events their one-line summary.
      note && event.data && event.data.body
        ? h("p", { class: "event-summary note-body" }, event.data.body)
        : h("p", { class: "event-summary" }, event.summary),
    );
  }
}
