"""On PostgreSQL, the database itself refuses to edit or delete log rows."""
from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION ops_refuse_log_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit and disclosure rows are immutable';
END;
$$ LANGUAGE plpgsql;
"""
TRIGGERS = [
    "CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
    "FOR EACH ROW EXECUTE FUNCTION ops_refuse_log_change();"
]
TABLES = ["core_auditentry", "core_disclosure"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        for sql in TRIGGERS:
            schema_editor.execute(sql.format(table=table))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table};")
    schema_editor.execute("DROP FUNCTION IF EXISTS ops_refuse_log_change();")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
