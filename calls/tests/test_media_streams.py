"""Twilio's Media Streams frames, parsed without a socket (protocols.md 1.5): what Twilio sends
becomes a typed event, anything else a BadFrame naming what it was."""

import base64
import json

import pytest

from calls.telephony import media_streams as twilio

STREAM = "MZ" + "5f" * 16
CALL = "CA" + "9e" * 16


def frame(**message):
    return json.dumps(message)


def test_a_start_says_which_call_and_stream_and_carries_the_token_and_caller():
    start = twilio.parse(
        frame(
            event="start",
            sequenceNumber="1",
            streamSid=STREAM,
            start={
                "streamSid": STREAM,
                "callSid": CALL,
                "tracks": ["inbound"],
                "customParameters": {"call_token": "k3Jq9", "caller": "+14155550100"},
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
            },
        )
    )
    assert start == twilio.Start(call_sid=CALL, stream_sid=STREAM, call_token="k3Jq9", caller="+14155550100")


@pytest.mark.parametrize("parameters", [{}, {"caller": "+14155550100"}, {"call_token": ""}, {"call_token": 7}])
def test_a_start_without_its_call_token_is_refused(parameters):
    with pytest.raises(twilio.BadStart):
        twilio.parse(frame(event="start", streamSid=STREAM, start={"callSid": CALL, "customParameters": parameters}))


def test_a_withheld_caller_is_an_empty_caller_not_a_refusal():
    start = twilio.parse(
        frame(event="start", streamSid=STREAM, start={"callSid": CALL, "customParameters": {"call_token": "t"}})
    )
    assert start.caller == ""


def test_media_marks_keys_and_stop():
    audio = bytes(range(160))
    media = frame(
        event="media",
        streamSid=STREAM,
        media={"track": "inbound", "chunk": "2", "timestamp": "40", "payload": base64.b64encode(audio).decode()},
    )
    assert twilio.parse(media) == twilio.Media(audio)
    assert twilio.parse(frame(event="mark", streamSid=STREAM, mark={"name": "t3-s2"})) == twilio.Mark("t3-s2")
    assert twilio.parse(frame(event="dtmf", streamSid=STREAM, dtmf={"track": "inbound_track", "digit": "0"})) == (
        twilio.Dtmf("0")
    )
    assert twilio.parse(frame(event="stop", streamSid=STREAM, stop={"callSid": CALL})) == twilio.Stop()
    assert twilio.parse(frame(event="connected", protocol="Call", version="1.0.0")) == twilio.Connected()


@pytest.mark.parametrize(
    "text,what",
    [
        (None, "a binary frame"),
        ("x" * (twilio.MAX_FRAME_CHARS + 1), "an oversized frame"),
        ("{not json", "a frame that is not JSON"),
        ("[1, 2]", "a JSON frame that is not an object"),
        (frame(event="hello"), "an unknown event 'hello'"),
        (frame(event=["media"]), "an unknown event \"['media']\""),
        (frame(event={"media": 1}), "an unknown event"),
        ("[" * 30_000 + "]" * 30_000, "a JSON frame nested too deep"),
        (frame(event="media", media={}), "a media frame without a payload"),
        (frame(event="media", media={"payload": "***"}), "a media frame that is not base64"),
        (frame(event="mark", mark={"name": None}), "a mark without a name"),
        (frame(event="dtmf", dtmf={"digit": "12"}), "a dtmf without a digit"),
    ],
)
def test_anything_else_is_a_bad_frame_that_says_what_it_was(text, what):
    with pytest.raises(twilio.BadFrame) as refused:
        twilio.parse(text)
    assert not isinstance(refused.value, twilio.BadStart)
    assert str(refused.value).startswith(what)


def test_outgoing_frames_are_what_twilio_plays():
    frames = twilio.OutgoingFrames(STREAM)
    media = json.loads(frames.media(b"\xff" * 160))
    assert media == {
        "event": "media",
        "streamSid": STREAM,
        "media": {"payload": base64.b64encode(b"\xff" * 160).decode()},
    }
    assert json.loads(frames.mark("t1-s1")) == {"event": "mark", "streamSid": STREAM, "mark": {"name": "t1-s1"}}
    assert json.loads(frames.clear()) == {"event": "clear", "streamSid": STREAM}
