"""State ids and external ids are unique within a district, not across the state.

External ids carry their student's district (filled here from the student),
so the key (source, id, district) is a database constraint.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_district(apps, schema_editor):
    Student = apps.get_model("enrollment", "Student")
    StudentExternalId = apps.get_model("enrollment", "StudentExternalId")
    StudentExternalId.objects.update(
        district_id=Subquery(Student.objects.filter(pk=OuterRef("student_id")).values("district_id")[:1])
    )


class Migration(migrations.Migration):
    dependencies = [
        ("district", "0002_district_access_grace_days"),
        ("enrollment", "0003_lotteryrun_ran_by_blank"),
    ]

    operations = [
        migrations.AlterField(
            model_name="student",
            name="state_id",
            field=models.CharField(
                blank=True,
                help_text="May be empty for a new or out-of-district applicant until the state assigns it.",
                max_length=10,
                null=True,
                validators=[
                    django.core.validators.RegexValidator("^\\d{10}$", "A state student id (SASID) is ten digits.")
                ],
                verbose_name="state student id (SASID)",
            ),
        ),
        migrations.AddConstraint(
            model_name="student",
            constraint=models.UniqueConstraint(
                fields=("state_id", "district"),
                name="student_state_id_unique_per_district",
                violation_error_message="Another student of this district has this state id.",
            ),
        ),
        migrations.AddField(
            model_name="studentexternalid",
            name="district",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="student_external_ids",
                to="district.district",
                verbose_name="district",
            ),
        ),
        migrations.RunPython(copy_district, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="studentexternalid",
            name="district",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="student_external_ids",
                to="district.district",
                verbose_name="district",
            ),
        ),
        migrations.RemoveConstraint(
            model_name="studentexternalid",
            name="external_id_unique_per_source",
        ),
        migrations.AddConstraint(
            model_name="studentexternalid",
            constraint=models.UniqueConstraint(
                fields=("source", "external_id", "district"),
                name="external_id_unique_per_district",
                violation_error_message="Another student of this district has this id in that system.",
            ),
        ),
    ]
