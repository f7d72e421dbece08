"""The fake Deepgram's conventions for caller speech and its recogniser, on the audio clock."""

import pytest

from fakes.deepgram import decode_mulaw, is_speech, read_spoken, silence, spoken, tone
from fakes.deepgram.recognizer import Recognizer

PHONE = {
    "model": "nova-3",
    "encoding": "mulaw",
    "sample_rate": "8000",
    "interim_results": "true",
    "endpointing": "300",
    "utterance_end_ms": "1000",
    "vad_events": "true",
    "smart_format": "true",
}


def recognizer(query=PHONE, lines=()):
    """Exact timing: an interim every 0.25 s of speech, one final per utterance, with speech_final."""
    lines = list(lines)
    return Recognizer(
        query,
        next_line=lambda: lines.pop(0) if lines else None,
        interim_interval_s=0.25,
        interim_jitter=0,
        split_finals_s=None,
        no_speech_final=0,
    )


def transcripts(messages, *, final):
    return [
        m["channel"]["alternatives"][0]["transcript"]
        for m in messages
        if m["type"] == "Results" and m["is_final"] is final
    ]


def test_spoken_audio_carries_its_text_and_sounds_like_speech():
    audio = spoken("Can I bring my Civic in on Thursday? ¿Sí?")
    assert read_spoken(audio) == "Can I bring my Civic in on Thursday? ¿Sí?"
    assert read_spoken(audio[1234:]) == "Can I bring my Civic in on Thursday? ¿Sí?"
    assert all(is_speech(audio[i : i + 160]) for i in range(0, len(audio), 160))
    assert len(audio) == pytest.approx(8000 * 0.065 * 41, abs=160)


def test_silence_and_tone_are_told_apart():
    assert not is_speech(silence(0.02))
    assert set(decode_mulaw(silence(0.1))) == {0}
    assert is_speech(tone(0.02))
    assert read_spoken(tone(1.0) + silence(1.0)) is None


def test_spoken_refuses_empty_text():
    with pytest.raises(ValueError):
        spoken("")


def test_an_utterance_is_heard_as_speech_started_then_growing_interims_then_final_then_utterance_end():
    r = recognizer()
    messages = r.feed(silence(0.5) + spoken("I need an oil change on Tuesday.", seconds=2.0) + silence(1.5))
    kinds = [m["type"] for m in messages]
    assert kinds[0] == "SpeechStarted" and messages[0]["timestamp"] == 0.5
    assert kinds[-1] == "UtteranceEnd"
    interims = transcripts(messages, final=False)
    assert interims[0] == "I need"  # the words begun in its first 0.25 s
    assert all(later.startswith(earlier) for earlier, later in zip(interims, interims[1:]))
    final = [m for m in messages if m["type"] == "Results" and m["is_final"]]
    assert len(final) == 1 and final[0]["speech_final"] is True
    assert final[0]["channel"]["alternatives"][0]["transcript"] == "I need an oil change on Tuesday."
    words = final[0]["channel"]["alternatives"][0]["words"]
    assert [w["word"] for w in words][-1] == "tuesday" and words[-1]["punctuated_word"] == "Tuesday."
    # endpointing: the final lands 300 ms of audio after the speech ended at 2.5 s
    assert final[0]["start"] + final[0]["duration"] == pytest.approx(2.8, abs=0.021)
    assert messages[-1]["last_word_end"] == pytest.approx(2.5, abs=0.021)


def test_timing_follows_the_audio_not_how_it_was_chunked():
    audio = silence(0.3) + spoken("Brakes are squealing.") + silence(1.2) + tone(0.8) + silence(1.2)
    whole = recognizer(lines=["Also an oil change."]).feed(audio)
    pieces = recognizer(lines=["Also an oil change."])
    chunked = [m for i in range(0, len(audio), 37) for m in pieces.feed(audio[i : i + 37])]

    def strip(messages):
        return [{k: v for k, v in m.items() if k != "metadata"} for m in messages]

    assert strip(chunked) == strip(whole)
    assert transcripts(whole, final=True) == ["Brakes are squealing.", "Also an oil change."]


def test_speech_without_a_carrier_takes_script_lines_in_order_then_is_noise():
    r = recognizer(lines=["Hi, it's Dana.", "Yes please."])
    audio = b"".join(tone(0.7) + silence(1.2) for _ in range(3))
    messages = r.feed(audio)
    assert transcripts(messages, final=True) == ["Hi, it's Dana.", "Yes please.", ""]
    assert [m["type"] for m in messages].count("SpeechStarted") == 3
    assert [m["type"] for m in messages].count("UtteranceEnd") == 2  # noise has no last word


def test_a_short_pause_inside_an_utterance_does_not_end_it():
    r = recognizer(lines=["Tuesday, maybe Wednesday."])
    messages = r.feed(tone(0.6) + silence(0.2) + tone(0.6) + silence(0.5))
    assert transcripts(messages, final=True) == ["Tuesday, maybe Wednesday."]


def test_finalize_flushes_the_words_heard_so_far():
    r = recognizer()
    r.feed(spoken("Hold on a second", seconds=1.0))
    (message,) = r.finalize()
    assert message["from_finalize"] is True and message["is_final"] is True
    assert message["channel"]["alternatives"][0]["transcript"] == "Hold on a second"
    assert transcripts(r.feed(silence(1.2)), final=True) == []  # not repeated at the endpoint


def test_close_finishes_pending_speech_then_sends_metadata():
    r = recognizer()
    r.feed(spoken("Goodbye", seconds=0.6))
    *results, metadata = r.close()
    assert transcripts(results, final=True) == ["Goodbye"]
    assert metadata["type"] == "Metadata" and metadata["duration"] == pytest.approx(0.6)
    assert metadata["channels"] == 1 and len(metadata["sha256"]) == 64


def test_without_endpointing_the_final_waits_for_the_utterance_end_gap():
    r = recognizer({**PHONE, "endpointing": "false"})
    messages = r.feed(spoken("Thanks", seconds=0.6) + silence(1.1))
    (final,) = [m for m in messages if m["type"] == "Results" and m["is_final"]]
    assert final["speech_final"] is False
    assert messages[-1]["type"] == "UtteranceEnd"


def test_without_interim_results_or_vad_events_only_finals_are_sent():
    r = recognizer({"model": "nova-3", "endpointing": "300", "utterance_end_ms": "1000"})
    messages = r.feed(spoken("Just the final", seconds=0.8) + silence(1.5))
    assert [m["type"] for m in messages] == ["Results"]


def test_an_unfinished_script_line_is_handed_back_when_the_stream_dies():
    r = recognizer(lines=["Half of this"])
    r.feed(tone(0.6))
    assert r.abandon() == [("Half of this", "Half of this", True)]
