"""Run benchmark suites: ``python -m bench [SUITE ...] [-- options for a single suite]``.

Suites: routing (bus routing against published results), lottery (deferred
acceptance against the matching package), and those that need PostgreSQL
(lottery_service, roster) when DATABASE_URL points at it. ``all`` runs every
suite whose module is present, with its default options. Each suite reports
ratios against a baseline measured in the same run.
"""

import importlib
import sys

SUITES = ["lottery", "routing", "lottery_service", "roster", "reporting", "dashboard"]


def main(argv: list[str]) -> int:
    first_option = next((i for i, a in enumerate(argv) if a.startswith("-")), len(argv))
    names = argv[:first_option] or ["all"]
    options = argv[first_option:]
    if names == ["all"]:
        names = SUITES
        options = []
    status = 0
    for name in names:
        if name not in SUITES:
            print(f"unknown suite {name!r}; choose from {', '.join(SUITES)} or all", file=sys.stderr)
            return 2
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"bench.{name}":
                print(f"== {name}: not built yet, skipped")
                continue
            raise
        print(f"== {name}", flush=True)
        status = module.main(options) or status
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
