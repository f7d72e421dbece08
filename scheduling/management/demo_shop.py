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
    "name": "Dana Whitfield",
    "phone": "+13125550147",
    "email": "dana.whitfield@example.com",
    "car": CARS[1],
    "year": 2019,
    "mileage": 48210,
}

CAST_NAMES = [
    "Marisol Ortega",
    "James Kowalski",
    "Aisha Bello",
    "Tom Brennan",
    "Mei Lin Chen",
    "Darnell Washington",
    "Katarzyna Nowak",
    "Luis Hernandez",
    "Rachel Goldberg",
    "Kevin O'Malley",
    "Priya Patel",
    "Anthony Russo",
    "Fatima Haddad",
    "Brian Schultz",
    "Tanya Jackson",
    "Miguel Alvarez",
    "Erin Sullivan",
    "Hyun-woo Park",
    "Lakisha Brown",
    "Peter Lindqvist",
    "Sofia Rossi",
    "Marcus Johnson",
    "Emily Nguyen",
    "Dmitri Volkov",
    "Grace Okafor",
    "Sean Fitzgerald",
    "Ana Lucia Morales",
    "Robert Pietrzak",
    "Jasmine Carter",
    "Omar Farouk",
    "Megan Hoffman",
    "Carlos Mendoza",
    "Hannah Weiss",
    "Terrence Moore",
    "Yuki Tanaka",
    "Patrick Doyle",
    "Nadia Rahman",
    "Greg Lindstrom",
    "Veronica Castillo",
    "Andre Thompson",
    "Colleen Murphy",
    "Raj Mehta",
    "Lucia Romero",
    "Daniel Kim",
    "Bridget Kelly",
    "Samuel Adeyemi",
    "Ingrid Svensson",
    "Victor Gutierrez",
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
        people.append(
            {
                "name": name,
                "phone": f"+1{_CAST_AREAS[n % 5]}5550{101 + n:03d}",
                "email": f"{handle}@example.com",
                "car": car,
                "year": year,
                "mileage": 12000 + (n * 7919) % 140000,
                "vin": make_vin(car, year, 900000 + n, plant="C"),
            }
        )
    demo = dict(DEMO_CALLER, vin=make_vin(DEMO_CALLER["car"], DEMO_CALLER["year"], 999999, plant="C"))
    return [demo, *people]


# --- Cars in the shop ------------------------------------------------------------------------

# A second car for a cast member (name, car, year, mileage): Marcus has his RAV4 and a truck in.
SECOND_CARS = [
    ("Marcus Johnson", ("Ford", "F-150", "1FT", "EW1EP"), 2015, 118240),
]

# Open repair orders, one or two per status, for cast members' cars (the customer's car of that
# make and model). Times are relative to the day seed_demo runs, in the shop's time zone:
# `opened` and `promised` are (open days from today, "H:MM"), day 0 being today or, when the
# shop is closed today, its next open day; negative days are before it. A job line is
# (description, low, high, amount, status[, decline reason]); `requested` marks work the
# customer asked for on the phone, unpriced. Internal notes and technicians are for the shop
# only; a status note is read to callers only when `note_approved`.
REPAIR_ORDERS = [
    {
        "customer": "Dana Whitfield",
        "car": ("Honda", "CR-V"),
        "status": "ready",
        "opened": (-1, "8:10"),
        "promised": (0, "17:00"),
        "note": "All done: new front brake pads and an oil change. We also topped off the washer fluid.",
        "note_approved": True,
        "internal": "Rear tires at 4/32; mention at the next visit, not before.",
        "technician": "Sam Okoro",
        "lines": [
            ("Front brake pads", 189, 349, None, "done"),
            ("Oil change", None, None, 69, "done"),
        ],
    },
    {
        "customer": "Marcus Johnson",
        "car": ("Ford", "F-150"),
        "status": "awaiting_approval",
        "opened": (0, "7:45"),
        "promised": (1, "16:00"),
        "note": "We've inspected the truck; the estimate is ready for your go-ahead.",
        "note_approved": True,
        "internal": "Asked about a discount for paying cash; check with Otto before quoting one.",
        "technician": "Hector Ruiz",
        "lines": [
            ("Check engine light diagnostic", None, None, 99, "done"),
            ("Front brake pads", 189, 349, None, "recommended"),
            ("Rear rotors", 220, 300, None, "recommended"),
            ("Coolant flush", None, None, 129, "recommended"),
        ],
    },
    {
        "customer": "Marcus Johnson",
        "car": ("Toyota", "RAV4"),
        "status": "in_progress",
        "opened": (0, "7:45"),
        "promised": (0, "16:30"),
        "technician": "Jerome Ellis",
        "lines": [
            ("Oil change", None, None, 59, "approved"),
            ("Tire rotation", None, None, 29, "done"),
        ],
    },
    {
        "customer": "Aisha Bello",
        "car": ("Hyundai", "Elantra"),
        "status": "diagnosing",
        "opened": (0, "9:20"),
        "internal": "Stalls at idle now and then; suspect the crank sensor. Don't quote until confirmed.",
        "technician": "Bartosz Zielinski",
        "lines": [("Check engine light diagnostic", 99, 149, None, "approved")],
    },
    {
        "customer": "Tom Brennan",
        "car": ("Ram", "1500"),
        "status": "waiting_parts",
        "opened": (-2, "8:00"),
        "promised": ("parts", "17:00"),
        "note": "The water pump arrives {parts_day} morning.",
        "note_approved": True,
        "internal": "First supplier backordered; the second one charged $40 more. Eat the difference.",
        "technician": "Hector Ruiz",
        "lines": [
            ("Water pump replacement", 420, 560, None, "approved"),
            ("Thermostat", None, None, 85, "approved"),
            ("Wiper blades", None, None, 35, "declined", "Will replace them himself"),
        ],
    },
    {
        "customer": "Anthony Russo",
        "car": ("Ford", "F-150"),
        "status": "in_progress",
        "opened": (0, "8:30"),
        "promised": (0, "15:30"),
        "note": "The A/C is recharged; we're finishing the leak test now.",
        "note_approved": True,
        "technician": "Jerome Ellis",
        "lines": [
            ("A/C service", 149, 249, None, "approved"),
            ("Cabin air filter", None, None, 45, "approved"),
            ("Tire rotation", None, None, None, "requested"),
        ],
    },
    {
        "customer": "Mei Lin Chen",
        "car": ("Toyota", "RAV4"),
        "status": "checked_in",
        "opened": (0, "7:35"),
        "promised": (1, "12:00"),
        "lines": [("State inspection", None, None, 35, "approved")],
    },
    {
        "customer": "Darnell Washington",
        "car": ("Subaru", "Outback"),
        "status": "on_hold",
        "opened": (-3, "10:15"),
        # Not approved: an advisor has not decided how to put this to the customer yet.
        "note": "The head gasket is leaking and the repair may cost more than the car is worth.",
        "note_approved": False,
        "internal": "Waiting to hear whether his extended warranty covers it; don't discuss cost until then.",
        "technician": "Bartosz Zielinski",
        "lines": [
            ("Cooling system pressure test", None, None, 89, "done"),
            ("Head gasket replacement", 1800, 2400, None, "recommended"),
        ],
    },
    {
        "customer": "Katarzyna Nowak",
        "car": ("Kia", "Sorento"),
        "status": "ready",
        "opened": (0, "8:05"),
        "promised": (0, "15:00"),
        "technician": "Sam Okoro",
        "lines": [
            ("Battery replacement", None, None, 189, "done"),
            ("Wheel alignment", 99, 149, None, "declined", "Maybe next month"),
        ],
    },
    {
        "customer": "Rachel Goldberg",
        "car": ("Chevrolet", "Silverado 1500"),
        "status": "picked_up",
        "opened": (-2, "9:00"),
        "promised": (-1, "12:00"),
        "closed": (-1, "16:40"),
        "technician": "Hector Ruiz",
        "lines": [("Transmission fluid service", 179, 299, None, "done")],
    },
]


def open_day(today, days, *, past=False):
    """The shop's open day `days` open days from today by the demo's weekly hours. Day 0 is
    today, or when the shop is closed today its next open day (its last one for a `past`
    moment, such as when a car came in); negative days are before it."""
    step = -1 if past or days < 0 else 1
    day = today
    while day.weekday() not in HOURS:
        day += timedelta(days=-1 if past else 1)
    for _ in range(abs(days)):
        day += timedelta(days=step)
        while day.weekday() not in HOURS:
            day += timedelta(days=step)
    return day


# --- Generated customers for large data sets -------------------------------------------------

_BULK_AREAS = (
    "312",
    "773",
    "872",
    "708",
    "630",
    "847",
    "224",
    "331",
    "779",
    "815",
    "217",
    "309",
    "618",
    "447",
    "464",
    "730",
    "262",
    "414",
    "219",
    "574",
)
_BULK_LINES = range(200, 10000)
BULK_CAPACITY = len(_BULK_AREAS) * len(_BULK_LINES)
_FIRST = (
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Carlos Karen Daniel Lisa Matthew Nancy Anthony Betty Mark Sandra Jose "
    "Ashley Juan Kimberly Luis Emily Kevin Donna Brian Michelle Jorge Carol Jamal Amanda Wei Melissa Tyrone "
    "Deborah Marek Stephanie Ahmed Rebecca"
).split()
_LAST = (
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Kowalski Nowak Wisniewski Murphy O'Brien "
    "Patel Kim Chen Wang Ali Okafor Cohen Schmidt Russo Romano"
).split()


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
    return [
        min((c for c in upcoming if c[2] == reason), key=lambda c: c[0]) for reason in ("Thanksgiving", "Christmas Day")
    ]
