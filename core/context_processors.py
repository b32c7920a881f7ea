"""Navigation grouped by department and task, built from the registries and the user's policy.

Each department (``core.workspace``) comes first: its workspace, then its
workflows (its main actions and the workflow pages of its record tables),
then its record tables under "Records". Pages of apps no department claims
keep their own heading; reference data, accounts and logs go under
"Administration". A link is listed only when the policy lets the user reach
its page.
"""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import policy, workspace
from .choices import Action, Kind
from .registry import nav_links, pages

ADMINISTRATION = _("Administration")
ADMIN_KINDS = (Kind.REFERENCE, Kind.ACCESS, Kind.AUDIT)


class _Group:
    def __init__(self, heading, workspace_url=None, records_heading=True):
        self.heading = heading
        self.workspace_url = workspace_url
        self.records_heading = records_heading
        self.workflows: list[dict] = []
        self.records: list[dict] = []
        self._urls: set[str] = set()

    def add(self, kind: str, label, url: str) -> None:
        if url in self._urls or url == self.workspace_url:
            return
        self._urls.add(url)
        getattr(self, kind).append({"label": label, "url": url})

    def __bool__(self) -> bool:
        return bool(self.workspace_url or self.workflows or self.records)


def nav_groups(user) -> list[_Group]:
    """The navigation the user may use, in order: departments, other sections, Administration."""
    groups: dict[str, _Group] = {}
    for dept in workspace.departments():
        url = workspace.url_for(dept.code) if workspace.reachable(user, dept.code) else None
        group = groups[f"dept:{dept.code}"] = _Group(dept.label, url)
        for action in workspace.shown_actions(user, dept.code):
            group.add("workflows", action.label, action.url)
    admin = _Group(ADMINISTRATION, records_heading=False)

    def group_for(app_label: str, heading) -> _Group:
        dept = workspace.department_of_app(app_label)
        if dept is not None:
            return groups[f"dept:{dept.code}"]
        return groups.setdefault(f"section:{heading}", _Group(heading))

    for link in nav_links:
        if policy.can(user, link.model, Action.VIEW):
            if str(link.section) == str(ADMINISTRATION):
                group = admin
            else:
                group = group_for(link.model._meta.app_label, str(link.section))
            group.add("workflows", link.label, reverse(link.url_name))
    for p in pages:
        if "list" not in p.actions or not policy.can(user, p.model, Action.VIEW):
            continue
        heading = str(p.section or p.model._meta.app_config.verbose_name)
        if policy.rule_for(p.model).kind in ADMIN_KINDS or heading == str(ADMINISTRATION):
            group = admin
        else:
            group = group_for(p.app_label, heading)
        for label, url_name in p.links:
            group.add("workflows", label, reverse(url_name))
        group.add("records", p.model._meta.verbose_name_plural, reverse(p.url_name("list")))
    return [g for g in [*groups.values(), admin] if g]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "is_integration", False):
        return {"nav_groups": []}
    return {"nav_groups": nav_groups(user)}
