"""manage.py simulate_call: a whole call spoken by the offline TTS through the real server, the
consumer and the voice loop on the embedded engines, ending with the booking it made."""

import json
import os
import re
import sqlite3
import subprocess
import sys
import zoneinfo
from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from calls.models import Call, Turn
from crm.models import Customer
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = settings.BASE_DIR


def booking_day(tz):
    """A day the shop opens at 9, and how a caller says it."""
    day = datetime.now(tz).date() + timedelta(days=1)
    if day.weekday() == 6:  # closed on Sundays
        return day + timedelta(days=1), "on Monday"
    return day, "tomorrow"


def when(moment):
    return f"{moment:%a %b} {moment.day} {moment:%-I:%M %p}"


def test_a_regular_caller_books_an_oil_change_by_voice(live_app, twilio, shop, oil_change, customer):
    day, words = booking_day(shop.tz)
    out = StringIO()
    call_command(
        "simulate_call", f"I'd like an oil change {words} at 9 AM.", "Yes please.", server=live_app.url, stdout=out
    )

    nine = datetime(day.year, day.month, day.day, 9, tzinfo=shop.tz)
    appointment = Appointment.objects.get(customer=customer)
    assert (appointment.start, appointment.service_type, appointment.source) == (nine, oil_change, "phone_agent")
    printed = out.getvalue()
    assert "Calling Otto's Auto Repair from (312) 555-0147 (Dana Whitfield)" in printed
    assert f"Caller: I'd like an oil change {words} at 9 AM." in printed
    assert re.search(r"Agent:  \[\d[\d,]* ms\] So that's an oil change on .* at 9 AM\. Shall I book it\?", printed)
    assert re.search(r"Agent:  \[\d[\d,]* ms\] You're all set\.", printed)
    assert printed.rstrip().endswith(f"Booked: Oil change, {when(nine)}")

    call = Call.objects.get(customer=customer)
    assert (call.outcome, call.end_reason) == ("booked", "caller_hung_up")
    roles = list(Turn.objects.filter(call=call).values_list("role", flat=True))
    assert roles == ["assistant", "user", "assistant", "user", "assistant"]


def test_with_nothing_configured_it_runs_its_own_server_on_the_embedded_default(tmp_path):
    """As a user runs it on a fresh checkout: SQLite, no keys, no servers, an empty database."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "REDIS_URL",
            "DEEPGRAM_API_KEY",
            "OPENAI_API_KEY",
            "TWILIO_AUTH_TOKEN",
            "PUBLIC_BASE_URL",
        )
    }
    env["DATA_DIR"] = str(tmp_path)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True, timeout=120)
    tz_day, words = booking_day(zoneinfo.ZoneInfo(settings.SHOP_TIME_ZONE))
    script = tmp_path / "caller.txt"
    script.write_text(
        f"# Dana books the first free time\nI'd like an oil change {words} morning.\n\nThe first one.\nYes please.\n"
    )

    done = subprocess.run(
        [*manage, "simulate_call", "--json", "--script", str(script)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)

    assert "loaded the demo shop" not in done.stdout, "only the JSON goes to stdout"
    assert report["from_number"] == "+13125550147" and report["customer"] == "Dana Whitfield"
    (booked,) = report["changes"]
    assert (booked["action"], booked["service"]) == ("booked", "Oil change")
    assert datetime.fromisoformat(booked["start"]).date() == tz_day
    assert report["result"] == f"Booked: Oil change, {booked['when']}"
    assert report["outcome"] == "booked" and report["ended_by"] == "caller" and report["unanswered"] == []
    said = [line["said"] for line in report["transcript"] if line["role"] == "caller"]
    assert said == [f"I'd like an oil change {words} morning.", "The first one.", "Yes please."]
    agent = [line for line in report["transcript"] if line["role"] == "agent"]
    assert len(agent) == 4 and all(line["latency_ms"] > 0 for line in agent[1:])
    assert agent[0]["text"].startswith("Hi Dana, thanks for calling")
    assert len(report["latencies"]) == 3

    with sqlite3.connect(tmp_path / "ottos.sqlite3") as db:
        rows = db.execute(
            "SELECT a.source, c.phone FROM scheduling_appointment a JOIN crm_customer c ON c.id = a.customer_id "
            "WHERE a.id = ?",
            (booked["appointment_id"],),
        ).fetchall()
    assert rows == [("phone_agent", "+13125550147")]


# --- what it refuses, before any call is placed ------------------------------------------------------


def test_it_needs_something_for_the_caller_to_say(shop, oil_change):
    with pytest.raises(CommandError, match="Give the caller something to say"):
        call_command("simulate_call")


def test_a_caller_id_that_is_not_a_phone_number_is_refused(shop, oil_change):
    with pytest.raises(CommandError, match="--from: .*not a (valid )?phone number"):
        call_command("simulate_call", "Hello", from_number="12")


def test_a_script_that_cannot_be_read_or_says_nothing_is_refused(tmp_path, shop, oil_change):
    with pytest.raises(CommandError, match="Cannot read the script"):
        call_command("simulate_call", script=str(tmp_path / "missing.txt"))
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing but a comment\n\n")
    with pytest.raises(CommandError, match="has no lines to say"):
        call_command("simulate_call", script=str(empty))


def test_a_shop_without_services_is_not_seeded_over(shop, customer):
    with pytest.raises(CommandError, match="no active services"):
        call_command("simulate_call", "I need an oil change")
    assert Customer.objects.count() == 1, "demo customers are only loaded into an empty database"


def test_a_server_that_refuses_the_webhook_is_reported(live_app, shop, oil_change, settings):
    settings.DEBUG, settings.TWILIO_AUTH_TOKEN = False, ""  # the server accepts no unsigned webhooks
    with pytest.raises(CommandError, match=r"refused the incoming-call webhook \(403\)"):
        call_command("simulate_call", "Hello", server=live_app.url, stdout=StringIO())
    assert not Call.objects.exists()
