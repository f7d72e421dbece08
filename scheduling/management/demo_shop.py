"""The demo shop seed_demo builds: Otto's Auto Repair in Chicago, its services, FAQ and customers.

All phone numbers are in the 555 exchange (fictional); the cast uses 555-0101..0150, the
generated bulk customers 555-0200..9999. VINs carry real manufacturer codes and a correct
check digit but describe no real car.
"""

from datetime import date, time, timedelta

from crm.vin import check_digit

SHOP = {
    "name": "Otto's Auto Repair",
    "address": "2417 N Milwaukee Ave, Chicago, IL 60647",
    "phone": "+13125550100",
    "timezone": "America/Chicago",
    "bays": 4,
    "waiters_per_slot": 2,
    "slot_minutes": 30,
    "min_lead_minutes": 120,
    "booking_horizon_days": 60,
}

# weekday -> (opens, closes, lunch start, lunch end); Sunday has no row: closed.
HOURS = {
    **{day: (time(7, 30), time(17, 30), time(12), time(13)) for day in range(5)},
    5: (time(8), time(13), None, None),
}

# name, description, minutes, price low, price high, customer may wait
SERVICES = [
    ("Oil change", "Synthetic blend or full synthetic, new filter, fluid top-off", 30, 49, 99, True),
    ("Tire rotation", "Rotate and balance four tires, set pressures", 30, 29, 49, True),
    ("Brake pads", "Front or rear pads, rotor check, brake fluid check", 120, 189, 349, False),
    ("State inspection", "Safety and emissions inspection with report", 45, 35, 35, True),
    ("Check engine light diagnostic", "Scan, test and a written estimate", 60, 99, 149, False),
    ("A/C service", "Refrigerant recharge and leak check", 90, 149, 249, False),
    ("Wheel alignment", "Four-wheel alignment with printout", 60, 99, 149, True),
    ("Battery replacement", "Battery test, replacement and terminal cleaning", 30, 149, 299, True),
    ("Coolant flush", "Drain and refill coolant, pressure test", 60, 119, 179, True),
    ("Transmission fluid service", "Drain and fill, new filter where fitted", 90, 179, 299, False),
]

# No "hours" answer: callers hear the hours from HOURS and the closures (scheduling.shop_info).
FAQ = {
    "location": "We're at 2417 North Milwaukee Avenue in Logan Square, two blocks from the California "
                "Blue Line stop. Parking is in the lot behind the shop.",
    "payment": "We take cash, all major credit and debit cards, Apple Pay and Google Pay. "
               "Payment is due when you pick up the car.",
    "warranty": "Our repairs carry a 24-month, 24,000-mile parts and labor warranty, honored at any "
                "shop in our nationwide network.",
    "loaners": "We have two loaner cars for repairs that take more than a day; ask when you book. "
               "For shorter jobs we run a free shuttle within three miles.",
    "makes": "We service all domestic, Japanese, Korean and European makes, including hybrids. "
             "We don't work on full electric drivetrains, diesels over one ton, or motorcycles.",
}

YEAR_CODES = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY"))

# make, model, world manufacturer code, vehicle descriptor (its 4th character, VIN position 7,
# is a letter: model years 2010 and later).
CARS = [
    ("Honda", "Civic", "2HG", "FC2F5"),
    ("Honda", "CR-V", "2HK", "RW2H8"),
    ("Toyota", "Camry", "4T1", "B11HK"),
    ("Toyota", "RAV4", "2T3", "P1RFV"),
    ("Ford", "F-150", "1FT", "EW1EP"),
    ("Ford", "Escape", "1FM", "CU9GD"),
    ("Chevrolet", "Silverado 1500", "1GC", "UYDED"),
    ("Chevrolet", "Equinox", "2GN", "AXUEV"),
    ("Subaru", "Outback", "4S4", "BSANC"),
    ("Nissan", "Altima", "1N4", "AL3AP"),
    ("Hyundai", "Elantra", "5NP", "D84LF"),
    ("Jeep", "Grand Cherokee", "1C4", "RJFAG"),
    ("Volkswagen", "Jetta", "3VW", "D17AJ"),
    ("Kia", "Sorento", "5XY", "PGDA3"),
    ("Mazda", "CX-5", "JM3", "KFBCM"),
    ("Ram", "1500", "1C6", "RR7LT"),
    ("BMW", "330i", "WBA", "8E9G5"),
]


def make_vin(car, year, serial, plant="A"):
    """A VIN with a correct check digit for `car` and model `year` (2010-2030)."""
    _, _, wmi, vds = car
    body = f"{wmi}{vds}0{YEAR_CODES[year]}{plant}{serial:06d}"
    return body[:8] + check_digit(body) + body[9:]


