"""Questions about the shop, answered only from shop_info (the approved FAQ, services and price
ranges), and the small steps that only continue the conversation."""

from calls.agent.scripted import messages
from calls.agent.scripted.services import match_service
from calls.agent.scripted.speech import say_day, say_list, service_phrase

TOPICS = ("hours", "location", "payment", "warranty", "loaners", "makes", "price", "services")
NOT_SURE = "I'm not sure about that one."


def ask_shop(desk, intent, u, turn):
    topic = "services" if intent in ("price", "services") else intent
    shop = desk.state.shop
    known = shop.services is not None if topic == "services" else topic in shop.answers
    desk.state.asked = (intent, u.text)
    if known or not desk.can("shop_info"):
        return _say(desk, intent, u.text, turn)
    turn.call("shop_info", topic=topic)
    turn.then = answered


def answered(desk, results, turn):
    intent, text = desk.state.asked
    _say(desk, intent, text, turn)


def _say(desk, intent, text, turn):
    shop = desk.state.shop
    if intent == "price":
        service = match_service(text, list(shop.services or ()) or desk.service_names())
        if service:
            return answer_price(desk, service, turn)
        names = list(shop.services or ()) or desk.service_names()
        listing = say_list([service_phrase(n, article=False) for n in names], "and")
        desk.ask(turn, f"Which service would you like a price for? We do {listing}.", aside=True)
        desk.state.awaiting = "price"
        return
    if intent == "services":
        names = list(shop.services or ()) or desk.service_names()
        turn.say(f"We do {say_list([service_phrase(n, article=False) for n in names], 'and')}.")
        if desk.state.task is None:
            desk.ask(turn, "Would you like to book one of those?")
            desk.state.awaiting = "book_new"
            return
        return desk.anything_else(turn)
    if intent == "hours":
        sentence = shop.hours_sentence()
        if sentence:
            turn.say(sentence)
            for first, _last, reason in shop.closures[:1]:
                why = "" if reason.lower() == "closed" else f" for {reason}"
                turn.say(f"We're also closed on {say_day(first)}{why}.")
            return desk.anything_else(turn)
    elif shop.answers.get(intent):
        turn.say(shop.answers[intent])
        return desk.anything_else(turn)
    turn.say(NOT_SURE)
    desk.state.unclear = text
    question = "I can take a message for an advisor to call you back about it. Would you like that?"
    messages.offer(desk, turn, question, aside=True)


def answer_price(desk, service, turn):
    details = (desk.state.shop.services or {}).get(service) or {}
    estimate = details.get("price_estimate")
    phrase = service_phrase(service)
    if not estimate:
        turn.say(f"I don't have a price for {phrase}; an advisor can give you a quote.")
        desk.state.unclear = f"Caller asked for a price for {phrase}."
        messages.offer(desk, turn, "Would you like me to take a message for an advisor?", aside=True)
        return
    estimate = estimate if estimate.startswith("about") else f"usually {estimate}"
    turn.say(f"{phrase[:1].upper()}{phrase[1:]} is {estimate}.")
    turn.say("That's an estimate; the advisor confirms the price after looking at the car.")
    if desk.state.task is None:
        desk.state.offer_service = service
        desk.ask(turn, "Would you like to book one?" if not phrase.endswith("s") else "Would you like to book it?")
        desk.state.awaiting = "book_service"
        return
    desk.anything_else(turn)


def heard_after_lookup(desk, results, turn):
    text, desk.state.queued = desk.state.queued, None
    if text:
        desk.hear(text, turn)


def nothing(desk, results, turn):
    pass


def transfer_failed(desk, results, turn):
    done = results.get("transfer_to_advisor") or {}
    if done.get("transferring"):
        turn.say("Please hold.")
        return
    turn.say("I'm sorry, I couldn't reach an advisor just now.")
    desk.state.unclear = desk.state.unclear or "Caller asked to speak with an advisor."
    messages.offer(desk, turn, "I can take a message and have someone call you back. Would you like that?")
