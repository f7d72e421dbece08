"""The managers' Staff page: who has a back-office login, with their role, whether it is active
and when they last signed in; invite a colleague (a login with no password yet, and a one-time
link where they choose it, e-mailed and shown here), change a role, deactivate and reactivate.
The changes themselves are crm.staff's; the set-password link is Django's password-reset token.
"""

import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views.decorators.http import require_GET, require_POST

from crm import staff

from .access import can_see_dashboard, nav_context

log = logging.getLogger(__name__)

ROLE_CHOICES = [(role, label) for role, label in staff.ROLE_LABELS.items()]
# The last invitation's link, shown once on the page after the redirect (kept server-side).
INVITED_KEY = "staff_invited"


class InviteForm(forms.Form):
    name = forms.CharField(max_length=150, label="Name")
    email = forms.EmailField(max_length=254, label="E-mail")
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial="advisor", label="Role")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


def check_manager(request):
    if not can_see_dashboard(request.user):
        raise PermissionDenied("The staff page is for managers.")


def staff_logins():
    """Every staff login or member of a role's group: the active first, then by name. Two queries."""
    roles = Group.objects.filter(name__in=staff.ROLES.values())
    return (
        get_user_model()
        .objects.filter(Q(is_staff=True) | Q(groups__name__in=staff.ROLES.values()))
        .distinct()
        .prefetch_related(Prefetch("groups", queryset=roles))
        .order_by("-is_active", "first_name", "last_name", "username")
    )


def password_link(request, user):
    """Where `user` chooses their password: an absolute URL with a one-time token (it stops working
    once the password is set, or after PASSWORD_RESET_TIMEOUT)."""
    path = reverse(
        "call_pages:set_password",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.PUBLIC_BASE_URL + path if settings.PUBLIC_BASE_URL else request.build_absolute_uri(path)


def _page(request, form, status=200):
    people = list(staff_logins())
    for person in people:
        person.role = staff.role_of(person)
        person.role_label = (
            "Superuser" if person.is_superuser and not person.role else staff.ROLE_LABELS.get(person.role)
        )
        person.invited = staff.is_invited(person)
        person.changeable = person.pk != request.user.pk and not person.is_superuser
    ctx = {
        **nav_context(request),
        "people": people,
        "form": form,
        "role_choices": ROLE_CHOICES,
        "invited": request.session.pop(INVITED_KEY, None),
    }
    return render(request, "calls/staff.html", ctx, status=status)


@login_required
@require_GET
def staff_page(request):
    check_manager(request)
    return _page(request, InviteForm())


@login_required
@require_POST
def invite(request):
    check_manager(request)
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            user = staff.invite_staff(**form.cleaned_data, by=request.user)
        except staff.StaffRefused as exc:
            form.add_error(None, str(exc))
        else:
            _hand_over_link(request, user, f"{user.get_username()} is invited")
            return redirect("call_pages:staff")
    return _page(request, form, status=400)


@login_required
@require_POST
def send_link_again(request, pk):
    check_manager(request)
    user = get_object_or_404(get_user_model(), pk=pk, is_active=True)
    if not staff.is_invited(user):
        messages.info(request, f"{user.get_username()} has chosen a password already.")
    else:
        _hand_over_link(request, user, f"A new link for {user.get_username()}")
    return redirect("call_pages:staff")


def _hand_over_link(request, user, heading):
    link = password_link(request, user)
    mailed = bool(user.email) and staff.send_invitation(user, link, by=request.user)
    request.session[INVITED_KEY] = {"username": user.get_username(), "link": link, "mailed": mailed, "heading": heading}


@login_required
@require_POST
def change_role(request, pk):
    check_manager(request)
    user = get_object_or_404(get_user_model(), pk=pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role: service advisor or manager.")
    else:
        role = form.cleaned_data["role"]
        label = staff.ROLE_LABELS[role].lower()
        _change(request, staff.change_role, user, role, done=f"{user.get_username()} is now a {label}.")
    return redirect("call_pages:staff")


@login_required
@require_POST
def deactivate(request, pk):
    check_manager(request)
    user = get_object_or_404(get_user_model(), pk=pk)
    _change(request, staff.deactivate_staff, user, done=f"{user.get_username()} can no longer sign in.")
    return redirect("call_pages:staff")


@login_required
@require_POST
def reactivate(request, pk):
    check_manager(request)
    user = get_object_or_404(get_user_model(), pk=pk)
    _change(request, staff.reactivate_staff, user, done=f"{user.get_username()} can sign in again.")
    return redirect("call_pages:staff")


def _change(request, action, user, *args, done):
    try:
        action(user, *args, by=request.user)
    except staff.StaffRefused as exc:
        messages.error(request, f"Not changed: {exc}.")
    else:
        messages.success(request, done)


class SetPassword(PasswordResetConfirmView):
    """The invited colleague chooses their password (Django's reset confirmation: the token leaves
    the address bar before the form shows). Then they sign in."""

    template_name = "calls/set_password.html"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def get_success_url(self):
        return reverse("admin:login") + "?next=/"

    def form_valid(self, form):
        response = super().form_valid(form)
        log.info("Staff: %s chose their password", form.user.get_username())
        messages.success(self.request, f"Your password is set: sign in as {form.user.get_username()}.")
        return response
