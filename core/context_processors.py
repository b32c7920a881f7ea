"""Navigation by section, built from the page registry and the user's policy."""

from django.urls import reverse

from . import policy
from .choices import Action
from .registry import nav_links, pages


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    sections: dict[str, list] = {}
    for link in nav_links:
        if policy.can(user, link.model, Action.VIEW):
            sections.setdefault(str(link.section), []).append({"label": link.label, "url": reverse(link.url_name)})
    for p in pages:
        if "list" in p.actions and policy.can(user, p.model, Action.VIEW):
            heading = str(p.section or p.model._meta.app_config.verbose_name)
            sections.setdefault(heading, []).append(
                {"label": p.model._meta.verbose_name_plural, "url": reverse(p.url_name("list"))}
            )
    return {"nav_sections": list(sections.items())}
