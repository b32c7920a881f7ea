"""Runs the test OpenID provider: migrates its SQLite database, loads its people and client, serves HTTP.

    PROVIDER_DATA=<folder> PROVIDER_ISSUER=http://127.0.0.1:<port>/o PROVIDER_PORT=<port> \\
        PROVIDER_SECRET_KEY=<random> python serve.py

The folder holds ``signing-key.pem`` (the RSA key ID tokens are signed with),
``people.json`` ({username: {"password": ..., "claims": {...}}}) and
``client.json`` ({"client_id", "client_secret", "redirect_uris"}).
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["DJANGO_SETTINGS_MODULE"] = "provider_settings"


def main() -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    people = json.loads((settings.DATA / "people.json").read_text())
    for username, person in people.items():
        user = get_user_model().objects.create_user(username)
        user.set_password(person["password"])
        user.save()
    client = json.loads((settings.DATA / "client.json").read_text())
    Application.objects.create(
        name="District Ops Portal",
        client_id=client["client_id"],
        client_secret=client["client_secret"],
        redirect_uris=" ".join(client["redirect_uris"]),
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=True,
    )
    run("127.0.0.1", int(os.environ["PROVIDER_PORT"]), get_wsgi_application(), threading=True)


if __name__ == "__main__":
    main()
