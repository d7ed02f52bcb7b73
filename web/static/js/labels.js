// Portuguese (pt-BR) is the default language of the app, English the
// second (chosen by i18n.js); every visible string of the shell and the
// board lives here, the inbox's in inbox-labels.js, the record pages' in
// record-labels.js, the dashboard's in dashboard-labels.js, sign-up's and
// settings' in setup-labels.js. Numbers, money and dates keep the pt-BR
// formats (LOCALE) in both languages: the product's money is the real.

import { labels } from "./i18n.js";

export const LOCALE = "pt-BR";

const T_PT = {
  appName: "RevGraph",
  email: "E-mail",
  password: "Senha",
  logIn: "Entrar",
  logOut: "Sair",
  logOutEverywhere: "Sair de todos os dispositivos",
  loggedOutElsewhere: "Você saiu em outra aba.",
  loggedOutEverywhere: "Você saiu de todos os dispositivos.",
  userMenu: "Menu do usuário",
  loggingIn: "Entrando…",
  screens: "Telas",
  board: "Quadro",
  inbox: "Conversas",
  dashboard: "Painel",
  pipeline: "Funil",
  deals: "Negócios",
  noPipelines: "Nenhum funil neste workspace ainda.",
  loading: "Carregando…",
  moveTo: "Mover para…",
  moveToStage: (name) => `Mover para ${name}`,
  cancel: "Cancelar",
  requiredFields: "Campos obrigatórios",
  requiredFieldsHint: (stage) => `Para entrar em “${stage}”, preencha:`,
  saveAndMove: "Salvar e mover",
  lostReason: "Motivo da perda",
  scheduledTask: "Tarefa agendada obrigatória",
  scheduledTaskHint: (stage) => `Para entrar em “${stage}”, agende uma tarefa para este negócio:`,
  taskTitle: "Título da tarefa",
  taskTitleFor: (stage) => `Agendar: ${stage}`,
  taskDue: "Data e hora (horário de Brasília)",
  taskAssignee: "Responsável",
  me: (name) => `Eu (${name})`,
  createTaskAndMove: "Criar tarefa e mover",
  taskCreated: (title) => `Tarefa “${title}” criada.`,
  noOwner: "Sem responsável",
  noContact: "Sem contato",
  noValue: "Sem valor",
  choose: "Escolha…",
  live: "ao vivo",
  connecting: "conectando…",
  reconnecting: "reconectando…",
  versionConflict: "Este negócio foi alterado por outra pessoa. O cartão foi recarregado; tente de novo.",
  notFound: "Este negócio não existe mais ou você não pode vê-lo.",
  offline: "Sem conexão com o servidor. Verifique a internet e tente de novo.",
  tryAgain: "Tentar de novo",
  sessionExpired: "Sua sessão expirou. Entre novamente.",
  unexpected: "Algo deu errado. Tente de novo.",
  dealCount: (n) => (n === 1 ? "1 negócio" : `${n} negócios`),
  movedBy: (who, title, stage) => `${who} moveu “${title}” para ${stage}`,
};

const T_EN = {
  appName: "RevGraph",
  email: "E-mail",
  password: "Password",
  logIn: "Log in",
  logOut: "Log out",
  logOutEverywhere: "Log out of every device",
  loggedOutElsewhere: "You logged out in another tab.",
  loggedOutEverywhere: "You logged out of every device.",
  userMenu: "User menu",
  loggingIn: "Logging in…",
  screens: "Screens",
  board: "Board",
  inbox: "Conversations",
  dashboard: "Dashboard",
  pipeline: "Pipeline",
  deals: "Deals",
  noPipelines: "No pipeline in this workspace yet.",
  loading: "Loading…",
  moveTo: "Move to…",
  moveToStage: (name) => `Move to ${name}`,
  cancel: "Cancel",
  requiredFields: "Required fields",
  requiredFieldsHint: (stage) => `To enter “${stage}”, fill in:`,
  saveAndMove: "Save and move",
  lostReason: "Reason for losing",
  scheduledTask: "Scheduled task required",
  scheduledTaskHint: (stage) => `To enter “${stage}”, schedule a task for this deal:`,
  taskTitle: "Task title",
  taskTitleFor: (stage) => `Schedule: ${stage}`,
  taskDue: "Date and time (Brasília time)",
  taskAssignee: "Assignee",
  me: (name) => `Me (${name})`,
  createTaskAndMove: "Create task and move",
  taskCreated: (title) => `Task “${title}” created.`,
  noOwner: "No owner",
  noContact: "No contact",
  noValue: "No value",
  choose: "Choose…",
  live: "live",
  connecting: "connecting…",
  reconnecting: "reconnecting…",
  versionConflict: "Someone else changed this deal. The card was reloaded; try again.",
  notFound: "This deal no longer exists or you cannot see it.",
  offline: "No connection to the server. Check the internet and try again.",
  tryAgain: "Try again",
  sessionExpired: "Your session expired. Log in again.",
  unexpected: "Something went wrong. Try again.",
  dealCount: (n) => (n === 1 ? "1 deal" : `${n} deals`),
  movedBy: (who, title, stage) => `${who} moved “${title}” to ${stage}`,
};

export const T = labels("labels.T", { "pt-BR": T_PT, en: T_EN });

// Labels of the deal fields a stage can require (Stage.requiredFields).
const FIELD_LABELS_PT = {
  title: "Título",
  value: "Valor",
  currency: "Moeda",
  expectedCloseDate: "Previsão de fechamento",
  company: "Empresa",
  contact: "Contato",
  owner: "Responsável",
  lostReason: T.lostReason,
};

const FIELD_LABELS_EN = {
  title: "Title",
  value: "Value",
  currency: "Currency",
  expectedCloseDate: "Expected close date",
  company: "Company",
  contact: "Contact",
  owner: "Owner",
  lostReason: "Reason for losing",
};

export const FIELD_LABELS = labels("labels.FIELD_LABELS", { "pt-BR": FIELD_LABELS_PT, en: FIELD_LABELS_EN });

export function fieldLabel(field) {
  if (field.startsWith("customFields.")) return field.slice("customFields.".length);
  return FIELD_LABELS[field] || field;
}

const moneyFormats = new Map();

// Decimal values travel as strings ("1250000.00"); Intl formats a Number,
// which is exact for any amount a board shows (< 2^53 cents).
export function money(amount, currency) {
  const code = currency || "BRL";
  if (!moneyFormats.has(code)) {
    let format;
    try {
      format = new Intl.NumberFormat(LOCALE, { style: "currency", currency: code });
    } catch {
      format = new Intl.NumberFormat(LOCALE, { style: "currency", currency: "BRL" });
    }
    moneyFormats.set(code, format);
  }
  return moneyFormats.get(code).format(Number(amount || 0));
}
