"""ID token claims for the test provider's people, read from a JSON file the tests may rewrite."""

import json

from django.conf import settings
from oauth2_provider.oauth2_validators import OAuth2Validator


class PeopleFileValidator(OAuth2Validator):
    # Every claim the file names goes into the ID token, whatever the scope
    # (tenant ids, verified flags), as the real providers do.
    oidc_claim_scope = None

    def get_additional_claims(self, request):
        people = json.loads((settings.DATA / "people.json").read_text())
        return dict(people[request.user.username]["claims"])
