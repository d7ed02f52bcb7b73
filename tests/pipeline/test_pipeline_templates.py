"""Pipeline templates: the real-estate pre-sales funnel the demo builds is
offered to every workspace, and a pipeline made from it has its stages and
gates."""

from revgraph.resolvers.pipeline_templates import REAL_ESTATE_PRE_SALES
from tests.support import sign_up

TEMPLATES = "{ pipelineTemplates { key name stages { name kind requiresScheduledTask requiredFields } } }"
CREATE = """
mutation($key: String!, $name: String) {
  createPipelineFromTemplate(key: $key, name: $name) {
    pipeline { name stages { name kind probability requiresScheduledTask requiredFields } }
    userErrors { code field }
  }
}
"""


async def test_the_pre_sales_template_creates_its_stages_and_gates(gql):
    ws = await sign_up(gql)
    listed = (await gql.ok(TEMPLATES, token=ws.token))["pipelineTemplates"]
    assert [t["key"] for t in listed] == ["real_estate_pre_sales"]
    body = await gql.ok(CREATE, {"key": "real_estate_pre_sales"}, token=ws.token)
    pipeline = body["createPipelineFromTemplate"]["pipeline"]
    assert pipeline["name"] == "Pré-vendas"
    assert [s["name"] for s in pipeline["stages"]] == [s["name"] for s in REAL_ESTATE_PRE_SALES.stages]
    visit = pipeline["stages"][2]
    assert (visit["name"], visit["requiresScheduledTask"]) == ("Visita agendada", True)
    assert pipeline["stages"][3]["requiredFields"] == ["value", "expectedCloseDate"]
    assert [s["kind"] for s in pipeline["stages"][-2:]] == ["WON", "LOST"]
    # the template itself is not changed by what a workspace does with its copy
    again = await gql.ok(CREATE, {"key": "real_estate_pre_sales", "name": "Lançamento"}, token=ws.token)
    assert again["createPipelineFromTemplate"]["pipeline"]["name"] == "Lançamento"


async def test_an_unknown_template_is_not_found_and_agents_may_not_use_them(gql):
    ws = await sign_up(gql)
    body = await gql.ok(CREATE, {"key": "nope"}, token=ws.token)
    assert body["createPipelineFromTemplate"] == {
        "pipeline": None,
        "userErrors": [{"code": "NOT_FOUND", "field": ["key"]}],
    }
    agent = await ws.user("AGENT")
    refused = await gql(CREATE, {"key": "real_estate_pre_sales"}, token=agent["token"])
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
