"""On PostgreSQL, the database itself refuses two overlapping primary enrollments.

An enrollment covers [entry_date, exit_date): the exit date is the first day
no longer enrolled, so a transfer that closes one enrollment and opens the
next on the same day does not overlap. Other databases rely on the service's
check (Enrollment.clean), which every door goes through.
"""
from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE enrollment_enrollment ADD CONSTRAINT enrollment_one_primary_at_a_time
  EXCLUDE USING gist (student_id WITH =, daterange(entry_date, exit_date, '[)') WITH &&)
  WHERE (is_primary);
"""
DROP = "ALTER TABLE enrollment_enrollment DROP CONSTRAINT IF EXISTS enrollment_one_primary_at_a_time;"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
