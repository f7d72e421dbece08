"""The scripted receptionist: a deterministic brain with no language model (see brain.py)."""

from calls.agent.scripted.brain import ScriptedBrain

__all__ = ["ScriptedBrain"]
