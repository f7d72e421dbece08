"""Back-office pieces for VIN decoding and recalls on the vehicle page. Used by crm/admin.py."""

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from .tasks import queue_vin_decode


@admin.display(description="recalls NHTSA lists for this model year")
def recall_list(vehicle):
    if vehicle.recalls_checked_at is None:
        return "Not checked yet (needs year, make and model)."
    if not vehicle.recalls:
        return "None listed."
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                r.get("campaign", ""),
                r.get("reported", ""),
                r.get("component", ""),
                r.get("summary", ""),
                r.get("remedy", ""),
            )
            for r in vehicle.recalls
        ),
    )
    return format_html(
        "<p>Listed for the make, model and year; confirm for this VIN before telling the customer.</p>"
        "<table><tr><th>Campaign</th><th>Reported</th><th>Component</th><th>Summary</th><th>Remedy</th></tr>"
        "{}</table>",
        rows,
    )


@admin.display(description="recalls")
def recall_count(vehicle):
    return "-" if vehicle.recall_count is None else vehicle.recall_count


@admin.action(description="Decode VIN and check recalls again", permissions=["change"])
def decode_again(modeladmin, request, queryset):
    ids = list(queryset.exclude(vin="").values_list("pk", flat=True))
    for vehicle_id in ids:
        queue_vin_decode(vehicle_id, force=True)
    modeladmin.message_user(request, f"{len(ids)} vehicles queued for decoding.", messages.SUCCESS)
