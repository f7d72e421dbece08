"""One rule for how urgent a caller sounds: a voicemail is filed as urgent on the same words that
make the receptionist's message urgent (before, the voicemail task kept a shorter list of its own)."""

import pytest

from calls.agent.scripted.messages import sounds_urgent
from calls.agent.scripted.words import normalize
from calls.tasks import urgency_of

SAID = [
    ("The brake pedal goes almost to the floor now, I'm scared to drive it", "urgent"),
    ("It smells like raw fuel inside the car", "urgent"),
    ("Coolant is pouring out under the engine", "urgent"),
    ("My truck died on the expressway and I need a tow", "urgent"),
    ("Could someone call me back today about my brakes", "soon"),
    ("No rush, just wondering about a quote for tires", "routine"),
    ("Hi, this is Dana, about my oil change next week", "routine"),
]


@pytest.mark.parametrize(("words", "urgency"), SAID)
def test_a_voicemail_and_a_message_read_urgency_alike(words, urgency):
    assert urgency_of(words) == urgency
    assert sounds_urgent(normalize(words)) == (urgency == "urgent")
