"""The API's permission check: token scope, then the access policy."""

from rest_framework import permissions

from core import policy
from core.choices import Action
from core.models import ApiToken

METHOD_ACTIONS = {
    "GET": Action.VIEW,
    "HEAD": Action.VIEW,
    "OPTIONS": Action.VIEW,
    "POST": Action.ADD,
    "PUT": Action.CHANGE,
    "PATCH": Action.CHANGE,
    "DELETE": Action.DELETE,
}


def action_for(request) -> str:
    return METHOD_ACTIONS.get(request.method, Action.CHANGE)


class PolicyPermission(permissions.BasePermission):
    def has_permission(self, request, view):
        user = request.user
        if not user or not user.is_authenticated:
            return False
        model = getattr(getattr(view, "queryset", None), "model", None)
        if model is None:
            return True
        write = request.method not in permissions.SAFE_METHODS
        if isinstance(request.auth, ApiToken) and not request.auth.allows(model._meta.app_label, write):
            self.message = f"This token's scopes do not include {model._meta.app_label}:{'write' if write else 'read'}."
            return False
        action = getattr(view, "policy_action", None) or action_for(request)
        return policy.can(user, model, action)
