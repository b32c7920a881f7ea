import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("district", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="district",
            name="access_grace_days",
            field=models.PositiveSmallIntegerField(
                default=30,
                help_text=(
                    "Staff limited to schools keep access to a student for this many days after the student's "
                    "enrollment at their school ends (0: access ends on the exit date)."
                ),
                validators=[django.core.validators.MaxValueValidator(365)],
                verbose_name="days of access after a student leaves",
            ),
        ),
    ]
