from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('calls', '0008_advisor_leg'),
    ]

    operations = [
        migrations.AddField(
            model_name='callbackrequest',
            name='handled_note',
            field=models.TextField(blank=True, help_text='What the advisor who called back noted.', verbose_name='note'),
        ),
    ]
