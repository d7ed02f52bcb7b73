// The inbox's words in pt-BR and English (i18n.js), and how it writes times (in the workspace's
// zone) and the userErrors the API answers with.

import { dayKey, knownZone } from "./clock.js";
import { LOCALE } from "./labels.js";
import { labels } from "./i18n.js";

const TI_PT = {
  conversations: "Conversas",
  filters: "Filtros",
  mine: "Minhas",
  unassigned: "Sem responsável",
  everyone: "Todas",
  assignment: "Responsável",
  status: "Situação",
  anyStatus: "Todas as situações",
  sla: "SLA",
  anySla: "Qualquer SLA",
  inbox: "Caixa de entrada",
  anyInbox: "Todas as caixas",
  search: "Buscar",
  searchHint: "Nome, telefone, e-mail ou #número",
  loadMore: "Carregar mais",
  exportCsv: "Exportar CSV",
  exportCsvHint: "Baixar as conversas deste filtro como planilha",
  exportFailed: "Não foi possível exportar as conversas.",
  loadOlder: "Carregar mensagens anteriores",
  actions: "Ações",
  noConversations: "Nenhuma conversa aqui.",
  pickConversation: "Escolha uma conversa para ver as mensagens.",
  messages: "Mensagens",
  back: "Voltar",
  waiting: (since) => `aguardando há ${since}`,
  assignToMe: "Atribuir a mim",
  transfer: "Transferir",
  resolve: "Resolver",
  reopen: "Reabrir",
  handOff: "Passar para atendente",
  handOffReason: "Assumido por um atendente no lugar do bot",
  bot: "Bot",
  snooze: "Adiar",
  snoozeTo: "Adiar…",
  snoozedUntil: (when) => `Adiada até ${when}`,
  priority: "Prioridade",
  reply: "Resposta",
  replyPlaceholder: "Escreva uma resposta… (/ para respostas prontas)",
  notePlaceholder: "Nota interna: só a equipe vê… (/ para respostas prontas)",
  note: "Nota interna",
  send: "Enviar",
  sending: "Enviando…",
  addNote: "Adicionar nota",
  cannedResponses: "Respostas prontas",
  noCanned: "Nenhuma resposta pronta encontrada.",
  templates: "Modelos",
  windowClosed: (hours) => `A janela de ${hours || 24} h está fechada: envie um modelo aprovado`,
  template: "Modelo",
  chooseTemplate: "Escolha um modelo…",
  noTemplates: "Nenhum modelo aprovado nesta caixa de entrada.",
  variable: (n) => `Variável {{${n}}}`,
  sendTemplate: "Enviar modelo",
  templateSent: (name) => `Modelo: ${name}`,
  sendFailed: (error) => `Não entregue: ${error}`,
  transferTitle: "Transferir conversa",
  toPerson: "Para uma pessoa",
  toQueue: "Para uma fila",
  person: "Pessoa",
  queue: "Fila",
  reason: "Motivo",
  cancel: "Cancelar",
  online: "online",
  gone: "Esta conversa saiu da sua lista: foi transferida ou você não tem mais acesso a ela.",
  notFound: "Esta conversa não existe ou você não pode vê-la.",
  you: "Você",
  contact: "Contato",
  noAssignee: "Sem responsável",
  unsentDraft: "A mensagem não foi enviada. Tente de novo: ela não será duplicada.",
  privateNote: "Nota interna",
  yesterday: "ontem",
  underAMinute: "menos de 1 min",
  unexpected: "Algo deu errado. Tente de novo.",
};

const TI_EN = {
  conversations: "Conversations",
  filters: "Filters",
  mine: "Mine",
  unassigned: "Unassigned",
  everyone: "All",
  assignment: "Assignee",
  status: "Status",
  anyStatus: "Any status",
  sla: "SLA",
  anySla: "Any SLA",
  inbox: "Inbox",
  anyInbox: "All inboxes",
  search: "Search",
  searchHint: "Name, phone, e-mail or #number",
  loadMore: "Load more",
  exportCsv: "Export CSV",
  exportCsvHint: "Download this filter's conversations as a spreadsheet",
  exportFailed: "The conversations could not be exported.",
  loadOlder: "Load earlier messages",
  actions: "Actions",
  noConversations: "No conversations here.",
  pickConversation: "Pick a conversation to see its messages.",
  messages: "Messages",
  back: "Back",
  waiting: (since) => `waiting for ${since}`,
  assignToMe: "Assign to me",
  transfer: "Transfer",
  resolve: "Resolve",
  reopen: "Reopen",
  handOff: "Hand over to an agent",
  handOffReason: "Taken over by an agent instead of the bot",
  bot: "Bot",
  snooze: "Snooze",
  snoozeTo: "Snooze…",
  snoozedUntil: (when) => `Snoozed until ${when}`,
  priority: "Priority",
  reply: "Reply",
  replyPlaceholder: "Write a reply… (/ for canned responses)",
  notePlaceholder: "Internal note: only the team sees it… (/ for canned responses)",
  note: "Internal note",
  send: "Send",
  sending: "Sending…",
  addNote: "Add note",
  cannedResponses: "Canned responses",
  noCanned: "No canned response found.",
  templates: "Templates",
  windowClosed: (hours) => `The ${hours || 24} h window is closed: send an approved template`,
  template: "Template",
  chooseTemplate: "Choose a template…",
  noTemplates: "No approved template in this inbox.",
  variable: (n) => `Variable {{${n}}}`,
  sendTemplate: "Send template",
  templateSent: (name) => `Template: ${name}`,
  sendFailed: (error) => `Not delivered: ${error}`,
  transferTitle: "Transfer conversation",
  toPerson: "To a person",
  toQueue: "To a queue",
  person: "Person",
  queue: "Queue",
  reason: "Reason",
  cancel: "Cancel",
  online: "online",
  gone: "This conversation left your list: it was transferred or you no longer have access to it.",
  notFound: "This conversation does not exist or you cannot see it.",
  you: "You",
  contact: "Contact",
  noAssignee: "Unassigned",
  unsentDraft: "The message was not sent. Try again: it will not be duplicated.",
  privateNote: "Internal note",
  yesterday: "yesterday",
  underAMinute: "under 1 min",
  unexpected: "Something went wrong. Try again.",
};

