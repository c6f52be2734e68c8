"""Small server-rendered SVG charts (no JavaScript, a few hundred bytes each): pure
functions from numbers to markup, safe to put in a template with |safe (every label is
escaped here)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

W, H, PAD, BOTTOM = 320, 140, 28, 22
COLOURS = ("#2e7d32", "#f9a825", "#c62828", "#1565c0")


def _frame(body: str, title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" '
        f'class="chart" aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def line(points: Sequence[tuple[str, float | None]], *, title: str, top: float = 100) -> str:
    """A line of percentages over labelled steps (None: no data, the line breaks). The
    axis starts at the tens below the lowest value (attendance lives between 80 and 100:
    a 0–100 axis would flatten it), at 0 at the lowest."""
    n = len(points)
    if n == 0:
        return _frame("", title)
    step = (W - PAD - 20) / max(n - 1, 1)
    inner = H - BOTTOM - 10
    values = [v for _l, v in points if v is not None]
    low = max(0.0, (min(values) // 10) * 10 - 10) if values else 0.0
    low = min(low, top - 10)

    def y(v: float) -> float:
        return 10 + inner * (1 - (min(max(v, low), top) - low) / (top - low))

    parts = [
        f'<line x1="{PAD}" y1="{y(top):.0f}" x2="{W - 8}" y2="{y(top):.0f}" stroke="#ddd"/>',
        f'<line x1="{PAD}" y1="{y(low):.0f}" x2="{W - 8}" y2="{y(low):.0f}" stroke="#999"/>',
        f'<text x="2" y="{y(top) + 4:.0f}" font-size="9">{top:g}%</text>',
        f'<text x="2" y="{y(low) + 4:.0f}" font-size="9">{low:g}%</text>',
    ]
    path, pen = [], "M"
    for i, (label, value) in enumerate(points):
        x = PAD + i * step
        if value is None:
            pen = "M"
            continue
        path.append(f"{pen}{x:.1f},{y(value):.1f}")
        pen = "L"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y(value):.1f}" r="2.5" fill="{COLOURS[3]}">'
            f"<title>{escape(label)}: {value:g}%</title></circle>"
        )
    for i, (label, _v) in enumerate(points):
        if n <= 8 or i % 2 == 0:
            x = PAD + i * step
            parts.append(
                f'<text x="{x:.0f}" y="{H - 6}" font-size="9" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    parts.insert(
        0, f'<path d="{" ".join(path)}" fill="none" stroke="{COLOURS[3]}" stroke-width="2"/>'
    )
    return _frame("".join(parts), title)


def bars(
    groups: Sequence[tuple[str, Sequence[int]]], *, title: str, legend: Sequence[str] = ()
) -> str:
    """Stacked bars: one bar per group, segments in COLOURS order; the total on top."""
    n = len(groups)
    if n == 0:
        return _frame("", title)
    most = max((sum(v) for _l, v in groups), default=0) or 1
    inner = H - BOTTOM - 32
    width = (W - PAD - 8) / n
    parts = [f'<line x1="{PAD}" y1="{H - BOTTOM}" x2="{W - 8}" y2="{H - BOTTOM}" stroke="#999"/>']
    for i, (label, values) in enumerate(groups):
        x = PAD + i * width + width * 0.15
        base: float = H - BOTTOM
        for j, v in enumerate(values):
            h = inner * v / most
            if v:
                name = legend[j] if j < len(legend) else ""
                colour = COLOURS[j % len(COLOURS)]
                parts.append(
                    f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{width * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{colour}">'
                    f"<title>{escape(label)} · {escape(name)}: {v}</title></rect>"
                )
            base -= h
        mid = x + width * 0.35
        parts.append(
            f'<text x="{mid:.0f}" y="{base - 3:.0f}" font-size="9" text-anchor="middle">'
            f"{sum(values)}</text>"
        )
        parts.append(
            f'<text x="{mid:.0f}" y="{H - 8}" font-size="9" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    for j, name in enumerate(legend):
        left = PAD + j * 90
        parts.append(
            f'<rect x="{left}" y="2" width="8" height="8" fill="{COLOURS[j % len(COLOURS)]}"/>'
            f'<text x="{left + 11}" y="10" font-size="9">{escape(name)}</text>'
        )
    return _frame("".join(parts), title)
