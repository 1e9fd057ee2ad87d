#!/usr/bin/env python3
"""Bar charts (SVG, no dependencies) from saved benchmark tables.

    python3 bench/charts.py e2e RESULTS.md OUT.svg    # messages/s per peer and shape
    python3 bench/charts.py idle RESULTS.md OUT.svg   # bytes per idle connection

RESULTS.md is the output of `e2e` (its last "Summary" table: one row per
shape, one column per implementation, cells like "1998k (1.00x)") or of
`idle` (one row per server and connection count). Each chart is a group of
bars per shape (or connection count), one bar per implementation, with its
value written above it.
"""

import re
import sys
from html import escape

COLOURS = ["#2f6f9f", "#d9822b", "#5b9a3c", "#a33c3c", "#7c5ba6", "#888888"]


def tables(text):
    """The Markdown tables in `text`, each a list of rows of cells."""
    found, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
            if not all(set(cell) <= set("-: ") for cell in cells):
                current.append(cells)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def number(cell):
    """The leading number of a cell: "1998k (1.00x)" is 1998000, "6849 B" 6849."""
    match = re.match(r"\s*([0-9.]+)\s*([kM]?)", cell)
    if not match:
        return None
    scale = {"": 1, "k": 1e3, "M": 1e6}[match.group(2)]
    return float(match.group(1)) * scale


def e2e_series(text):
    """(groups, names, values[name][group]) from the last Summary table."""
    summary = [t for t in tables(text) if t and t[0][0] == "case"][-1]
    names = summary[0][1:]
    groups = [row[0] for row in summary[1:]]
    values = {
        name: [number(row[1 + i]) for row in summary[1:]] for i, name in enumerate(names)
    }
    return groups, names, values


def idle_series(text):
    """(groups, names, values) from the idle table: per-connection bytes."""
    rows = [t for t in tables(text) if t and t[0][0] == "server"][-1][1:]
    names = sorted({row[0] for row in rows}, key=[row[0] for row in rows].index)
    groups = sorted({row[1] for row in rows}, key=int)
    values = {name: [None] * len(groups) for name in names}
    for row in rows:
        values[row[0]][groups.index(row[1])] = number(row[4])
    return [f"{int(g):,} connections" for g in groups], names, values


def label(value, unit):
    if value is None:
        return "–"
    if unit == "msg/s":
        return f"{value / 1e6:.2f}M" if value >= 1e6 else f"{value / 1e3:.0f}k"
    return f"{value / 1024:.1f} KiB" if value >= 1024 else f"{value:.0f} B"


def svg(title, unit, groups, names, values, log=False, per_group=False):
    """A grouped bar chart; `per_group` scales each group to its own
    largest value (shapes whose rates differ a hundredfold stay legible)."""
    import math

    width, height, left, bottom, top = 900, 420, 70, 60, 50
    plot_w, plot_h = width - left - 20, height - top - bottom
    peak = max(v for series in values.values() for v in series if v) or 1
    scale = (lambda v: math.log10(max(v, 1)) / math.log10(peak)) if log else (lambda v: v / peak)
    group_w = plot_w / len(groups)
    bar_w = group_w * 0.8 / len(names)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'font-family="sans-serif" font-size="12">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#333"/>',
    ]
    for g, group in enumerate(groups):
        if per_group:
            top_value = max((values[name][g] or 0) for name in names) or 1
            scale = lambda v, top_value=top_value: v / top_value  # noqa: E731
        x0 = left + g * group_w + group_w * 0.1
        for n, name in enumerate(names):
            value = values[name][g]
            h = plot_h * scale(value) if value else 0
            x, y = x0 + n * bar_w, top + plot_h - h
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w * 0.9:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS[n % len(COLOURS)]}"/>'
            )
            out.append(
                f'<text x="{x + bar_w * 0.45:.1f}" y="{y - 4:.1f}" text-anchor="middle" '
                f'font-size="10">{escape(label(value, unit))}</text>'
            )
        out.append(
            f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + plot_h + 18}" '
            f'text-anchor="middle">{escape(group)}</text>'
        )
    for n, name in enumerate(names):
        x = left + n * 170
        out.append(
            f'<rect x="{x}" y="{height - 22}" width="12" height="12" '
            f'fill="{COLOURS[n % len(COLOURS)]}"/>'
        )
        out.append(f'<text x="{x + 16}" y="{height - 12}">{escape(name)}</text>')
    axis = f"{unit}, log scale" if log else unit
    if per_group:
        axis = f"{unit}, each group to its own scale"
    out.append(
        f'<text x="16" y="{top + plot_h / 2}" transform="rotate(-90 16 {top + plot_h / 2})" '
        f'text-anchor="middle">{escape(axis)}</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    if len(argv) != 4 or argv[1] not in ("e2e", "idle"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    kind, source, target = argv[1:]
    text = open(source, encoding="utf-8").read()
    if kind == "e2e":
        groups, names, values = e2e_series(text)
        chart = svg("Echo throughput, messages per second (higher is better)", "msg/s",
                    groups, names, values, per_group=True)
    else:
        groups, names, values = idle_series(text)
        chart = svg("Server memory per idle connection (lower is better)", "bytes",
                    groups, names, values, log=True)
    with open(target, "w", encoding="utf-8") as out:
        out.write(chart)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
