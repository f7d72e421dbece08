"""Caller scenarios the shop can run against its receptionist: `manage.py evaluate_calls`.

A scenario declares who calls, when, what the shop looks like before the call, how the
caller behaves (their lines, and rules for answering the agent's questions) and what must be
true afterwards: the caller's appointments, the message left, the transfer, what the agent may
and may not have said. `scenarios.py` reads them from TOML files, `shop.py` builds the shop's
state, `dialogue.py` plays the call (text in, text out, the real tools against the database),
`judge.py` compares the database and the agent's words with what was expected, `run.py`
runs them and reports (calls/last_evaluation.py keeps the last run's summary for the dashboard).

Scenarios are written the way callers talk, not the way the receptionist parses: a scenario
that only passes because it uses the parser's words proves nothing.
"""
