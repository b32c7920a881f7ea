from django.core.management.base import BaseCommand, CommandError

from district.demo import DEMO_PASSWORD, build_demo
from district.models import District


class Command(BaseCommand):
    help = "Build the deterministic demo district (or a state of many districts) with demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--districts", type=int, default=1)
        parser.add_argument("--schools", type=int, default=40)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when a district already exists.")

    def handle(self, *args, districts, schools, seed, if_empty, **options):
        if districts < 1 or schools < districts:
            raise CommandError("Give at least one district and at least one school per district.")
        if District.objects.exists():
            if if_empty:
                self.stdout.write("Demo data already present.")
                self._print_logins()
                return
            raise CommandError("The database already has districts; use a fresh database or --if-empty.")
        result = build_demo(districts=districts, schools=schools, seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {result.districts} district(s), {result.schools} schools, {result.users} users (seed {seed})."
            )
        )
        self._print_logins()

    def _print_logins(self):
        from core.models import User

        names = list(
            User.objects.filter(is_integration=False).order_by("username").values_list("username", flat=True)[:40]
        )
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for name in names:
            self.stdout.write(f"  {name}")
