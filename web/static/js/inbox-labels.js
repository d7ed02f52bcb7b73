// The inbox's words in pt-BR, and how it writes times (in the workspace's
// zone) and the userErrors the API answers with.

import { dayKey, knownZone } from "./clock.js";
import { LOCALE } from "./labels.js";

export const TI = {
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
};

export const STATUS = { OPEN: "Aberta", PENDING: "Pendente", SNOOZED: "Adiada", RESOLVED: "Resolvida" };
export const STATUS_FILTERS = { OPEN: "Abertas", PENDING: "Pendentes", SNOOZED: "Adiadas", RESOLVED: "Resolvidas" };
export const PRIORITY = { LOW: "Baixa", MEDIUM: "Média", HIGH: "Alta", URGENT: "Urgente" };
export const SLA = {
  ON_TRACK: "No prazo",
  WARNING: "SLA em alerta",
  BREACHED: "SLA estourado",
  MET: "SLA cumprido",
  PAUSED: "SLA pausado",
};
export const DELIVERY = {
  RECEIVED: "recebida",
  QUEUED: "na fila",
  SENT: "enviada",
  DELIVERED: "entregue",
  READ: "lida",
  FAILED: "falhou",
};
export const CHANNEL = {
  WHATSAPP: "WhatsApp",
  INSTAGRAM: "Instagram",
  WEBCHAT: "Chat do site",
  EMAIL: "E-mail",
  SMS: "SMS",
  API: "API",
};
export const SNOOZE = {
  hour: "Por 1 hora",
  threeHours: "Por 3 horas",
  tomorrow: "Amanhã às 9h",
  monday: "Segunda-feira às 9h",
};

// -- userErrors -------------------------------------------------------

const ERRORS = {
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
const NOT_FOUND = {
  userId: "Esta pessoa não existe mais ou não está ativa.",
  queueId: "Esta fila não existe mais.",
  templateName: "Este modelo não existe nesta caixa de entrada.",
  dealId: "Este negócio não existe ou você não pode vê-lo.",
};

/** A userError in pt-BR: {message, detail} (detail: the server's words). */
export function userErrorText(error) {
  const field = Array.isArray(error.field) && error.field.length ? error.field[error.field.length - 1] : null;
  let message = ERRORS[error.code];
  if (error.code === "NOT_FOUND") message = NOT_FOUND[field] || TI.notFound;
  return { message: message || "Algo deu errado. Tente de novo.", detail: error.message || null };
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
  if (day === dayKey(new Date(now.getTime() - 86400000), z)) return "ontem";
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
  if (minutes < 1) return "menos de 1 min";
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h`;
  return `${Math.floor(hours / 24)} d`;
}
