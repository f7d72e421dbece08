"""manage.py evaluate_calls: scenarios read strictly, calls judged on the records and on every
word the agent said, both brains, and the command a shop runs."""

import json
import os
import subprocess
import sys
import zoneinfo
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import override_settings

from calls.evaluation import run, scenarios, shop
from calls.voice.llm.base import Brain, Done, TextDelta
from fakes.openai import FakeOpenAI, text, tool_call, tool_calls

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
TZ = zoneinfo.ZoneInfo("America/Chicago")


def scenario(toml):
    return scenarios.parse(__import__("tomllib").loads(toml)["scenario"][0], source="test.toml")


BOOK_WEDNESDAY = """
[[scenario]]
id = "book-wednesday"
caller = "dana"
at = "Monday 10:00"
says = ["I need an oil change Wednesday morning", "The first one", "Yes please"]
[[scenario.when]]
heard = "wait|drop"
say = "I'll wait"
[scenario.expect]
appointments = ["Oil change on Wednesday 7:30-12:00"]
"""


# --- Reading scenarios ------------------------------------------------------------------------


def test_a_mistake_in_a_scenario_file_names_the_file_and_the_scenario(tmp_path):
    bad = tmp_path / "mine.toml"
    bad.write_text(
        '[[scenario]]\nid = "x"\nsays = ["hi"]\n[scenario.expect]\nappointments = ["Oil change Wednesday"]\n'
    )
    with pytest.raises(scenarios.ScenarioError, match=r"mine.toml: scenario 'x': an appointment is"):
        scenarios.load([bad])
    bad.write_text('[[scenario]]\nid = "y"\nsays = ["hi"]\ncaler = "dana"\n')
    with pytest.raises(scenarios.ScenarioError, match=r"unknown keys \['caler'\]"):
        scenarios.load([bad])
    bad.write_text('[[scenario]]\nid = "z"\nsays = "hi"\n')
    with pytest.raises(scenarios.ScenarioError, match="says"):
        scenarios.load([bad])
    bad.write_text("[[scenario]\n")
    with pytest.raises(scenarios.ScenarioError, match="not valid TOML"):
        scenarios.load([bad])


def test_the_same_id_twice_is_refused(tmp_path):
    (tmp_path / "a.toml").write_text('[[scenario]]\nid = "same"\nsays = ["hi"]\n')
    (tmp_path / "b.toml").write_text('[[scenario]]\nid = "same"\nsays = ["hello"]\n')
    with pytest.raises(scenarios.ScenarioError, match="also used in a.toml"):
        scenarios.load([tmp_path])


def test_days_are_relative_to_the_call_and_the_call_is_at_least_a_week_ahead():
    s = scenario('[[scenario]]\nid = "d"\nat = "Saturday 22:50"\nsays = ["hi"]\n')
    moment = shop.call_moment(s, TZ, today=__import__("datetime").date(2026, 12, 6))  # a Sunday
    assert (moment.date().isoformat(), moment.hour, moment.minute) == ("2026-12-19", 22, 50)
    saturday = moment.date()
    assert scenarios.day("tomorrow").on(saturday).weekday() == 6
    assert scenarios.day("saturday").on(saturday) == saturday + timedelta(days=7)
    assert scenarios.day("monday").on(saturday) == saturday + timedelta(days=2)
    assert scenarios.day("+3").on(saturday) == saturday + timedelta(days=3)


# --- Judging ------------------------------------------------------------------------------------


class SaysOnly(Brain):
    """A brain that answers every turn with one line and never calls a tool: whatever it claims,
    the records stay as they were."""

    def __init__(self, line):
        self.line = line

    async def respond(self, messages, tools):
        yield TextDelta(self.line)
        yield Done("stop")

    async def close(self):
        pass


def run_with(brain, s, monkeypatch):
    monkeypatch.setattr(run, "brain_for", lambda kind, tz: brain)
    return run.run_scenario(s)


def test_a_claimed_booking_the_records_do_not_show_fails_the_call(monkeypatch):
    result = run_with(
        SaysOnly("You're all set: your oil change is booked for Wednesday at 9 AM."),
        scenario(BOOK_WEDNESDAY),
        monkeypatch,
    )
    assert not result.passed
    assert any("claimed booked but nothing was" in f for f in result.failures), result.failures
    assert any("expected 'Oil change on Wednesday 7:30-12:00'" in f for f in result.failures)


