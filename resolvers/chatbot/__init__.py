"""The flow chatbot of an inbox: flows (definition.py checks them,
flows.py stores their versions), the bot's work on the worker (runner.py),
how answers are read (answers.py) and how conditions and collected fields
work (conditions.py), the graph a flow is (graph.py)."""
