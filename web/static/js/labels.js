// Portuguese (pt-BR) is the default language of the app; every visible
// string of the shell and the board lives here, the inbox's in
// inbox-labels.js, so a translation touches two files.

export const LOCALE = "pt-BR";

export const T = {
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

// Labels of the deal fields a stage can require (Stage.requiredFields).
export const FIELD_LABELS = {
  title: "Título",
  value: "Valor",
  currency: "Moeda",
  expectedCloseDate: "Previsão de fechamento",
  company: "Empresa",
  contact: "Contato",
  owner: "Responsável",
  lostReason: T.lostReason,
};

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
