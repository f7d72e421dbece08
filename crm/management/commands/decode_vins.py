import signal

from django.core.management.base import BaseCommand
from tqdm import tqdm

from crm import decoding, recalls
from crm.models import Vehicle
from crm.nhtsa import NhtsaError, NhtsaUnavailable
from scheduling.shop_time_zone import in_shop_time_zone


class Command(BaseCommand):
    help = (
        "Decode the VINs of vehicles not yet decoded through NHTSA vPIC (those with only the offline "
        "decode included) and look up their recalls. Stops cleanly between vehicles on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Decode every vehicle with a VIN again.")
        parser.add_argument("--no-recalls", action="store_true", help="Skip the recall lookups.")

    @in_shop_time_zone()  # the newest model year is counted from the shop's today
    def handle(self, *args, **options):
        vehicles = Vehicle.objects.exclude(vin="")
        if not options["all"]:
            vehicles = vehicles.exclude(decode_source=Vehicle.DecodeSource.VPIC)
        ids = list(vehicles.order_by("pk").values_list("pk", flat=True))
        stopping = []
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
        counts = {"decoded": 0, "offline": 0, "undecodable": 0, "recalls": 0, "recall_errors": 0}
        try:
            for vehicle_id in tqdm(
                ids, desc="VINs", unit="vin", disable=options["verbosity"] == 0, file=self.stderr._out
            ):
                if stopping:
                    break
                try:
                    outcome = decoding.decode_vehicle(vehicle_id, force=options["all"])
                except NhtsaUnavailable:
                    counts["offline"] += 1
                    continue
                if outcome in counts:
                    counts[outcome] += 1
                if outcome == "decoded" and not options["no_recalls"]:
                    try:
                        if recalls.check_recalls(vehicle_id) is not None:
                            counts["recalls"] += 1
                    except NhtsaError:
                        counts["recall_errors"] += 1
        finally:
            signal.signal(signal.SIGTERM, previous)
        stopped = " (stopped early)" if stopping else ""
        return (
            f"{len(ids)} vehicles{stopped}: {counts['decoded']} decoded by vPIC, {counts['offline']} kept offline "
            f"(vPIC unreachable), {counts['undecodable']} not decodable; recalls checked for {counts['recalls']}, "
            f"{counts['recall_errors']} recall lookups failed"
        )
