"""Morning school bus routing: routes per school, chained into as few buses as possible.

Pure Python (NumPy and SciPy); no Django import, so it runs from the command
line, a task or a test alike.

    from transportation.routing import read_problem, solve
    problem = read_problem("Schools.txt", "Stops.txt", Params(max_ride=2700))
    result = solve(problem, time_limit=60, seed=0)
    result.solution.bus_count, result.report.ok
"""

from .checker import CheckReport, Violation, check_solution
from .engine import SolveResult, solve
from .io import InputError, read_problem, read_solution, write_solution
from .model import Params, Pickup, Problem, Route, School, Solution, Stop
from .svg import render_svg

__all__ = [
    "CheckReport",
    "InputError",
    "Params",
    "Pickup",
    "Problem",
    "Route",
    "School",
    "Solution",
    "SolveResult",
    "Stop",
    "Violation",
    "check_solution",
    "read_problem",
    "read_solution",
    "render_svg",
    "solve",
    "write_solution",
]
