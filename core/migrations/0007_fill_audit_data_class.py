"""Give existing audit entries the data class of the record they describe.

For each model whose access rule names a row class field (a record whose
existence discloses a sensitive class), an entry takes the class from its own
stored values of that field (before and after); an entry that did not store
it (an update of other fields) takes every class its record is known by: the
values stored in the record's other entries and the live record's. Classes
are joined with "+" when there are several, which hides the entry from every
role rather than showing it to one that administers only one of them.

On PostgreSQL the log's immutability trigger is set aside for the update
(within the migration's transaction, so an error leaves it in place).
"""

import json
from collections import defaultdict

from django.apps import apps as global_apps
from django.db import migrations

BATCH = 2000


def _row_class_field(app_label, model_name):
    try:
        model = global_apps.get_model(app_label, model_name)
    except LookupError:
        return None
    rule = getattr(model, "access", None)
    return getattr(rule, "row_class_field", None)


def _classes(pair):
    return {value for value in (pair or ()) if isinstance(value, str) and value}


def forwards(apps, schema_editor):
    AuditEntry = apps.get_model("core", "AuditEntry")
    ContentType = apps.get_model("contenttypes", "ContentType")
    postgres = schema_editor.connection.vendor == "postgresql"
    table = schema_editor.quote_name(AuditEntry._meta.db_table)
    switched = False
    for ct in ContentType.objects.order_by("pk"):
        field = _row_class_field(ct.app_label, ct.model)
        if not field:
            continue
        own: dict[int, set | None] = {}
        known: dict[str, set] = {}
        rows = AuditEntry.objects.filter(content_type_id=ct.pk).values_list("pk", "object_id", "changes")
        objects = {}
        for pk, object_id, changes in rows.iterator(chunk_size=BATCH):
            if isinstance(changes, str):
                changes = json.loads(changes)
            objects[pk] = object_id
            if field in (changes or {}):
                own[pk] = _classes(changes[field])
            else:
                own[pk] = None
            known.setdefault(object_id, set()).update(own[pk] or ())
        if not objects:
            continue
        try:
            model = apps.get_model(ct.app_label, ct.model)
        except LookupError:
            model = None
        if model is not None:
            ids = sorted({int(i) for pk, i in objects.items() if own[pk] is None and i.isdigit()})
            for start in range(0, len(ids), BATCH):
                live = model._base_manager.filter(pk__in=ids[start : start + BATCH]).values_list("pk", field)
                for pk, value in live:
                    if value:
                        known.setdefault(str(pk), set()).add(value)
        by_class: dict[str, list[int]] = defaultdict(list)
        for pk, object_id in objects.items():
            classes = own[pk] if own[pk] is not None else known[object_id]
            value = "+".join(sorted(classes))
            if value:
                by_class[value].append(pk)
        if by_class and postgres and not switched:
            schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            switched = True
        for value, pks in by_class.items():
            for start in range(0, len(pks), BATCH):
                AuditEntry.objects.filter(pk__in=pks[start : start + BATCH]).update(data_class=value)
    if switched:
        schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0006_audit_class_and_token"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
