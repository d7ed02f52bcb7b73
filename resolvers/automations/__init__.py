"""Automations: rules (trigger → conditions → ordered actions) run in the
background from the event log, once per (rule, event), retried, audited on
the subject's timeline with the rule as actor.

- definitions: validating a rule's trigger, conditions and actions.
- rules: rule CRUD (ADMIN) and stage automations.
- engine: evaluating events, executing runs step by step, waits and scans.
- actions / email / subjects: what a step does and what it sees.
- runs, notifications: reading runs (retry) and users' notifications."""
