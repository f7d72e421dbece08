import getpass
import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from crm import staff


class Command(BaseCommand):
    help = (
        "Create a back-office login for a service advisor or a manager: staff status and the role's group "
        '("Service advisors" or "Managers"), which carry the permissions. The password comes from '
        "--password, else is asked for twice when run in a terminal, else (or with --generate-password) "
        "is generated and printed once. --update changes an existing login's role, e-mail or password."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=sorted(staff.ROLES), help="advisor or manager.")
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

        user = User.objects.filter(username=username).first()
        if user is not None and not update:
            raise CommandError(f"A login named {username!r} already exists (use --update to change it)")
        if user is None and update:
            raise CommandError(f"There is no login named {username!r} to update")
        creating = user is None
        details = {"email": email, "first_name": first_name, "last_name": last_name}
        try:
            if creating:
                staff.check_new_username(username)  # before asking for a password
            # What the password is checked against (similar to the username or e-mail is refused).
            candidate = user or User(username=username)
            for field, value in details.items():
                if value is not None:
                    setattr(candidate, field, value.strip())

            shown_password = None
            if password is None and (creating or generate_password):
                if generate_password or not self._interactive(options):
                    password = shown_password = secrets.token_urlsafe(15)
                else:
                    password = self._prompt(candidate)
            if password is not None and shown_password is None:
                try:
                    validate_password(password, candidate)
                except ValidationError as exc:
                    raise CommandError("The password is not accepted: " + " ".join(exc.messages)) from None

            if creating:
                user = staff.create_staff(
                    username, role=role, password=password, **{k: v or "" for k, v in details.items()}
                )
            else:
                user = staff.update_staff(user, role=role, password=password, **details)
        except staff.StaffRefused as exc:
            raise CommandError(str(exc)) from None

        if shown_password:
            self.stdout.write(f"Password for {username}: {shown_password}  (shown once; ask them to change it)")
        return f"{'Created' if creating else 'Updated'} {username} as {role} (group {staff.ROLES[role]!r})."

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
