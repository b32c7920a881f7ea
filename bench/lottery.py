"""Benchmark the school-choice lottery against the ``matching`` package.

Run from the repository root::

    python -m bench.lottery            # 20k x 200 against matching, then 71k x 700
    python -m bench.lottery --quick    # 5k x 70 against matching, then 20k x 200
    python -m bench.lottery --json bench/out/lottery.json

Markets come from ``enrollment.lottery.synthetic_market`` (skewed
popularity, lists up to 12, zone and sibling priorities). Our side is timed
in stages, best of ``--repeat`` runs: build (validate, hash the inputs,
draw lottery numbers), solve (deferred acceptance), result (assignments,
waitlists, summary). ``matching``'s HospitalResident game is built from the
same market with each program's strict ranking (priority, then our lottery
number) and timed once, build and solve separately, in a child process that
is stopped after ``--matching-timeout`` seconds. Both assignments must be
identical; the script exits 1 if they are not.

Targets (issue 3): solve at least 500 times faster than ``matching`` at
20,000 x 200 x 12, and solve under 0.5 s at 71,000 x 700 x 12.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

from enrollment.lottery import build_result, compile_market, draw, solve, synthetic_market
from enrollment.lottery.reference import build_game, matching_inputs, solve_game, with_deep_stack

SEED = 20260301
SPEEDUP_TARGET = 500
SOLVE_TARGET_S = 0.5


def best_of(repeat: int, func: Callable[[], object]) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def time_ours(applicants, programs, *, repeat: int, tie_breaking: str = "single") -> dict:
    """Stage timings for our lottery; returns them with the result."""
    build = best_of(repeat, lambda: compile_market(applicants, programs, tie_breaking=tie_breaking))
    market = build[1]
    drawn = best_of(repeat, lambda: draw(market, SEED))
    tiebreak = drawn[1]
    solved = best_of(repeat, lambda: solve(market, tiebreak))
    assembled = best_of(repeat, lambda: build_result(market, tiebreak, solved[1], SEED))
    return {
        "compile_s": build[0],
        "draw_s": drawn[0],
        "build_s": build[0] + drawn[0],
        "solve_s": solved[0],
        "result_s": assembled[0],
        "total_s": build[0] + drawn[0] + solved[0] + assembled[0],
        "result": assembled[1],
    }


def _matching_child(conn, residents, hospitals, capacities) -> None:
    def work():
        start = time.perf_counter()
        game = build_game(residents, hospitals, capacities)
        built = time.perf_counter()
        placed = solve_game(game)
        return built - start, time.perf_counter() - built, placed

    try:
        conn.send(("ok", with_deep_stack(work)))
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which prints it
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def time_matching(applicants, programs, result, *, timeout: float) -> dict:
    """Build and solve ``matching``'s game in a child process with a time limit."""
    residents, hospitals, capacities = matching_inputs(applicants, programs, result)
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_matching_child, args=(child, residents, hospitals, capacities))
    proc.start()
    child.close()
    outcome = None
    if parent.poll(timeout):
        outcome = parent.recv()
    proc.join(5 if outcome else 0)
    if proc.is_alive():
        proc.kill()
        proc.join()
    if outcome is None:
        return {"error": f"stopped after {timeout:.0f} s"}
    status, value = outcome
    if status != "ok":
        return {"error": value}
    build_s, solve_s, placed = value
    return {"build_s": build_s, "solve_s": solve_s, "total_s": build_s + solve_s, "placed": placed}


def market_line(n: int, p: int, applicants, programs) -> str:
    choices = sum(len(a.choices) for a in applicants)
    seats = sum(pr.seats for pr in programs)
    return f"{n:,} applicants x {p:,} programs, lists up to 12 (mean {choices / max(n, 1):.1f}), {seats:,} seats"


def ours_line(label: str, t: dict) -> str:
    s = t["result"].summary
    return (
        f"  {label:<24} build {t['build_s']:.3f} s (validate+hash {t['compile_s']:.3f}, draw {t['draw_s']:.3f})"
        f" | solve {t['solve_s']:.3f} s | result {t['result_s']:.3f} s | total {t['total_s']:.3f} s"
        f" | matched {s.match_rate:.1%}, first choice {s.first_choice_rate:.1%}, top 3 {s.top3_rate:.1%}"
    )


