"""Make sure the local demo has a working admin login, and say what it is."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

USERNAME = "admin"
GROUPS = ("Service advisors", "Managers")


class Command(BaseCommand):
    help = (
        "Create the superuser 'admin' if missing, with a random password kept in DATA_DIR/admin_password "
        "(reused when the file exists), in both staff groups, and print how to log in."
    )

    def handle(self, **options):
        password_file = settings.DATA_DIR / "admin_password"
        password = password_file.read_text().strip() if password_file.is_file() else ""
        if not password:
            password = secrets.token_urlsafe(12)
            password_file.parent.mkdir(parents=True, exist_ok=True)
            # Written before the user is changed, so a crash never leaves a password nobody knows.
            fd = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(password + "\n")

        user, created = get_user_model().objects.get_or_create(username=USERNAME, defaults={"email": "admin@localhost"})
        changed = created or not (user.is_staff and user.is_superuser and user.is_active)
        user.is_staff = user.is_superuser = user.is_active = True
        # The printed login must work: the demo password wins over one changed since.
        if not user.check_password(password):
            user.set_password(password)
            changed = True
        if changed:
            user.save()
        user.groups.add(*Group.objects.filter(name__in=GROUPS))

        port = os.environ.get("PORT", "8000")
        return f"Log in at http://localhost:{port}/admin/ as {USERNAME} / {password}"
