"""The vocabulary of the demo workspace (web/demo.py): a real-estate
pre-sales operation in São Paulo. Names are made up; e-mail domains are the
reserved `.example`/`example.*` ones (RFC 2606), so nothing the demo holds
can ever reach a real inbox."""

from __future__ import annotations

from typing import NamedTuple

WORKSPACE_NAME = "Imobiliária Horizonte"


class Person(NamedTuple):
    name: str
    email: str


class TeamSpec(NamedTuple):
    name: str
    parent: str | None
    manager_email: str | None


MANAGERS = [
    Person("Ricardo Almeida", "ricardo.almeida@horizonte.example"),
    Person("Fernanda Ribeiro", "fernanda.ribeiro@horizonte.example"),
]

# Parents first: the loader creates them in this order.
TEAMS = [
    TeamSpec("Comercial", None, "ricardo.almeida@horizonte.example"),
    TeamSpec("Pré-vendas Zona Sul", "Comercial", "fernanda.ribeiro@horizonte.example"),
    TeamSpec("Pré-vendas Zona Oeste", "Comercial", None),
    TeamSpec("Corretores Alto Padrão", "Comercial", None),
]

AGENTS = [
    ("Pré-vendas Zona Sul", Person("Beatriz Santos", "beatriz.santos@horizonte.example")),
    ("Pré-vendas Zona Sul", Person("Lucas Oliveira", "lucas.oliveira@horizonte.example")),
    ("Pré-vendas Zona Oeste", Person("Camila Ferreira", "camila.ferreira@horizonte.example")),
    ("Pré-vendas Zona Oeste", Person("Gabriel Souza", "gabriel.souza@horizonte.example")),
    ("Corretores Alto Padrão", Person("Juliana Martins", "juliana.martins@horizonte.example")),
    ("Corretores Alto Padrão", Person("Rafael Lima", "rafael.lima@horizonte.example")),
]

# Construtoras, incorporadoras and partner imobiliárias.
COMPANIES = [
    ("Construtora Vale Verde", "valeverde.example"),
    ("Incorporadora Horizonte Azul", "horizonteazul.example"),
    ("Construtora Pedra Branca", "pedrabranca.example"),
    ("Tenda Alta Engenharia", "tendaalta.example"),
    ("Morada Nobre Incorporações", "moradanobre.example"),
    ("Imobiliária Jardins", "imobjardins.example"),
    ("Imobiliária Litoral Paulista", "litoralpaulista.example"),
    ("Lopes & Prado Consultoria Imobiliária", "lopesprado.example"),
    ("Grupo Solaris Empreendimentos", "solaris.example"),
    ("Construtora Ipê Amarelo", "ipeamarelo.example"),
    ("Vila Nova Incorporadora", "vilanova.example"),
    ("Casa Paulista Imóveis", "casapaulista.example"),
]

FIRST_NAMES = [
    "Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela",
    "João", "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Renato", "Sabrina", "Thiago",
    "Vanessa", "Wagner", "Aline", "Caio", "Débora", "Fábio", "Giovana", "Igor", "Jéssica",
    "Leonardo", "Mariana", "Nicolas", "Patrícia", "Rodrigo", "Simone", "Tatiane", "Vinícius",
    "Adriana", "Cláudio", "Elaine", "Gustavo", "Helena", "Luana", "Maurício", "Priscila",
    "Sérgio", "Yasmin", "Antônio", "Francisca", "José", "Maria", "Raimundo",
]  # fmt: skip

LAST_NAMES = [
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Almeida", "Lopes", "Soares", "Fernandes",
    "Vieira", "Barbosa", "Rocha", "Dias", "Nascimento", "Andrade", "Moreira", "Nunes", "Marques",
    "Machado", "Mendes", "Freitas", "Cardoso", "Ramos", "Gonçalves", "Santana", "Teixeira",
    "Araújo", "Cavalcanti", "Monteiro", "Moura", "Correia",
]  # fmt: skip

# São Paulo capital and the metro area; every number is a valid mobile.
AREA_CODES = [11] * 8 + [13, 19]

EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]

# Where leads come from, weighted by how often they do.
SOURCES = [
    ("portal", 30),
    ("whatsapp", 25),
    ("instagram", 15),
    ("form", 12),
    ("site", 8),
    ("indicação", 6),
    ("plantão", 4),
]

LIFECYCLE = [("LEAD", 55), ("MQL", 18), ("SQL", 12), ("OPPORTUNITY", 8), ("CUSTOMER", 4), ("DISQUALIFIED", 3)]

