"""A sample department record used only by the chassis's own tests.

It has what real department records will have: a school, a sensitive field
(meal eligibility), and student-level data; so the scoping, the field
protection and the disclosure log are tested on the chassis itself.
"""

from django.db import models

from core import policy
from core.choices import DataClass, Kind
from core.models import TrackedModel


class Widget(TrackedModel):
    school = models.ForeignKey("district.School", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("name", max_length=100)
    meal_status = models.CharField("meal status", max_length=10, blank=True)
    count = models.PositiveIntegerField("count", default=0)

    access = policy.AccessRule(
        kind=Kind.DEPARTMENT, district_path="school__district", school_path="school", department="facilities"
    )
    sensitive_fields = {"meal_status": DataClass.MEALS}
    student_level = True

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "widget"
        verbose_name_plural = "widgets"

    def __str__(self):
        return self.name
