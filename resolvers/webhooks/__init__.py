"""Outgoing webhooks (Standard Webhooks, https://www.standardwebhooks.com):

- event_types: the registry of event types an endpoint may subscribe to,
  and the body of each (the event's subject as the API names it);
- targets: which URLs may be called (http(s) only; production refuses
  private addresses, on create and again at every attempt);
- signing: `whsec_` secrets and the `webhook-signature` header;
- endpoints: the ADMIN use cases (create, update, rotate, delete, redeliver)
  and the delivery log;
- delivery: the per-endpoint cursor over the event log, one in-flight
  attempt per endpoint, retries with backoff and jitter, disabling."""
