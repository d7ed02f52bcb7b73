// pt-BR text of sign-up, invitations, first steps and settings.

export const S = {
  createAccount: "Criar conta",
  haveAccount: "Já tenho conta",
  noAccount: "Ainda não tem conta?",
  workspaceName: "Nome da empresa",
  yourName: "Seu nome",
  name: "Nome",
  email: "E-mail",
  password: "Senha (mínimo 8 caracteres)",
  creating: "Criando…",
  saving: "Salvando…",
  role: "Papel",
  roles: { ADMIN: "Administrador", MANAGER: "Gestor", AGENT: "Corretor" },
  team: "Equipe",
  noTeam: "Sem equipe",
  invite: "Convidar",
  inviteTitle: "Convidar pessoas",
  inviteHelp: "Gere um link de convite e envie por WhatsApp ou e-mail. O link vale por 7 dias e funciona uma vez.",
  inviteLink: "Link de convite",
  copy: "Copiar",
  copied: "Link copiado.",
  acceptTitle: (workspace) => `Convite para ${workspace}`,
  acceptHelp: (email, role) => `Você entrará como ${role}, com o e-mail ${email}.`,
  accept: "Aceitar convite e entrar",
  invitationStatus: {
    PENDING: "Pendente",
    ACCEPTED: "Aceito",
    REVOKED: "Revogado",
    EXPIRED: "Expirado",
  },
  invitationRefused: {
    UNKNOWN: "Este link de convite é inválido. Peça um novo link a um administrador.",
    ACCEPTED: "Este convite já foi usado. Entre com o e-mail e a senha cadastrados.",
    REVOKED: "Este convite foi revogado. Peça um novo link a um administrador.",
    EXPIRED: "Este convite expirou. Peça um novo link a um administrador.",
  },
  goToLogin: "Ir para o login",
  revoke: "Revogar",
  manager: "Gestor",
  noManager: "Sem gestor",
  parentTeam: "Equipe acima",
  noParent: "Nenhuma",
  teams: "Equipes",
  editTeam: (name) => `Editar equipe ${name}`,
  editTeamButton: (name) => `Editar ${name}`,
  edit: "Editar",
  save: "Salvar",
  cancel: "Cancelar",
  teamSaved: (name) => `Equipe “${name}” salva.`,
  invitedBy: "Convidado por",
  managerInviteHelp: "Convide corretores para as suas equipes. O link vale por 7 dias e funciona uma vez.",
  firstSteps: "Primeiros passos",
  firstStepsHelp: "Configure o básico para a equipe começar a trabalhar.",
  stepPipeline: "1. Funil de vendas",
  stepPipelineHelp: "Comece pelo funil de pré-vendas de imobiliária: novo lead, contato, visita, proposta.",
  usePipeline: (name) => `Criar o funil “${name}”`,
  pipelineReady: (name) => `Funil “${name}” criado.`,
  havePipelines: (names) => `Funis da empresa: ${names}.`,
  stepQueue: "2. Roleta de leads",
  stepQueueHelp: "A roleta distribui os leads novos entre as pessoas, na vez de cada uma.",
  queueName: "Nome da roleta",
  queueDefault: "Roleta principal",
  queueMembers: "Quem participa",
  createQueue: "Criar roleta",
  queueReady: (name) => `Roleta “${name}” criada.`,
  noMembers: "Escolha ao menos uma pessoa.",
  stepInvite: "3. Convidar a equipe",
  done: "Ir para o quadro",
  settings: "Configurações",
  networkError: "Não foi possível falar com o servidor. Verifique a conexão e tente de novo.",
  unexpected: "Algo deu errado. Tente de novo em instantes.",
};

/** A userError in pt-BR: known cases by code and field, else the server's message. */
export function explain(problem) {
  const field = (problem.field || []).join(".");
  if (problem.code === "LIMIT_EXCEEDED") return "Muitas tentativas. Aguarde alguns minutos e tente de novo.";
  if (problem.code === "DUPLICATE" && /email|token/.test(field)) return problem.message || "Já existe um usuário com este e-mail.";
  if (problem.code === "INVALID" && field === "input.password")
    return "A senha precisa ter de 8 a 256 caracteres.";
  if (problem.code === "INVALID" && field === "input.email") return "Informe um e-mail válido.";
  if (problem.code === "INVALID" && /name/i.test(field)) return "Preencha este campo.";
  if (problem.code === "FORBIDDEN") return problem.message || "Você não tem permissão para isso.";
  return problem.message || S.unexpected;
}
