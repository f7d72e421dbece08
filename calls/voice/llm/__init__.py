"""The language model: the Brain interface (base.py), the OpenAI adapter (openai.py) and the
failover wrapper (failover.py) that hands a turn to a backup brain when the vendor fails.
The offline backup is the shop's scripted receptionist (calls/agent/scripted): it knows the
shop's tools, so it lives with the agent, not in the engine."""
