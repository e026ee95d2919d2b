"""The actor map (Konfliktlandkarte) drawn by the server as SVG: no JavaScript, printable.

Actors sit on a circle in the order they were entered; a circle's size shows the actor's
influence, its fill the role; an affected group has a green dashed ring, an actor openly
anti-democratic a thick red outline and a "!". Lines show relations by style (the legend on
the page names them; RELATION_STYLES below). The page gives the same relations as a table.
"""
import math
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT = 640, 440
CENTRE = (WIDTH / 2, HEIGHT / 2 - 10)
RING = 160
RADIUS = {"low": 16, "medium": 24, "high": 34}
ROLE_FILL = {"primary": "#cfdcf0", "secondary": "#eef1f5", "third": "#ffffff"}
INK, RED, GREEN = "#1d2430", "#a4161a", "#1e6b34"
NAME_LENGTH = 26


@dataclass(frozen=True)
class LineStyle:
    colour: str
    width: float
    dashes: str = ""
    arrow: bool = False
    crossed: bool = False  # two strokes across the middle: broken off


RELATION_STYLES = {
    "alliance": LineStyle(GREEN, 5),
    "close": LineStyle(GREEN, 2.5),
    "weak": LineStyle("#4a5566", 1.5, "2 4"),
    "tension": LineStyle("#8a5300", 2.5, "8 5"),
    "conflict": LineStyle(RED, 3.5),
    "broken": LineStyle(RED, 2, "12 4 2 4", crossed=True),
    "influence": LineStyle("#1f4f8f", 2, arrow=True),
}


def positions(actors) -> dict[int, tuple[float, float]]:
    """Where each actor's circle sits: evenly on a ring, the first at the top."""
    if len(actors) == 1:
        return {actors[0].id: CENTRE}
    step = 2 * math.pi / max(len(actors), 1)
    return {
        actor.id: (CENTRE[0] + RING * math.sin(index * step), CENTRE[1] - RING * math.cos(index * step))
        for index, actor in enumerate(actors)
    }


def _f(number: float) -> str:
    return f"{number:.1f}"


def _line(style: LineStyle, start, end, extra: str = "") -> str:
    dashes = f' stroke-dasharray="{style.dashes}"' if style.dashes else ""
    arrow = ' marker-end="url(#map-arrow)"' if style.arrow else ""
    return (f'<line x1="{_f(start[0])}" y1="{_f(start[1])}" x2="{_f(end[0])}" y2="{_f(end[1])}" '
            f'stroke="{style.colour}" stroke-width="{style.width}"{dashes}{arrow}{extra}/>')


def _relation(relation, placed, radius_of, text) -> str:
    style = RELATION_STYLES.get(relation.kind, RELATION_STYLES["weak"])
    (x1, y1), (x2, y2) = placed[relation.source_id], placed[relation.target_id]
    length = math.hypot(x2 - x1, y2 - y1) or 1
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    start = (x1 + ux * radius_of[relation.source_id], y1 + uy * radius_of[relation.source_id])
    gap = radius_of[relation.target_id] + (4 if style.arrow else 0)
    end = (x2 - ux * gap, y2 - uy * gap)
    parts = [f"<g><title>{escape(text)}</title>", _line(style, start, end)]
    if style.crossed:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        for shift in (-4, 4):
            cx, cy = mx + ux * shift, my + uy * shift
            parts.append(_line(LineStyle(style.colour, 2.5), (cx - uy * 8, cy + ux * 8), (cx + uy * 8, cy - ux * 8)))
    parts.append("</g>")
    return "".join(parts)


def _actor(actor, centre, radius, text, shown_name: str) -> str:
    x, y = centre
    outline, width = (RED, 4) if actor.anti_democratic else (INK, 1.5)
    parts = [f"<g><title>{escape(text)}</title>"]
    if actor.affected:
        parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{radius + 5}" fill="none" stroke="{GREEN}" '
                     f'stroke-width="2" stroke-dasharray="4 3"/>')
    parts.append(f'<circle cx="{_f(x)}" cy="{_f(y)}" r="{radius}" fill="{ROLE_FILL.get(actor.role, "#ffffff")}" '
                 f'stroke="{outline}" stroke-width="{width}"/>')
    if actor.anti_democratic:
        parts.append(f'<text x="{_f(x)}" y="{_f(y + 6)}" text-anchor="middle" font-size="18" font-weight="700" '
                     f'fill="{RED}">!</text>')
    name = shown_name if len(shown_name) <= NAME_LENGTH else shown_name[:NAME_LENGTH - 1] + "…"
    below = y + radius + (20 if actor.affected else 16)
    # A white halo drawn first keeps the name readable over lines; no `paint-order`: the PDF
    # report's renderer (WeasyPrint) ignores it and would paint the halo over the letters.
    label = f'<text x="{_f(x)}" y="{_f(below)}" text-anchor="middle" font-size="13" '
    parts.append(f'{label}fill="#ffffff" stroke="#ffffff" stroke-width="3">{escape(name)}</text>')
    parts.append(f'{label}fill="{INK}">{escape(name)}</text></g>')
    return "".join(parts)


def draw(analysis, *, title: str, description: str, actor_text, relation_text, name_of=None) -> Markup:
    """The map of ``analysis`` (services.analysis_snapshot.Analysis) as inline SVG.

    ``title`` and ``description`` name the picture for assistive technology; ``actor_text(actor)``
    and ``relation_text(relation)`` say in words what a circle or a line shows (its tooltip);
    ``name_of(actor)`` is the name written below a circle (shortened after, so that a pseudonym,
    not half a name, is what is cut)."""
    name_of = name_of or (lambda actor: actor.name)
    actors = analysis.actors
    placed = positions(actors)
    radius_of = {actor.id: RADIUS.get(actor.influence, RADIUS["medium"]) for actor in actors}
    lines = [_relation(r, placed, radius_of, relation_text(r)) for r in analysis.relations
             if r.source_id in placed and r.target_id in placed]
    circles = [_actor(a, placed[a.id], radius_of[a.id], actor_text(a), name_of(a)) for a in actors]
    return Markup(
        f'<svg class="actor-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="map-title map-desc" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="map-title">{escape(title)}</title><desc id="map-desc">{escape(description)}</desc>'
        f'<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#1f4f8f"/></marker></defs>'
        + "".join(lines) + "".join(circles) + "</svg>"
    )


def legend_sample(kind: str) -> Markup:
    """A short line in the style of a relation, for the legend."""
    style = RELATION_STYLES[kind]
    return Markup(
        '<svg class="legend-line" viewBox="0 0 44 12" width="44" height="12" aria-hidden="true" focusable="false">'
        + _line(style, (2, 6), (38 if style.arrow else 42, 6)).replace('marker-end="url(#map-arrow)"', "")
        + (f'<path d="M 36 1 L 43 6 L 36 11 z" fill="{style.colour}"/>' if style.arrow else "")
        + "</svg>"
    )
