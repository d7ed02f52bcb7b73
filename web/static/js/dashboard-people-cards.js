// The dashboard's cards about people's work, from one poll's data: the
// distribution per roleta and corretor (distributionReport) and the
// activities per user (activityReport). Neither report takes a corretor
// (nor distributionReport a team): with those filters the screen passes the
// ids of the people they select, and only their rows are shown. Pure: no DOM.

import { bars, col } from "./dashboard-columns.js";
import { TD } from "./dashboard-labels.js";

/** The rows of the selected people (`people`: their ids, or null for everyone the caller sees). */
export const ofPeople = (rows, people, personOf) => (people ? rows.filter((row) => people.includes(personOf(row).id)) : rows);

/** Distribuição por roleta: per queue and member, assigned, worked and the median time to first contact. */
export function distributionCard(report, people) {
  const rows = ofPeople(report, people, (r) => r.member).map((r) => ({
    queue: r.queue.name,
    member: r.member.name,
    assigned: r.assigned,
    worked: r.worked,
    median: r.firstContact.medianSeconds,
  }));
  return {
    id: "distribution",
    title: TD.distribution,
    file: "distribuicao-por-roleta",
    columns: [
      col("queue", TD.queue),
      col("member", TD.owner),
      col("assigned", TD.assigned, "int"),
      col("worked", TD.worked, "int"),
      col("median", TD.firstContactMedian, "seconds"),
    ],
    rows,
    chart: bars(rows.map((r) => `${r.member} · ${r.queue}`), rows.map((r) => r.assigned), "int"),
  };
}

/** Atividades por usuário: notes, tasks completed, deal moves, messages sent; the chart their sum. */
export function activityCard(report, people) {
  const rows = ofPeople(report, people, (r) => r.user).map((r) => ({
    user: r.user.name,
    notes: r.notes,
    tasksCompleted: r.tasksCompleted,
    dealMoves: r.dealMoves,
    messagesSent: r.messagesSent,
  }));
  return {
    id: "activity",
    title: TD.activity,
    file: "atividades-por-usuario",
    columns: [
      col("user", TD.user),
      col("notes", TD.notes, "int"),
      col("tasksCompleted", TD.tasksCompleted, "int"),
      col("dealMoves", TD.dealMoves, "int"),
      col("messagesSent", TD.messagesSent, "int"),
    ],
    rows,
    chart: bars(rows.map((r) => r.user), rows.map((r) => r.notes + r.tasksCompleted + r.dealMoves + r.messagesSent), "int"),
  };
}