def test_a_friendly_youre_all_set_that_says_no_time_claims_no_booking(monkeypatch):
    s = scenario('[[scenario]]\nid = "f"\nsays = ["What are your hours?"]\n')
    assert run_with(SaysOnly("You're all set. Have a good day."), s, monkeypatch).passed
    said = run_with(SaysOnly("You're all set for Friday at 9 AM."), s, monkeypatch)
    assert any("claimed booked" in f for f in said.failures), said.failures


def test_a_price_the_shop_never_approved_fails_the_call_even_when_nothing_else_was_asked(monkeypatch):
    s = scenario('[[scenario]]\nid = "p"\nsays = ["How much for a timing belt?"]\n')
    assert run_with(SaysOnly("A timing belt is about $89."), s, monkeypatch).failures == [
        "the agent spoke a price the shop never approved: $89"
    ]
    assert run_with(SaysOnly("An oil change is $49 to $99."), s, monkeypatch).passed


def test_saying_the_same_thing_over_and_over_fails_the_call(monkeypatch):
    s = scenario('[[scenario]]\nid = "l"\nsays = ["the first one", "the first one", "the first one"]\n')
    result = run_with(SaysOnly("Sorry, I didn't catch that."), s, monkeypatch)
    assert any("the same thing" in f for f in result.failures), result.failures


def test_the_scripted_receptionist_books_and_the_judge_reads_the_database():
    result = run.run_scenario(scenario(BOOK_WEDNESDAY))
    assert result.passed, result.failures
    assert any(t[0] == "book_appointment" for line in result.transcript for t in line["tools"])


def test_two_full_days_in_one_scenario_are_both_full_and_the_next_open_day_is_offered():
    result = run.run_scenario(
        scenario(
            """
[[scenario]]
id = "two-full-days"
caller = "dana"
at = "Monday 10:00"
says = ["Can I get an oil change Wednesday or Thursday?", "The first one", "Yes please", "No, that's all"]
[[scenario.when]]
heard = "wait|drop"
say = "I'll wait"
[scenario.shop]
full = ["Wednesday", "Thursday"]
[scenario.expect]
appointments = ["Oil change on Friday"]
"""
        )
    )
    assert result.passed, result.failures


# --- The language-model brain against the project's fake OpenAI ----------------------------


def test_the_language_model_brain_is_evaluated_the_same_way():
    def answer(body):
        messages = body["messages"]
        last = messages[-1]
        if last["role"] == "tool":
            result = json.loads(last["content"])
            if "slots" in result:
                first = result["slots"][0]
                answer.slot = first["start"]
                return text(f"I have {first['say']}. Shall I book it?")
            if result.get("booked"):
                return text(f"You're all set for {result['when']}. Anything else?")
            return tool_calls(tool_call("end_call", {}), text="Thanks for calling, goodbye!")
        said = last["content"].lower()
        if "oil change" in said:
            return tool_calls(
                tool_call(
                    "get_available_slots", {"service": "Oil change", "date": answer.wednesday, "part_of_day": "morning"}
                )
            )
        if said.startswith(("yes", "the first")):
            return tool_calls(tool_call("book_appointment", {"service": "Oil change", "start": answer.slot}))
        return tool_calls(tool_call("end_call", {}), text="Thanks for calling, goodbye!")

    s = scenario(BOOK_WEDNESDAY)
    answer.wednesday = (shop.call_moment(s, TZ).date() + timedelta(days=2)).isoformat()
    with FakeOpenAI() as fake, override_settings(OPENAI_API_KEY=fake.api_key, OPENAI_BASE_URL=fake.base_url):
        fake.reply = answer
        result = run.run_scenario(s, brain="openai")
    assert result.passed, (result.failures, result.transcript)
    assert fake.requests, "the model was never asked"


# --- The shipped scenarios ----------------------------------------------------------------------


def test_the_shipped_scenarios_load_and_are_many():
    loaded = scenarios.load()
    assert len(loaded) >= 150, len(loaded)


@pytest.mark.timeout(600)  # over 1,100 calls, each in a freshly built shop
def test_the_scripted_receptionist_ends_at_least_95_percent_of_the_shipped_calls_right():
    # Two processes (this machine's cores), each in a throwaway PostgreSQL database of its own.
    shipped = scenarios.load()
    results = run.run_all(shipped, jobs=2)
    assert [r.id for r in results] == [s.id for s in shipped]
    failed = [f"{r.id}: {r.failures}" for r in results if not r.passed]
    assert run.pass_rate(results) >= 0.95, "\n".join(failed)


# --- The command a shop runs --------------------------------------------------------------------


