#!/usr/bin/env python3
"""Markdown tables from criterion's saved results (target/criterion).

One table per benchmark group: a row per implementation, a column per
parameter (payload size). Each cell holds the throughput at the median
time, the median time itself, and the throughput relative to the group's
reference row (barews unless told otherwise; above 1 = faster than it).

    python3 bench/criterion-tables.py [target/criterion] [--ref GROUP=IMPL ...]
"""

import json
import sys
from pathlib import Path

ORDER = [
    "memcpy", "copy_from_slice",
    "barews", "barews-in-place", "barews-header", "barews+assembler", "barews-std",
    "barews-std-stream", "tungstenite", "fastwebsockets", "fastwebsockets-collector",
]


def rate(throughput, seconds):
    if "Bytes" in throughput:
        value, units = throughput["Bytes"] / seconds, ["B/s", "KiB/s", "MiB/s", "GiB/s"]
        step = 1024.0
    else:
        value, units = throughput["Elements"] / seconds, ["/s", "k/s", "M/s", "G/s"]
        step = 1000.0
    unit = 0
    while value >= step and unit < len(units) - 1:
        value /= step
        unit += 1
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return value, f"{value:.{digits}f} {units[unit]}"


def duration(ns):
    for scale, unit in ((1e6, "ms"), (1e3, "µs")):
        if ns >= scale:
            return f"{ns / scale:.2f} {unit}"
    return f"{ns:.1f} ns"


def param_key(value):
    try:
        return (0, int(value))
    except ValueError:
        return (1, value)


def main():
    args, refs = sys.argv[1:], {}
    while "--ref" in args:
        at = args.index("--ref")
        group, impl = args[at + 1].split("=", 1)
        refs[group] = impl
        del args[at : at + 2]
    root = Path(args[0] if args else "target/criterion")
    groups = {}
    for path in root.glob("**/new/benchmark.json"):
        bench = json.loads(path.read_text())
        median = json.loads((path.parent / "estimates.json").read_text())["median"]["point_estimate"]
        group = groups.setdefault(bench["group_id"], {})
        group.setdefault(bench["function_id"], {})[bench["value_str"] or ""] = (
            bench["throughput"],
            median,
        )
    for name in sorted(groups):
        rows = groups[name]
        params = sorted({p for row in rows.values() for p in row}, key=param_key)
        reference = refs.get(name, "barews")
        order = sorted(rows, key=lambda r: (ORDER.index(r) if r in ORDER else len(ORDER), r))
        print(f"### {name}\n")
        print("| impl | " + " | ".join(params) + " |")
        print("| --- |" + " ---: |" * len(params))
        for impl in order:
            cells = []
            for param in params:
                if param not in rows[impl]:
                    cells.append("")
                    continue
                throughput, ns = rows[impl][param]
                _, text = rate(throughput, ns / 1e9)
                cell = f"{text} ({duration(ns)})"
                if impl != reference and param in rows.get(reference, {}):
                    # Same work per iteration: the time ratio is the speed ratio.
                    cell += f" {rows[reference][param][1] / ns:.2f}×"
                cells.append(cell)
            print(f"| {impl} | " + " | ".join(cells) + " |")
        print()


if __name__ == "__main__":
    main()
