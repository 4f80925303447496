#!/usr/bin/env python3
"""Checks the live monitoring stack after a demo (run by scripts/test.sh):

1. Prometheus scrapes the gateway, every worker and RabbitMQ (`up` is 1 for each target);
2. every panel of deploy/dashboard/panels.json returns data from the live Prometheus;
3. headless Chromium renders the dashboard page (deploy/prometheus/consoles/talent.html) with every
   panel drawn, and a screenshot of it is written.

Usage: check-monitoring.py --prometheus URL (--screenshot PNG | --targets-only) [--timeout SECONDS]
  --targets-only: only wait until every target has been scraped (before a demo, so that its traffic
  falls between samples and rates see it).
Exit 0 when all hold; otherwise 1 with what is missing.
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
PANELS = json.loads((ROOT / "deploy/dashboard/panels.json").read_text())["panels"]


def query(base, expr, minutes=10):
    end = time.time()
    url = f"{base}/api/v1/query_range?" + urllib.parse.urlencode(
        {"query": expr, "start": end - minutes * 60, "end": end, "step": 5})
    with urllib.request.urlopen(url, timeout=10) as answer:
        body = json.load(answer)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    # Only finite samples count (a quantile of no traffic is NaN: no data to draw).
    return [r for r in body["data"]["result"] if any(v not in ("NaN", "+Inf", "-Inf") for _, v in r["values"])]


def until(what, check, timeout):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result is True:
            return
        if time.monotonic() > deadline:
            sys.exit(f"check-monitoring: {what}: {result}")
        time.sleep(2)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--prometheus", required=True)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--screenshot")
    group.add_argument("--targets-only", action="store_true")
    parser.add_argument("--timeout", type=int, default=90)
    args = parser.parse_args()
    base = args.prometheus.rstrip("/")

    def targets_up():
        with urllib.request.urlopen(f"{base}/api/v1/targets", timeout=10) as answer:
            active = json.load(answer)["data"]["activeTargets"]
        jobs = {t["labels"]["job"] for t in active}
        down = [f'{t["labels"]["job"]} {t["scrapeUrl"]}: {t.get("lastError") or t["health"]}'
                for t in active if t["health"] != "up"]
        missing = {"talent-gateway", "talent-workers", "rabbitmq"} - jobs
        return True if not down and not missing else f"down {down}, missing jobs {sorted(missing)}"
    until("every target scraped", targets_up, args.timeout)
    print("monitoring: every target up (gateway, workers, RabbitMQ)")
    if args.targets_only:
        return

    def panels_with_data():
        empty = [p["id"] for p in PANELS if not any(query(base, q["expr"]) for q in p["queries"])]
        return True if not empty else f"panels without data: {empty}"
    until("every panel has data", panels_with_data, args.timeout)
    for panel in PANELS:
        series = sum(len(query(base, q["expr"])) for q in panel["queries"])
        print(f"monitoring: panel {panel['id']}: {series} series")

    url = f"{base}/consoles/talent.html"
    chromium = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                "--window-size=1240,1500", "--virtual-time-budget=20000"]
    dom = subprocess.run([*chromium, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    drawn = re.search(r'data-panels-with-data="(\d+)"', dom)
    if not drawn or int(drawn.group(1)) != len(PANELS):
        sys.exit(f"check-monitoring: the page drew {drawn.group(1) if drawn else 'no'} of {len(PANELS)} panels")
    screenshot = pathlib.Path(args.screenshot).resolve()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([*chromium, f"--screenshot={screenshot}", url], capture_output=True, timeout=120, check=True)
    if not screenshot.exists() or screenshot.stat().st_size < 10_000:
        sys.exit(f"check-monitoring: no screenshot at {screenshot}")
    print(f"monitoring: the page drew {len(PANELS)} of {len(PANELS)} panels; screenshot {screenshot}")


if __name__ == "__main__":
    main()