export const TI = labels("inbox-labels.TI", { "pt-BR": TI_PT, en: TI_EN });

const STATUS_PT = { OPEN: "Aberta", PENDING: "Pendente", SNOOZED: "Adiada", RESOLVED: "Resolvida" };

const STATUS_EN = { OPEN: "Open", PENDING: "Pending", SNOOZED: "Snoozed", RESOLVED: "Resolved" };

export const STATUS = labels("inbox-labels.STATUS", { "pt-BR": STATUS_PT, en: STATUS_EN });
const STATUS_FILTERS_PT = { OPEN: "Abertas", PENDING: "Pendentes", SNOOZED: "Adiadas", RESOLVED: "Resolvidas" };

const STATUS_FILTERS_EN = { OPEN: "Open", PENDING: "Pending", SNOOZED: "Snoozed", RESOLVED: "Resolved" };

export const STATUS_FILTERS = labels("inbox-labels.STATUS_FILTERS", { "pt-BR": STATUS_FILTERS_PT, en: STATUS_FILTERS_EN });
const PRIORITY_PT = { LOW: "Baixa", MEDIUM: "Média", HIGH: "Alta", URGENT: "Urgente" };

const PRIORITY_EN = { LOW: "Low", MEDIUM: "Medium", HIGH: "High", URGENT: "Urgent" };

export const PRIORITY = labels("inbox-labels.PRIORITY", { "pt-BR": PRIORITY_PT, en: PRIORITY_EN });
const SLA_PT = {
  ON_TRACK: "No prazo",
  WARNING: "SLA em alerta",
  BREACHED: "SLA estourado",
  MET: "SLA cumprido",
  PAUSED: "SLA pausado",
};

const SLA_EN = {
  ON_TRACK: "On track",
  WARNING: "SLA warning",
  BREACHED: "SLA breached",
  MET: "SLA met",
  PAUSED: "SLA paused",
};

export const SLA = labels("inbox-labels.SLA", { "pt-BR": SLA_PT, en: SLA_EN });
const DELIVERY_PT = {
  RECEIVED: "recebida",
  QUEUED: "na fila",
  SENT: "enviada",
  DELIVERED: "entregue",
  READ: "lida",
  FAILED: "falhou",
};

const DELIVERY_EN = {
  RECEIVED: "received",
  QUEUED: "queued",
  SENT: "sent",
  DELIVERED: "delivered",
  READ: "read",
  FAILED: "failed",
};

export const DELIVERY = labels("inbox-labels.DELIVERY", { "pt-BR": DELIVERY_PT, en: DELIVERY_EN });
const CHANNEL_PT = {
  WHATSAPP: "WhatsApp",
  INSTAGRAM: "Instagram",
  WEBCHAT: "Chat do site",
  EMAIL: "E-mail",
  SMS: "SMS",
  API: "API",
};

const CHANNEL_EN = {
  WHATSAPP: "WhatsApp",
  INSTAGRAM: "Instagram",
  WEBCHAT: "Website chat",
  EMAIL: "E-mail",
  SMS: "SMS",
  API: "API",
};

export const CHANNEL = labels("inbox-labels.CHANNEL", { "pt-BR": CHANNEL_PT, en: CHANNEL_EN });
const SNOOZE_PT = {
  hour: "Por 1 hora",
  threeHours: "Por 3 horas",
  tomorrow: "Amanhã às 9h",
  monday: "Segunda-feira às 9h",
};

const SNOOZE_EN = {
  hour: "For 1 hour",
  threeHours: "For 3 hours",
  tomorrow: "Tomorrow at 9 am",
  monday: "Monday at 9 am",
};

