#!/usr/bin/env python3
"""Writes docs/CONFIG.md from the doc comments of the config types.

Usage: scripts/config_reference.py > docs/CONFIG.md
A test (tests/it/docs.rs) checks that every field of the config types is
in docs/CONFIG.md, so re-run this after changing src/config/.
"""
import re

def items(path):
    text = open(path).read()
    out = []
    for m in re.finditer(r"((?:\s*///[^\n]*\n)*)\s*#\[derive[^\n]*\n((?:\s*#\[[^\n]*\n)*)\s*pub (struct|enum) (\w+)(?:<\w+>)? \{(.*?)\n\}", text, re.S):
        doc, attrs, kind, name, body = m.groups()
        rename = re.search(r'rename = "(\w+)"', attrs)
        doc = " ".join(l.strip()[3:].strip() for l in doc.strip().splitlines())
        fields = []
        pending = []
        lines = []
        # field attributes (`#[serde(...)]`, also over several lines) say nothing here
        body = re.sub(r"(?m)^[ \t]*#\[[^\]]*\][ \t]*\n", "", body)
        for line in body.splitlines():
            s = line.strip()
            if lines and lines[-1].count("{") > lines[-1].count("}") and not lines[-1].startswith("//"):
                lines[-1] += " " + s
            else:
                lines.append(s)
        for s in lines:
            if s.startswith("///"):
                pending.append(s[3:].strip())
            elif s.startswith("pub ") and ":" in s:
                fname, ftype = s[4:].split(":", 1)
                fields.append((fname.strip(), ftype.strip().rstrip(","), " ".join(pending)))
                pending = []
            elif kind == "enum" and re.match(r"^[A-Z]\w*", s):
                v = s.rstrip(",")
                v = re.sub(r"\s*\{\s*(.*?)\s*\}$", r"(\1)", v)
                v = re.sub(r",\s*\)$", ")", v)
                fields.append((v, "", " ".join(pending)))
                pending = []
            elif s.startswith("#["):
                continue
            else:
                pending = [] if not s.startswith("//") else pending
        out.append((kind, rename.group(1) if rename else name, doc, fields))
    return out

print("# Configuration reference\n")
print("Generated from the doc comments in `src/config/` by `scripts/config_reference.py`.")
print("Every struct and enum rejects unknown fields. A field with a default may be left out.")
print("Units, ranges and defaults are given per field; `chokepoint validate FILE` checks them all.\n")
print("In RON, a struct is written `Name(field: value, ...)` (the name may be left out), an")
print("enum variant `Variant` or `Variant(field: value)`, a list `[a, b]`, an optional value")
print("`Some(x)` or `None`, a pair `(a, b)`.\n")
print("`--set PATH=VALUE` uses the field names below joined by dots; list elements are picked")
print("by index or by their `code` / `id` / `name` / `sector` / `material`, e.g.")
print("`states.CN.export_controls.ndfeb_magnets.approval.civilian=0.5` or")
print("`populations.us_auto_suppliers.count=100`.\n")
renames = {}
for path in ("src/config/run.rs", "src/config/scenario.rs", "src/config/sweep.rs"):
    text = open(path).read()
    for m in re.finditer(r'rename = "(\w+)"\)\]\s*pub struct (\w+)', text):
        renames[m.group(2)] = m.group(1)

def ron_type(t):
    for rust, ron in renames.items():
        t = re.sub(rf"\b{rust}\b", ron, t)
    return t

for path, title in [
    ("src/config/run.rs", "Run file (`configs/*.ron`)"),
    ("src/config/sweep.rs", "Sweep file (`configs/sweep_*.ron`)"),
    ("src/config/scenario.rs", "Scenario file (`models/*.ron`)"),
]:
    print(f"## {title}\n")
    for kind, name, doc, fields in items(path):
        print(f"### `{name}` ({kind})\n")
        if doc:
            print(doc + "\n")
        if kind == "struct":
            print("| field | type | meaning, unit, default |\n|---|---|---|")
            for f, t, d in fields:
                print(f"| `{f}` | `{ron_type(t)}` | {d} |")
        else:
            print("| variant | meaning |\n|---|---|")
            for f, _, d in fields:
                print(f"| `{ron_type(f)}` | {d} |")
        print()
