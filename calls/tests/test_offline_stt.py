"""Offline speech to text: caller sentences spoken by the offline TTS, through the phone codec,
recognised by Whisper tiny.en behind silero VAD endpointing."""

import asyncio
import time

import pytest

from calls.tests.spoken import frames_of, noise, silence, spoken
from calls.voice.errors import VendorError
from calls.voice.stt.accuracy import domain_sentences, normalize, word_error_rate
from calls.voice.stt.base import SpeechContinues, SpeechStarted, Transcript, UtteranceEnd
from calls.voice.stt.offline import OfflineSTT
from calls.voice.stt.whisper import without_repetition


async def recognise(audio, **options):
    """Stream `audio` in 20 ms frames, close, and return every event the engine produced."""
    stt = OfflineSTT(**options)
    await stt.start()
    events = []

    async def read():
        async for event in stt.events():
            events.append(event)

    reader = asyncio.create_task(read())
    for frame in frames_of(audio):
        await stt.send(frame)
    await stt.close()
    await asyncio.wait_for(reader, 30)
    return events


def finals(events):
    return [e.text for e in events if isinstance(e, Transcript) and e.is_final]


async def test_it_recognises_a_booking_request_through_the_phone_codec():
    sentence = "Hi, I'd like to book an oil change for next Tuesday afternoon."
    events = await recognise(silence(0.4) + spoken(sentence) + silence(1.5))
    assert isinstance(events[0], SpeechStarted)
    [text] = finals(events)
    assert word_error_rate([sentence], [text]) <= 0.1, text
    final = next(e for e in events if isinstance(e, Transcript) and e.is_final)
    assert final.speech_final
    assert isinstance(events[-1], UtteranceEnd)  # 1.5 s of silence after the final


async def test_dates_and_times_come_out_as_a_caller_said_them():
    events = await recognise(spoken("Can I reschedule my oil change to the 14th at 2?") + silence(0.8))
    heard = normalize(" ".join(finals(events)))
    assert "reschedule my oil change to the 14th at 2" in heard, heard


async def test_a_vin_read_digit_by_digit_is_recognised_character_by_character():
    sentence = "My VIN is 1 H G C M 8 2 6 3 3 A 0 0 4 3 5 2."
    events = await recognise(spoken(sentence) + silence(0.8))
    assert word_error_rate([sentence], [" ".join(finals(events))]) <= 0.15


async def test_ongoing_speech_is_reported_every_fifth_of_a_second_and_only_while_it_lasts():
    # A paused agent waits on these instead of resuming over a caller Whisper has no words for yet.
    speech = spoken("Hi, I'd like to book an oil change for next Tuesday afternoon.")
    events = await recognise(silence(0.4) + speech + silence(1.5))
    reports = sum(isinstance(e, SpeechContinues) for e in events)
    seconds = len(speech) / 8000  # mu-law: one byte a sample
    # Every 0.2 s from the VAD's start to its end point (250 ms after the last word).
    assert seconds / 0.2 - 3 <= reports <= (seconds + 0.25) / 0.2 + 1, (reports, seconds)
    assert not any(
        isinstance(e, SpeechContinues)
        for e in events[events.index(next(e for e in events if isinstance(e, UtteranceEnd))) :]
    )


async def test_two_turns_give_two_finals_in_order():
    audio = spoken("I need to cancel my appointment.") + silence(1.2) + spoken("Yes, cancel it please.") + silence(0.8)
    events = await recognise(audio)
    texts = finals(events)
    assert len(texts) == 2
    assert "cancel my appointment" in normalize(texts[0])
    assert "cancel it" in normalize(texts[1])
    assert sum(isinstance(e, SpeechStarted) for e in events) == 2


async def test_silence_and_line_hiss_produce_no_transcript():
    assert await recognise(silence(2) + noise(2, amplitude=60)) == []


async def test_hanging_up_mid_sentence_still_gives_what_was_said():
    events = await recognise(silence(0.3) + spoken("I'd like to book a tire rotation"))  # no trailing silence
    assert "tire rotation" in normalize(" ".join(finals(events)))


async def test_sending_before_start_is_a_clear_error():
    with pytest.raises(VendorError):
        await OfflineSTT().send(silence(0.02))


async def test_close_twice_is_harmless_and_events_end():
    stt = OfflineSTT()
    await stt.start()
    await stt.close()
    await stt.close()
    assert [event async for event in stt.events()] == []