def test_the_command_runs_in_a_throwaway_database_and_fails_below_the_threshold(tmp_path):
    env = {**os.environ, "SECRET_KEY": "x", "DEBUG": "true", "DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    (tmp_path / "one.toml").write_text(
        BOOK_WEDNESDAY
        + """
[[scenario]]
id = "impossible"
caller = "dana"
says = ["Hi"]
[scenario.expect]
mentions = ["a sentence no receptionist says"]
"""
    )
    out = tmp_path / "results.json"
    done = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "evaluate_calls",
            str(tmp_path / "one.toml"),
            "--json",
            str(out),
            "--threshold",
            "0.9",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "50.0% of calls ended right, below the threshold of 90%" in done.stderr
    assert "one.toml" in done.stdout and "impossible" in done.stdout
    results = json.loads(out.read_text())
    assert [(r["id"], r["passed"]) for r in results["results"]] == [("book-wednesday", True), ("impossible", False)]
    assert not list(tmp_path.glob("evaluation_*")), "the throwaway database is dropped"


def test_the_shops_own_cache_is_not_touched_by_an_evaluation():
    """The evaluation's shop has the demo shop's time zone and the cast's phone numbers: none of
    it may reach the cache the shop's calls read (Redis here, as in production)."""
    from django.core.cache import cache

    from crm.phone_cache import cache_key
    from scheduling.shop_settings import TIME_ZONE_CACHE_KEY

    dana = shop.CAST["dana"].phone
    cache.set(TIME_ZONE_CACHE_KEY, "Europe/Lisbon")
    cache.set(cache_key(dana), "missing")  # the real shop has nobody with Dana's number
    [result] = run.run_all([scenario(BOOK_WEDNESDAY)])
    assert result.passed, result.failures
    assert cache.get(TIME_ZONE_CACHE_KEY) == "Europe/Lisbon"
    assert cache.get(cache_key(dana)) == "missing"


def test_while_held_nothing_is_queued_and_what_would_have_been_is_kept():
    from ottos.lib import queueing

    class Task:
        name = "scheduling.tasks.send_appointment_text"
        sent = []

        def delay(self, *args, **kwargs):
            self.sent.append(args)

    with queueing.held() as kept:
        queueing.delay_on_commit(Task(), 7, log=None, failure="")
    assert Task.sent == [] and kept == [("scheduling.tasks.send_appointment_text", (7,), {})]
    queueing.delay_on_commit(Task(), 8, log=None, failure="")
    assert Task.sent == [(8,)]


# --- Repair orders: "is my car ready?" ----------------------------------------------------------

TRUCK = """
[[scenario]]
id = "truck"
caller = "marcus"
at = "Thursday 10:00"
says = ["Go ahead with the brakes on the truck"]
[[scenario.repair_orders]]
vehicle = "2012 Ford F-150"
status = "awaiting_approval"
promised = "friday 17:00"
note = "{note}"
note_approved = {note_approved}
internal = "Customer was rude to the front desk"
technician = "Luis"
lines = ["Front brake pads $189-$349", "Coolant flush $129", "Diagnostic $99 done"]
[scenario.expect]
{expect}
"""


def truck(expect="", note="The rotors arrive Thursday morning", note_approved="true"):
    return scenario(TRUCK.format(expect=expect, note=note, note_approved=note_approved))


def judged(s, said, act=None):
    """The judge's failures when the agent said `said` and, during the call, `act(order)` ran."""
    from calls.evaluation.dialogue import Line
    from calls.evaluation.judge import judge
    from scheduling.models import RepairOrder

    with shop.staged(s) as stage:
        if act is not None:
            act(RepairOrder.objects.filter(customer=stage.customer).order_by("pk").first())
        return judge(
            s,
            before=stage.before,
            lines=[Line("caller", line) for line in s.says] + [Line("agent", said)],
            ended=None,
            phone=stage.phone,
            call_day=stage.moment.date(),
            tz=stage.tz,
        )


def decide(*descriptions, decision="approve", actor=None):
    from scheduling.actions import Actor
    from scheduling.repair_orders import actions

    def act(order):
        ids = [line.pk for line in order.lines.all() if line.description in descriptions]
        how = actions.approve_job_lines if decision == "approve" else actions.decline_job_lines
        how(order, ids, actor=actor or Actor.phone_agent("CAtest"), via="phone", customer=order.customer)

    return act


