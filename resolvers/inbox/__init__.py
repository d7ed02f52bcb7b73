"""The conversational inbox: inboxes, conversations and messages, their live
stream, routing through the queues, SLA clocks in business hours, and the
metrics ledger behind TME/TMA and CSAT."""
