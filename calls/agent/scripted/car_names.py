"""A car as a caller names it: "a 2018 Toyota Camry", "my twenty fifteen Chevy Silverado",
"an '09 Civic" is (year, make, model)."""

import re
from dataclasses import dataclass

from calls.agent.scripted.words import normalize, spoken_numbers

MAKES = {
    "acura": "Acura", "alfa romeo": "Alfa Romeo", "audi": "Audi", "bmw": "BMW", "buick": "Buick",
    "cadillac": "Cadillac", "chevrolet": "Chevrolet", "chevy": "Chevrolet", "chrysler": "Chrysler",
    "dodge": "Dodge", "fiat": "Fiat", "ford": "Ford", "genesis": "Genesis", "gmc": "GMC", "honda": "Honda",
    "hyundai": "Hyundai", "infiniti": "Infiniti", "jaguar": "Jaguar", "jeep": "Jeep", "kia": "Kia",
    "land rover": "Land Rover", "lexus": "Lexus", "lincoln": "Lincoln", "mazda": "Mazda",
    "mercedes benz": "Mercedes-Benz", "mercedes": "Mercedes-Benz", "mini": "Mini", "mitsubishi": "Mitsubishi",
    "nissan": "Nissan", "polestar": "Polestar", "porsche": "Porsche", "ram": "Ram", "rivian": "Rivian",
    "saab": "Saab", "scion": "Scion", "subaru": "Subaru", "suzuki": "Suzuki", "tesla": "Tesla",
    "toyota": "Toyota", "volkswagen": "Volkswagen", "vw": "Volkswagen", "volvo": "Volvo", "pontiac": "Pontiac",
    "saturn": "Saturn", "mercury": "Mercury", "hummer": "Hummer", "lucid": "Lucid",
}  # fmt: skip
# Models said without their make ("my Civic"): the make they belong to.
MODELS = {
    "civic": "Honda", "accord": "Honda", "cr v": "Honda", "crv": "Honda", "pilot": "Honda", "odyssey": "Honda",
    "camry": "Toyota", "corolla": "Toyota", "rav4": "Toyota", "rav 4": "Toyota", "prius": "Toyota",
    "tacoma": "Toyota", "tundra": "Toyota", "highlander": "Toyota", "sienna": "Toyota", "f 150": "Ford",
    "f150": "Ford", "escape": "Ford", "explorer": "Ford", "mustang": "Ford", "focus": "Ford", "fusion": "Ford",
    "silverado": "Chevrolet", "equinox": "Chevrolet", "malibu": "Chevrolet", "tahoe": "Chevrolet",
    "outback": "Subaru", "forester": "Subaru", "impreza": "Subaru", "crosstrek": "Subaru", "altima": "Nissan",
    "sentra": "Nissan", "rogue": "Nissan", "elantra": "Hyundai", "sonata": "Hyundai", "tucson": "Hyundai",
    "santa fe": "Hyundai", "sorento": "Kia", "sportage": "Kia", "soul": "Kia", "optima": "Kia",
    "wrangler": "Jeep", "grand cherokee": "Jeep", "cherokee": "Jeep", "jetta": "Volkswagen",
    "golf": "Volkswagen", "passat": "Volkswagen", "tiguan": "Volkswagen", "cx 5": "Mazda", "mazda3": "Mazda",
    "model 3": "Tesla", "model y": "Tesla", "model s": "Tesla", "model x": "Tesla",
}  # fmt: skip
STOP = frozenset({
    "and", "with", "that", "which", "it", "it's", "is", "to", "for", "please", "the", "my", "i", "but", "so",
    "can", "could", "would", "you", "on", "in", "vin", "add", "put", "account", "record", "file", "we", "just",
    "bought", "got", "have", "has", "need", "want", "thanks", "thank", "a", "an", "this", "too", "as", "well",
    "also", "now", "yesterday", "today", "last", "car", "truck", "suv", "van", "one", "new", "used",
    "ready", "yet", "done", "finished", "still", "there", "here", "was", "were", "will", "should", "do", "does",
    "did", "at", "from", "of", "or", "if", "when", "what", "where", "how", "why", "right", "back", "tomorrow",
    "needs", "needed", "keeps", "won't", "wont", "makes", "broke", "died", "dies", "started", "starts", "sounds",
    "pulls", "shakes", "runs", "went", "gets", "had", "been", "isn't", "doesn't", "failed", "threw",
})  # fmt: skip
EARLIEST, LATEST = 1950, 2100


