"""The managers' FAQ page: the shop's answers as free-form entries, any number, each a question as
callers ask it and the answer to read them, with an optional topic. A new entry waits for its
Approved box: the phone agent reads only approved entries (scheduling.shop_info.faq_answer).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from scheduling import shop_setup
from scheduling.models import FaqAnswer

from .access import nav_context
from .shop_setup import check_manager


class FaqEntryForm(forms.ModelForm):
    class Meta:
        model = FaqAnswer
        fields = ["question", "answer", "topic", "approved"]
        labels = {"question": "Question", "answer": "Answer", "topic": "Topic (optional)", "approved": "Approved"}
        widgets = {"answer": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"approved": "Callers hear an entry only once it is approved."}


def _page(request, form, status=200):
    ctx = {**nav_context(request), "entries": FaqAnswer.objects.all(), "form": form}
    return render(request, "calls/faq.html", ctx, status=status)


@login_required
@require_GET
def faq_page(request):
    check_manager(request)
    return _page(request, FaqEntryForm())


@login_required
@require_POST
def add_entry(request):
    check_manager(request)
    form = FaqEntryForm(request.POST)
    if form.is_valid():
        entry = shop_setup.save_faq_entry(form.save(commit=False))
        messages.success(request, _saved(entry))
        return redirect("call_pages:faq")
    return _page(request, form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def edit_entry(request, pk):
    check_manager(request)
    entry = get_object_or_404(FaqAnswer, pk=pk)
    form = FaqEntryForm(request.POST if request.method == "POST" else None, instance=entry)
    if request.method == "POST" and form.is_valid():
        messages.success(request, _saved(shop_setup.save_faq_entry(form.save(commit=False))))
        return redirect("call_pages:faq")
    ctx = {**nav_context(request), "entry": entry, "form": form}
    return render(request, "calls/faq_edit.html", ctx, status=400 if form.errors else 200)


@login_required
@require_POST
def delete_entry(request, pk):
    check_manager(request)
    if shop_setup.delete_faq_entry(pk):
        messages.success(request, "The entry is deleted.")
    return redirect("call_pages:faq")


def _saved(entry):
    heard = "callers hear it from now on" if entry.approved else "callers will not hear it until it is approved"
    return f'"{entry.question}" is saved: {heard}.'
