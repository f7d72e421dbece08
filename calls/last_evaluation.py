"""The last `manage.py evaluate_calls` run (calls/evaluation), for the managers' dashboard: how
many scenarios ended right of how many, when, how (brain, text or voice, the -k filter) and per
file. Beside calls/evaluation rather than in it, so that the pages need none of its imports.

A small JSON file in DATA_DIR, written whole and then renamed into place: the run itself works in
a throwaway database, and a file needs no migration. Reading it never fails the dashboard: a
missing file is "never run", an unreadable one is logged and shown the same way.
"""

import json
import logging
import os
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

FILE_NAME = "last_evaluation.json"


def path():
    return Path(settings.DATA_DIR) / FILE_NAME


def record(results, *, brain, mode, match="", now=None):
    """Keep the summary of this run's `results` (calls.evaluation.run.Result) as the last run's."""
    files = {}
    for result in results:
        counts = files.setdefault(result.source or "<text>", {"scenarios": 0, "passed": 0})
        counts["scenarios"] += 1
        counts["passed"] += bool(result.passed)
    summary = {
        "finished_at": (now or timezone.now()).isoformat(),
        "passed": sum(bool(r.passed) for r in results),
        "total": len(results),
        "brain": brain,
        "mode": mode,
        "match": match,
        "files": [{"file": name, **counts} for name, counts in sorted(files.items())],
    }
    target = path()
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{FILE_NAME}.{os.getpid()}")
    partial.write_text(json.dumps(summary, indent=2))
    os.replace(partial, target)
    return summary


def load():
    """The last run's summary, with `finished_at` a datetime and `rate` a percentage; None if never run."""
    try:
        summary = json.loads(path().read_text())
        summary["finished_at"] = datetime.fromisoformat(summary["finished_at"])
        passed, total = int(summary["passed"]), int(summary["total"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError) as exc:
        log.warning("The last evaluation's summary in %s cannot be read (%s)", path(), exc)
        return None
    summary["rate"] = round(100 * passed / total, 1) if total else None
    return summary
