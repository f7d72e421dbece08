"""The call list (search, filters, sort, pages) and the same list as CSV."""

import csv

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..export import COLUMNS, call_row, for_export
from .access import check_call_reader, nav_context
from .listing import DEFAULT_SORT, SORTS, CallFilterForm, call_length, filtered_calls

PAGE_SIZE = 25


def _columns(sort):
    """The sortable column headers: where each links to and how the list is sorted now."""
    current, descending = sort.lstrip("-"), sort.startswith("-")
    columns = []
    for key, (label, _) in SORTS.items():
        if key == current:
            direction = "descending" if descending else "ascending"
            link = key if descending else f"-{key}"
        else:
            direction, link = None, f"-{key}" if key in ("started", "latency", "duration") else key
        columns.append({"key": key, "label": label, "direction": direction, "link": link})
    return columns


@login_required
@require_GET
def call_list(request):
    check_call_reader(request)
    form = CallFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    sort = filters.get("sort") or DEFAULT_SORT
    page = Paginator(filtered_calls(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for call in page.object_list:
        call.talk_time = call_length(call)
    ctx = {
        **nav_context(request),
        "form": form,
        "page": page,
        "columns": _columns(sort),
        "filtered": bool(set(filters) - {"sort"}),
    }
    return render(request, "calls/call_list.html", ctx)


@login_required
@require_GET
def call_list_csv(request):
    check_call_reader(request)
    form = CallFilterForm(request.GET)
    calls = for_export(filtered_calls(form.filters()))
    # Built whole rather than streamed: under ASGI Django would buffer a sync stream anyway.
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    writer = csv.writer(response)
    writer.writerow(COLUMNS)
    writer.writerows(call_row(call) for call in calls.iterator(chunk_size=1000))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="calls-{stamp}.csv"'
    return response
