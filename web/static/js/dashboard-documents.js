// The GraphQL documents of the dashboard (contract: reports.graphql and
// inbox.graphql's inboxReport). One query per poll, so every card shows
// figures of the same moment; no funnel, snapshot or deal report without a
// pipeline. Its demand: tests/e2e/test_dashboard_logic.py measures it.

const STATS = "count averageSeconds medianSeconds p90Seconds";
const BUCKET = "key label count value";
const PERSON = "id name";

export const DASHBOARD_SETUP = `
query DashboardSetup { teams { id name parent { id } members { id name } } }`;

export const DASHBOARD = `
query Dashboard($pipelineId: ID!, $range: ReportRange!, $period: LeadDimension!, $visitPeriod: AppointmentDimension!,
                $teamId: ID, $ownerId: ID, $leads: ContactFilter, $withFunnel: Boolean!) {
  funnel(pipelineId: $pipelineId, range: $range, teamId: $teamId, ownerId: $ownerId) @include(if: $withFunnel) {
    stages {
      stage { id name kind }
      entered converted conversionRate current currentValue
      timeInStage { ${STATS} }
    }
    won lost wonValue winRate
    lossReasons { ${BUCKET} }
  }
  snapshot: pipelineSnapshot(pipelineId: $pipelineId, teamId: $teamId, ownerId: $ownerId) @include(if: $withFunnel) {
    stages { stage { id name } count value weightedValue }
    count value weightedValue
    forecast { ${BUCKET} }
  }
  dealsByOwner: dealReport(range: $range, by: OWNER, pipelineId: $pipelineId, teamId: $teamId, ownerId: $ownerId)
    @include(if: $withFunnel) {
    key label created won lost createdValue wonValue lostValue
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
  appointments: appointmentReport(range: $range, by: $visitPeriod, teamId: $teamId, ownerId: $ownerId) { ${BUCKET} }
  distributionReport(range: $range) {
    queue { ${PERSON} } member { ${PERSON} } assigned worked
    firstContact { ${STATS} }
  }
  activityReport(range: $range, teamId: $teamId) { user { ${PERSON} } notes tasksCompleted dealMoves messagesSent }
}`;
