#!/usr/bin/env python3
"""Reads the firmware's ELF files and reports what scripts/embedded-footprint.sh
prints: section sizes over the baseline, the state types' sizes, the worst-case
stack of each flow, the largest functions, and the budget check.

Usage: footprint.py RELEASE_DIR DETAILED_DIR STACK_DIR BUDGET_TOML LLVM_BIN_DIR [DEFLATE_DIR]

RELEASE_DIR   target/thumbv7em-none-eabihf/release of the measured build
DETAILED_DIR  the same with the `detailed-errors` feature (or "-" to skip)
STACK_DIR     the same built by nightly with -Z emit-stack-sizes (or "-"); it
              also holds `client_deflate` when the deflate flow is measured
BUDGET_TOML   embedded-adapter/footprint-budget.toml
LLVM_BIN_DIR  where llvm-size, llvm-nm and llvm-objdump are
DEFLATE_DIR   the build with the `deflate` feature: `client_deflate` (the client
              flow with permessage-deflate), `client` (the plain flow with the
              feature on) and `type_sizes` (or "-", or absent, to skip)
"""

import os
import re
import struct
import subprocess
import sys
import tomllib

FLOWS = [
    ("barews-embedded", "client", "client"),
    ("barews-embedded", "server", "server"),
    ("embedded-websocket 0.9.5", "client", "ews_client"),
    ("embedded-websocket 0.9.5", "server", "ews_server"),
]
# The client flow with permessage-deflate agreed, from the build with the
# `deflate` feature (DEFLATE_DIR).
DEFLATE_FLOW = ("barews-embedded", "client + permessage-deflate (9-bit windows)", "client_deflate")
# The flows with a budget, by binary name (a table of footprint-budget.toml each).
BUDGETED = ("client", "server", "client_deflate")
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYPE_NAMES_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "src", "lib.rs")


def run(*args):
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


