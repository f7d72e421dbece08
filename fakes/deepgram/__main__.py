"""Serve the fake Deepgram until interrupted: `python -m fakes.deepgram --port 8765 [--tts-first-byte-ms 150]`."""

import argparse
import signal
import threading

from . import DEFAULT_API_KEY, FakeDeepgram


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument("--tts-first-byte-ms", type=float, default=150.0)
    parser.add_argument("--tts-ms-per-char", type=float, default=70.0)
    parser.add_argument(
        "--tts-realtime-factor",
        type=float,
        default=None,
        help="stream TTS audio this many times faster than real time (default: as fast as possible)",
    )
    parser.add_argument("--interim-interval-ms", type=float, default=1000.0)
    parser.add_argument("--seed", type=int, default=0, help="what each stream's jitter and chance are drawn from")
    args = parser.parse_args()
    fake = FakeDeepgram(
        args.api_key,
        host=args.host,
        port=args.port,
        interim_interval_s=args.interim_interval_ms / 1000,
        seed=args.seed,
        tts_first_byte_s=args.tts_first_byte_ms / 1000,
        tts_audio_s_per_char=args.tts_ms_per_char / 1000,
        tts_realtime_factor=args.tts_realtime_factor,
    )
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    print(f"fake Deepgram on {fake.start()} (API key {args.api_key!r}); Ctrl-C or SIGTERM to stop", flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
