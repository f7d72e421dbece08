"""More work asked for while the car is in the shop: a request written for an advisor to price
(request_work), and a listed service's price asked first ("how much would it be to throw in an
oil change?": the shop's price, then whether to add it as a request)."""

import functools
import re

from calls.agent.scripted import info, messages
from calls.agent.scripted.intents import detect
from calls.agent.scripted.repair_speech import announcement
from calls.agent.scripted.speech import service_phrase
from calls.agent.scripted.state import CarInShop
from calls.agent.scripted.words import has_any, normalize
from calls.agent.scripted.work_decisions import named_lines

OFFER = "I can take a message for an advisor to call you back. Would you like me to do that?"
ADD = ("add", "go ahead", "do it", "throw it in", "put it on", "let's do it", "sounds good", "please do")


def priced_service(desk, order, said):
    """(the listed service, the sentence asking its price) when the caller asks what a service the
    car is not in for would cost, or None."""
    for sentence in re.split(r"(?<=[.!?;])\s+", said or ""):
        if detect(sentence) != "price" or named_lines(sentence, order.get("work") or ()):
            continue
        service = desk.service_in(normalize(sentence))
        if service:
            return service, sentence
    return None


def ask_price(desk, task, service, sentence, turn):
    """The shop's price for the service, then: add it to the order as a request?"""
    task.stage, task.adding = "add", service
    question = f"Would you like me to add {service_phrase(service)} to the order as a request for your advisor?"
    desk.state.task_question = desk.state.last_question = question
    info.ask_about_job(desk, "price", sentence, turn)


def added(desk, task, u, turn):
    """The answer to "add it as a request?" (False: not an answer)."""
    if u.no and not has_any(u.said, ADD):
        desk.state.task = None
        turn.say("No problem, I won't add it.")
        desk.anything_else(turn)
        return True
    if u.yes or has_any(u.said, ADD):
        return request(desk, task, task.adding, u.text, turn) or True
    return False


def request(desk, task, job, said, turn, *, then=None):
    """request_work for `job`; `then(desk, task, turn)` takes up a decision said with it (task.after)."""
    task.stage = "writing"
    description = job[:1].upper() + job[1:]
    turn.call(
        "request_work", repair_order_id=task.order["repair_order_id"], description=description, caller_words=said[:1000]
    )
    turn.then = functools.partial(requested, then=then) if then else requested


def requested(desk, results, turn, *, then=None):
    task = desk.state.task
    done = results.get("request_work") or {}
    desk.state.task = None
    if "error" in done:
        turn.say("I'm sorry, I couldn't add that to the order.")
        messages.offer(desk, turn, OFFER)
        return
    said = announcement("request_work", done)
    if isinstance(task, CarInShop) and task.more_jobs:  # "... and can someone look at the window too?"
        turn.say(said.split(". ")[0] + ".")  # the advisor's part once, after the last
        desk.state.task = task
        return request(desk, task, *task.more_jobs.pop(0), turn, then=then)
    turn.say(said)
    if isinstance(task, CarInShop) and task.after and then:
        desk.state.task, task.stage = task, "decide"
        return then(desk, task, turn)
    desk.anything_else(turn)
