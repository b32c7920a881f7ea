from django.db import migrations, models


def follow_the_browser(apps, schema_editor):
    """Pages never read the preference before: "en" was only the field's default, so it becomes blank.

    Blank follows the browser's language, as every page did until now; a
    preference of Spanish is kept and now applies.
    """
    apps.get_model("core", "User").objects.filter(preferred_language="en").update(preferred_language="")


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0007_fill_audit_data_class"),
    ]

    operations = [
        migrations.AlterField(
            model_name="user",
            name="preferred_language",
            field=models.CharField(
                blank=True,
                choices=[("", "The browser's language"), ("en", "English"), ("es", "Spanish")],
                default="",
                help_text="The language of pages once signed in, unless the person switches language in their browser.",
                max_length=8,
                verbose_name="preferred language",
            ),
        ),
        migrations.RunPython(follow_the_browser, migrations.RunPython.noop),
    ]
