"""A real OpenID provider for the sign-in tests.

django-oauth-toolkit's OpenID Connect provider in a throwaway Django project
(this folder: ``provider_settings``, ``provider_urls``, ``provider_validator``,
``serve.py``), run as a subprocess on a free 127.0.0.1 port with its own SQLite
database and a freshly generated RSA signing key. Its people sign in with a
password on its login page; their ID token claims come from ``people.json``,
which a test may rewrite (``Provider.set_claims``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

HERE = Path(__file__).resolve().parent
CLIENT_ID = "district-ops-portal"
REDIRECT_URI = "http://testserver/oidc/callback/"
PASSWORD = "provider-pass-2026"
START_TIMEOUT = 60

# Who exists at the provider, and what their ID tokens say beyond ``sub``.
PEOPLE: dict[str, dict] = {
    "ada": {"email": "ada.admin@district.example", "email_verified": True, "name": "Ada Admin"},
    "unverified": {"email": "una.verified@district.example", "email_verified": False},
    "newcomer": {"email": "new.comer@district.example", "email_verified": True},
    "mover": {"email": "mo.ver@district.example", "email_verified": True},
    "noemail": {},
    "sis": {"email": "sis@district.example", "email_verified": True},
    "entra_member": {"preferred_username": "erin.entra@district.example", "tid": "tenant-district"},
    "entra_outsider": {"email": "olly.out@district.example", "email_verified": True, "tid": "tenant-elsewhere"},
}


def new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Provider:
    """One running provider: start it, sign people in at it, stop it."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}/o"
        self.client_secret = secrets.token_urlsafe(32)
        self.private_key_pem = new_private_key_pem()
        self.process: subprocess.Popen | None = None
        self.log_path = folder / "provider.log"

    # --- lifecycle -------------------------------------------------------

    def start(self) -> None:
        (self.folder / "signing-key.pem").write_text(self.private_key_pem)
        self.reset_people()
        (self.folder / "client.json").write_text(
            json.dumps({"client_id": CLIENT_ID, "client_secret": self.client_secret, "redirect_uris": [REDIRECT_URI]})
        )
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "OPS_"))
        }
        env.update(
            PROVIDER_DATA=str(self.folder),
            PROVIDER_ISSUER=self.issuer,
            PROVIDER_PORT=str(self.port),
            PROVIDER_SECRET_KEY=secrets.token_urlsafe(40),
        )
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(HERE / "serve.py")],
                cwd=HERE,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        url = f"{self.issuer}/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the test OpenID provider exited:\n{self.log_path.read_text()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(url, timeout=2).status_code == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the test OpenID provider did not start in time:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    # --- people ----------------------------------------------------------

    def reset_people(self) -> None:
        self._write_people(PEOPLE)

    def set_claims(self, username: str, **claims) -> None:
        people = {name: dict(person["claims"]) for name, person in self._read_people().items()}
        people[username].update(claims)
        self._write_people(people)

    def _read_people(self) -> dict:
        return json.loads((self.folder / "people.json").read_text())

    def _write_people(self, claims_by_name: dict) -> None:
        data = {name: {"password": PASSWORD, "claims": claims} for name, claims in claims_by_name.items()}
        path = self.folder / "people.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        tmp.replace(path)

    # --- the browser's part of the flow ------------------------------------

    def authorize(self, authorize_url: str, username: str) -> str:
        """Follows the provider's pages as ``username`` would: returns where it sends the browser back to."""
        browser = requests.Session()
        response = browser.get(authorize_url, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        login_url = urljoin(authorize_url, response.headers["Location"])
        page = browser.get(login_url, timeout=10)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        next_url = parse_qs(urlsplit(login_url).query)["next"][0]
        response = browser.post(
            login_url,
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": next_url},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, f"the provider refused {username}'s password"
        response = browser.get(urljoin(login_url, response.headers["Location"]), allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["Location"]
