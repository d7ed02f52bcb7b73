// The GraphQL documents of the dashboard (contract: reports.graphql and
// inbox.graphql's inboxReport). One query per poll, so every card shows
// figures of the same moment; no funnel without a pipeline.

const STATS = "count averageSeconds medianSeconds p90Seconds";
const BUCKET = "key label count value";

export const DASHBOARD_SETUP = `
query DashboardSetup { teams { id name parent { id } members { id name } } }`;

export const DASHBOARD = `
query Dashboard($pipelineId: ID!, $range: ReportRange!, $period: LeadDimension!, $teamId: ID, $ownerId: ID,
                $leads: ContactFilter, $withFunnel: Boolean!) {
  funnel(pipelineId: $pipelineId, range: $range, teamId: $teamId, ownerId: $ownerId) @include(if: $withFunnel) {
    stages {
      stage { id name kind }
      entered converted conversionRate current currentValue
      timeInStage { ${STATS} }
    }
    won lost wonValue winRate
    lossReasons { ${BUCKET} }
  }
  bySource: leadReport(by: SOURCE, range: $range, filter: $leads) { ${BUCKET} }
  byOwner: leadReport(by: OWNER, range: $range, filter: $leads) { ${BUCKET} }
  byPeriod: leadReport(by: $period, range: $range, filter: $leads) { ${BUCKET} }
  inboxReport(range: $range, teamId: $teamId, assigneeId: $ownerId) {
    conversations resolved slaMet slaBreached csatAverage csatResponses
    firstResponse { ${STATS} }
    waitTime { ${STATS} }
    handleTime { ${STATS} }
    resolution { ${STATS} }
  }
}`;