export const SNOOZE = labels("inbox-labels.SNOOZE", { "pt-BR": SNOOZE_PT, en: SNOOZE_EN });

// -- userErrors -------------------------------------------------------

const ERRORS_PT = {
  WINDOW_CLOSED: "A janela de 24 h está fechada: envie um modelo aprovado.",
  NO_CONSENT: "O contato pediu para não receber mensagens por este canal.",
  INVALID: "Não foi possível: confira os dados informados.",
  DUPLICATE: "Já existe uma conversa aberta com este contato nesta caixa de entrada.",
  RULE_VIOLATION: "Uma regra impediu esta ação.",
  VERSION_CONFLICT: "Alterado por outra pessoa enquanto isso. Tente de novo.",
  LIMIT_EXCEEDED: "Limite excedido: encurte o texto ou tente mais tarde.",
  FORBIDDEN: "Você não tem permissão para fazer isso.",
  REQUIRED_FIELD_MISSING: "Preencha os campos obrigatórios.",
};

const ERRORS_EN = {
  WINDOW_CLOSED: "The 24 h window is closed: send an approved template.",
  NO_CONSENT: "The contact asked not to get messages on this channel.",
  INVALID: "That did not work: check what you entered.",
  DUPLICATE: "There is already an open conversation with this contact in this inbox.",
  RULE_VIOLATION: "A rule prevented this action.",
  VERSION_CONFLICT: "Someone else changed it meanwhile. Try again.",
  LIMIT_EXCEEDED: "Limit exceeded: shorten the text or try later.",
  FORBIDDEN: "You are not allowed to do this.",
  REQUIRED_FIELD_MISSING: "Fill in the required fields.",
};

const ERRORS = labels("inbox-labels.ERRORS", { "pt-BR": ERRORS_PT, en: ERRORS_EN });
const NOT_FOUND_PT = {
  userId: "Esta pessoa não existe mais ou não está ativa.",
  queueId: "Esta fila não existe mais.",
  templateName: "Este modelo não existe nesta caixa de entrada.",
  dealId: "Este negócio não existe ou você não pode vê-lo.",
};

const NOT_FOUND_EN = {
  userId: "This person no longer exists or is not active.",
  queueId: "This queue no longer exists.",
  templateName: "This template does not exist in this inbox.",
  dealId: "This deal does not exist or you cannot see it.",
};

const NOT_FOUND = labels("inbox-labels.NOT_FOUND", { "pt-BR": NOT_FOUND_PT, en: NOT_FOUND_EN });

/** A userError in the app's language: {message, detail} (detail: the server's words). */
export function userErrorText(error) {
  const field = Array.isArray(error.field) && error.field.length ? error.field[error.field.length - 1] : null;
  let message = ERRORS[error.code];
  if (error.code === "NOT_FOUND") message = NOT_FOUND[field] || TI.notFound;
  return { message: message || TI.unexpected, detail: error.message || null };
}

// -- times ----------------------------------------------------------------

const formats = new Map();

function format(zone, options) {
  const key = `${zone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) formats.set(key, new Intl.DateTimeFormat(LOCALE, { timeZone: zone, ...options }));
  return formats.get(key);
}

const HOUR = { hour: "2-digit", minute: "2-digit" };
const DAY = { day: "2-digit", month: "2-digit" };
const FULL_DAY = { day: "2-digit", month: "2-digit", year: "numeric" };

function asDate(value) {
  return value instanceof Date ? value : new Date(value);
}

/** In a list: "14:05" today, "ontem", "12/03" this year, "12/03/2024" before. */
export function listTime(value, zone, now = new Date()) {
  if (!value) return "";
  const date = asDate(value);
  const z = knownZone(zone);
  const day = dayKey(date, z);
  if (day === dayKey(now, z)) return format(z, HOUR).format(date);
  if (day === dayKey(new Date(now.getTime() - 86400000), z)) return TI.yesterday;
  const sameYear = day.slice(0, 4) === dayKey(now, z).slice(0, 4);
  return format(z, sameYear ? DAY : FULL_DAY).format(date);
}

/** On a message: "14:05" today, else "12/03/2025 14:05". */
export function messageTime(value, zone, now = new Date()) {
  const date = asDate(value);
  const z = knownZone(zone);
  const time = format(z, HOUR).format(date);
  if (dayKey(date, z) === dayKey(now, z)) return time;
  return `${format(z, FULL_DAY).format(date)} ${time}`;
}

/** "12/03/2025 14:05" (titles, snooze ends, SLA deadlines). */
export function fullTime(value, zone) {
  const date = asDate(value);
  const z = knownZone(zone);
  return `${format(z, FULL_DAY).format(date)} ${format(z, HOUR).format(date)}`;
}

/** "agora", "5 min", "2 h", "3 d": how long since `value`. */
export function elapsed(value, now = new Date()) {
  const minutes = Math.max(0, Math.floor((now.getTime() - asDate(value).getTime()) / 60000));
  if (minutes < 1) return TI.underAMinute;
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}
