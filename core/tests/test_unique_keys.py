"""Keys that must be unique never reach across districts for records about students."""

from django.apps import apps

from core import audit


def unique_keys(model) -> list[tuple[str, ...]]:
    keys = [(f.name,) for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    keys += [tuple(key) for key in model._meta.unique_together]
    keys += [tuple(constraint.fields) for constraint in model._meta.total_unique_constraints]
    return keys


def test_every_unique_key_of_a_student_record_lies_within_one_district():
    """Each key names a record that belongs to one district (the district itself, a student, a window ...).

    A key of plain values alone (a state id) would be unique across the whole
    state deployment: another district's record would answer "already
    exists" through every form, serializer and import, disclosing it.
    """
    checked = []
    for model in apps.get_models():
        if not getattr(model, "student_level", False):
            continue
        for key in unique_keys(model):
            fields = [model._meta.get_field(name) for name in key]
            assert any(f.is_relation and audit.has_row_district(f.related_model) for f in fields), (
                f"{model.__name__}: the unique key {key} reaches across districts"
            )
            checked.append((model.__name__, key))
    assert ("Student", ("state_id", "district")) in checked
    assert ("StudentExternalId", ("source", "external_id", "district")) in checked
