"""The voice engine: one phone conversation in plain asyncio. Read this first.

It knows nothing of Django, Channels, the shop or any tool by name: it is handed a transport
(send audio, marks, `clear`; hang up), speech engines, a brain, a tool box (ToolSpecs say a
tool's filler and whether it ends or hands over the call) and a recorder, and runs the call.

The pipeline, in the order audio and words flow:

    caller audio (mu-law 8 kHz, 20 ms frames)
      │  VoiceSession.feed_audio
      ▼
    caller.CallerAudio ── quiet spells batched ──► stt/ (SpeechToText: Deepgram | offline, failover)
                                                     │ SpeechStarted · SpeechContinues · Transcript · UtteranceEnd
                                                     ▼
    inbox (inbox.py: Heard · HearingFailed · MarkEcho · KeyPress · ReplyDone · TimerDue)
      │  one event at a time, in VoiceSession._converse
      ▼
    session.VoiceSession ── turn-taking, barge-in (pause / resume / cut), silence, time limit;
      │                     CallState: TALKING → ENDING | TRANSFERRING → OVER
      │  a finished caller turn → conversation.Conversation (the only writer of the history)
      ▼
    reply.Reply ── conversation.render() (token budget) ──► llm/ (Brain: OpenAI | the agent's
      │                                                       scripted receptionist, failover)
      │  tool calls → tool_calls.ToolRunner → ToolBox.call → results into the conversation
      │  text → sentences.SentenceSplitter → sentence by sentence
      ▼
    speaker.Speaker ──► tts/ (TextToSpeech: Deepgram | Piper | espeak-ng, failover)
      │  pacing.Pacer: 20 ms frames, a little ahead of real time
      ▼
    CallTransport.send_audio, then send_mark after each sentence
      │  Twilio echoes each mark once its audio has played
      ▼
    playout.Playout ── what the caller heard ──► Reply.close() tells the conversation

Interfaces the outside implements: interfaces.py (CallTransport, ToolBox/ToolSpec/ToolOutcome,
CallRecorder, VoiceConfig). Typed vendor errors: errors.py. Audio codec and resampling:
audio.py; voice activity: vad.py; whether the caller is done at the recogniser's endpoint: turn.py.
"""
