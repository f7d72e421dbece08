"""Work the caller puts a condition on ("as long as it's under 300"), and work already decided:
"already approved", an approval taken back (it stands; the advisor gets a message at once), work
declined earlier and wanted after all."""

from calls.agent.scripted import messages
from calls.agent.scripted.repair_speech import recommended, waiting_lines, work_name
from calls.agent.scripted.speech import say_list
from calls.agent.scripted.work_decisions import decides, decision, named_lines

OFFER = "I can take a message for an advisor to call you back. Would you like me to do that?"


def bargain(desk, task, text, turn):
    """A condition or a price of the caller's own: nothing approved; the estimate said again, and an
    advisor offered (only they can talk price)."""
    waiting = waiting_lines(task.order)
    desk.state.task = None
    desk.state.unclear = text
    turn.say("I can't approve work on a condition or change a price myself.")
    turn.say(recommended(named_lines(text, waiting) or waiting))
    messages.offer(desk, turn, "I can have your advisor call you about the price. Would you like that?")


def settled(desk, task, text, turn):
    """Words about work already decided: "already approved" or "already done"; taken back after
    the approval (the approval stands, and the advisor gets a message at once); or declined
    earlier and wanted after all (that line is returned, to be asked for again). True when that was
    the whole answer, False when there was nothing of the kind."""
    others = [line for line in task.order.get("work") or () if line["status"] in ("approved", "done", "declined")]
    named = named_lines(text, others) if others and decides(text) else []
    decided = decision(text, named) if named else None
    if decided is None or not (decided.approve or decided.decline):
        return False
    undo = [line for line in decided.decline if line["status"] == "approved"]
    again = [line for line in decided.approve if line["status"] == "declined"]
    for line in decided.approve + decided.decline:
        if line not in undo and line not in again:
            turn.say(f"The {work_name(line)} {_is(line)} already {line['status']}.")
    if undo:
        return _take_back(desk, task, undo, text, turn) or True
    if again:
        line = again[0]
        turn.say(f"The {work_name(line)} was declined earlier, so I'll put it back to your advisor as a request.")
        return line
    return False


def _is(line):
    return "are" if line["work"].endswith("s") and not line["work"].endswith("ss") else "is"


def _take_back(desk, task, lines, text, turn):
    names = say_list([work_name(line) for line in lines], "and the")
    turn.say(
        f"The {names} {_is(lines[0])} already approved, so I can't take that back myself. "
        "I'm leaving a message for your advisor right now to hold off."
    )
    desk.state.task = None
    desk.state.unclear = text
    caller = desk.state.caller
    reason = f"Please hold off on the {names} on the {task.order['vehicle']}: approved by phone, but the caller now says: {text}"
    turn.call("take_message", name=caller.name or "Caller", reason=reason[:1000], urgency="urgent")
    turn.then = _message_left


def _message_left(desk, results, turn):
    left = results.get("take_message") or {}
    if "error" in left:
        turn.say("I'm sorry, the message didn't go through.")
        return messages.offer(desk, turn, OFFER)
    turn.say("Your advisor has the message and will call you back.")
    desk.anything_else(turn)
