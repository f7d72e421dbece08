"""Deciding on the work of two cars or more in one breath ("do the wipers on the Camry and the
brakes on the truck, forget the flush"): each car's lines decided from the words about that car
(repair_words.per_car), read back together, and written on one clear yes."""

from calls.agent.scripted import work_written
from calls.agent.scripted.repair_speech import announcement, priced, waiting_lines, work_name
from calls.agent.scripted.repair_words import per_car
from calls.agent.scripted.speech import say_list
from calls.agent.scripted.work_decisions import decision
from calls.agent.scripted.work_hints import with_symptoms
from calls.agent.scripted.work_written import YES_FIRST, agrees


def decide(desk, task, cars, words, turn):
    """Read back what the words decide for each car (False: fewer than two cars decided)."""
    several = []
    for order, said in cars:
        waiting = waiting_lines(order)
        decided = decision(with_symptoms(said, order, waiting), waiting)
        if decided.approve or decided.decline:
            several.append(
                {"order": order, "approve": decided.approve, "decline": decided.decline, "reason": decided.reason}
            )
    if len(several) < 2:
        return False
    task.several, task.order, task.stage = several, several[0]["order"], "confirm"
    task.words = f"{task.words} / {words}".strip(" /")
    parts = []
    for car in several:
        said = []
        if car["approve"]:
            said.append(f"go ahead with the {say_list([priced(line) for line in car['approve']], 'and the')}")
        if car["decline"]:
            said.append(f"hold off on the {say_list([work_name(line) for line in car['decline']], 'and the')}")
        parts.append(f"on your {car['order']['vehicle']}, {' and '.join(said)}")
    desk.ask(turn, f"Just to confirm: {'; and '.join(parts)}. Is that right?")
    return True


def answer(desk, task, u, turn):
    """The caller's answer to that read-back: a yes writes it all; the cars decided again are read
    back again; a no leaves everything as it was."""
    again = per_car(u.text, task.orders, waiting_lines)
    if again and not _same(task.several, again) and decide(desk, task, again, u.text, turn):
        return True
    first = u.said.split()[:1]
    if agrees(u) or (first and first[0] in YES_FIRST and not u.text.rstrip().endswith("?")):  # "right, ..., no flush"
        return _write(desk, task, u, turn) or True
    if u.no:
        desk.state.task = None
        turn.say("Okay, I haven't approved or changed anything.")
        desk.anything_else(turn)
        return True
    return False


def _same(several, cars):
    for order, said in cars:
        car = next((c for c in several if c["order"]["repair_order_id"] == order["repair_order_id"]), None)
        decided = decision(said, waiting_lines(order))
        if (
            car is None
            or {x["line_id"] for x in decided.approve} - {x["line_id"] for x in car["approve"]}
            or ({x["line_id"] for x in decided.decline} - {x["line_id"] for x in car["decline"]})
        ):
            return False
    return True


def _write(desk, task, u, turn):
    task.stage = "writing"
    task.words = f"{task.words} / {u.text}".strip(" /")[:1000]
    _write_next(desk, task, turn)


def _write_next(desk, task, turn):
    """One car's approve_work and decline_work (each tool once a turn), then the next car's."""
    car = task.several.pop(0)
    order_id = car["order"]["repair_order_id"]
    if car["approve"]:
        turn.call(
            "approve_work",
            repair_order_id=order_id,
            line_ids=[x["line_id"] for x in car["approve"]],
            caller_words=task.words,
        )
    if car["decline"]:
        turn.call(
            "decline_work",
            repair_order_id=order_id,
            line_ids=[x["line_id"] for x in car["decline"]],
            caller_words=task.words,
            reason=car["reason"] or None,
        )
    turn.then = _written


def _written(desk, results, turn):
    task = desk.state.task
    if not task or not task.several or any("error" in r for r in results.values()):
        return work_written.written(desk, results, turn)
    for name, result in results.items():
        turn.say(announcement(name, result))
    _write_next(desk, task, turn)
