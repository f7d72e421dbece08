"""The end-to-end phone-call benchmark (benchmarks/voice_calls.py): its call script, the
vendor fakes run in their own processes, a lean Twilio caller, and the report."""