PROPERTY_TAGS = ["apartamento", "casa", "studio", "cobertura", "terreno"]
ROOM_TAGS = ["1 quarto", "2 quartos", "3 quartos", "4 quartos"]
REGION_TAGS = ["zona sul", "zona oeste", "zona norte", "zona leste", "centro", "litoral"]
PAYMENT_TAGS = ["financiamento", "à vista", "FGTS", "consórcio", "permuta"]
PROFILE_TAGS = ["primeiro imóvel", "investidor", "alto padrão", "lançamento", "urgente", "pet friendly"]

NEIGHBOURHOODS = {
    "zona sul": ["Moema", "Vila Mariana", "Saúde", "Campo Belo", "Brooklin"],
    "zona oeste": ["Pinheiros", "Perdizes", "Lapa", "Butantã", "Vila Madalena"],
    "zona norte": ["Santana", "Tucuruvi", "Casa Verde"],
    "zona leste": ["Tatuapé", "Mooca", "Anália Franco"],
    "centro": ["Consolação", "Bela Vista", "República"],
    "litoral": ["Guarujá", "Santos", "Riviera de São Lourenço"],
}

DEVELOPMENTS = [
    "Residencial Jardim das Flores",
    "Edifício Mirante Sul",
    "Vila Pinheiros Studios",
    "Parque Horizonte",
    "Reserva Ipê",
    "Solaris Tatuapé",
    "Mar Azul Guarujá",
]


class DevelopmentSpec(NamedTuple):
    developer: str
    status: str
    neighborhood: str
    zone: str | None
    city: str
    price_min: str
    price_max: str
    typologies: list[str]


# Each of DEVELOPMENTS as the admin registered it (prices in BRL).
DEVELOPMENT_SPECS = {
    "Residencial Jardim das Flores": DevelopmentSpec(
        "Construtora Vale Verde", "UNDER_CONSTRUCTION", "Saúde", "Zona Sul", "São Paulo",
        "420000", "690000", ["2 quartos", "3 quartos"],
    ),
    "Edifício Mirante Sul": DevelopmentSpec(
        "Incorporadora Horizonte Azul", "LAUNCH", "Campo Belo", "Zona Sul", "São Paulo",
        "780000", "1450000", ["3 quartos", "cobertura"],
    ),
    "Vila Pinheiros Studios": DevelopmentSpec(
        "Tenda Alta Engenharia", "PRE_LAUNCH", "Pinheiros", "Zona Oeste", "São Paulo",
        "320000", "520000", ["studio", "1 quarto"],
    ),
    "Parque Horizonte": DevelopmentSpec(
        "Construtora Pedra Branca", "READY", "Lapa", "Zona Oeste", "São Paulo",
        "510000", "880000", ["2 quartos", "3 quartos"],
    ),
    "Reserva Ipê": DevelopmentSpec(
        "Construtora Ipê Amarelo", "LAUNCH", "Moema", "Zona Sul", "São Paulo",
        "1200000", "2800000", ["3 quartos", "4 quartos", "cobertura"],
    ),
    "Solaris Tatuapé": DevelopmentSpec(
        "Grupo Solaris Empreendimentos", "UNDER_CONSTRUCTION", "Tatuapé", "Zona Leste", "São Paulo",
        "450000", "760000", ["2 quartos", "3 quartos"],
    ),
    "Mar Azul Guarujá": DevelopmentSpec(
        "Morada Nobre Incorporações", "READY", "Enseada", None, "Guarujá",
        "690000", "1900000", ["2 quartos", "3 quartos", "cobertura"],
    ),
}  # fmt: skip

BUDGETS = ["até R$ 350 mil", "R$ 350–600 mil", "R$ 600 mil–1 mi", "R$ 1–2 mi", "acima de R$ 2 mi"]

NOTES = [
    "Cliente prefere contato por WhatsApp depois das 18h.",
    "Tem carta de crédito aprovada na Caixa; quer usar o FGTS na entrada.",
    "Procura imóvel perto do metrô, trabalha na Paulista.",
    "Visitou o decorado no sábado e gostou da planta de 2 quartos com varanda.",
    "Pediu a tabela de preços atualizada e as condições de pagamento direto com a construtora.",
    "Casal com um filho pequeno; escola próxima é prioridade.",
    "Investidor: já tem dois imóveis para locação, busca studio perto de universidade.",
    "Não atendeu às duas últimas ligações; tentar de novo na próxima semana.",
    "Quer vender o apartamento atual e dar como parte do pagamento (permuta).",
    "Indicação de cliente antigo; mencionar o desconto de indicação.",
]

TASKS = [
    "Ligar para retomar o contato",
    "Enviar tabela de preços por WhatsApp",
    "Agendar visita ao decorado",
    "Confirmar documentação para análise de crédito",
    "Enviar simulação de financiamento",
    "Retornar sobre a proposta",
    "Apresentar opções na região de interesse",
]
