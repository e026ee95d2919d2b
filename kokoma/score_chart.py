"""The escalation score over time as a small server-drawn SVG: one point per change that moved
the score or its factors (services.score_history), the level bands behind; each point's
tooltip says the factors of that change. The page lists the same points as a table."""
from markupsafe import Markup, escape

from .domain import LEVEL_THRESHOLDS

# About the size it is shown at beside the case's facts (its text stays legible); the level
# names stand right of the plot, where no point can cover them.
WIDTH, HEIGHT = 420, 150
LEFT, RIGHT, TOP, BOTTOM = 32, 64, 10, 16
LINE = "#1f4f8f"


def _y(score: int) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - max(0, min(100, score)) / 100)


def _x(index: int, count: int) -> float:
    if count == 1:
        return (LEFT + WIDTH - RIGHT) / 2
    return LEFT + (WIDTH - LEFT - RIGHT) * index / (count - 1)


def draw(points, *, title: str, point_text, level_names: dict) -> Markup:
    """``points`` (services.score_history.ShownPoint, oldest first) as inline SVG;
    ``point_text(point)`` says in words what a point shows (its tooltip)."""
    count = len(points)
    parts = [
        f'<svg class="score-chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="score-chart-title" '
        f'xmlns="http://www.w3.org/2000/svg"><title id="score-chart-title">{escape(title)}</title>'
    ]
    for level, bound in LEVEL_THRESHOLDS:
        if bound:
            y = _y(bound)
            parts.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#cfd6e0" '
                         f'stroke-dasharray="4 4"/>')
            parts.append(f'<text x="{WIDTH - RIGHT + 6}" y="{y + 4:.1f}" font-size="12" fill="#4a5566">'
                         f'{escape(level_names.get(level, level))}</text>')
    for score in (0, 100):
        parts.append(f'<text x="{LEFT - 6}" y="{_y(score) + 4:.1f}" text-anchor="end" font-size="12" '
                     f'fill="#4a5566">{score}</text>')
    coordinates = [(_x(i, count), _y(p.point.score)) for i, p in enumerate(points)]
    if count > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>')
    for (x, y), point in zip(coordinates, points):
        parts.append(f'<g><title>{escape(point_text(point))}</title><circle cx="{x:.1f}" cy="{y:.1f}" r="5" '
                     f'fill="#ffffff" stroke="{LINE}" stroke-width="2.5"/></g>')
    parts.append("</svg>")
    return Markup("".join(parts))
