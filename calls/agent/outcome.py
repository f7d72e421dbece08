"""What one call achieved, in one place: the tools add to it as they succeed, the transcript
log counts the caller's turns and interruptions, and the call is filed from it when it ends."""

from dataclasses import dataclass, field

SUMMARY_QUOTE_CHARS = 300


@dataclass
class CallOutcome:
    achieved: set = field(default_factory=set)  # calls.models.Call.Outcome values
    lines: list = field(default_factory=list)  # what was done, in words, for the call's summary
    caller_turns: int = 0
    first_caller_text: str = ""
    interruptions: int = 0

    def achieve(self, outcome, line=None):
        self.achieved.add(outcome)
        if line:
            self.lines.append(line)

    def note(self, line):
        """Something done that is no outcome of its own (a vehicle added), for the summary."""
        self.lines.append(line)

    def withdraw(self, outcome, line=None):
        """Take back what a tool counted before it knew it had succeeded (a transfer Twilio refused)."""
        self.achieved.discard(outcome)
        if line in self.lines:
            self.lines.remove(line)

    def caller_said(self, text):
        self.caller_turns += 1
        self.first_caller_text = self.first_caller_text or text

    def interrupted(self):
        self.interruptions += 1

    def summary(self):
        if self.lines:
            return " ".join(self.lines)
        if self.first_caller_text:
            return f"Caller said: {self.first_caller_text[:SUMMARY_QUOTE_CHARS]}"
        return ""

    def filing(self):
        """The keyword arguments of calls.actions.finish_call."""
        return {
            "outcomes": set(self.achieved),
            "caller_spoke": self.caller_turns > 0,
            "summary": self.summary(),
            "interruption_count": self.interruptions,
        }
