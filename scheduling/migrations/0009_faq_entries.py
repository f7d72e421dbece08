"""FAQ answers become free-form entries: any number, each a question as callers ask it and its
answer, the topic an optional category (no longer unique). Entries written before keep their
approval and get their topic's usual question; a new entry waits to be approved."""

from django.db import migrations, models

# FaqAnswer.TOPIC_QUESTIONS as it was when this migration was written.
TOPIC_QUESTIONS = {
    "location": "Where are you located?",
    "payment": "What forms of payment do you take?",
    "warranty": "What warranty do you give on repairs?",
    "loaners": "Do you have loaner cars or a shuttle?",
    "makes": "Which makes do you work on?",
    "other": "Anything else",
}


def ask_each_topics_question(apps, schema_editor):
    FaqAnswer = apps.get_model("scheduling", "FaqAnswer")
    for entry in FaqAnswer.objects.all():
        entry.question = TOPIC_QUESTIONS.get(entry.topic, entry.topic.capitalize() or "Anything else")
        entry.save(update_fields=["question"])


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0008_shop_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="faqanswer",
            name="question",
            field=models.CharField(
                default="", help_text='How callers ask it, e.g. "Do you have a shuttle?"', max_length=200
            ),
            preserve_default=False,
        ),
        migrations.RunPython(ask_each_topics_question, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="faqanswer",
            name="topic",
            field=models.CharField(
                blank=True,
                choices=[
                    ("location", "Location and directions"),
                    ("payment", "Payment"),
                    ("warranty", "Warranty"),
                    ("loaners", "Loaner cars and shuttle"),
                    ("makes", "Makes serviced"),
                    ("other", "Other"),
                ],
                help_text="Optional category: the agent reads every approved entry of a topic when asked about it. "
                "Opening hours and closures are not answered from here: the phone agent reads them from "
                "Opening hours and Closures, the same rows bookings follow.",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="faqanswer",
            name="approved",
            field=models.BooleanField(default=False, help_text="Only approved entries are read to callers."),
        ),
        migrations.AlterModelOptions(
            name="faqanswer",
            options={
                "ordering": ["topic", "question"],
                "verbose_name": "FAQ entry",
                "verbose_name_plural": "FAQ entries",
            },
        ),
    ]
