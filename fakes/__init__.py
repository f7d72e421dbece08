"""Loopback fakes of the vendors' wire protocols, for tests, benchmarks and local runs.

Each fake is an aiohttp app that the real vendor SDK is pointed at (see /work/shared/protocols.md).
`fakes.server.LoopbackServer` runs any of them in a background thread on 127.0.0.1.
Nothing here imports Django.
"""
