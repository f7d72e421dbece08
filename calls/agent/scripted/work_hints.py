"""What a caller deciding on the work in the shop says beside naming lines: a shop question asked
in the same breath ("do the pads. Do you take Apple Pay?"), a price cap ("anything under 150, go
ahead": only lines whose whole estimate is under it), and a symptom for a line ("the thing that
makes the squeaking", when the technician's note ties the squeal to the belt)."""

import re

from calls.agent.scripted import info
from calls.agent.scripted.intents import detect
from calls.agent.scripted.words import normalize, spoken_numbers
from calls.agent.scripted.work_decisions import named_lines

SIDE_TOPICS = ("payment", "location", "warranty", "loaners")  # asked beside the car, answered after it
ASIDE_TOPICS = (*SIDE_TOPICS, "hours")  # ... and beside a decision on the work


def side_question(said, topics=SIDE_TOPICS):
    """A question about the shop asked beside the car ("do you take Apple Pay?"): (topic, words)."""
    for sentence in re.split(r"(?<=[.!?;])\s+", said or ""):
        topic = detect(sentence)
        if topic in topics:
            return topic, sentence
    return None


def answer_aside(desk, said, turn):
    """After a read-back or question about the work (the last thing in `turn`), a shop question
    asked in the same words: answered first, then that question again."""
    side = side_question(said, ASIDE_TOPICS)
    if side is None or turn.calls or not desk.state.task:
        return
    question = desk.state.last_question
    if question and turn.lines and turn.lines[-1] == question:
        turn.lines.pop()
    desk.state.task_question = question
    info.ask_shop(desk, side[0], desk.utterance(side[1]), turn)


# --- "anything under 150" -------------------------------------------------------------------

CAP = re.compile(
    r"\b(?:anything|whatever|whatever's|whatevers|everything|all|stuff|things?|ones?|what's|whats|work|items?)\b"
    r"(?: [\w']+){0,3}? (?P<how>under|below|less than|up to|no more than|not over|not more than|max(?:imum)? of)"
    r" (?P<amount>(?:(?:\$?[\d,]+|a|an|and|one|two|three|four|five|six|seven|eight|nine|hundred|grand|thousand"
    r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|ten|fifteen)(?: |$))+)"
)


def price_cap(text):
    """(the amount, whether it is included) of "anything under $150, go ahead", or None."""
    match = CAP.search(normalize(text))
    if not match:
        return None
    amount = _amount(match["amount"])
    if not amount:
        return None
    return amount, match["how"] in ("up to", "no more than", "not over", "not more than", "max of", "maximum of")


def _amount(said):
    """150 from "150", "a hundred fifty", "one hundred and fifty", "one fifty", "a grand"."""
    parts = []
    for word in spoken_numbers(said.replace(",", "")):
        if word.text in ("hundred", "grand", "thousand"):
            parts.append(word.text)
        elif word.text in ("a", "an"):
            parts.append(1)
        elif word.number is not None:
            parts.append(word.number)
    if not parts:
        return None
    total, current = 0, 0
    for index, part in enumerate(parts):
        if part == "hundred":
            current = (current or 1) * 100
        elif part in ("grand", "thousand"):
            total, current = total + (current or 1) * 1000, 0
        elif current and index == 1 and current < 10 and 10 <= part < 100:
            current = current * 100 + part  # "one fifty"
        else:
            current += part
    return total + current or None


def under_cap(lines, cap):
    """The lines whose whole estimate (its highest figure) is under the cap; never an unpriced one."""
    amount, included = cap
    chosen = []
    for line in lines:
        figures = [int(f.replace(",", "")) for f in re.findall(r"\$([\d,]+)", line["estimate"])]
        if figures and (max(figures) <= amount if included else max(figures) < amount):
            chosen.append(line)
    return chosen


# --- "the thing that makes the squeaking" -------------------------------------------------------

SYMPTOMS = {
    "squeal": ("squeak", "squeaks", "squeaking", "squeaky", "squeal", "squeals", "squealing", "screech",
               "screeching", "chirp", "chirping", "whine", "whining"),
    "grind": ("grind", "grinds", "grinding", "scraping", "scrape"),
    "rattle": ("rattle", "rattles", "rattling", "clunk", "clunking", "knock", "knocking", "thump", "clicking"),
    "leak": ("leak", "leaks", "leaking", "drip", "dripping", "puddle"),
    "shake": ("shake", "shakes", "shaking", "vibration", "vibrates", "vibrating", "wobble", "shimmy", "pulls"),
    "warm": ("warm", "hot air", "not cold", "isn't cold"),
    "smell": ("smell", "smells", "burning", "smoke"),
    "start": ("won't start", "hard to start", "dead", "cranks", "crank", "start it", "starting"),
}  # fmt: skip


def with_symptoms(text, order, lines):
    """The words, with the line named after a symptom the caller describes when the technician's
    note ties that symptom to one of `lines` ("the squeal ... is the serpentine belt")."""
    note = (order or {}).get("note") or ""
    said = normalize(text)
    if not note or not lines or named_lines(text, lines):
        return text
    for sentence in re.split(r"[.;!?]\s*", note):
        tied = named_lines(sentence, lines)
        if len(tied) != 1:
            continue
        plain = normalize(sentence)
        for words in SYMPTOMS.values():
            heard = next((w for w in words if re.search(rf"\b{re.escape(w)}\b", said)), None)
            if heard and any(re.search(rf"\b{re.escape(w)}\b", plain) for w in words):
                return re.sub(
                    rf"\b{re.escape(heard)}\b", f"{heard} {tied[0]['work'].lower()}", text, count=1, flags=re.IGNORECASE
                )
    return text


# "as long as it doesn't go past the three forty-nine you said", "if it stays under 350": a limit on a line
LIMIT = re.compile(
    r"\b(?:under|below|less than|past|over|more than|above|exceeds?|exceeding|top(?:s)? out at|tops|at most"
    r"|no more than|max(?:imum)?(?: of)?)\s+(?:the\s+|like\s+|about\s+)?"
    r"(?P<amount>(?:(?:\$?[\d,]+|a|an|and|one|two|three|four|five|six|seven|eight|nine|hundred|grand|thousand"
    r"|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen)(?: |$))+)"
)


def limit_said(text):
    """The amount a condition on a line names ("... doesn't go past 349"), or None."""
    match = LIMIT.search(normalize(text).replace("-", " "))
    return _amount(match["amount"]) if match else None
