"""Partners: RD Station Marketing's conversion webhooks in (rdstation.py),
deals handed off to sales systems and their reports back (handoff.py)."""
