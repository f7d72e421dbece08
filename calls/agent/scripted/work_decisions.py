"""Which job lines a caller goes ahead with, which they leave (and why), and which they leave for
later, from their words and the lines read to them: only the lines they name, by their words
("the brakes", mis-heard "the breaks"), their place ("the first one"), their price ("the 129 dollar
one") or all together ("both"): line_names.py), and only in sentences that decide (not in questions
or bargains)."""

import re
from dataclasses import dataclass, field

from calls.agent.scripted.line_names import EVERYTHING, RANK, finder, lines_in, token_at
from calls.agent.scripted.words import has_any, is_no, is_yes, normalize

VAGUE = (
    "whatever it needs", "whatever you think", "whatever you guys think", "whatever he thinks", "whatever they think",
    "whatever needs", "whatever it takes", "just fix it", "fix it", "fix whatever", "do what you need",
    "do what it needs", "do whatever", "whatever you need", "what it needs", "do what you gotta do",
)  # fmt: skip
AGAINST = (
    "not", "no", "don't", "dont", "do not", "hold off", "skip", "leave", "pass on", "pass", "decline", "forget",
    "without", "except", "nah", "wait on", "won't", "can't", "cannot", "later", "hold on", "not now", "not yet",
    "rather not", "no thanks", "nope", "off on", "can wait", "could wait", "has to wait", "have to wait",
)  # fmt: skip
NEGATORS = frozenset({"not", "don't", "dont", "do not", "won't", "can't", "cannot", "rather not"})
ELSEWHERE = (
    "myself",
    "my brother",
    "my buddy",
    "my dad",
    "a friend",
    "somewhere else",
    "another shop",
    "elsewhere",
    "he'll do",
    "she'll do",
    "they'll do",
    "he will do",
    "she will do",
    "do it himself",
    "do it herself",
    "in his garage",
    "in her garage",
    "in my garage",
    "brother in law",
    "my uncle",
    "my cousin",
    "mechanic friend",
)  # fmt: skip: someone else does the work
FOR = ("go ahead", "do", "approve", "yes", "yeah", "yep", "sure", "ok", "okay", "fine", "fix", "replace", "want")
REASONS = (
    "too expensive", "too much", "expensive", "can't afford", "cannot afford", "afford", "money's tight",
    "money is tight", "tight", "myself", "my brother", "my buddy", "a friend", "my dad", "somewhere else",
    "another shop", "cheaper", "next time", "next month", "next week", "payday", "get paid", "paycheck", "later",
    "right now", "for now", "think about it", "not in the budget", "budget", "talk to my", "check with my",
    "dealer", "already had", "just had", "had it done", "had that done", "selling", "trading it in", "trade it in",
    "pricey", "pricy", "steep", "can't swing", "cannot swing", "swing it", "can't do it", "broke", "this week",
    "this month", "not worth", "spendy", "out of my", "a lot of money", "too rich", "can wait", "wait till",
    "wait until", "till spring", "until spring", "in the spring", "next spring", "till summer", "after the holidays",
    "next year", "not urgent", "no rush",
)  # fmt: skip


# Reasons that leave work for now, not undecided ("let me think about it" is undecided).
HOLDING_OFF = (
    "afford", "money", "tight", "budget", "expensive", "too much", "pricey", "pricy", "steep", "broke", "payday",
    "paycheck", "get paid", "can't swing", "cannot swing", "myself", "my brother", "my cousin", "another shop",
    "somewhere else", "selling", "trade it in", "trading it in",
)  # fmt: skip


@dataclass
class Decision:
    approve: list = field(default_factory=list)  # line views
    decline: list = field(default_factory=list)
    undecided: list = field(default_factory=list)  # named, but left for later ("not the flush yet")
    vague: bool = False  # "whatever it needs": nothing named
    reason: str = ""

    @property
    def named(self):
        return bool(self.approve or self.decline or self.undecided)


