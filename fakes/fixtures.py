"""pytest fixtures that serve a vendor fake for the length of one test, with its default key.

A conftest or test module imports the ones it uses; pytest knows a fixture by the name it is
imported under:

    from fakes.fixtures import openai               # noqa: F401 (a fixture)
    from fakes.fixtures import openai as fake       # noqa: F401 (the same, as `fake`)
"""

import pytest

from fakes.deepgram import FakeDeepgram
from fakes.openai import FakeOpenAI


@pytest.fixture
def deepgram():
    with FakeDeepgram() as fake:
        yield fake


@pytest.fixture
def openai():
    """The first token jitters as the real one does, over a narrower range (50-250 ms) to keep
    long conversations short."""
    with FakeOpenAI(first_token_s=(0.05, 0.25)) as fake:
        yield fake
