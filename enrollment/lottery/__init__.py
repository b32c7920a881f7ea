"""School-choice lottery: student-proposing deferred acceptance with seat categories.

A pure module with no Django import. Build :class:`Applicant` and
:class:`Program` records, call :func:`run_lottery` with a published seed,
and read the :class:`LotteryResult`. The stages are exposed too
(:func:`compile_market`, :func:`draw`, :func:`solve`, :func:`build_result`)
for benchmarks and for callers that want to time or reuse them.
"""

from .checks import blocking_pairs, category_violations, choose
from .draw import draw, make_rng
from .engine import solve
from .market import Market, canonical_json, compile_market, input_hash
from .run import build_result, run_lottery, summarize
from .synthetic import synthetic_market
from .types import (
    MAX_CHOICES,
    OPEN,
    Applicant,
    Assignment,
    LotteryResult,
    Program,
    ProgramSummary,
    SeatCategory,
    Summary,
)

__all__ = [
    "MAX_CHOICES",
    "OPEN",
    "Applicant",
    "Assignment",
    "LotteryResult",
    "Market",
    "Program",
    "ProgramSummary",
    "SeatCategory",
    "Summary",
    "blocking_pairs",
    "build_result",
    "canonical_json",
    "category_violations",
    "choose",
    "compile_market",
    "draw",
    "input_hash",
    "make_rng",
    "run_lottery",
    "solve",
    "summarize",
    "synthetic_market",
]