def test_a_decoding_loop_is_cut_but_real_words_are_kept():
    assert without_repetition("Are you open on Sundays? Are you open on Sundays? Are you") == "Are you open on Sundays?"
    assert without_repetition("No, no, I said Wednesday.") == "No, no, I said Wednesday."
    assert without_repetition("My number is 5 5 5 5 2 0 1") == "My number is 5 5 5 5 2 0 1"


@pytest.mark.timeout(900)  # 60 sentences spoken and recognised: ~40 s on two quiet cores
async def test_word_error_rate_on_the_domain_set_is_at_most_ten_percent():
    sentences = domain_sentences()
    hypotheses = []
    for sentence in sentences:
        events = await recognise(silence(0.3) + spoken(sentence) + silence(0.8))
        hypotheses.append(" ".join(finals(events)))
    wer = word_error_rate(sentences, hypotheses)
    print(f"\nOffline STT WER on the domain set ({len(sentences)} sentences): {wer:.1%}")
    for sentence, hypothesis in zip(sentences, hypotheses):
        if normalize(sentence) != normalize(hypothesis):
            print(f"  said:  {sentence}\n  heard: {hypothesis}")
    assert wer <= 0.10


async def test_speech_started_comes_from_the_vad_while_the_caller_is_still_talking():
    from calls.tests.spoken import speech_span

    audio = silence(0.5) + spoken("Wait, no, I said Wednesday, not Tuesday.") + silence(0.8)
    onset, end = speech_span(audio)
    stt = OfflineSTT()
    await stt.start()
    sent_at_start = None
    events = []

    async def read():
        async for event in stt.events():
            events.append(event)

    reader = asyncio.create_task(read())
    sent = 0
    for frame in frames_of(audio):
        await stt.send(frame)
        sent += len(frame)
        await asyncio.sleep(0)
        if sent_at_start is None and events:
            sent_at_start = sent
    await stt.close()
    await reader
    assert isinstance(events[0], SpeechStarted)
    assert sent_at_start - onset < 0.15 * 8000  # after less than 150 ms of the caller's voice
    assert all(not isinstance(e, Transcript) or e.at >= events[0].at for e in events)


async def live(audio, **options):
    """Stream `audio` in real time, as a call does; returns [(samples sent when it came, event)]."""
    stt = OfflineSTT(**options)
    await stt.start()
    sent, events = 0, []

    async def read():
        async for event in stt.events():
            events.append((sent, event))

    reader = asyncio.create_task(read())
    loop = asyncio.get_running_loop()
    tick = loop.time()
    for frame in frames_of(audio):
        await stt.send(frame)
        sent += len(frame)
        tick += len(frame) / 8000
        await asyncio.sleep(max(0.0, tick - loop.time()))
    await stt.close()
    await asyncio.wait_for(reader, 30)
    return events


async def test_a_final_says_when_the_callers_speech_ended():
    from calls.tests.spoken import speech_span

    audio = silence(0.4) + spoken("I need new brake pads on my truck.") + silence(1.2)
    _, end = speech_span(audio)
    started = time.monotonic()
    events = await live(audio)
    final = next(e for _, e in events if isinstance(e, Transcript) and e.is_final)
    voice_ended = started + end / 8000
    assert abs(final.speech_ended_at - voice_ended) < 0.15  # the VAD's end of speech, on the arrival clock
    assert final.at - final.speech_ended_at >= 0.2  # at least the silence that ends a phrase went by
    interims = [e for _, e in events if isinstance(e, Transcript) and not e.is_final]
    assert all(e.speech_ended_at is None for e in interims)


async def test_a_caller_who_does_not_pause_has_their_first_words_recognised_while_still_talking():
    from calls.tests.spoken import speech_span

    audio = silence(0.3) + spoken("What time do you close on Saturdays?") + silence(1.0)
    _, end = speech_span(audio)
    events = await live(audio)
    sent_at, first = next((sent, e) for sent, e in events if isinstance(e, Transcript) and e.text)
    assert not first.is_final and sent_at < end - 0.8 * 8000, "words long before the caller stops"
    assert normalize(first.text).startswith("what"), first.text


async def test_a_hum_comes_out_as_an_acknowledgement_not_as_words():
    from calls.voice.caller import is_backchannel
    from calls.voice.interfaces import BACKCHANNELS

    events = await recognise(silence(0.3) + spoken("Mm-hmm.") + silence(1.2))
    texts = [e.text for e in events if isinstance(e, Transcript)]
    assert texts and all(is_backchannel(text, BACKCHANNELS) for text in texts), texts
