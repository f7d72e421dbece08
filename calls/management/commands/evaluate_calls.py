"""Play caller scenarios against the receptionist and report how many calls ended right."""

from contextlib import nullcontext
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from calls import last_evaluation
from calls.evaluation import database, run, scenarios


class Command(BaseCommand):
    help = (
        "Play caller scenarios (TOML files; default: the shipped ones in calls/evaluation/scenarios) "
        "against the receptionist, each in a freshly built demo shop in a throwaway database (the "
        "shop's own records are never touched), and print a table of how many ended right. Exits "
        "non-zero below --threshold. The run's summary is kept for the managers' dashboard "
        "(DATA_DIR/last_evaluation.json)."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", help="Scenario files or directories (default: the shipped set).")
        parser.add_argument(
            "--brain",
            default="scripted",
            choices=["scripted", "openai"],
            help="scripted: the offline receptionist; openai: the model OPENAI_* settings name.",
        )
        parser.set_defaults(voice=False)
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--text",
            dest="voice",
            action="store_false",
            help="Caller lines go in as transcripts, replies come back as text (the default).",
        )
        mode.add_argument(
            "--voice",
            dest="voice",
            action="store_true",
            help="Whole phone calls in real time: offline TTS for the caller, the server's own "
            "engines (offline speech on the embedded default). A benchmark: minutes, not seconds.",
        )
        parser.add_argument("-k", dest="match", default="", help="Only scenarios whose id contains this.")
        parser.add_argument(
            "--json", dest="json_path", default="", help="Also write every result, with its transcript, here."
        )
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            help="Text mode: share the scenarios among this many processes, each with a throwaway "
            "database of its own (default 1; the machine's cores is the most that helps).",
        )
        parser.add_argument("--threshold", type=float, default=0.95, help="Lowest passing share (default 0.95).")
        parser.add_argument(
            "--show",
            choices=["failures", "all", "none"],
            default="failures",
            help="Print the transcripts of failed calls (default), of all, or none.",
        )

    def handle(self, *, files, brain, voice, match, json_path, threshold, show, jobs, verbosity, **options):
        try:
            chosen = [s for s in scenarios.load(files) if match in s.id]
        except scenarios.ScenarioError as exc:
            raise CommandError(str(exc)) from None
        if not chosen:
            raise CommandError("No scenario matched.")
        if jobs < 1:
            raise CommandError("--jobs is a number of processes: 1 or more.")
        if voice and jobs > 1:
            raise CommandError("--voice plays whole calls in real time, one at a time; leave --jobs out.")
        if voice and brain != "scripted":
            raise CommandError("--voice uses the server's own engines (VOICE_BRAIN and the keys); leave --brain out.")
        # With --jobs each process makes its own throwaway database; this one then needs none.
        with database.throwaway() if jobs == 1 else nullcontext(None) as shops:
            if verbosity:
                self.stderr.write(
                    f"Evaluating in a throwaway database (not {shops})."
                    if shops
                    else f"Evaluating in {jobs} processes, each in a throwaway database."
                )
            progress = self._progress if verbosity else None
            try:
                if voice:
                    from calls.evaluation.voice import run_all_voice

                    results = run_all_voice(chosen, progress=progress)
                else:
                    results = run.run_all(chosen, brain=brain, progress=progress, jobs=jobs)
            except (scenarios.ScenarioError, ValueError) as exc:
                raise CommandError(str(exc)) from None
        for result in results:
            if show == "all" or (show == "failures" and not result.passed):
                self._transcript(result)
        self.stdout.write("\n" + run.table(results))
        if voice:
            self.stdout.write("\nCaller's end of speech -> first agent audio:\n" + run.latency_table(results))
        if json_path:
            Path(json_path).write_text(run.as_json(results, brain=brain, mode="voice" if voice else "text"))
            self.stdout.write(f"Results written to {json_path}")
        last_evaluation.record(results, brain=brain, mode="voice" if voice else "text", match=match)
        rate = run.pass_rate(results)
        if rate < threshold:
            raise CommandError(f"{rate:.1%} of calls ended right, below the threshold of {threshold:.0%}.")

    def _progress(self, result):
        mark = "pass" if result.passed else "FAIL"
        self.stderr.write(f"{mark}  {result.id}  ({result.seconds:.1f} s)")

    def _transcript(self, result):
        self.stdout.write(f"\n--- {result.id} ({result.source}): {result.about}")
        for line in result.transcript:
            tools = "".join(f"\n        [{name} {arguments} -> {answer}]" for name, arguments, answer in line["tools"])
            self.stdout.write(f"  {line['who']:>6}: {line['text']}{tools}")
        for failure in result.failures:
            self.stdout.write(f"  ! {failure}")
