#!/usr/bin/env python3
"""Checks every target's imports against docs/architecture.md and Package.swift.

Fails (exit 1) when a target imports a module its row in the table does not allow, imports a module
it does not declare as a dependency in Package.swift, or has no row at all.
"""
import fnmatch
import json
import pathlib
import re
import subprocess
import sys

TOOLCHAIN = {"Foundation", "FoundationNetworking", "Glibc", "Dispatch", "Synchronization", "Testing", "XCTest", "FoundationEssentials"}
root = pathlib.Path(__file__).resolve().parent.parent

text = (root / "docs/architecture.md").read_text()
table = text.split("<!-- imports:begin -->")[1].split("<!-- imports:end -->")[0]
allowed = {}
for line in table.splitlines():
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    if len(cells) < 2 or cells[0] in ("module", "") or set(cells[0]) <= {"-"}:
        continue
    allowed[cells[0]] = {m.strip() for m in cells[1].split(",") if m.strip()}

package = json.loads(subprocess.run(
    ["swift", "package", "dump-package"], cwd=root, check=True, capture_output=True, text=True).stdout)

def dependency_names(target):
    names = set()
    for dependency in target.get("dependencies", []):
        for kind in ("byName", "target", "product"):
            if kind in dependency:
                names.add(dependency[kind][0])
    return names

problems = []
for target in package["targets"]:
    name, kind = target["name"], target["type"]
    if kind == "system":
        continue
    path = root / (target.get("path") or ("Tests/" + name if kind == "test" else "Sources/" + name))
    rule = allowed.get(name) or next((v for k, v in allowed.items() if fnmatch.fnmatch(name, k)), None)
    if rule is None:
        problems.append(f"{name}: no row in docs/architecture.md")
        continue
    declared = dependency_names(target)
    for source in sorted(path.rglob("*.swift")):
        for number, line in enumerate(source.read_text().splitlines(), 1):
            match = re.match(r"\s*(?:@testable\s+|@_exported\s+)?import\s+(?:\w+\s+)?(\w+)", line)
            if not match:
                continue
            module = match.group(1)
            where = f"{source.relative_to(root)}:{number}"
            if "*" not in rule and module not in rule:
                problems.append(f"{where}: {name} may not import {module} (docs/architecture.md)")
            if module not in TOOLCHAIN and module not in declared:
                problems.append(f"{where}: {name} imports {module} without declaring it in Package.swift")

for problem in problems:
    print(problem)
print(f"architecture: {len(package['targets'])} targets checked, {len(problems)} problems")
sys.exit(1 if problems else 0)
