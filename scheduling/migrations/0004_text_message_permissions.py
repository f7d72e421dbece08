"""Advisors and managers can read the texts sent to customers (a record: nobody edits it)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Service advisors", "Managers")
CODENAMES = ["view_textmessage"]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("scheduling")
    # The historical registry presents apps without a models module, which create_permissions skips.
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="scheduling", codename__in=CODENAMES))
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="scheduling", codename__in=CODENAMES)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0003_text_messages"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
