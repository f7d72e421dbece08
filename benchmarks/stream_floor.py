"""What merely receiving Twilio's media stream costs the server, before any of the voice loop.

Usage:  SECRET_KEY=x .venv/bin/python benchmarks/stream_floor.py [--seconds 30] [--streams 1,10,50]

Each stream sends what Twilio sends during a call: a 20 ms `media` frame (JSON, base64 mu-law)
50 times a second. The server's CPU seconds per stream-minute are read from /proc, as in the
call benchmark (benchmarks/voice_calls.py), for:
  bare uvloop TCP   a uvloop server that reads the bytes and does nothing else: the cost of
                    50 wake-ups a second on this machine
  ottos.serve       the production server (uvicorn, websockets' sans-I/O protocol, on uvloop)
                    with an ASGI app that only parses each frame (json + base64): the server's
                    share. Measured at 50 streams against Daphne 4.2 (Twisted and autobahn), which
                    served until then: 0.22 CPU s per stream-minute for Daphne, 0.09 for uvicorn;
                    uvicorn's other WebSocket protocol (websockets' asyncio one) 0.14.
The call benchmark's "<= 1 CPU s per call-minute" target includes all of this, plus sending
the audio on to STT, the agent's audio back, and the conversation itself.
"""

import argparse
import asyncio
import base64
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402

from benchmarks.voice.rig import cpu_seconds  # noqa: E402

FRAME = json.dumps(
    {
        "event": "media",
        "sequenceNumber": "3",
        "streamSid": "MZ" + "0" * 32,
        "media": {
            "track": "inbound",
            "chunk": "2",
            "timestamp": "40",
            "payload": base64.b64encode(b"\xff" * 160).decode(),
        },
    }
)

BARE_TCP = """
import asyncio, sys, uvloop
async def handle(reader, writer):
    while await reader.read(65536):
        pass
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    await server.serve_forever()
uvloop.run(main())
"""


async def parse_only_app(scope, receive, send):
    """An ASGI app that accepts a websocket and parses each frame as the media consumer would."""
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    while (message := await receive())["type"] == "websocket.receive":
        base64.b64decode(json.loads(message["text"])["media"]["payload"])


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(command, port):
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server did not start: {' '.join(command)}")


async def stream_tcp(port, seconds):
    _, writer = await asyncio.open_connection("127.0.0.1", port)

    async def send():
        writer.write(FRAME.encode())

    await paced(send, seconds)
    writer.close()


async def stream_websocket(port, seconds):
    async with websockets.connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
        await paced(lambda: ws.send(FRAME), seconds)


async def paced(send_one, seconds):
    start, sent = time.monotonic(), 0
    while time.monotonic() - start < seconds:
        await send_one()
        sent += 1
        await asyncio.sleep(max(0.0, start + sent * 0.02 - time.monotonic()))


def measure(name, command, port, client, streams, seconds):
    process = start(command, port)
    try:
        time.sleep(1.0)
        before = cpu_seconds(process.pid)
        asyncio.run(_all(client, port, streams, seconds))
        used = cpu_seconds(process.pid) - before
    finally:
        process.terminate()
        process.wait(10)
    return name, streams, used / (streams * seconds / 60)


async def _all(client, port, streams, seconds):
    await asyncio.gather(*(client(port, seconds) for _ in range(streams)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--streams", default="1,10")
    args = parser.parse_args()
    levels = [int(n) for n in args.streams.split(",")]
    rows = []
    for streams in levels:
        port = free_port()
        rows.append(
            measure(
                "bare uvloop TCP", [sys.executable, "-c", BARE_TCP, str(port)], port, stream_tcp, streams, args.seconds
            )
        )
        port = free_port()
        server = [sys.executable, "-m", "ottos.serve", "-p", str(port), "--no-access-log"]
        server.append("benchmarks.stream_floor:parse_only_app")
        rows.append(measure("ottos.serve (uvicorn)", server, port, stream_websocket, streams, args.seconds))
    print(f"{'server':<22} | streams | CPU s per stream-minute")
    print(f"{'-' * 22}-+---------+------------------------")
    for name, streams, per_minute in rows:
        print(f"{name:<22} | {streams:>7} | {per_minute:>23.2f}")


if __name__ == "__main__":
    main()
