#!/usr/bin/env python3
"""Writes the dashboard in its two forms from panels.json (one definition of every panel):

- deploy/grafana/talent-dashboard.json: a Grafana dashboard to import (Dashboards → Import), with a
  Prometheus data source chosen at import (`DS_PROMETHEUS`);
- deploy/prometheus/consoles/talent.html: the same panels as a page served by the local Prometheus
  (`/consoles/talent.html`), drawn in the browser from Prometheus's query_range API.

Usage: deploy/dashboard/generate.py [--check]   (--check: fail if the files are not up to date)
"""
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
DEPLOY = HERE.parent
GRAFANA = DEPLOY / "grafana/talent-dashboard.json"
CONSOLE = DEPLOY / "prometheus/consoles/talent.html"
TEMPLATE = HERE / "console.html.in"


def grafana(spec):
    panels = []
    for index, panel in enumerate(spec["panels"]):
        panels.append({
            "id": index + 1,
            "type": "timeseries",
            "title": panel["title"],
            "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"},
            "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
            "fieldConfig": {"defaults": {"unit": panel["unit"]}, "overrides": []},
            "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
            "targets": [
                {"refId": chr(ord("A") + i), "expr": q["expr"], "legendFormat": q["legend"],
                 "datasource": {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}}
                for i, q in enumerate(panel["queries"])
            ],
        })
    return {
        "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
                      "pluginId": "prometheus", "pluginName": "Prometheus"}],
        "__requires": [{"type": "datasource", "id": "prometheus", "name": "Prometheus", "version": "1.0.0"},
                       {"type": "panel", "id": "timeseries", "name": "Time series", "version": ""}],
        "title": spec["title"],
        "uid": "talent-platform",
        "tags": ["talent-platform"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": f"{spec['refreshSeconds']}s",
        "time": {"from": "now-30m", "to": "now"},
        "panels": panels,
    }


def console(spec):
    # The page is a Go template for Prometheus: the JSON goes in without "{{" (a template action).
    panels = json.dumps(spec["panels"], ensure_ascii=False).replace("{{", "{\\u007b").replace("}}", "}\\u007d")
    return (TEMPLATE.read_text().replace("@TITLE@", spec["title"]).replace("@PANELS@", panels)
            .replace("@REFRESH@", str(spec["refreshSeconds"])))


def main():
    spec = json.loads((HERE / "panels.json").read_text())
    outputs = {GRAFANA: json.dumps(grafana(spec), indent=1, ensure_ascii=False) + "\n", CONSOLE: console(spec)}
    stale = [path for path, text in outputs.items() if not path.exists() or path.read_text() != text]
    if "--check" in sys.argv:
        if stale:
            sys.exit("not up to date (run deploy/dashboard/generate.py): " + ", ".join(map(str, stale)))
        return
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


if __name__ == "__main__":
    main()
