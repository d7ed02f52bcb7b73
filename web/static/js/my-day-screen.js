// "Meu dia" (#/dia): the "Atender pendentes" button (nextPending opens the
// lead to attend: its waiting conversation, else its contact page), my
// tasks overdue and due today (completed and edited where they are), my leads, and my
// notifications, live through the notifications subscription.

import { gql, session, websocketUrl } from "./api.js";
import { h } from "./dom.js";
import { T } from "./labels.js";
import { LiveSubscription } from "./live.js";
import { dateTime, dueState, endOfToday } from "./record-format.js";
import { MARK_READ, MY_DAY, NEXT_PENDING, NOTIFICATIONS_LIVE, WAITING_CONVERSATION } from "./record-documents.js";
import { R } from "./record-labels.js";
import { contactRow, dealRow, nodes, panel, rows } from "./record-page.js";
import { recordHash, routeHash } from "./routes.js";
import { taskList } from "./task-list.js";

/** Where "Atender pendentes" takes me for a contact: a conversation waiting for a reply, else the contact. */
export async function pendingPlace(contact) {
  const waiting = nodes((await gql(WAITING_CONVERSATION, { contactId: contact.id })).conversations);
  const conversation = waiting.find((c) => c.waitingSince) || null;
  return conversation ? routeHash("inbox", conversation.id) : recordHash("contact", contact.id);
}

export class MyDayScreen {
  constructor(shell) {
    this.shell = shell;
    this.zone = shell.me.workspace.timezone;
    this.live = null;
  }

  start() {
    return this.show();
  }

  stop() {
    this.stopped = true;
    if (this.live) this.live.stop();
    this.live = null;
  }

  async show() {
    document.title = `${R.myDay} · ${T.appName}`;
    const me = this.shell.me.me;
    this.shell.root.replaceChildren(h("p", { class: "empty" }, T.loading));
    let data;
    try {
      data = await gql(MY_DAY, { me: me.id, endOfToday: endOfToday(new Date(), this.zone).toISOString() });
    } catch (error) {
      return this.shell.failed(error);
    }
    if (this.stopped) return;
    const now = new Date();
    const tasks = nodes(data.tasks).sort((a, b) => String(a.dueAt).localeCompare(String(b.dueAt)));
    const overdue = tasks.filter((task) => dueState(task.dueAt, now, this.zone) === "overdue");
    const today = tasks.filter((task) => dueState(task.dueAt, now, this.zone) !== "overdue");
    // An edited task may belong elsewhere now (due later, given to someone
    // else): the lists are read again.
    const onChanged = () => this.show();
    const attend = h("button", { type: "button", class: "primary attend", "aria-describedby": "attend-hint" }, R.attendPending);
    attend.addEventListener("click", () => this.attend(attend));
    this.notificationList = h("ul", { class: "notification-list", "aria-label": R.notifications });
    for (const notification of nodes(data.notifications)) this.notificationList.append(this.notification(notification));
    this.noNotifications = h("p", { class: "muted" }, R.noNotifications);
    this.noNotifications.hidden = this.notificationList.children.length > 0;
    const tasksPanel = panel(
      R.myTasks,
      h("h3", {}, R.overdue),
      taskList(overdue, { zone: this.zone, shell: this.shell, label: R.overdue, empty: R.noTasksDue, onChanged }),
      h("h3", {}, R.dueToday),
      taskList(today, { zone: this.zone, shell: this.shell, label: R.dueToday, empty: R.noTasksDue, onChanged }),
    );
    tasksPanel.classList.add("my-tasks");
    this.shell.root.replaceChildren(
      h(
        "div",
        { class: "record-page my-day" },
        h(
          "header",
          { class: "record-header" },
          h("h1", {}, R.myDay),
          h(
            "div",
            { class: "attend-box" },
            attend,
            h("span", { id: "attend-hint", class: "muted" }, R.attendPendingHint),
          ),
          h(
            "p",
            { class: "record-actions" },
            h("a", { class: "button-link", href: recordHash("contact", "novo") }, R.newContact),
            h("a", { class: "button-link", href: recordHash("company", "nova") }, R.newCompany),
          ),
        ),
        h(
          "div",
          { class: "record-columns" },
          h(
            "div",
            { class: "record-main" },
            tasksPanel,
            panel(
              R.myLeads,
              h("h3", {}, R.myContacts),
              rows(nodes(data.contacts), contactRow, R.noLeads, R.myContacts),
              h("h3", {}, R.myDeals),
              rows(nodes(data.deals), dealRow, R.noDeals, R.myDeals),
            ),
          ),
          h("div", { class: "record-side" }, panel(R.notifications, this.notificationList, this.noNotifications)),
        ),
      ),
    );
    this.listen();
  }

  async attend(button) {
    button.disabled = true;
    try {
      const contact = (await gql(NEXT_PENDING)).nextPending;
      if (!contact) this.shell.notify(R.nothingPending);
      else location.hash = await pendingPlace(contact);
    } catch (error) {
      this.shell.failed(error);
    } finally {
      button.disabled = false;
    }
  }

  notification(notification) {
    const about = notification.deal
      ? h("a", { href: recordHash("deal", notification.deal.id) }, notification.deal.title)
      : notification.contact
        ? h("a", { href: recordHash("contact", notification.contact.id) }, notification.contact.name)
        : null;
    const item = h(
      "li",
      { class: notification.readAt ? "notification" : "notification unread", dataset: { notificationId: notification.id } },
      h("p", { class: "notification-message" }, notification.message),
      h("span", { class: "row-meta" }, h("time", { datetime: notification.createdAt }, dateTime(notification.createdAt, this.zone)), about ? " · " : null, about),
    );
    if (!notification.readAt) {
      const read = h("button", { type: "button", class: "link" }, R.markRead);
      read.addEventListener("click", async () => {
        read.disabled = true;
        try {
          const payload = (await gql(MARK_READ, { id: notification.id })).markNotificationRead;
          if (payload.userErrors.length) {
            read.disabled = false;
            return this.shell.notify(payload.userErrors.map((e) => e.message).join(" "));
          }
          item.classList.remove("unread");
          read.remove();
        } catch (error) {
          read.disabled = false;
          this.shell.failed(error);
        }
      });
      item.append(read);
    }
    return item;
  }

  listen() {
    if (this.live) this.live.stop();
    this.live = new LiveSubscription({
      url: websocketUrl(),
      connectionParams: () => session.connectionParams(),
      query: NOTIFICATIONS_LIVE,
      variables: () => ({}),
      onStatus: this.shell.setStatus,
      onData: (data) => {
        const notification = data.notifications;
        if (this.notificationList.querySelector(`[data-notification-id="${CSS.escape(notification.id)}"]`)) return;
        this.notificationList.prepend(this.notification(notification));
        this.noNotifications.hidden = true;
      },
      onFailure: (reason, errors) => {
        if (reason === "rejected") this.shell.rejected();
        else this.shell.notify((errors && errors[0] && errors[0].message) || T.unexpected);
      },
    });
    this.live.start();
  }
}
