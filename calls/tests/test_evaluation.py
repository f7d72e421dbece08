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
    bad.write_text('[[scenario]]\nid = "x"\nsays = ["hi"]\n[scenario.expect]\nappointments = ["Oil change Wednesday"]\n')
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
    result = run_with(SaysOnly("You're all set: your oil change is booked for Wednesday at 9 AM."),
                      scenario(BOOK_WEDNESDAY), monkeypatch)
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
            return tool_calls(tool_call("get_available_slots", {
                "service": "Oil change", "date": answer.wednesday, "part_of_day": "morning"}))
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


def test_the_scripted_receptionist_ends_at_least_95_percent_of_the_shipped_calls_right():
    results = run.run_all(scenarios.load())
    failed = [f"{r.id}: {r.failures}" for r in results if not r.passed]
    assert run.pass_rate(results) >= 0.95, "\n".join(failed)


# --- The command a shop runs --------------------------------------------------------------------


def test_the_command_runs_in_a_throwaway_database_and_fails_below_the_threshold(tmp_path):
    env = {**os.environ, "SECRET_KEY": "x", "DEBUG": "true", "DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    (tmp_path / "one.toml").write_text(BOOK_WEDNESDAY + """
[[scenario]]
id = "impossible"
caller = "dana"
says = ["Hi"]
[scenario.expect]
mentions = ["a sentence no receptionist says"]
""")
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "manage.py", "evaluate_calls", str(tmp_path / "one.toml"), "--json", str(out),
         "--threshold", "0.9"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "50.0% of calls ended right, below the threshold of 90%" in done.stderr
    assert "one.toml" in done.stdout and "impossible" in done.stdout
    results = json.loads(out.read_text())
    assert [(r["id"], r["passed"]) for r in results["results"]] == [("book-wednesday", True), ("impossible", False)]
    assert not list(tmp_path.glob("evaluate_calls*")), "the throwaway database is dropped"


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
