"""Hours are no FAQ topic any more: callers hear them from OpeningHours and Closure, so an old
"hours" answer (text that went stale when the owner changed Saturday) is deleted, not kept unread."""

from django.db import migrations, models


def forget_hours_text(apps, schema_editor):
    apps.get_model("scheduling", "FaqAnswer").objects.filter(topic="hours").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0004_text_message_permissions"),
    ]

    operations = [
        migrations.RunPython(forget_hours_text, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="faqanswer",
            name="topic",
            field=models.CharField(
                choices=[
                    ("location", "Location and directions"),
                    ("payment", "Payment"),
                    ("warranty", "Warranty"),
                    ("loaners", "Loaner cars and shuttle"),
                    ("makes", "Makes serviced"),
                    ("other", "Other"),
                ],
                help_text="Opening hours and closures are not answered from here: the phone agent reads them "
                "from Opening hours and Closures, the same rows bookings follow.",
                max_length=20,
                unique=True,
            ),
        ),
    ]
