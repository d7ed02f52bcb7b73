"""Reports: the aggregates dashboards poll (contract.d/reports.graphql),
one module per report, every figure under the caller's visibility and
computed the same way on SQLite and PostgreSQL. Shared pieces: the range
and duration statistics (resolvers/report_measures.py), buckets and
calendar periods (buckets.py, periods.py), the deals a report counts
(deal_scope.py)."""
