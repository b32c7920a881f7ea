"""An SVG picture of a solution: one colour per bus, schools as squares.

Loaded runs are solid lines from stop to stop to the school; empty runs
between routes are dashed.  Plain text output, no plotting library needed.
"""

from __future__ import annotations

import colorsys
from html import escape

from .model import Problem, Solution

SIZE = 1000
MARGIN = 30


def _colour(i: int, n: int) -> str:
    hue = (i * 0.618033988749895) % 1.0
    r, g, b = colorsys.hls_to_rgb(hue, 0.42, 0.75)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def render_svg(problem: Problem, solution: Solution, title: str = "") -> str:
    schools = problem.school_by_id()
    stops = problem.stop_by_id()
    xs = [s.x for s in problem.stops] + [s.x for s in problem.schools]
    ys = [s.y for s in problem.stops] + [s.y for s in problem.schools]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = (SIZE - 2 * MARGIN) / max(x1 - x0, y1 - y0, 1.0)

    def pt(x: float, y: float) -> str:
        # North up: larger y is drawn higher.
        return f"{MARGIN + (x - x0) * scale:.1f},{SIZE - MARGIN - (y - y0) * scale:.1f}"

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE + 40}" '
        f'viewBox="0 0 {SIZE} {SIZE + 40}" font-family="sans-serif">',
        f"<title>{escape(title or 'School bus routes')}</title>",
        f'<rect width="{SIZE}" height="{SIZE + 40}" fill="white"/>',
    ]
    for stop in problem.stops:
        out.append(
            f'<circle cx="{pt(stop.x, stop.y).split(",")[0]}" '
            f'cy="{pt(stop.x, stop.y).split(",")[1]}" r="1.6" fill="#999"/>'
        )
    n = max(1, len(solution.buses))
    for b, bus in enumerate(solution.buses):
        colour = _colour(b, n)
        out.append(
            f'<g stroke="{colour}" fill="none" stroke-width="1.2"><title>bus {b + 1}: {len(bus)} route(s)</title>'
        )
        previous = None
        for route in bus:
            points = [stops[p.stop] for p in route.pickups if p.stop in stops]
            school = schools.get(route.school)
            if not points or school is None:
                continue
            if previous is not None:
                out.append(
                    f'<polyline points="{pt(previous.x, previous.y)} '
                    f'{pt(points[0].x, points[0].y)}" stroke-dasharray="4 3" '
                    f'stroke-opacity="0.5"/>'
                )
            line = " ".join(pt(s.x, s.y) for s in points) + " " + pt(school.x, school.y)
            out.append(f'<polyline points="{line}"><title>bus {b + 1} to school {escape(school.id)}</title></polyline>')
            previous = school
        out.append("</g>")
    for school in problem.schools:
        x, y = (float(v) for v in pt(school.x, school.y).split(","))
        out.append(
            f'<rect x="{x - 5:.1f}" y="{y - 5:.1f}" width="10" height="10" '
            f'fill="black"><title>school {escape(school.id)}</title></rect>'
        )
        out.append(f'<text x="{x + 7:.1f}" y="{y - 6:.1f}" font-size="11">{escape(school.id)}</text>')
    caption = (
        f"{solution.bus_count} buses, {solution.route_count} routes, "
        f"{len(problem.stops)} stops, {len(problem.schools)} schools"
    )
    if title:
        caption = f"{title}: {caption}"
    out.append(f'<text x="{MARGIN}" y="{SIZE + 25}" font-size="16">{escape(caption)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