def compare(n: int, p: int, *, repeat: int, timeout: float, skip_matching: bool) -> dict:
    applicants, programs = synthetic_market(n, p, seed=SEED)
    print(f"\n== {market_line(n, p, applicants, programs)}")
    ours = time_ours(applicants, programs, repeat=repeat)
    print(ours_line("ours (single tie-break)", ours))
    row = {"applicants": n, "programs": p, "ours": {k: v for k, v in ours.items() if k != "result"}}
    if skip_matching:
        return row
    print(f"  matching {_matching_version()} running (limit {timeout:.0f} s) ...", flush=True)
    ref = time_matching(applicants, programs, ours["result"], timeout=timeout)
    if "error" in ref:
        print(f"  matching                 {ref['error']}")
        row["matching"] = ref
        return row
    got = {aid: (x and x.program) for aid, x in ours["result"].assignments.items()}
    expected = {a.id: ref["placed"].get(a.id) for a in applicants}
    identical = got == expected
    differ = sum(got[k] != expected[k] for k in got)
    speedup_solve = ref["total_s"] / ours["solve_s"]
    speedup_total = ref["total_s"] / ours["total_s"]
    print(
        f"  matching                 build {ref['build_s']:.2f} s | solve {ref['solve_s']:.2f} s"
        f" | total {ref['total_s']:.2f} s"
    )
    verdict = "meets" if speedup_solve >= SPEEDUP_TARGET else "BELOW"
    print(
        f"  ratio                    matching total / our solve = {speedup_solve:,.0f}x ({verdict} the "
        f"{SPEEDUP_TARGET}x target); matching total / our total = {speedup_total:,.0f}x"
    )
    print(f"  identical assignments    {'yes' if identical else f'NO ({differ} applicants differ)'}")
    row["matching"] = {k: v for k, v in ref.items() if k != "placed"}
    row.update(speedup_solve=speedup_solve, speedup_total=speedup_total, identical=identical)
    return row


def scale(n: int, p: int, *, repeat: int) -> dict:
    row: dict = {"applicants": n, "programs": p}
    applicants, programs = synthetic_market(n, p, seed=SEED)
    print(f"\n== {market_line(n, p, applicants, programs)}")
    ours = time_ours(applicants, programs, repeat=repeat)
    verdict = "meets" if ours["solve_s"] < SOLVE_TARGET_S else "MISSES"
    print(ours_line("ours (single tie-break)", ours) + f"  [{verdict} solve < {SOLVE_TARGET_S} s]")
    row["single"] = {k: v for k, v in ours.items() if k != "result"}
    multi = time_ours(applicants, programs, repeat=repeat, tie_breaking="multiple")
    print(ours_line("ours (multiple)", multi))
    row["multiple"] = {k: v for k, v in multi.items() if k != "result"}
    applicants, programs = synthetic_market(n, p, seed=SEED, set_asides=True)
    reserved = time_ours(applicants, programs, repeat=repeat)
    print(ours_line("ours (set-asides)", reserved))
    row["set_asides"] = {k: v for k, v in reserved.items() if k != "result"}
    return row


def _matching_version() -> str:
    try:
        from importlib.metadata import version

        return version("matching")
    except Exception:  # noqa: BLE001 - the version is only printed
        return "(version unknown)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5k x 70 against matching, then 20k x 200")
    parser.add_argument("--repeat", type=int, default=5, help="runs per stage of ours; the best counts")
    parser.add_argument("--matching-timeout", type=float, default=600.0, help="seconds before matching is stopped")
    parser.add_argument("--skip-matching", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)

    print(
        f"School-choice lottery benchmark: Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {platform.machine()}, seed {SEED}"
    )
    small, large = ((5_000, 70), (20_000, 200)) if args.quick else ((20_000, 200), (71_000, 700))
    report = {
        "compare": compare(*small, repeat=args.repeat, timeout=args.matching_timeout, skip_matching=args.skip_matching),
        "scale": scale(*large, repeat=args.repeat),
    }
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 1 if report["compare"].get("identical") is False else 0


if __name__ == "__main__":
    sys.exit(main())