class Elf:
    """A minimal little-endian ELF32 reader: sections and symbols."""

    def __init__(self, path):
        with open(path, "rb") as f:
            self.data = f.read()
        d = self.data
        if d[:4] != b"\x7fELF" or d[4] != 1 or d[5] != 1:
            raise SystemExit(f"{path}: not a little-endian ELF32 file")
        shoff, = struct.unpack_from("<I", d, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from("<HHH", d, 0x2E)
        raw = [struct.unpack_from("<IIIIIIIIII", d, shoff + i * shentsize) for i in range(shnum)]
        strtab = raw[shstrndx]
        self.sections = {}
        for name, typ, _flags, addr, offset, size, link, _info, _align, entsize in raw:
            end = d.index(b"\0", strtab[4] + name)
            sname = d[strtab[4] + name:end].decode()
            self.sections[sname] = dict(type=typ, addr=addr, offset=offset, size=size, link=link,
                                        entsize=entsize)
        self.symbols = []
        for sec in self.sections.values():
            if sec["type"] != 2:  # SHT_SYMTAB
                continue
            names = list(self.sections.values())[sec["link"]]
            for i in range(sec["size"] // 16):
                st_name, value, size, info, _other, _shndx = struct.unpack_from(
                    "<IIIBBH", d, sec["offset"] + i * 16)
                end = d.index(b"\0", names["offset"] + st_name)
                self.symbols.append((d[names["offset"] + st_name:end].decode(), value, size, info & 0xF))

    def symbol(self, name):
        for sname, value, size, _typ in self.symbols:
            if sname == name:
                return value, size
        raise SystemExit(f"symbol {name} not found")

    def read(self, addr, size):
        for sec in self.sections.values():
            if sec["type"] == 1 and sec["addr"] <= addr < sec["addr"] + sec["size"]:
                start = sec["offset"] + addr - sec["addr"]
                return self.data[start:start + size]
        raise SystemExit(f"address {addr:#x} is in no section")

    def functions(self):
        """Function start address (thumb bit cleared) -> name."""
        return {value & ~1: name for name, value, _size, typ in self.symbols if typ == 2}


def section_sizes(llvm, path):
    sizes = {}
    for line in run(os.path.join(llvm, "llvm-size"), "-A", path).splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (".text", ".rodata", ".data", ".bss"):
            sizes[parts[0]] = int(parts[1])
    return {k: sizes.get(k, 0) for k in (".text", ".rodata", ".data", ".bss")}


def over_baseline(llvm, directory, flows=FLOWS):
    base = section_sizes(llvm, os.path.join(directory, "baseline"))
    result = {}
    for _lib, _flow, binary in flows:
        sizes = section_sizes(llvm, os.path.join(directory, binary))
        delta = {k: sizes[k] - base[k] for k in sizes}
        delta["flash"] = delta[".text"] + delta[".rodata"] + delta[".data"]
        delta["ram"] = delta[".data"] + delta[".bss"]
        result[binary] = delta
    return base, result


def type_sizes(directory):
    names = re.search(r"TYPE_SIZE_NAMES: \[&str; TYPE_SIZE_COUNT\] = \[(.*?)\];",
                      open(TYPE_NAMES_SOURCE).read(), re.S).group(1)
    names = re.findall(r'"([^"]*)"', names)
    elf = Elf(os.path.join(directory, "type_sizes"))
    addr, size = elf.symbol("TYPE_SIZES")
    values = struct.unpack(f"<{size // 4}I", elf.read(addr, size))
    return list(zip(names, values))


# ---- stack ----

def uleb128(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def stack_sizes(elf):
    """Function address -> frame size, from LLVM's .stack_sizes section."""
    sec = elf.sections.get(".stack_sizes")
    if sec is None:
        raise SystemExit("no .stack_sizes section: the nightly -Z emit-stack-sizes build failed")
    data = elf.data[sec["offset"]:sec["offset"] + sec["size"]]
    frames, pos = {}, 0
    while pos < len(data):
        addr, = struct.unpack_from("<I", data, pos)
        size, pos = uleb128(data, pos + 4)
        frames[addr & ~1] = size
    return frames


def prologue_frame(lines):
    """A frame estimated from a function's first instructions (push, vpush,
    sub sp), for code built without stack-size records (compiler_builtins)."""
    total = 0
    for _addr, ins in lines[:8]:
        m = re.match(r"(?:push|push\.w|stmdb\s+sp!,)\s*\{([^}]*)\}", ins)
        if m:
            total += 4 * count_regs(m.group(1))
            continue
        m = re.match(r"vpush\s*\{([^}]*)\}", ins)
        if m:
            total += 8 * count_regs(m.group(1))
            continue
        m = re.match(r"sub(?:\.w|w)?\s+sp,\s*(?:sp,\s*)?#(0x[0-9a-f]+|\d+)", ins)
        if m:
            total += int(m.group(1), 0)
    return total


def count_regs(text):
    n = 0
    for part in text.split(","):
        part = part.strip()
        m = re.match(r"([a-z]+)(\d+)-[a-z]+(\d+)", part)
        n += int(m.group(3)) - int(m.group(2)) + 1 if m else 1
    return n


def disassemble(llvm, path, functions):
    """Function -> list of (address, instruction), from llvm-objdump."""
    out = run(os.path.join(llvm, "llvm-objdump"), "-d", "--no-show-raw-insn", "--print-imm-hex", path)
    body, current = {}, None
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.*)>:$", line)
        if m:
            addr = int(m.group(1), 16)
            current = addr if addr in functions else None
            if current is not None:
                body[current] = []
            continue
        m = re.match(r"^\s*([0-9a-f]+):\s+(.*)$", line)
        if m and current is not None:
            body[current].append((int(m.group(1), 16), m.group(2).strip()))
    return body


def worst_stack(llvm, path):
    elf = Elf(path)
    functions = elf.functions()
    frames = stack_sizes(elf)
    body = disassemble(llvm, path, functions)
    # Functions whose address is stored in data: the possible targets of an
    # indirect call (vtables of core::fmt, closures passed by pointer).
    taken = set()
    for name in (".rodata", ".data"):
        sec = elf.sections.get(name)
        if not sec or sec["type"] != 1:
            continue
        raw = elf.data[sec["offset"]:sec["offset"] + sec["size"]]
        for i in range(0, len(raw) - 3, 4):
            word, = struct.unpack_from("<I", raw, i)
            if word & 1 and (word & ~1) in functions:
                taken.add(word & ~1)
    calls, indirect_sites, estimated = {}, 0, set()
    for fn, lines in body.items():
        targets, indirect = set(), False
        for _addr, ins in lines:
            m = re.match(r"(bl|blx|b|b\.w)\s+0x([0-9a-f]+)\s+<([^>]*)>", ins)
            if m:
                target = int(m.group(2), 16)
                if target in functions and target != fn and "+" not in m.group(3):
                    targets.add(target)
                continue
            if re.match(r"blx\s+r\d+", ins) or re.match(r"bx\s+r\d+", ins):
                indirect = True
        if indirect:
            indirect_sites += 1
            targets |= taken - {fn}
        calls[fn] = targets
        if fn not in frames:
            frames[fn] = prologue_frame(lines)
            estimated.add(fn)
    memo, recursion = {}, []

    def cost(fn, path):
        if fn in memo:
            return memo[fn]
        if fn in path:
            recursion.append(functions[fn])
            return 0, []
        best, best_path = 0, []
        for callee in calls.get(fn, ()):
            c, p = cost(callee, path | {fn})
            if c > best:
                best, best_path = c, p
        result = (frames.get(fn, 0) + best, [fn] + best_path)
        memo[fn] = result
        return result

    entry = next(addr for addr, name in functions.items() if name == "Reset")
    total, chain = cost(entry, frozenset())
    return dict(total=total, chain=[(functions[f], frames.get(f, 0), f in estimated) for f in chain],
                indirect_sites=indirect_sites, taken=len(taken), recursion=sorted(set(recursion)))


def demangler(llvm, path):
    """Mangled symbol -> readable name, through llvm-nm's --demangle."""
    nm = os.path.join(llvm, "llvm-nm")
    plain = run(nm, "--defined-only", path).splitlines()
    readable = run(nm, "--defined-only", "--demangle", path).splitlines()
    table = {}
    for a, b in zip(plain, readable):
        pa, pb = a.split(None, 2), b.split(None, 2)
        if len(pa) == 3 and len(pb) == 3:
            table[pa[2]] = re.sub(r"::h[0-9a-f]{16}$", "", pb[2])
    return lambda name: table.get(name, name)


def short(name):
    """The last two path segments of a function name, generics dropped."""
    name = re.sub(r"<[^<>]*>", "", re.sub(r"<[^<>]*>", "", name))
    return "::".join(name.split("::")[-2:])


def tidy(name):
    """A legacy-mangled Rust name as the source spells it."""
    for code, text in (("$LT$", "<"), ("$GT$", ">"), ("$C$", ","), ("$u20$", " "), ("$RF$", "&"),
                       ("$u7b$", "{"), ("$u7d$", "}"), ("$u5b$", "["), ("$u5d$", "]"), ("..", "::")):
        name = name.replace(code, text)
    return re.sub(r"::h[0-9a-f]{16}$", "", name).lstrip("_")


def largest(llvm, path, count):
    out = run(os.path.join(llvm, "llvm-nm"), "--size-sort", "-S", "-r", "--demangle", path)
    rows = []
    for line in out.splitlines():
        parts = line.split(None, 3)
        # The vector table is in the baseline too.
        if len(parts) == 4 and parts[2] in "tTrR" and not parts[3].startswith("__INTERRUPTS"):
            rows.append((int(parts[1], 16), tidy(parts[3])))
    return rows[:count]


def main():
    release, detailed, stack_dir, budget_path, llvm = sys.argv[1:6]
    deflate_dir = sys.argv[6] if len(sys.argv) > 6 else "-"
    base, rows = over_baseline(llvm, release)
    flows = list(FLOWS)
    if deflate_dir != "-":
        # Over the same baseline: the empty firmware does not use barews.
        _, deflate_rows = over_baseline(llvm, deflate_dir, [DEFLATE_FLOW, ("", "", "client")])
        rows["client_deflate"] = deflate_rows["client_deflate"]
        flows.insert(1, DEFLATE_FLOW)
    failures = []

    print("## Flash and RAM over the empty firmware (bytes, thumbv7em-none-eabihf, opt-level z, LTO)\n")
    print(f"Baseline (vector table, reset, panic-halt): .text {base['.text']}, .rodata "
          f"{base['.rodata']}, .data {base['.data']}, .bss {base['.bss']} (+ a 1024-byte vector table).\n")
    print("| library | flow | .text | .rodata | .data | .bss | flash (text+rodata+data) | RAM (data+bss) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for lib, flow, binary in flows:
        r = rows[binary]
        print(f"| {lib} | {flow} | {r['.text']} | {r['.rodata']} | {r['.data']} | {r['.bss']} | "
              f"**{r['flash']}** | {r['ram']} |")
    print("\nRAM is the I/O buffers in static RAM: 1024 + 512 bytes for barews (receive, send); "
          "embedded-websocket also needs a 512-byte frame buffer to copy messages into. "
          "Connection state lives on the stack (below).")
    if deflate_dir != "-":
        memory = rows["client_deflate"]["ram"] - rows["client"]["ram"]
        print("With permessage-deflate the client also keeps its 512-byte inflate window and "
              f"its compressor's memory (level 1, context kept) in static RAM, {memory} more "
              "bytes, and its socket holds the inflater's state (State sizes, below).")
    for flow in ("client", "server"):
        ours, theirs = rows[flow]["flash"], rows["ews_" + flow]["flash"]
        print(f"- {flow}: barews {ours} B vs embedded-websocket {theirs} B of flash "
              f"({(ours - theirs) / theirs:+.0%})")

    if detailed != "-":
        _, with_feature = over_baseline(llvm, detailed)
        print("\n## Feature costs\n")
        for flow in ("client", "server"):
            delta = with_feature[flow]["flash"] - rows[flow]["flash"]
            print(f"- `detailed-errors` (error descriptions in HTTP error bodies and Close reasons, through core::fmt), {flow}: "
                  f"{delta:+} B of flash ({with_feature[flow]['flash']} B in all)")
        print("- `async`: nothing unless the async socket is used (each flow above is blocking).")
    if deflate_dir != "-":
        if detailed == "-":
            print("\n## Feature costs\n")
        d = rows["client_deflate"]
        plain = deflate_rows["client"]
        print(f"- `deflate`, client, permessage-deflate agreed (offer, answer check, compressing, "
              f"inflating): {d['flash'] - rows['client']['flash']:+} B of flash ({d['flash']} B in "
              f"all), {d['ram'] - rows['client']['ram']:+} B of static RAM (window and compressor "
              f"memory)")
        print(f"- `deflate` on, client offering nothing: {plain['flash'] - rows['client']['flash']:+} B "
              f"of flash ({plain['flash']} B in all): whether a connection compresses is known at "
              f"run time, so the inflater and the compressor are linked")
        print("- a clock (`Client::clock`/`Server::clock`): the timer code; with `NoClock` "
              "(the default) it is compiled out.")

    print("\n## State sizes on thumbv7em-none-eabihf (`size_of`, bytes)\n")
    print("| type | bytes |")
    print("| --- | ---: |")
    for name, value in type_sizes(release):
        print(f"| {name} | {value} |")
    if deflate_dir != "-":
        plain = dict(type_sizes(release))
        for name, value in type_sizes(deflate_dir):
            if name.startswith("barews_embedded::"):
                label = name.split(" (")[0]
                print(f"| {label} with `deflate` (the inflater's state inline, the compressor's "
                      f"handle) | {value} ({value - plain[name]:+}) |")

    stacks = {}
    if stack_dir != "-":
        print("\n## Worst-case stack (static analysis of the nightly -Z emit-stack-sizes build)\n")
        print("Per-function frames from LLVM's `.stack_sizes` records (frames of precompiled "
              "compiler_builtins functions estimated from their prologues), summed along the "
              "deepest path of the call graph read from the disassembly, from `Reset`. Indirect "
              "calls are assumed to reach any function whose address is stored in .rodata/.data.\n")
        print("| library | flow | worst-case stack (bytes) | deepest frames |")
        print("| --- | --- | ---: | --- |")
        stack_flows = [f for f in flows if os.path.exists(os.path.join(stack_dir, f[2]))]
        for lib, flow, binary in stack_flows:
            s = worst_stack(llvm, os.path.join(stack_dir, binary))
            stacks[binary] = s["total"]
            readable = demangler(llvm, os.path.join(stack_dir, binary))
            frames = ", ".join(f"`{short(readable(name))}` {size}{'~' if est else ''}"
                               for name, size, est in s["chain"] if size)
            note = f"; recursion cut at {len(s['recursion'])} functions" if s["recursion"] else ""
            print(f"| {lib} | {flow} | **{s['total']}** | {frames}{note} |")
        print("\n(`~`: estimated from the prologue.)")

    print("\n## Largest functions and tables (barews client, server and deflate client builds)\n")
    largest_of = [("client", release), ("server", release)]
    if deflate_dir != "-":
        largest_of.append(("client_deflate", deflate_dir))
    for binary, directory in largest_of:
        print(f"{binary}:")
        for size, name in largest(llvm, os.path.join(directory, binary), 12):
            print(f"  {size:6}  {name[:110]}")

    budget = tomllib.load(open(budget_path, "rb"))
    print("\n## Budget check (" + os.path.relpath(budget_path, REPO) + ")\n")
    for flow in BUDGETED:
        if flow not in rows:
            print(f"- {flow}: not built, not checked")
            continue
        limits = budget.get(flow, {})
        measured = {"flash": rows[flow]["flash"], "ram": rows[flow]["ram"]}
        if flow in stacks:
            measured["stack"] = stacks[flow]
        for key, limit in limits.items():
            if key not in measured:
                continue
            ok = measured[key] <= limit
            print(f"- {flow} {key}: {measured[key]} B (budget {limit} B) {'ok' if ok else 'OVER BUDGET'}")
            if not ok:
                failures.append(f"barews {flow} {key} is {measured[key]} bytes, over its budget of "
                                f"{limit} bytes in {os.path.relpath(budget_path, REPO)}")
    if failures:
        print("\nFAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        sys.exit(1)
    print("\nall barews numbers within budget")


if __name__ == "__main__":
    main()
