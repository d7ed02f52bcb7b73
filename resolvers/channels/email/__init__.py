"""The e-mail channel: an inbox is an address. Mail arrives through the
SMTP listener (`revgraph smtp`, web/smtp.py → intake.py), threads by
Message-ID/In-Reply-To/References, and replies leave over SMTP with the
headers that thread them in the customer's mail client (sender.py)."""
