"""The booking read back before anything is written: the time settled on (with the name to book a
caller not on file under), for a clear yes. When what was asked for cannot be done, a message for
an advisor instead."""

from calls.agent.scripted import messages
from calls.agent.scripted.speech import say_moment, service_phrase
from calls.agent.scripted.tool_times import local_time


def choose(desk, b, moment, turn):
    b.chosen = moment
    b.offered = []
    caller = desk.state.caller
    if not caller.on_file and not b.new_name:
        b.new_name = caller.name  # said earlier in the call
    if not b.moving and not caller.on_file and not b.new_name:
        b.stage = "name"
        desk.ask(turn, f"I can do {say_moment(moment)}. Can I get your name for the appointment?")
        return
    if not b.moving and not caller.on_file and len(b.new_name.split()) == 1 and not b.full_name_asked:
        b.stage, b.full_name_asked = "name", True  # "This is Mrs. Pruitt": on file under a whole name
        desk.ask(turn, f"I can do {say_moment(moment)}. Could I get your first and last name for the appointment?")
        return
    confirm(desk, b, turn)


def confirm(desk, b, turn):
    b.stage = "confirm"
    if b.moving:
        old, new = say_moment(local_time(b.moving["start"])), say_moment(b.chosen)
        desk.ask(turn, f"So I'll move your {spoken_service(b, article=False)} from {old} to {new}. Shall I go ahead?")
        return
    vehicle = f" for your {b.vehicle}" if b.vehicle else f" for {b.whose_car}" if b.whose_car else ""
    name = f", under the name {b.new_name}" if b.new_name else ""
    caller = desk.state.caller
    if b.new_name and caller.spelling and caller.name == b.new_name:
        name += f", spelled {caller.spelling}"
    desk.ask(turn, f"So that's {spoken_service(b)} on {say_moment(b.chosen)}{vehicle}{name}. Shall I book it?")


def offer_message(desk, turn, b):
    desk.state.task = None
    if b is not None:
        desk.state.unclear = f"Caller wanted {spoken_service(b)}" + (
            f" on {say_moment(b.chosen)}." if b.chosen else "."
        )
    messages.offer(desk, turn)


def spoken_service(b, *, article=True):
    return service_phrase(b.service, article=article) if b and b.service else "the appointment"
