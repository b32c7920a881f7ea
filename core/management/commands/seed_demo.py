"""Build the deterministic demo district (or a state of many), app by app.

Each app may provide ``demo.py`` with ``build(*, options, context)``; they run
in INSTALLED_APPS order, sharing ``context`` (a dict) so later apps can use
what earlier ones made (the districts, schools, years).
"""

import importlib
import time

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.models import User


class Command(BaseCommand):
    help = "Build the deterministic demo district (or a state of many districts) with demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--districts", type=int, default=1)
        parser.add_argument("--schools", type=int, default=40)
        parser.add_argument(
            "--students", type=int, default=None, help="Students in all (default: about 450 per school)."
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when demo data already exist.")

    def handle(self, *args, **options):
        if options["districts"] < 1 or options["schools"] < options["districts"]:
            raise CommandError("Give at least one district and at least one school per district.")
        if options["students"] is None:
            options["students"] = options["schools"] * 450
        if User.objects.filter(username="district_admin").exists():
            if options["if_empty"]:
                self.stdout.write("Demo data already present.")
                self._print_logins()
                return
            raise CommandError("Demo data already exist; use a fresh database or --if-empty.")
        context: dict = {}
        with transaction.atomic():
            for config in apps.get_app_configs():
                try:
                    module = importlib.import_module(f"{config.name}.demo")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.demo":
                        raise
                    continue
                if not hasattr(module, "build"):
                    continue
                started = time.monotonic()
                summary = module.build(options=options, context=context)
                self.stdout.write(f"{config.label}: {summary} ({time.monotonic() - started:.1f} s)")
        self.stdout.write(self.style.SUCCESS(f"Demo data built (seed {options['seed']})."))
        self._print_logins()

    def _print_logins(self):
        names = list(
            User.objects.filter(is_integration=False).order_by("username").values_list("username", flat=True)[:60]
        )
        self.stdout.write(f"Demo logins (password: {settings.OPS_DEMO_PASSWORD}):")
        for name in names:
            self.stdout.write(f"  {name}")