# Words that decide, as opposed to asking about the work ("how much were the rotors?").
DECIDING = (
    "go ahead", "do the", "do it", "do all", "do both", "do everything", "do them", "do that", "approve", "approved",
    "hold off", "skip", "don't do", "dont do", "leave the", "leave off", "pass on", "decline", "not the", "just the",
    "only the", "let's do", "lets do", "go with", "put in", "fix the", "take care of", "replace the", "yes", "yeah",
    "yep", "sure", "whatever it needs", "just fix", "do whatever", "do what", "i'll do", "forget the", "no to",
    "yes to", "don't need", "don't want", "go for", "ok to", "okay to", "i want the", "i'd like the", "get the",
    "can wait", "the rest", "sounds good", "fine", "i'll take", "we'll do", "let's go ahead", "no thanks",
    "no thank you", "had that done", "had it done", "already had", "already done", "just had", "don't need",
    "not the", "no to the", "want the", "only want", "just want", "go with the", "i'll go with", "put on",
    "no on", "no for", "no on the", "nah", "might as well", "add the", "not for now", "not right now", "not now",
)  # fmt: skip
# "and the wipers too", "the filter as well": more work added to what was said, deciding too.
ADDED = re.compile(
    r"\b(?:too|as well)\b(?! (?:much|expensive|pricey|high|many|steep|far|long|late|soon|early|big|bad|costly))"
)
# "Right, wipers on the Camry, brakes on the truck, no flush": a long answer that starts agreeing still decides.
AGREEING = frozenset({"right", "correct", "exactly", "ok", "okay", "yes", "yeah", "yep", "yup"})
QUESTION_STARTS = (
    "is", "are", "was", "were", "can", "could", "would", "will", "how", "what", "what's", "whats", "why", "does",
    "do you", "should", "when", "where", "which", "who", "remind me", "so is",
)  # fmt: skip
# A price or a condition the shop can't promise: "as long as it's under 300", "can you do it for 150?".
BARGAIN = re.compile(
    r"\b(?:as long as|only if|provided|providing|so long as|no more than|not a penny more|tops|at most"
    r"|under (?:\$?\d+|a hundred|one hundred|two hundred|three hundred|four hundred|five hundred|a grand)"
    r"|for (?:\$?\d+|a hundred|one hundred|two hundred|three hundred|four hundred)(?! (?:miles|years|months|days))"
    r"|(?<!the )(?<!one's )(?<!one is )(?<!which is )(?<!which's )cheaper(?! (?:one|ones|of the))|discount|knock (?:some|it|that|a little|something) off|come down|price match|match (?:the|their|a) price)\b"
)
# "... then I'll approve it" is a condition; "forget the wipers then, I'll do them myself" is not.
CONDITIONAL = re.compile(r"\bif\b|\bthen i'll\b(?!.*\b(?:myself|ourselves)\b)|" + BARGAIN.pattern)
# Work put off to a later visit: "I'll do those next month", "we'll get it done after payday".
DEFERRED = re.compile(
    r"\b(?:i'll|i will|we'll|we will|i can|i'm gonna|im gonna|i'm going to|i'd rather) (?:do|get|have)"
    r" (?:those|them|it|that|these|the \w+)(?: done| fixed| replaced)? (?=(?:next|later|another|in a|in the|after|some"
    r" other|when|once)\b)",
    re.IGNORECASE,
)
LATER = (
    "yet",
    "ask my",
    "call back about",
    "call you back about",
    "think about",
    "let you know",
    "check with",
    "talk to my",
    "get back to you",
    "decide later",
    "decide when",
    "decide about",
    "i'll decide",
    "not sure",
    "unsure",
    "don't know",
    "dunno",
    "maybe",
    "i'll see",
    "when i pick it up",
)
WAITS = ("can wait", "could wait", "has to wait", "have to wait")  # "the flush can wait": later, not no
REFUSED = ("hold off", "skip", "decline", "don't want", "don't need", "no to", "forget", "pass on", "not", "no", "nah",
           "nope")  # fmt: skip


