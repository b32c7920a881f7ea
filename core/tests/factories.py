import factory
from django.contrib.contenttypes.models import ContentType

from core.models import ApiToken, AuditEntry, Disclosure
from core.tests.sample.models import Widget
from district.tests.factories import SchoolFactory, UserFactory


class WidgetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Widget

    school = factory.SubFactory(SchoolFactory)
    name = factory.Sequence(lambda n: f"Widget {n}")
    meal_status = factory.Sequence(lambda n: f"FREE{n:04d}")
    count = 3


def make_token(user, scopes=("district:read",), **extra):
    token = ApiToken(user=user, name=extra.pop("name", "SIS sync"), scopes=list(scopes), **extra)
    key = token.set_new_key()
    token.save()
    return token, key


def make_audit(district_id, **extra):
    return AuditEntry.objects.create(
        actor_name="someone",
        change="update",
        content_type=ContentType.objects.get_for_model(Widget),
        object_id="1",
        object_repr="thing",
        changes={"name": ["a", "b"]},
        district_key=district_id,
        **extra,
    )


def make_disclosure(district_id):
    return Disclosure.objects.create(
        actor_name="someone",
        channel="export",
        what="widgets",
        categories=["name"],
        student_count=12,
        recipient="someone",
        basis="school official",
        district_key=district_id,
    )


__all__ = ["UserFactory", "WidgetFactory", "make_audit", "make_disclosure", "make_token"]
