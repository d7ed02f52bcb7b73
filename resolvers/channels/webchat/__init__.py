"""The webchat channel: a widget on the customer's website (web/webchat.py
serves it) whose visitors talk to the inbox over their own websocket."""
