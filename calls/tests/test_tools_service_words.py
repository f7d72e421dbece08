"""Which service a price question names: the one the words really name, through speech
recognition's slips, and none when the caller names a job the shop does not list."""

from types import SimpleNamespace

import pytest

from calls.agent.tools.service_words import named_service, names_a_job

DEMO = [
    SimpleNamespace(name=name)
    for name in (
        "Oil change",
        "Tire rotation",
        "Brake pads",
        "State inspection",
        "Check engine light diagnostic",
        "A/C service",
        "Wheel alignment",
        "Battery replacement",
        "Coolant flush",
        "Transmission fluid service",
    )
]


@pytest.mark.parametrize(
    ("said", "service"),
    [
        ("How much is an oil change?", "Oil change"),
        ("how much are break pads", "Brake pads"),
        ("how much for oil chains", "Oil change"),
        ("what do you charge for an allignment", "Wheel alignment"),
        ("The brakes", "Brake pads"),
        ("how much to get my brakes done on a 2015 Civic", "Brake pads"),
        ("how much to rotate my tires", "Tire rotation"),
        ("how much for AC", "A/C service"),
        ("how much for an A C service", "A/C service"),
        ("how much to fix my air conditioning", "A/C service"),
        ("how much to check the engine light", "Check engine light diagnostic"),
        ("how much for a new battery", "Battery replacement"),
        ("what's a smog check run", "State inspection"),
        ("how much is a radiator flush", "Coolant flush"),
        ("transmission flush", "Transmission fluid service"),
    ],
)
def test_the_words_name_the_service(said, service):
    assert named_service(said, DEMO).name == service


@pytest.mark.parametrize(
    "said",
    [
        "how much for a timing belt?",
        "What do you charge for a transmission rebuild?",
        "how much for new tires",
        "how much for brake rotors",
        "how much for brake fluid flush",
        "how much to fix an oil leak",
        "how much for a new engine",
        "AC compressor",
        "battery cables",
        "how much for a wheel bearing",
        "how much for a brake light",
    ],
)
def test_another_job_names_no_service(said):
    assert named_service(said, DEMO) is None
    assert names_a_job(said)


def test_a_name_that_covers_the_whole_job_is_named():
    services = [SimpleNamespace(name="Brake pads"), SimpleNamespace(name="Brake pads and rotors")]
    assert named_service("how much for brake pads and rotors", services).name == "Brake pads and rotors"
    assert named_service("brake rotors", services).name == "Brake pads and rotors"


@pytest.mark.parametrize("said", ["What do you charge?", "what are your prices", "how much would it be for my car"])
def test_a_question_without_a_job_names_none(said):
    assert not names_a_job(said)
    assert named_service(said, DEMO) is None