def test_a_repair_orders_scenario_is_built_through_the_actions_with_every_field():
    from scheduling.models import RepairOrder

    s = truck()
    with shop.staged(s) as stage:
        order = RepairOrder.objects.get(customer=stage.customer)
        assert (order.status, str(order.vehicle), order.technician) == ("awaiting_approval", "2012 Ford F-150", "Luis")
        assert order.status_note_approved and order.internal_notes.startswith("Customer was rude")
        assert order.promised_at.astimezone(TZ).weekday() == 4 and order.promised_at.astimezone(TZ).hour == 17
        assert [(l.description, l.status, l.estimate_low, l.amount) for l in order.lines.all()] == [
            ("Front brake pads", "recommended", 189, None),
            ("Coolant flush", "recommended", None, 129),
            ("Diagnostic", "done", None, 99),
        ]
        assert order.changes.exists(), "written through the repair-order actions"
        assert RepairOrder.objects.exclude(customer=stage.customer).count() == 1, "the bystander's car is in too"


def test_the_shipped_repair_order_scenarios_load_and_cover_every_status():
    loaded = scenarios.load([scenarios.SHIPPED / "repair_orders.toml"])
    assert len(loaded) >= 40
    assert {o.status for s in loaded for o in s.repair_orders} == set(scenarios.REPAIR_STATUSES)
    assert any(s.expect.approved for s in loaded) and any(s.expect.declined for s in loaded)
    assert any(s.expect.requested for s in loaded)


def test_repair_order_mistakes_are_refused_with_the_file_and_the_scenario(tmp_path):
    bad = tmp_path / "ro.toml"
    head = '[[scenario]]\nid = "r"\ncaller = "marcus"\nsays = ["hi"]\n[[scenario.repair_orders]]\n'
    cases = [
        (
            'vehicle = "2012 Ford F-150"\nstatus = "awaiting_approval"\nmechanic = "Luis"\n',
            r"ro.toml: scenario 'r': unknown repair order keys \['mechanic'\]",
        ),
        ('vehicle = "the truck"\nstatus = "ready"\n', "vehicle is '<year> <make> <model>'"),
        ('vehicle = "2012 Ford F-150"\nstatus = "picked_up"\n', "status is one of"),
        ('vehicle = "2012 Ford F-150"\nstatus = "ready"\npromised = "soon"\n', "promised"),
        ('vehicle = "2012 Ford F-150"\nstatus = "ready"\nlines = ["Pads $349-$189"]\n', "below its low end"),
        ('vehicle = "2012 Ford F-150"\nstatus = "ready"\nlines = ["Pads $abc"]\n', "a job line is"),
        (
            'vehicle = "2012 Ford F-150"\nstatus = "ready"\nlines = ["Pads $1"]\n[scenario.expect]\napproved = ["Rotors"]\n',
            "expect.approved: the caller has no job line 'Rotors'",
        ),
        (
            'vehicle = "2012 Ford F-150"\nstatus = "ready"\nlines = ["Pads $1 done"]\n[scenario.expect]\ndeclined = ["pads"]\n',
            "'pads' is done, not waiting",
        ),
        (
            'vehicle = "2012 Ford F-150"\nstatus = "ready"\nlines = ["Pads $1"]\n[scenario.expect]\napprove = ["Pads"]\n',
            r"unknown expect keys \['approve'\]",
        ),
        (
            'vehicle = "2012 Ford F-150"\nstatus = "ready"\nlines = ["Pads $1"]\n[scenario.expect]\ndecline_reason = "x"\n',
            "decline_reason needs expect.declined",
        ),
        (
            'vehicle = "2012 Ford F-150"\nstatus = "ready"\ncustomer = "priya"\nlines = ["Pads $1"]\n'
            '[scenario.expect]\napproved = ["Pads"]\n',
            "the caller has no job line",
        ),
    ]
    for body, message in cases:
        bad.write_text(head + body)
        with pytest.raises(scenarios.ScenarioError, match=message):
            scenarios.load([bad])


def test_a_repair_order_for_someone_outside_the_cast_is_refused_naming_the_scenario():
    s = scenario(
        '[[scenario]]\nid = "nobody"\ncaller = "withheld"\nsays = ["hi"]\n[[scenario.repair_orders]]\n'
        'vehicle = "2012 Ford F-150"\nstatus = "ready"\n'
    )
    with pytest.raises(scenarios.ScenarioError, match=r"scenario 'nobody': a repair order belongs to one of the cast"):
        run.run_scenario(s)


def test_the_judge_passes_exactly_the_named_approval_by_phone_on_this_call():
    s = truck('approved = ["Front brake pads"]')
    assert judged(s, "Done: I've approved the front brake pads, $189 to $349.", decide("Front brake pads")) == []
    assert any("should be approved on this call; it is recommended" in f for f in judged(s, "Okay, thanks."))


