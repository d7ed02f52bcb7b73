"""Lead distribution ("roletas"): queues, fair strategies, assignments,
the self-draining backlog, capture and "atender pendentes"."""
