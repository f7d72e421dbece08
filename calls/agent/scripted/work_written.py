"""The caller's answer to a read-back of the work on their car, and writing it: a clear yes, a yes
that says the read-back again ("yes, no coolant flush"), fewer lines named than were read back
("yes, pads and rotors": those two only); then approve_work and decline_work with their words."""

import re

from calls.agent.scripted import messages
from calls.agent.scripted.repair_speech import announcement, promised_when, total_estimate
from calls.agent.scripted.repair_words import asks_after_car
from calls.agent.scripted.state import CarInShop
from calls.agent.scripted.words import has_any, is_yes, normalize
from calls.agent.scripted.work_decisions import reason_in

OFFER = "I can take a message for an advisor to call you back. Would you like me to do that?"
UNDECIDED = (
    "i'll decide", "decide about", "decide when", "when i pick it up", "not sure", "let you know", "think about it", "think it over", "call you back", "call back", "talk to my", "check with my", "let me think",
    "get back to you", "not sure yet", "i'll let you know", "sleep on it", "ask my", "talk it over", "decide later",
    "hold off on all", "hold off on everything", "not right now", "not today", "none of it", "none of them",
    "nothing for now", "nothing yet", "i'll pass", "no thanks", "no thank you",
)  # fmt: skip
YES_FIRST = ("yes", "yeah", "yep", "yup", "correct", "right", "exactly", "that's", "sure", "ok", "okay")
ALL_OFF = (
    "none of it",
    "none of them",
    "nothing",
    "hold off on all",
    "hold off on everything",
    "all of it",
    "all three",
)
ADDING = ("too", "also", "as well", "plus", "in addition", "as well as")


def agrees(u):
    """A clear yes: not a question ("so is that a yes on 150?"), not "okay, I'll let you know"."""
    return is_yes(u.said) and not u.text.rstrip().endswith("?") and not has_any(u.said, UNDECIDED)


def restates(task, decided, u):
    """A yes that says the read-back again ("yes, no coolant flush"), or a yes to holding off on all
    of it ("yes, none of it")."""
    said = u.said.split()
    if not said or said[0] not in YES_FIRST or u.text.rstrip().endswith("?"):
        return False
    return decided.named or (not task.approve and task.decline and has_any(u.said, ALL_OFF))


def narrows(task, decided, u):
    """Fewer lines named to go ahead with than were read back, with no "too" or "also"."""
    ids = lambda lines: {line["line_id"] for line in lines}  # noqa: E731
    return bool(decided.approve) and ids(decided.approve) < ids(task.approve) and not has_any(u.said, ADDING)


def unchanged(task, decided):
    """The words name nothing, or just what was read back ("yes, just the pads", "not the one you
    left"), or leave for later only lines the read-back did not decide ("yes, the pads. not the
    rotors yet")."""
    ids = lambda lines: {line["line_id"] for line in lines}  # noqa: E731
    approve, decline = ids(task.approve), ids(task.decline) | ids(task.left)  # "yes, not the timing belt": left
    if ids(decided.undecided) & (approve | ids(task.decline)):
        return False  # "yes, but not the pads yet" to the pads read back
    return ids(decided.approve) <= approve and ids(decided.decline) <= decline


def write(desk, task, u, turn):
    task.stage = "writing"
    words = f"{task.words} / {u.text}".strip(" /")[:1000]
    order_id = task.order["repair_order_id"]
    if task.approve:
        turn.call(
            "approve_work", repair_order_id=order_id, line_ids=[x["line_id"] for x in task.approve], caller_words=words
        )
    if task.decline:
        turn.call(
            "decline_work",
            repair_order_id=order_id,
            line_ids=[x["line_id"] for x in task.decline],
            caller_words=words,
            reason=task.reason or reason_in(u.text) or None,
        )
    turn.then = written


def written(desk, results, turn):
    task = desk.state.task
    desk.state.task = None
    failed = [r for r in results.values() if "error" in r]
    for name, result in results.items():
        if "error" not in result:
            turn.say(announcement(name, result))
    if failed:
        turn.say("I'm sorry, I couldn't record all of that.")
        if isinstance(task, CarInShop):
            desk.state.unclear = f"Caller's decision on the work on their {task.order['vehicle']}: {task.words}"
        messages.offer(desk, turn, OFFER)
        return
    if isinstance(task, CarInShop) and task.message:  # what only an advisor can settle, asked for
        return messages.start(desk, turn, reason=task.message)
    figure = total_estimate(task.approve) if isinstance(task, CarInShop) and len(task.approve) > 1 else None
    if figure and _total_asked(task.words):  # "What's that gonna come to, the brakes and rotors together?"
        turn.say(f"Together that's an estimated {figure}.")
    if isinstance(task, CarInShop) and task.order.get("promised_at") and _when_asked(task.words):
        # "... do the wipers too. When will it be done?": the decision, then when it is planned
        when = promised_when(task.order["promised_at"], desk.now().date())
        turn.say(f"We're planning to have it ready {when}.")
    desk.anything_else(turn)


def _asked(words):
    return normalize(" ".join(s for s in re.split(r"(?<=[.?!])\s+|\s+/\s+", words or "") if s.rstrip().endswith("?")))


def _when_asked(words):
    asked = _asked(words)
    return bool(asked) and asks_after_car(asked) and not has_any(asked, ("how much", "cost", *TOTAL_ASKED))


TOTAL_ASKED = ("come to", "comes to", "together", "total", "add up", "adds up", "altogether", "all in", "all of that")


def _total_asked(words):
    return has_any(_asked(words), TOTAL_ASKED)