def named_lines(text, lines):
    """The lines the words name one by one, asked about or not ("is the flush really needed?")."""
    named = []
    for sentence, _ in _sentences(text):
        said = finder(EVERYTHING).sub(" ", normalize(sentence))  # "all of it" names none of them
        named += [line for line, _ in lines_in(said, lines) if line not in named]
    return named


def decides(text):
    """Whether the words decide on work at all (not only ask about it)."""
    return any(states and _deciding(normalize(sentence)) for sentence, states in _sentences(text))


def _deciding(said):
    """Words that decide: "go ahead", "and the wipers too", "the other one no"."""
    return (
        has_any(said, DECIDING) or ADDED.search(said) is not None or (OTHERS.search(said) is not None and _polar(said))
    )


def _sentences(text):
    """The caller's sentences, each with whether it says something (not a question, not "if you can
    do it for 150", not a long remark with no deciding word in it)."""
    for sentence in re.split(r"(?<=[.!?;])\s+|\.\.\.\s*|\u2026\s*", (text or "").strip()):
        said = normalize(sentence)
        if not said:
            continue
        asking = (
            sentence.rstrip().endswith("?")
            or said.split()[0] in QUESTION_STARTS
            or has_any(" ".join(said.split()[:2]), QUESTION_STARTS)
        )
        states = not (asking and not has_any(said, ("go ahead", "approve")))
        states = states and not CONDITIONAL.search(said)
        states = states and (
            _deciding(said) or len(said.split()) <= 6 or said.split()[0] in AGREEING or _answered_in_a_word(sentence)
        )
        yield sentence, states


ONE_WORD_ANSWERS = ("yes", "yeah", "yep", "sure", "no", "nope", "nah", "no thanks", "not now", "not yet")


def _answered_in_a_word(sentence):
    """ "Coolant flush, no, money's tight this month.": a line, then a yes or no of its own."""
    return any(normalize(part) in ONE_WORD_ANSWERS for part in re.split(r"[,:;-]", sentence)[1:])


def decision(text, lines, *, offered_one=False):
    """Which of `lines` (the views read to the caller, in that order) the words go ahead with and
    which they leave. Only lines the caller named (by their words, "the first one", "both", "the
    $129 one", or "that" after naming one) are decided, and only in sentences that say so (not in
    questions or bargains); a later sentence takes back an earlier one. "Whatever it needs" is
    vague. `offered_one`: a plain yes answers the one line offered."""
    text = DEFERRED.sub(" ", text or "")  # "hold off on the brakes, I'll do those next month": not a yes
    result = Decision(reason=reason_in(text))
    decided = {}  # line_id -> (line, "approve" | "decline" | "later")
    named_before = []  # the lines the last sentence named, for "that" in the next
    for sentence, states in _sentences(text):
        said = normalize(sentence)
        if not states:
            named_before = [line for line, _ in lines_in(said, lines)] or named_before
            continue
        verdicts = _sentence_decision(sentence, lines)
        others = OTHERS.search(said)
        if others and decided:  # "do the brakes. Leave the other thing": the lines not decided yet
            verdicts = [(line, v) for line, v in verdicts if line["line_id"] not in decided]
        if others and (decided or verdicts):
            verdicts += _the_others(
                sentence,
                [line for line in lines if line["line_id"] not in decided and line not in [x for x, _ in verdicts]],
            )
        pronoun = PRONOUN.search(said)
        if not verdicts and named_before and pronoun and _polar(said):
            against = _against(said, token_at(said, pronoun.start()), default=False)
            verdict = ("later" if has_any(said, LATER) else "decline") if against else "approve"
            verdicts = [(line, verdict) for line in named_before]
        if any(v == "later" for _, v in verdicts) and has_any(said, HOLDING_OFF):
            # "the coolant thing, not for now, money's kinda tight": left, for a reason, not undecided
            verdicts = [(line, "decline" if v == "later" else v) for line, v in verdicts]
        for line, verdict in verdicts:
            decided.pop(line["line_id"], None)
            decided[line["line_id"]] = (line, verdict)
        named_before = [line for line, _ in verdicts] or named_before
    for line, verdict in decided.values():
        {"approve": result.approve, "decline": result.decline, "later": result.undecided}[verdict].append(line)
    said = " ".join(normalize(s) for s, states in _sentences(text) if states)
    if not result.named:
        if has_any(said, VAGUE) and not has_any(said, EVERYTHING):
            result.vague = True
        elif offered_one and len(lines) == 1 and said and _plain_answer(said) is not None:
            (result.approve if _plain_answer(said) else result.decline).extend(lines)
    return result


