"""Voice activity detection: silero (ONNX, no torch) hears a spoken sentence, not silence or hiss."""

import sys

import numpy as np

from calls.tests.spoken import noise, silence, speech_span, spoken
from calls.voice.audio import PHONE_RATE, mulaw_decode
from calls.voice.vad import SileroVAD, SpeechDetector, WebRtcVAD, load_vad, silero_model_path

SENTENCE = "Hi, I'd like to book an oil change for next Tuesday afternoon."


def events_for(mulaw, vad=None, **options):
    detector = SpeechDetector(vad or load_vad(), **options)
    events = []
    pcm = mulaw_decode(mulaw)
    for start in range(0, len(pcm), 160):  # 20 ms at a time, as Twilio sends it
        events += detector.push(pcm[start : start + 160])
    return events


def test_silero_runs_from_the_packaged_onnx_file_without_torch():
    assert silero_model_path().name == "silero_vad.onnx"
    assert load_vad().name == "silero"
    assert "torch" not in sys.modules


def test_it_hears_a_spoken_sentence_from_its_start_to_its_end():
    audio = silence(0.5) + spoken(SENTENCE) + silence(1.0)
    first, last = speech_span(audio)
    events = events_for(audio)
    kinds = [e.kind for e in events]
    assert kinds[0] == "speech_started" and kinds[-1] == "speech_ended"
    assert kinds.count("speech_started") == 1  # commas are not the end of the turn
    assert abs(events[0].sample - first) < 0.15 * PHONE_RATE
    assert abs(events[-1].sample - last) < 0.15 * PHONE_RATE


def test_speech_started_comes_within_150_ms_of_the_voice():
    audio = silence(0.5) + spoken(SENTENCE)
    detector = SpeechDetector(load_vad())
    pcm = mulaw_decode(audio)
    first, _ = speech_span(audio)
    for start in range(0, len(pcm), 160):
        if any(e.kind == "speech_started" for e in detector.push(pcm[start : start + 160])):
            break
    assert start + 160 - first < 0.15 * PHONE_RATE


def test_it_ignores_silence_and_a_quiet_line_hiss():
    assert events_for(silence(3)) == []
    assert events_for(noise(3, amplitude=60)) == []


def test_it_ignores_loud_white_noise():
    assert events_for(noise(3, amplitude=2000, seed=1)) == []


def test_a_pause_followed_by_more_speech_is_one_utterance_with_a_resume():
    audio = spoken("I need an oil change") + silence(0.15) + spoken("next Tuesday") + silence(0.6)
    kinds = [e.kind for e in events_for(audio)]
    assert kinds.count("speech_started") == 1
    assert "resumed" in kinds
    assert kinds[-1] == "speech_ended"


def test_two_sentences_with_a_long_gap_are_two_utterances():
    audio = spoken("Yes, that works.") + silence(1.0) + spoken("Thank you.") + silence(1.0)
    kinds = [e.kind for e in events_for(audio)]
    assert kinds.count("speech_started") == 2
    assert kinds.count("speech_ended") == 2


def test_the_endpoint_waits_for_the_configured_silence():
    audio = silence(0.3) + spoken("Yes.") + silence(1.0)
    _, last = speech_span(audio)
    short = [e for e in events_for(audio, endpoint_ms=200) if e.kind == "speech_ended"]
    detector = SpeechDetector(load_vad(), endpoint_ms=600)
    pcm = mulaw_decode(audio)
    ended_at = None
    for start in range(0, len(pcm), 160):
        if any(e.kind == "speech_ended" for e in detector.push(pcm[start : start + 160])):
            ended_at = start + 160
            break
    assert len(short) == 1
    assert 0.55 * PHONE_RATE <= ended_at - last <= 0.8 * PHONE_RATE


def test_silero_gives_speech_high_and_silence_low_probability():
    vad = SileroVAD()
    pcm = mulaw_decode(spoken(SENTENCE))
    probabilities = [vad.probability(pcm[i : i + 256]) for i in range(0, len(pcm) - 255, 256)]
    vad.reset()
    quiet = [vad.probability(np.zeros(256, dtype=np.int16)) for _ in range(20)]
    assert np.mean(np.array(probabilities) > 0.5) > 0.6
    assert max(quiet) < 0.1


def test_webrtcvad_fallback_hears_the_sentence_in_a_quiet_line():
    audio = silence(0.5) + spoken(SENTENCE) + silence(1.0)
    kinds = [e.kind for e in events_for(audio, vad=WebRtcVAD())]
    assert kinds[0] == "speech_started" and kinds[-1] == "speech_ended"
    assert events_for(silence(2), vad=WebRtcVAD()) == []