@dataclass(frozen=True)
class Car:
    year: int | None
    make: str
    model: str

    @property
    def spoken(self):
        return " ".join(str(p) for p in (self.year, self.make, self.model) if p)


def car_in(text):
    """The Car the caller names in `text`, or None when no make or known model is said."""
    said = normalize(text)
    raw = [t for t in (text or "").replace("\u2019", "'").split() if t.strip(',.?!;:"()')]
    tokens = [t.strip(',.?!;:"()') for t in raw]
    # "a 2017 Mazda CX-5. What do you have?": the model ends with its sentence
    ends = [t.rstrip('"()')[-1:] in (".", "?", "!", ";") for t in raw]
    tokens = [t + "\x00" if end else t for t, end in zip(tokens, ends, strict=True)]
    found = None
    for size in (2, 1):  # "land rover" before "land"
        for index in range(len(tokens) - size + 1):
            key = normalize(" ".join(tokens[index : index + size]).replace("\x00", ""))
            if key in MAKES:
                ended = tokens[index + size - 1].endswith("\x00")  # "It's a Buick. Harold bought it new"
                car = Car(_year(said), MAKES[key], "" if ended else _model(tokens[index + size :]))
                if car.model and _known_model(car.model):
                    return car
                if car.model and (found is None or not found.model):
                    found = car  # "her Jeep Renegade": a model we don't know, unless a known one follows
                found = found or car  # "It's a Buick. A 2011 Buick LaCrosse": the mention with the model
    for size in (2, 1):
        for index in range(len(tokens) - size + 1):
            key = normalize(" ".join(tokens[index : index + size]).replace("\x00", ""))
            if key in MODELS and (found is None or MODELS[key] == found.make):  # "my Ford. The F-150."
                return Car(_year(said), MODELS[key], _model(tokens[index:]))
    return found


def _known_model(model):
    said = normalize(model)
    return any(said == known or said.startswith(f"{known} ") for known in MODELS)


def _model(tokens):
    """Up to three words after the make, as the caller said them ("Camry", "CR-V", "F-150 XLT"),
    within the sentence (a token that ended one is marked with a NUL by car_in)."""
    words = []
    for marked in tokens:
        token = marked.rstrip("\x00")
        plain = normalize(token)
        if not plain or plain.split()[0] in STOP or len(words) == 3 or plain in MAKES:
            break
        words.append(token if any(c.isdigit() for c in token) or not token.islower() else token.capitalize())
        if marked.endswith("\x00"):
            break
    return " ".join(words)


def _year(said):
    numbers = [w for w in spoken_numbers(said) if w.number is not None or w.text == "thousand"]
    for index, word in enumerate(numbers):
        n = word.number
        if n is not None and EARLIEST <= n <= LATEST:
            return n
        following = numbers[index + 1] if index + 1 < len(numbers) else None
        if following is None:
            continue
        if word.text == "two" and following.text == "thousand":
            rest = numbers[index + 2] if index + 2 < len(numbers) else None
            return 2000 + (rest.number if rest and rest.number is not None and rest.number < 100 else 0)
        if n in (19, 20) and following.number is not None and 0 <= following.number < 100:
            return n * 100 + following.number  # "twenty eighteen", "nineteen ninety nine"
    match = re.search(r"\b(?:an?|my|the)\s+0?(\d{2})\b", said)
    if match:
        two = int(match[1])
        return 2000 + two if two <= 40 else 1900 + two  # "an '09 Civic"
    return None