CONTRAST = re.compile(r"^(?:just|only|but|instead|and just|and only|rather)\b")


def _sentence_decision(sentence, lines):
    """(line, verdict) for each line one sentence names. A part after a comma keeps the verdict
    before it ("not the pads, the rotors or the flush") unless it turns ("..., just the rotors")."""
    said_all = normalize(sentence)
    negate_rest = bool(re.search(r"\b(?:except|without)\b", said_all))
    verdicts = {}
    inherited = None
    last_named = []
    index = 0
    parts = [p for p in re.split(r"\s*[,:]\s*", sentence) if normalize(p)]
    for at_part, part in enumerate(parts):
        said = normalize(part)
        # "The coolant flush, not right now": a line named bare takes the verdict said right after it
        after_it = _said_after(parts[at_part + 1 :], lines)
        clauses = re.split(
            r"\s*(?:\bbut\b|\bhowever\b|\bthough\b|\bexcept\b(?= )|\bwithout\b(?= )|\band\b(?= (?:not|no|don't|dont"
            r"|hold|skip|leave|pass|forget|wait|i'll|ill)\b))\s*",
            said,
        )
        # "Everything except the flush": the lines named one by one first, then "everything" the rest.
        ordered = sorted(enumerate(clauses, start=index), key=lambda pair: bool(finder(EVERYTHING).search(pair[1])))
        index += len(clauses)
        for at_clause, clause in ordered:
            default = negate_rest and at_clause > 0
            if inherited is not None and at_clause == index - len(clauses) and not CONTRAST.search(clause):
                default = inherited
            for line, at in lines_in(clause, lines) if clause else []:
                if line["line_id"] in verdicts:
                    continue
                bare = not (finder(AGAINST).search(clause) or finder(FOR).search(clause))
                against = after_it if bare and after_it is not None else _against(clause, at, default=default)
                unsure = (
                    has_any(said_all, LATER)
                    and (against or not has_any(clause, FOR))
                    or (against and has_any(clause, WAITS))
                )
                verdicts[line["line_id"]] = (line, "later" if unsure else "decline" if against else "approve")
                inherited = against
            if clause and not lines_in(clause, lines) and last_named and PRONOUN.search(clause) and _polar(clause):
                # "I said no to the flush, but actually go ahead and do it": "it" is the flush, said last
                against = _against(clause, len(clause.split()), default=False)
                unsure = against and has_any(said_all, LATER)  # "not sure about the rotation, leave that one"
                for line in last_named:
                    verdicts[line["line_id"]] = (line, "later" if unsure else "decline" if against else "approve")
            last_named = [line for line, _ in lines_in(clause, lines)] or last_named
    return list(verdicts.values())


def _said_after(parts, lines):
    """For a line named with no verdict of its own: whether the next part, naming no line, is against
    it (True), for it (False), or says nothing either way (None)."""
    for part in parts[:1]:
        said = normalize(part)
        if (
            lines_in(said, lines)
            or OTHERS.search(said)
            or not (finder(AGAINST).search(said) or finder(FOR).search(said))
        ):
            return None  # "just the pads, the rest can wait": the rest is the other lines
        return _against(said, -1, default=None)
    return None


