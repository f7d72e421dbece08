"""The shop's staff logins: inviting a service advisor or a manager, changing their role,
deactivating and reactivating them. The one way to change who works in the back office: the
managers' Staff page (calls/pages/staff.py) and `manage.py create_staff` both call these.

A role is a group (made with its permissions by scheduling/migrations/0002_staff_groups.py) plus
staff status. Each change is one transaction and one audit line in the log: who did what to which
username (never an e-mail address). The shop is never left without an active manager, and nobody
deactivates themselves or changes their own role here.
"""

import logging
import re
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q

log = logging.getLogger(__name__)

ROLES = {"advisor": "Service advisors", "manager": "Managers"}
ROLE_LABELS = {"advisor": "Service advisor", "manager": "Manager"}
MANAGERS = ROLES["manager"]
MAX_USERNAME_TRIES = 100


class StaffRefused(Exception):
    """The change breaks a rule; the message says which, in words for the person asking."""


def role_of(user):
    """The login's role: advisor, manager or None (the manager's group wins). Reads
    `user.groups.all()`, so a prefetched list costs no query."""
    names = {group.name for group in user.groups.all()}
    return "manager" if MANAGERS in names else ("advisor" if ROLES["advisor"] in names else None)


def who(user):
    """The actor in an audit line: a username, or what ran without one."""
    return user.get_username() if user is not None else "manage.py"


def active_managers():
    """Everyone who can manage the staff: active members of Managers, and active superusers."""
    return get_user_model().objects.filter(Q(groups__name=MANAGERS) | Q(is_superuser=True), is_active=True).distinct()


def check_new_username(username):
    """Refuse a username that is taken or that Django's username rules refuse."""
    User = get_user_model()
    if User.objects.filter(username=username).exists():
        raise StaffRefused(f"A login named {username!r} already exists")
    try:
        User(username=username).clean_fields(exclude=[f.name for f in User._meta.fields if f.name != "username"])
    except ValidationError as exc:
        raise StaffRefused("; ".join(exc.messages)) from None


def _group(role):
    try:
        return Group.objects.get(name=ROLES[role])
    except KeyError:
        raise StaffRefused(f"{role!r} is not a role: advisor or manager") from None
    except Group.DoesNotExist:
        raise StaffRefused(f"The group {ROLES[role]!r} does not exist yet: run `manage.py migrate` first") from None


def _take_role(user, group):
    user.groups.remove(*Group.objects.filter(name__in=ROLES.values()).exclude(pk=group.pk))
    user.groups.add(group)


def _keep_a_manager(leaving):
    """Refuse when `leaving` is the last active manager. The managers' rows are locked first, so two
    managers deactivating each other at the same moment cannot both succeed."""
    User = get_user_model()
    locked = User.objects.select_for_update().filter(pk__in=active_managers().values("pk"))
    managers = list(locked.values_list("pk", flat=True))
    if leaving.pk in managers and len(managers) == 1:
        raise StaffRefused("The shop needs an active manager: make someone else a manager first")


def _not_yourself(user, by, doing):
    if by is not None and user.pk == by.pk:
        raise StaffRefused(f"You cannot {doing} yourself: ask another manager")
    if by is not None and user.is_superuser:
        raise StaffRefused("Superusers are changed in the admin, not here")


@transaction.atomic
def create_staff(username, *, role, email="", first_name="", last_name="", password=None, by=None):
    """A new, active back-office login with the role's group and staff status. Without `password`
    it has an unusable one until they choose their own through the Staff page's set-password link."""
    username = username.strip()
    check_new_username(username)
    group = _group(role)
    user = get_user_model()(
        username=username, email=email.strip(), first_name=first_name.strip(), last_name=last_name.strip()
    )
    user.is_staff = user.is_active = True
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    _take_role(user, group)
    log.info("Staff: %s created the login %s as %s", who(by), username, role)
    return user


@transaction.atomic
def update_staff(user, *, role, email=None, first_name=None, last_name=None, password=None, by=None):
    """`manage.py create_staff --update`: the role (leaving the other), the details given, and active again."""
    group = _group(role)
    if role != "manager":
        _keep_a_manager(user)
    for field, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
        if value is not None:
            setattr(user, field, value.strip())
    user.is_staff = user.is_active = True
    if password is not None:
        user.set_password(password)
    user.save()
    _take_role(user, group)
    log.info("Staff: %s updated the login %s as %s", who(by), user.get_username(), role)
    return user


def invite_staff(*, name, email, role, by):
    """A login for a new colleague, named after them (avery.advisor, then avery.advisor2...), with
    no password yet: they choose it through the link the inviting manager passes on."""
    email = email.strip()
    taken = get_user_model().objects.filter(email__iexact=email).first()
    if taken is not None:
        raise StaffRefused(f"That e-mail address already belongs to the login {taken.get_username()!r}")
    first_name, _, last_name = " ".join(name.split()).partition(" ")
    username = _free_username(_username_for(name, email))
    try:
        return create_staff(username, role=role, email=email, first_name=first_name, last_name=last_name, by=by)
    except IntegrityError:  # the same username given to someone else a moment ago
        raise StaffRefused("Someone was given that username just now: try again") from None


def _username_for(name, email):
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", plain)
    return ".".join(words)[:140] or re.sub(r"[^\w.+-]", "", email.partition("@")[0].lower())[:140] or "staff"


def _free_username(base):
    User = get_user_model()
    for n in range(1, MAX_USERNAME_TRIES + 1):
        candidate = base if n == 1 else f"{base}{n}"
        if not User.objects.filter(username=candidate).exists():
            return candidate
    raise StaffRefused(f"Too many logins are named like {base!r}: pick another name")


@transaction.atomic
def change_role(user, role, *, by):
    _not_yourself(user, by, "change the role of")
    group = _group(role)
    if role != "manager":
        _keep_a_manager(user)
    _take_role(user, group)
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    log.info("Staff: %s made %s a %s", who(by), user.get_username(), role)
    return user


@transaction.atomic
def deactivate_staff(user, *, by):
    """They can no longer sign in, and their open sessions stop working; their records stay."""
    _not_yourself(user, by, "deactivate")
    _keep_a_manager(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    log.info("Staff: %s deactivated %s", who(by), user.get_username())
    return user


@transaction.atomic
def reactivate_staff(user, *, by):
    _not_yourself(user, by, "reactivate")
    user.is_active = True
    user.save(update_fields=["is_active"])
    log.info("Staff: %s reactivated %s", who(by), user.get_username())
    return user


def is_invited(user):
    """Invited and not signed up yet: no password chosen."""
    return not user.has_usable_password()


def send_invitation(user, link, *, by):
    """E-mail `link` (where they choose their password) to the invited colleague. False when the
    mail could not go: the manager hands the link over themselves."""
    role = ROLE_LABELS.get(role_of(user), "member of staff").lower()
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    body = (
        f"Hello {user.first_name or user.get_username()},\n\n"
        f"{by.get_full_name() or by.get_username()} gave you a login to Otto's back office as a {role}.\n"
        f"Your username is {user.get_username()}. Choose your password here (the link works once, "
        f"for {days} day{'s' if days != 1 else ''}):\n\n{link}\n"
    )
    try:
        send_mail("Your login to Otto's back office", body, None, [user.email])
    except Exception as exc:  # any backend's failure: the page shows the link anyway
        log.warning("Staff: the invitation for %s could not be e-mailed (%s)", user.get_username(), type(exc).__name__)
        return False
    log.info("Staff: %s e-mailed the invitation to %s", who(by), user.get_username())
    return True
