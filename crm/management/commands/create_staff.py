import getpass
import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email
from django.db import transaction

# The groups scheduling/migrations/0002_staff_groups.py creates with their permissions.
ROLES = {"advisor": "Service advisors", "manager": "Managers"}


class Command(BaseCommand):
    help = (
        "Create a back-office login for a service advisor or a manager: staff status and the role's group "
        '("Service advisors" or "Managers"), which carry the permissions. The password comes from '
        "--password, else is asked for twice when run in a terminal, else (or with --generate-password) "
        "is generated and printed once. --update changes an existing login's role, e-mail or password."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(ROLES), help="advisor or manager.")
        parser.add_argument("--email", default=None, help="Their e-mail address.")
        parser.add_argument("--first-name", default=None)
        parser.add_argument("--last-name", default=None)
        password = parser.add_mutually_exclusive_group()
        password.add_argument("--password", help="The password (visible in shell history; prefer the prompt).")
        password.add_argument(
            "--generate-password", action="store_true", help="Generate a strong password and print it."
        )
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Never prompt (a password is generated unless --password is given).",
        )
        parser.add_argument(
            "--update",
            action="store_true",
            help="The login exists: set its role (leaving the other role), and the e-mail or password if given.",
        )

    def handle(
        self, *args, username, role, email, first_name, last_name, password, generate_password, update, **options
    ):
        User = get_user_model()
        username = username.strip()
        if not username:
            raise CommandError("The username cannot be empty")
        if email is not None:
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"{email!r} is not an e-mail address") from None
        try:
            group = Group.objects.get(name=ROLES[role])
        except Group.DoesNotExist:
            raise CommandError(f"The group {ROLES[role]!r} does not exist yet: run `manage.py migrate` first") from None

        user = User.objects.filter(username=username).first()
        if user is not None and not update:
            raise CommandError(f"A login named {username!r} already exists (use --update to change it)")
        if user is None and update:
            raise CommandError(f"There is no login named {username!r} to update")
        creating = user is None
        if creating:
            user = User(username=username)
            try:
                user.full_clean(exclude=["password"])
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
        for field, value in (("email", email), ("first_name", first_name), ("last_name", last_name)):
            if value is not None:
                setattr(user, field, value.strip())

        shown_password = None
        if password is None and (creating or generate_password):
            if generate_password or not self._interactive(options):
                password = shown_password = secrets.token_urlsafe(15)
            else:
                password = self._prompt(user)
        if password is not None and shown_password is None:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise CommandError("The password is not accepted: " + " ".join(exc.messages)) from None

        with transaction.atomic():
            user.is_staff = True
            user.is_active = True
            if password is not None:
                user.set_password(password)
            user.save()
            user.groups.remove(*Group.objects.filter(name__in=ROLES.values()).exclude(pk=group.pk))
            user.groups.add(group)

        if shown_password:
            self.stdout.write(f"Password for {username}: {shown_password}  (shown once; ask them to change it)")
        return f"{'Created' if creating else 'Updated'} {username} as {role} (group {group.name!r})."

    def _interactive(self, options):
        return options["interactive"] and sys.stdin.isatty()

    def _prompt(self, user):
        for _ in range(3):
            first = getpass.getpass("Password: ")
            if first != getpass.getpass("Password (again): "):
                self.stderr.write("The passwords differ; try again.")
                continue
            try:
                validate_password(first, user)
            except ValidationError as exc:
                self.stderr.write(" ".join(exc.messages))
                continue
            return first
        raise CommandError("No acceptable password given")
