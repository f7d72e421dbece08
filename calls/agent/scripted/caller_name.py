"""A new caller's name wherever in the call it comes: said unasked ("this is Jordan Reyes"), spelled
out (read back letter by letter for a yes), or corrected ("no, it's with a Y", "my last name is
Reyes, R E Y E S") after it was said back. Heard before the task in hand, which then goes on."""

import re

from calls.agent.scripted import booking, messages, readback
from calls.agent.scripted.emails import email_in, say_email
from calls.agent.scripted.names import Name, corrected, heard_name, only_a_name, remember
from calls.agent.scripted.state import Booking, Message

PART_NAMED = re.compile(r"\b(?:first|last|given|family|middle) name\b|\bsurname\b")


def heard(desk, u, turn):
    """True when the utterance was about the caller's name and has been answered."""
    state = desk.state
    caller = state.caller
    if caller.on_file:
        return False
    awaiting = state.awaiting
    if awaiting in ("name_check", "name_spell"):
        state.awaiting = None
        fixed = _correction(caller, u.text, asked_to_spell=awaiting == "name_spell")
        if fixed is not None:
            remember(desk, fixed)
            return _spell_back(desk, fixed, turn)
        if u.yes:
            turn.say("Great.")
            _carry_on(desk, turn)
            return True
        if u.no:
            desk.ask(turn, "Sorry about that. Could you spell it for me, letter by letter?", aside=True)
            state.awaiting = "name_spell"
            return True
        return False
    if caller.name and caller.name in (desk.last_heard or "") and (u.no or _sounds_like_a_name_fix(u)):
        fixed = _correction(caller, u.text)
        if fixed is not None and fixed.full != caller.name:
            remember(desk, fixed)
            turn.say(f"Sorry about that, {fixed.first}.")
            _read_again(desk, turn)
            return True
        return False
    if getattr(state.task, "stage", None) == "name":
        if isinstance(state.task, Booking) and PART_NAMED.search(u.said):
            name = heard_name(u.text)  # "Yusuf Okonkwo, last name O K O N K W O": not "the last one"
            if name is not None:
                remember(desk, name)
                booking.confirm(desk, state.task, turn)
                return True
        return False  # the task asked: it takes the answer
    name = heard_name(u.text, volunteered=True)
    if name is None or name.full == caller.name:
        return False
    if caller.name and name.spelled and len(name.full.split()) < len(caller.name.split()):
        # "R, E, Y, E, S" after "Tomas Reyes" spells one part of the name, not a new one
        name = corrected(Name(caller.name), u.text) or name
    remember(desk, name)
    if not only_a_name(u.text):
        return False  # "this is Jordan, I need an oil change": on to the request, name kept
    if name.spelled:
        return _spell_back(desk, name, turn)
    turn.say(f"Thanks, {name.first}.")
    _carry_on(desk, turn)
    return True


def _correction(caller, text, *, asked_to_spell=False):
    fixed = corrected(Name(caller.name), text) if caller.name else heard_name(text)
    if fixed is None and asked_to_spell:
        fixed = heard_name(text)
    return fixed


def _sounds_like_a_name_fix(u):
    return any(
        phrase in u.said
        for phrase in ("name is", "name's", "spelled", "spelt", "with a ", "with an ", "last name", "first name")
    )


def _spell_back(desk, name, turn):
    desk.ask(turn, f"Thanks, {name.first}. I have {name.full}, spelled {name.spelling}. Is that right?", aside=True)
    desk.state.awaiting = "name_check"
    return True


def _carry_on(desk, turn):
    """Back to the task's question, or to what the caller wants."""
    if desk.state.task is not None and desk.state.task_question:
        desk.ask(turn, desk.state.task_question)
        return
    desk.ask(turn, "How can I help you today?", aside=True)


def _read_again(desk, turn):
    task = desk.state.task
    if isinstance(task, Booking) and task.stage == "confirm":
        readback.confirm(desk, task, turn)
    elif isinstance(task, Message):
        messages.advance(desk, task, turn)
    else:
        _carry_on(desk, turn)


def email_given(desk, u, turn):
    """ "Can you put my email on file? It's katlund at yahoo dot com": a caller on file, with no task
    in hand, gives an address. It goes on their record if none is there yet (True)."""
    state = desk.state
    if not state.caller.on_file or state.task is not None or not desk.can("add_email"):
        return False
    address = email_in(u.text)
    if address is None:
        return False
    state.queued_email = address
    turn.call("add_email", email=address)
    turn.then = email_noted
    return True


def email_noted(desk, results, turn):
    done = results.get("add_email") or {}
    address = desk.state.queued_email or ""
    status = done.get("status")
    if done.get("saved"):
        turn.say(f"Thanks, I've put {say_email(done.get('email') or address)} on file.")
    elif status == "already_on_file":  # changing it is an advisor's job: they hear it as a message
        turn.say("There's already an email address on file, and only an advisor can change it.")
        desk.state.unclear = f"Please change the email address on file to {address}."
        return messages.offer(desk, turn)
    elif status == "invalid":
        turn.say("Sorry, I didn't get that address right. Could you say it once more, slowly?")
        return
    else:
        turn.say("I couldn't save that address just now; an advisor will check it with you.")
    desk.anything_else(turn)