OTHERS = re.compile(
    r"\b(?:the|that|those) other (?:one|ones|thing|things|stuff|work|line|lines|job|jobs|items?)\b|\bthe rest\b"
    r"|\b(?:everything|anything|all the rest|all) else\b"
)
PRONOUN = re.compile(r"\b(?:that|it|those|them|this one|that one)\b")


def _the_others(sentence, rest):
    """ "The rest can wait", "leave the other thing for now": the lines not named, left for later
    (or held off on, said so); "and the rest too": gone ahead with. Only the words of the part of
    the sentence that says "the rest" count."""
    part = next((p for p in map(normalize, re.split(r"\s*[,:]\s*|\s+but\s+", sentence)) if OTHERS.search(p)), "")
    others = OTHERS.search(part)
    if not rest or not others:
        return []
    against = _against(part, token_at(part, others.start()), default=False)
    refused = has_any(part, REFUSED) and not has_any(part, LATER + WAITS)
    verdict = ("decline" if refused else "later") if against else "approve"
    return [(line, verdict) for line in rest]


def _polar(said):
    return has_any(said, AGAINST) or has_any(said, FOR)


def bargains(text):
    """A condition or a price of the caller's own put on the work ("as long as it's under 300")."""
    return BARGAIN.search(normalize(text)) is not None


def _against(clause, at, *, default):
    """Whether the words of `clause` around its token `at` (where a line is named) leave that line."""
    if has_any(clause, ELSEWHERE):
        return True
    events = sorted(
        [(token_at(clause, m.start()), True, m[0]) for m in finder(AGAINST).finditer(clause)]
        + [(token_at(clause, m.start()), False, m[0]) for m in finder(FOR).finditer(clause)]
    )
    negators = [t for t, against, phrase in events if against and phrase in NEGATORS]
    polarity = []
    for token, against, _phrase in events:
        if not against and any(0 < token - t <= 2 for t in negators):
            against = True  # "don't do the flush", "not gonna do the rotors"
        polarity.append((token, against))
    before = [against for token, against in polarity if token <= at]
    if before:
        return before[-1]
    after = [against for token, against in polarity if token > at]
    return after[0] if after else default


def _plain_answer(said):
    if thanks_only(said):
        return None  # "okay, thanks" closes; it approves nothing
    if is_yes(said) or has_any(said, ("go ahead", "do it", "approve it", "let's do it", "sounds good")):
        return True
    if is_no(said) or has_any(said, ("hold off", "not right now", "not now", "skip it", "leave it", "pass")):
        return False
    return None


THANKS_ONLY = re.compile(r"^(?:(?:ok|okay|alright|all right|great|cool|got it|gotcha|sure)\s+)*(?:thanks|thank you)\b")


def thanks_only(said):
    """ "Okay, thanks": a thank-you, which says yes to nothing."""
    return THANKS_ONLY.match(said) is not None


def reason_in(text):
    """Why the caller leaves work, in their words ("money's tight right now"), or ""."""
    said = normalize(text)
    because = re.search(r"\b(?:because|cause|'cause|since|as) (.+)$", said)
    if because and has_any(because[1], REASONS):
        return because[1][:200]
    told = " ".join(s for s in re.split(r"(?<=[.!?;])\s+", (text or "").strip()) if not s.rstrip().endswith("?"))
    reasons = []  # "not right now, I honestly can't afford that this month": both parts
    for clause in re.split(r"\s*[,.;!?]\s*|\s+\bbut\b\s+", told):  # not "which one's cheaper?"
        plain = normalize(clause)
        if plain and has_any(RANK.sub(" ", plain), REASONS):  # not "do the cheaper one"
            reasons.append(plain)
    return ", ".join(reasons)[:200]
