"""Template filters that show enrollment's codes by their labels where a page holds only the code."""

from django import template

from .. import choices as c

register = template.Library()


@register.filter
def grade_label(code):
    """A grade code ("04") by its label ("Grade 4"); anything else as it is."""
    try:
        return c.GradeLevel(code).label
    except ValueError:
        return code
