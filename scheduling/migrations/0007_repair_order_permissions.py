"""Advisors run repair orders in the back office; managers read them. The audit trail is a record:
advisors and managers may read it, nobody edits it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Service advisors": [
        "add_repairorder", "change_repairorder", "view_repairorder",
        "add_jobline", "change_jobline", "view_jobline",
        "view_repairorderchange",
    ],
    "Managers": ["view_repairorder", "view_jobline", "view_repairorderchange"],
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return list(Permission.objects.filter(content_type__app_label="scheduling", codename__in=codenames))


def grant(apps, schema_editor):
    app_config = apps.get_app_config("scheduling")
    # The historical registry presents apps without a models module, which create_permissions skips.
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    for name, codenames in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_repair_orders"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
