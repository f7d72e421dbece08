"""The two staff groups the back office is built around, with their permissions.

Permissions are normally created after `migrate` finishes (post_migrate), so a fresh database
has none yet when this runs: create them here first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ADVISORS = "Service advisors"
MANAGERS = "Managers"

ADVISOR_PERMISSIONS = [
    ("crm", "view_customer"), ("crm", "add_customer"), ("crm", "change_customer"),
    ("crm", "view_vehicle"), ("crm", "add_vehicle"), ("crm", "change_vehicle"),
    ("scheduling", "view_appointment"), ("scheduling", "add_appointment"), ("scheduling", "change_appointment"),
    ("scheduling", "view_servicetype"),
    ("scheduling", "view_openinghours"),
    ("scheduling", "view_closure"),
    ("scheduling", "view_faqanswer"),
    ("scheduling", "view_shopprofile"),
]

MANAGER_PERMISSIONS = ADVISOR_PERMISSIONS + [
    ("scheduling", "add_servicetype"), ("scheduling", "change_servicetype"),
    ("scheduling", "add_openinghours"), ("scheduling", "change_openinghours"), ("scheduling", "delete_openinghours"),
    ("scheduling", "add_closure"), ("scheduling", "change_closure"), ("scheduling", "delete_closure"),
    ("scheduling", "add_faqanswer"), ("scheduling", "change_faqanswer"), ("scheduling", "delete_faqanswer"),
    ("scheduling", "add_shopprofile"), ("scheduling", "change_shopprofile"),
    ("scheduling", "view_appointmentchange"),
]


def _ensure_permissions(apps):
    for label in ("crm", "scheduling"):
        app_config = apps.get_app_config(label)
        # create_permissions skips app configs without a models module, which is how the
        # historical app registry presents every app.
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None


def _permissions(apps, pairs):
    Permission = apps.get_model("auth", "Permission")
    found = []
    for app_label, codename in pairs:
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


def create_groups(apps, schema_editor):
    _ensure_permissions(apps)
    Group = apps.get_model("auth", "Group")
    for name, pairs in ((ADVISORS, ADVISOR_PERMISSIONS), (MANAGERS, MANAGER_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*_permissions(apps, pairs))


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=[ADVISORS, MANAGERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("crm", "0001_initial"),
        ("scheduling", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