def test_approving_a_line_the_caller_did_not_name_fails_the_call():
    named = truck('approved = ["Front brake pads"]')
    failures = judged(named, "I've approved both.", decide("Front brake pads", "Coolant flush"))
    assert any("'Coolant flush' changed though the caller decided nothing" in f for f in failures), failures
    unnamed = truck()  # no expectation: nothing may change at all
    failures = judged(unnamed, "Okay.", decide("Coolant flush"))
    assert any("'Coolant flush' changed" in f for f in failures), failures


def test_an_approval_not_made_by_the_phone_agent_does_not_count():
    from scheduling.actions import Actor

    s = truck('approved = ["Front brake pads"]')
    failures = judged(s, "Okay.", decide("Front brake pads", actor=Actor.command("someone")))
    assert any("not by phone on this call" in f for f in failures), failures


def test_a_declined_line_and_a_requested_line_are_judged_on_the_records():
    from scheduling.actions import Actor
    from scheduling.repair_orders import actions

    s = truck('declined = ["Coolant flush"]\nrequested = ["tire rotation"]')

    def act(order):
        decide("Coolant flush", decision="decline")(order)
        actions.request_work(
            order,
            description="Rotate the tires (tire rotation)",
            actor=Actor.phone_agent("CAtest"),
            customer=order.customer,
        )

    assert judged(s, "I've noted that you're declining the coolant flush.", act) == []
    for reason, passed in (("dealer", True), ("money", False)):
        with_reason = truck('declined = ["Coolant flush"]\ndecline_reason = "dealer"')

        def decline(order, reason=reason):
            actions.decline_job_lines(
                order,
                [order.lines.get(description="Coolant flush").pk],
                reason=f"The {reason}",
                actor=Actor.phone_agent("CAtest"),
                via="phone",
                customer=order.customer,
            )

        assert (judged(with_reason, "Okay.", decline) == []) is passed
    failures = judged(s, "Okay.", decide("Coolant flush", decision="decline"))
    assert failures == ["no requested job line /tire rotation/ was added; added: nothing"], failures

    def unrequested(order):
        actions.add_job_line(order, description="Wiper blades", amount=35, actor=Actor.phone_agent("CAtest"))

    failures = judged(truck(), "Okay.", unrequested)
    assert any("not the caller's request" in f for f in failures), failures


def test_a_claimed_approval_or_a_ready_car_the_records_do_not_show_fails_the_call():
    s = truck()
    failures = judged(s, "Great, I've approved the front brake pads.")
    assert any("records say otherwise" in f for f in failures), failures
    failures = judged(s, "Your go-ahead is recorded.")
    assert any("claimed work approved but nothing was" in f for f in failures), failures
    failures = judged(s, "Good news, your truck is ready for pickup.")
    assert any("said the car is ready" in f for f in failures), failures
    assert judged(s, "The diagnostic is done. The brake pads aren't approved yet. Shall I approve them?") == []


def test_saying_the_technicians_name_or_the_internal_notes_fails_the_call():
    s = truck()
    assert any("technician's name: 'Luis'" in f for f in judged(s, "Luis is working on your truck right now."))
    failures = judged(s, "The notes say the customer was rude to the front desk.")
    assert any("read internal notes" in f for f in failures), failures
    assert judged(s, "Your F-150 is waiting for your go-ahead on the estimate.") == []


def test_reading_a_status_note_nobody_approved_fails_the_call():
    unapproved = truck(note="Frame rust is bad, might not pass inspection", note_approved="false")
    failures = judged(unapproved, "Frame rust is bad and it might not pass inspection.")
    assert any("unapproved status note" in f for f in failures), failures
    assert judged(truck(), "The rotors arrive Thursday morning.") == []


def test_speaking_of_someone_elses_car_fails_the_call():
    s = truck()
    failures = judged(s, "The Outback is waiting on a head gasket replacement.")
    assert any("someone else's car" in f for f in failures), failures
    assert any("someone else's work: 'Head gasket replacement'" in f for f in failures), failures
    assert any("technician's name" in f for f in judged(s, "Bogdan has it."))


def test_the_callers_estimates_and_their_totals_are_approved_prices():
    s = truck()
    assert judged(s, "The brake pads are $189 to $349 and the coolant flush is $129.") == []
    assert judged(s, "Together that's $318 to $478.") == []
    assert judged(s, "Your neighbour's head gasket is $1,840.") != []
    assert judged(s, "The pads are $200.") == ["the agent spoke a price the shop never approved: $200"]
