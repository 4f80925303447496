#!/usr/bin/env python3
"""Per operation of the OpenAPI document: how many fuzzing cases schemathesis sent and how many got a
2xx, from its HAR report. Exit 1 when an operation was never reached with a 2xx (the fuzzing then
stayed at the door: tokens, path parameters or bodies that never name a real resource).

Usage: fuzz-report.py OPENAPI_JSON HAR_FILE...
"""
import json
import re
import sys
import urllib.parse


def main():
    document = json.load(open(sys.argv[1]))
    operations = []
    for path, item in document["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^/]+\}", "[^/]+", path) + "$")
        for method in item:
            if method != "parameters":
                operations.append((method.upper(), path, pattern))
    counts = {(m, p): [0, 0] for m, p, _ in operations}
    for har in sys.argv[2:]:
        for entry in json.load(open(har))["log"]["entries"]:
            method = entry["request"]["method"].upper()
            path = urllib.parse.urlsplit(entry["request"]["url"]).path
            for m, p, pattern in operations:
                if m == method and pattern.match(path):
                    counts[(m, p)][0] += 1
                    counts[(m, p)][1] += 200 <= entry["response"]["status"] < 300
                    break
    print("| operation | cases | 2xx |")
    print("|---|---:|---:|")
    missing = []
    for (method, path), (cases, ok) in sorted(counts.items(), key=lambda item: (item[0][1], item[0][0])):
        print(f"| {method} {path} | {cases} | {ok} |")
        if ok == 0:
            missing.append(f"{method} {path}")
    if missing:
        print("never reached with a 2xx: " + ", ".join(missing), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
