"""Advisors and managers read call records; both handle the messages the agent takes."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUPS = ("Service advisors", "Managers")
CODENAMES = [
    "view_call", "view_turn", "view_toolinvocation", "view_turnlatency", "view_callevent",
    "view_callbackrequest", "change_callbackrequest",
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("calls")
    # The historical registry presents apps without a models module, which create_permissions skips.
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="calls", codename__in=CODENAMES))
    for name in GROUPS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="calls", codename__in=CODENAMES)
    for group in apps.get_model("auth", "Group").objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0001_initial"),
        ("scheduling", "0002_staff_groups"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
