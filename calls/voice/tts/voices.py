"""Deepgram's Aura-2 English voices (model names), for the shop's Settings page.

Apart from the Deepgram client (calls/voice/tts/deepgram.py) so that the page, and every process
that loads the URLs (each manage.py command's checks), does not import the Deepgram SDK for a list.
"""

AURA_2_ENGLISH_VOICES = tuple(
    f"aura-2-{name}-en"
    for name in (
        "amalthea andromeda apollo arcas aries asteria athena atlas aurora callista cora cordelia delia draco "
        "electra harmonia helena hera hermes hyperion iris janus juno jupiter luna mars minerva neptune odysseus "
        "ophelia orion orpheus pandora phoebe pluto saturn selene thalia theia vesta zeus"
    ).split()
)
