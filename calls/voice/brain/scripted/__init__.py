"""The scripted receptionist: a deterministic brain with no language model (see brain.py)."""

from calls.voice.brain.scripted.brain import ScriptedBrain

__all__ = ["ScriptedBrain"]