DEMO_CALLER = {
    # The number the fake Twilio caller dials from (fakes/twilio_caller.py), so a demo call
    # is greeted by name.
    "name": "Dana Whitfield", "phone": "+13125550147", "email": "dana.whitfield@example.com",
    "car": CARS[1], "year": 2019, "mileage": 48210,
}

CAST_NAMES = [
    "Marisol Ortega", "James Kowalski", "Aisha Bello", "Tom Brennan", "Mei Lin Chen", "Darnell Washington",
    "Katarzyna Nowak", "Luis Hernandez", "Rachel Goldberg", "Kevin O'Malley", "Priya Patel", "Anthony Russo",
    "Fatima Haddad", "Brian Schultz", "Tanya Jackson", "Miguel Alvarez", "Erin Sullivan", "Hyun-woo Park",
    "Lakisha Brown", "Peter Lindqvist", "Sofia Rossi", "Marcus Johnson", "Emily Nguyen", "Dmitri Volkov",
    "Grace Okafor", "Sean Fitzgerald", "Ana Lucia Morales", "Robert Pietrzak", "Jasmine Carter", "Omar Farouk",
    "Megan Hoffman", "Carlos Mendoza", "Hannah Weiss", "Terrence Moore", "Yuki Tanaka", "Patrick Doyle",
    "Nadia Rahman", "Greg Lindstrom", "Veronica Castillo", "Andre Thompson", "Colleen Murphy", "Raj Mehta",
    "Lucia Romero", "Daniel Kim", "Bridget Kelly", "Samuel Adeyemi", "Ingrid Svensson", "Victor Gutierrez",
    "Monique Davis",
]
_CAST_AREAS = ("312", "773", "872", "708", "630")


def cast():
    """The ~50 named customers: (name, phone, email, car, year, mileage, vin), stable forever."""
    people = []
    for n, name in enumerate(CAST_NAMES):
        car = CARS[(n * 5) % len(CARS)]
        year = 2012 + (n * 7) % 13
        handle = name.lower().replace(" ", ".").replace("'", "")
        people.append({
            "name": name, "phone": f"+1{_CAST_AREAS[n % 5]}5550{101 + n:03d}", "email": f"{handle}@example.com",
            "car": car, "year": year, "mileage": 12000 + (n * 7919) % 140000,
            "vin": make_vin(car, year, 900000 + n, plant="C"),
        })
    demo = dict(DEMO_CALLER, vin=make_vin(DEMO_CALLER["car"], DEMO_CALLER["year"], 999999, plant="C"))
    return [demo, *people]


# --- Generated customers for large data sets -------------------------------------------------

_BULK_AREAS = ("312", "773", "872", "708", "630", "847", "224", "331", "779", "815", "217", "309", "618",
               "447", "464", "730", "262", "414", "219", "574")
_BULK_LINES = range(200, 10000)
BULK_CAPACITY = len(_BULK_AREAS) * len(_BULK_LINES)
_FIRST = ("James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
          "Joseph Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony Betty Mark Sandra Jose "
          "Ashley Juan Kimberly Luis Emily Kevin Donna Brian Michelle Jorge Carol Jamal Amanda Wei Melissa Tyrone "
          "Deborah Marek Stephanie Ahmed Rebecca").split()
_LAST = ("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
         "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
         "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
         "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Kowalski Nowak Wisniewski Murphy O'Brien "
         "Patel Kim Chen Wang Ali Okafor Cohen Schmidt Russo Romano").split()


def bulk_customer(index):
    """Generated customer number `index`: (name, phone, vin, car, year); the same every time."""
    area = _BULK_AREAS[index // len(_BULK_LINES)]
    line = _BULK_LINES[index % len(_BULK_LINES)]
    name = f"{_FIRST[index % len(_FIRST)]} {_LAST[(index // len(_FIRST)) % len(_LAST)]}"
    car = CARS[index % len(CARS)]
    year = 2010 + index % 15
    return name, f"+1{area}555{line:04d}", make_vin(car, year, index, plant="B"), car, year


# --- Holidays ----------------------------------------------------------------------------------


def holiday_closures(today):
    """The next Thanksgiving (with the Friday after) and Christmas Day, from `today` on."""
    closures = []
    for year in (today.year, today.year + 1):
        november_first = date(year, 11, 1)
        thanksgiving = november_first + timedelta(days=(3 - november_first.weekday()) % 7 + 21)
        closures.append((thanksgiving, thanksgiving + timedelta(days=1), "Thanksgiving"))
        closures.append((date(year, 12, 25), date(year, 12, 25), "Christmas Day"))
    upcoming = [c for c in closures if c[1] >= today]
    return [min((c for c in upcoming if c[2] == reason), key=lambda c: c[0]) for reason in ("Thanksgiving", "Christmas Day")]

