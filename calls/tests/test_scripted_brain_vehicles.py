"""The scripted receptionist adds a vehicle by VIN, however the caller reads it out: digit by
digit over several turns, in groups, with "oh" for zero; it checks it and reads it back first."""

import pytest

from calls.tests.scripted_calls import DANA, NEWCOMER, call_from, clock, db  # noqa: F401 (fixtures)
from crm.models import Customer, Vehicle

pytestmark = pytest.mark.django_db(transaction=True)
VIN = "1HGCM82633A004352"  # a 2003 Honda; check digit valid
VIN_READ_BACK = "1 H G C, M 8 2 6, 3 3 A 0, 0 4 3 5, 2"


def vehicles_of(phone):
    return list(Vehicle.objects.filter(owner__phone=phone).values_list("vin", flat=True))


async def test_a_vin_read_digit_by_digit_over_several_turns_is_read_back_and_added(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("I got a new car and want to add it to my account")
    assert said == "Sure. Please read me the 17-character VIN, a few characters at a time.", call.transcript
    said = await call.caller("one, H, G, C, M")
    assert said == "1 H G C, M. That's 5 of 17. Go on.", call.transcript
    said = await call.caller("eight two six three three")
    assert said == "8 2 6 3, 3. That's 10 of 17. Go on."
    said = await call.caller("A as in apple, oh, oh, four")
    assert said == "A 0 0 4. That's 14 of 17. Go on.", call.transcript
    said = await call.caller("three five two")
    assert said == f"I have {VIN_READ_BACK}. That's a 2003 Honda. Shall I add it to your record?", call.transcript
    assert await db(vehicles_of, DANA) == []
    said = await call.caller("Yes, that's right")
    assert said.startswith("Done. I've added the 2003 Honda to your record."), call.transcript
    assert await db(vehicles_of, DANA) == [VIN]


async def test_a_vin_given_in_groups_in_one_go(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Can you add a vehicle? The VIN is 1HGCM 82633 A004352")
    assert said == f"I have {VIN_READ_BACK}. That's a 2003 Honda. Shall I add it to your record?", call.transcript
    await call.caller("yes")
    assert await db(vehicles_of, DANA) == [VIN]


async def test_a_misheard_vin_fails_its_check_digit_and_is_read_again(shop, customer, call_from):
    call = await call_from(DANA)
    await call.caller("I want to add a car")
    said = await call.caller("1 H G C M 8 2 6 3 4 A 0 0 4 3 5 2")  # one digit off
    assert said.startswith("Hmm, 1 H G C, M 8 2 6, 3 4 A 0, 0 4 3 5, 2 isn't a valid VIN"), call.transcript
    said = await call.caller("one h g c m eight two six three three a zero zero four three five two")
    assert said.endswith("Shall I add it to your record?"), call.transcript
    await call.caller("yes")
    assert await db(vehicles_of, DANA) == [VIN]


async def test_a_wrong_read_back_starts_over(shop, customer, call_from):
    call = await call_from(DANA)
    await call.caller("I need to add my vehicle, the vin number is 1HGCM82633A004352")
    said = await call.caller("No, that's not right")
    assert said.startswith("Sorry about that. Let's start over."), call.transcript
    said = await call.caller("double five, one, H, G")
    assert said.startswith("5 5 1 H, G. That's 5 of 17."), call.transcript
    assert await db(vehicles_of, DANA) == []


async def test_a_new_caller_is_put_on_file_before_the_vehicle(shop, call_from):
    call = await call_from(NEWCOMER)
    said = await call.caller("I'd like to add my car, I have the VIN")
    assert said == "Sure. I'll put you on file first. Can I get your name, please?", call.transcript
    said = await call.caller("My name is Ana Ruiz")
    assert said == "Thanks, Ana. Please read me the 17-character VIN, a few characters at a time."
    await call.caller("1HGCM82633A004352")
    said = await call.caller("yes")
    assert said.startswith("Done. I've added the 2003 Honda"), call.transcript
    customer = await db(Customer.objects.get, phone=NEWCOMER)
    assert customer.name == "Ana Ruiz"
    assert await db(vehicles_of, NEWCOMER) == [VIN]


async def test_a_vin_read_with_nato_words_and_pauses_is_read_back_whole(shop, customer, call_from):
    call = await call_from(DANA)
    await call.caller("I want to add a car")
    await call.caller("one, hotel, golf")
    await call.caller("charlie mike eight")
    await call.caller("two six three three")
    said = await call.caller("A as in apple, zero zero, four three five two")
    assert said == f"I have {VIN_READ_BACK}. That's a 2003 Honda. Shall I add it to your record?", call.transcript
    await call.caller("Yes")
    assert await db(vehicles_of, DANA) == [VIN]


async def test_an_invalid_vin_is_called_invalid_and_twice_invalid_asks_for_the_car_instead(shop, customer, call_from):
    call = await call_from(DANA)
    said = await call.caller("Add my car please, the VIN is 1 H G C M 8 2 6 3 4 A 0 0 4 3 5 2")
    assert "1 H G C, M 8 2 6, 3 4 A 0, 0 4 3 5, 2 isn't a valid VIN" in said, call.transcript
    said = await call.caller("1 H G C M 8 2 6 3 4 A 0 0 4 3 5 2")
    assert said.endswith("What's the year, make and model?"), call.transcript
    said = await call.caller("It's a 2003 Honda Accord")
    assert said == "So that's a 2003 Honda Accord. Shall I add it to your record?", call.transcript
    await call.caller("Yes")
    assert await db(lambda: list(Vehicle.objects.filter(owner__phone=DANA).values_list("year", "make", "model"))) == [
        (2003, "Honda", "Accord")
    ]


@pytest.mark.parametrize(
    "said, then, year, make, model",
    [
        ("Hey, I just bought a 2018 Toyota Camry, can you add it to my account?", None, 2018, "Toyota", "Camry"),
        (
            "I want to add my car",
            "I don't have the VIN handy, it's a twenty fifteen Chevy Silverado",
            2015,
            "Chevrolet",
            "Silverado",
        ),
        ("Can you add my wife's car to my account?", "a 2016 Honda CR-V", 2016, "Honda", "CR-V"),
    ],
)
async def test_a_car_is_added_by_year_make_and_model(shop, customer, call_from, said, then, year, make, model):
    call = await call_from(DANA)
    reply = await call.caller(said)
    if then:
        reply = await call.caller(then)
    assert reply == f"So that's a {year} {make} {model}. Shall I add it to your record?", call.transcript
    reply = await call.caller("Yes")
    assert reply.startswith(f"Done. I've added the {year} {make} {model} to your record."), call.transcript
    rows = await db(lambda: list(Vehicle.objects.filter(owner__phone=DANA).values_list("year", "make", "model")))
    assert (year, make, model) in rows


async def test_a_new_caller_adding_a_car_by_model_is_put_on_file(shop, call_from):
    call = await call_from(NEWCOMER)
    said = await call.caller("I'd like to add my 2015 Ford F-150 to my account")
    assert said == "Sure. I'll put you on file first. Can I get your name, please?", call.transcript
    said = await call.caller("My name is Bo Diaz")
    assert said == "So that's a 2015 Ford F-150. Shall I add it to your record?", call.transcript
    await call.caller("Yes")
    customer = await db(Customer.objects.get, phone=NEWCOMER)
    assert customer.name == "Bo Diaz"
