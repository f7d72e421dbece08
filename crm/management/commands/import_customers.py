import contextlib
import csv

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from crm.customer_import import COLUMNS, Import, RowRejected
from ottos.lib.stopping import StopOnSigterm


class Command(BaseCommand):
    help = (
        "Import customers (and their vehicles) from a CSV file with a header row. Columns: "
        f"{', '.join(COLUMNS)}; only phone is required. Phones may be written any usual way and are "
        "stored in E.164; VINs are checked (length, characters, check digit); year is a 4-digit model "
        "year; sms_opt_in is yes/no (empty = no). A customer whose phone is already on file is not "
        "changed (the shop's own records win) and gets the row's vehicle if it is new; running the same "
        "file again adds nothing. Several rows may share a phone (one per vehicle); a row repeating an "
        "earlier one, naming the phone's customer differently or reusing another phone's VIN is rejected. "
        "Rejected rows are listed with their line numbers and reasons (and "
        "written to --rejects); the rest are imported. Stops cleanly between rows on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.csv", help="The CSV file (UTF-8; a BOM from Excel is fine).")
        parser.add_argument("--dry-run", action="store_true", help="Check every row; save nothing.")
        parser.add_argument(
            "--rejects", metavar="FILE", help="Also write the rejected rows, with a reason column, here."
        )
        parser.add_argument("--delimiter", default=",", help="Field separator (default ,).")

    def handle(self, *args, file, dry_run, rejects, delimiter, **options):
        if len(delimiter) != 1:
            raise CommandError("--delimiter must be one character")
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                text = handle.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from None
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file} is not UTF-8 text (byte {exc.start}); save it as CSV UTF-8") from None
        lines = text.splitlines(keepends=True)
        reader = csv.reader(lines, delimiter=delimiter)
        job = Import()
        try:
            header = job.check_header(next(reader, None))
        except RowRejected as exc:
            raise CommandError(f"{file}: {exc}") from None
        except csv.Error as exc:
            raise CommandError(f"{file}: the header row is not CSV: {exc}") from None
        for column in job.ignored_columns:
            self.stderr.write(f"Ignoring unknown column {column!r}")

        rejected = []
        stopped_at = None
        quiet = options["verbosity"] == 0  # the bar also hides itself when stderr is not a terminal
        # A dry run imports inside one transaction and rolls it back; otherwise each row commits alone.
        everything = transaction.atomic() if dry_run else contextlib.nullcontext()
        with (
            StopOnSigterm() as stop,
            everything,
            tqdm(
                total=max(len(lines) - 1, 0),
                desc="Rows",
                unit="row",
                disable=True if quiet else None,
                file=self.stderr._out,
            ) as bar,
        ):
            while True:
                line = reader.line_num + 1
                if stop.requested:
                    stopped_at = line
                    break
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    raise CommandError(f"{file}, line {line}: not readable as CSV: {exc}") from None
                bar.update(reader.line_num + 1 - line)
                if not any(cell.strip() for cell in cells):
                    continue
                try:
                    if len(cells) > len(header):
                        raise RowRejected(f"{len(cells)} fields, but the header names {len(header)} columns")
                    job.import_row(dict(zip(header, cells)), line)
                except RowRejected as exc:
                    rejected.append((line, cells, str(exc)))
                    bar.write(f"line {line}: {exc}", file=self.stderr._out)
            if dry_run:
                transaction.set_rollback(True)

        if rejects and rejected:
            self._write_rejects(rejects, header, rejected)
        summary = job.summary(rejected=len(rejected), dry_run=dry_run)
        if stopped_at is not None:
            raise CommandError(
                f"Stopped on SIGTERM before line {stopped_at}. {summary} "
                "Run it again to carry on: rows already imported are skipped."
            )
        return summary

    def _write_rejects(self, path, fieldnames, rejected):
        try:
            with open(path, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["line", *fieldnames, "reason"])
                for line, cells, reason in rejected:
                    writer.writerow([line, *cells, reason])
        except OSError as exc:
            raise CommandError(f"Cannot write the rejected rows to {path}: {exc.strerror}") from None
