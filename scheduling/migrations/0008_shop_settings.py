from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0007_repair_order_permissions")]

    operations = [
        migrations.AddField(
            model_name="shopprofile",
            name="greeting",
            field=models.CharField(
                blank=True, help_text='Blank: "Thanks for calling" and the shop\'s name.', max_length=300
            ),
        ),
        migrations.AddField(
            model_name="shopprofile",
            name="recording_disclosure",
            field=models.CharField(
                blank=True, help_text="Said after the greeting. Blank: RECORDING_DISCLOSURE.", max_length=300
            ),
        ),
        migrations.AddField(
            model_name="shopprofile",
            name="advisor_number",
            field=models.CharField(
                blank=True, help_text="E.164; transfers ring it. Blank: SHOP_ADVISOR_NUMBER.", max_length=16
            ),
        ),
        migrations.AddField(
            model_name="shopprofile",
            name="recording_enabled",
            field=models.BooleanField(
                blank=True, default=None, help_text="Keep the calls' audio. Unset: RECORDING_ENABLED.", null=True
            ),
        ),
        migrations.AddField(
            model_name="shopprofile",
            name="text_confirmations",
            field=models.BooleanField(
                default=True,
                help_text="Text customers a confirmation when a booking is made or moved (needs TEXTS_ENABLED).",
            ),
        ),
        migrations.AddField(
            model_name="shopprofile",
            name="voice",
            field=models.CharField(
                blank=True,
                help_text="The agent's Deepgram voice (a model name). Blank: VOICE_TTS_MODEL.",
                max_length=40,
            ),
        ),
        migrations.AddField(
            model_name="shopprofile",
            name="after_hours",
            field=models.CharField(
                choices=[
                    ("book", "The agent answers and books, as in opening hours"),
                    ("message", "Callers leave a message (voicemail)"),
                    ("transfer", "Put callers through to the advisor number"),
                ],
                default="book",
                help_text="Calls outside opening hours (and on closures).",
                max_length=10,
            ),
        ),
    ]
