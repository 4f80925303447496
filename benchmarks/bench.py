#!/usr/bin/env python3
"""The benchmark: every measure of issue 9 in one run on the same services, one table at the end.

Run through scripts/bench.sh (which starts PostgreSQL and RabbitMQ, builds the release binaries,
installs wrk and the Celery peer's virtual environment, and calls this with the venv's Python).

Each measure runs --runs times (default 3) and reports the median and the spread (min–max). Rates of
drained backlogs are taken from the database's commit timestamps (`track_commit_timestamp`): jobs
committed after the first commit divided by the time from the first commit to the last, so start-up
is left out alike for the product and for Celery. Request → committed-effect latencies are the
commit time of the effect minus the job row's creation time in the gateway's transaction (so the
authentication and pre-check before it, under a millisecond, are left out; wrk's request → 202
latencies are in runs.json beside them).

Writes the table to stdout and to .local/bench/report.md, every run's raw figures to
.local/bench/runs.json. --smoke runs each measure once with tiny counts (for the test command: it
checks the benchmark works, its figures mean nothing).
"""
import argparse
import json
import os
import pathlib
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

import psycopg

ROOT = pathlib.Path(__file__).resolve().parent.parent
HOME = pathlib.Path(os.environ.get("TALENT_HOME", ROOT / ".local"))
OUT = HOME / "bench"
TICK = os.sysconf("SC_CLK_TCK")


def log(text):
    print(f"[bench {time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# MARK: processes

class Processes:
    """The gateway and workers this benchmark starts and stops (release binaries)."""

    def __init__(self, bin_dir):
        self.bin = pathlib.Path(bin_dir)
        self.running = {}
        (HOME / "logs").mkdir(parents=True, exist_ok=True)

    def start(self, name, *args, env=None):
        log_file = open(HOME / "logs" / f"bench-{name}.log", "ab")
        process = subprocess.Popen(
            [str(self.bin / args[0]), *args[1:]], stdout=log_file, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})})
        self.running[name] = process
        return process

    def stop(self, name):
        process = self.running.pop(name, None)
        if process is None:
            return
        terminate(process, timeout=40)

    def stop_all(self, prefix=""):
        for name in [n for n in self.running if n.startswith(prefix)]:
            self.stop(name)

    def pids(self, prefix):
        return [p.pid for n, p in self.running.items() if n.startswith(prefix)]

    def start_gateway(self):
        # The benchmark drives one unit at full speed: no request budget, no admission bound (they are
        # the product's protection against such a caller; here the caller is the measure).
        self.start("gateway", "talent-gateway", env={
            "TALENT_UNIT_REQUESTS_PER_SECOND": "0", "TALENT_SERVICE_REQUESTS_PER_SECOND": "0",
            "TALENT_ADMISSION_MAX_QUEUED_AGE_SECONDS": "0"})
        wait_for(lambda: http_ok(f"http://127.0.0.1:{os.environ['TALENT_HTTP_PORT']}/health/ready"), 30, "gateway ready")

    def start_workers(self, kind, count, env=None):
        prefix = {"association.decision": "association", "notice.fanout": "notice"}.get(kind, "attachment")
        for i in range(count):
            self.start(f"{prefix}-worker-{i + 1}", "talent-worker", kind, env=env)
        wait_for(lambda: consumers(queue_of(kind)) >= count, 30, f"{count} {kind} consumer(s)")


def http_ok(url):
    try:
        return subprocess.run(["curl", "-sf", "-o", "/dev/null", url], timeout=5).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def wait_for(condition, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise SystemExit(f"bench: gave up waiting for {what} after {seconds} s")


def rabbitmqctl(*args):
    vhost = os.environ.get("TALENT_AMQP_VHOST", "/")
    return subprocess.run(
        ["/usr/lib/rabbitmq/bin/rabbitmqctl", "-q", *args, "-p", vhost], capture_output=True, text=True,
        check=True).stdout


def queue_of(kind):
    return kind  # the work queue is named after the kind (JobTopologyNames.workQueue)


def consumers(queue):
    for line in rabbitmqctl("list_queues", "name", "consumers", "--no-table-headers").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == queue:
            return int(parts[1])
    return 0


# MARK: CPU and memory

def process_ticks(pid, reaped_children=False):
    """CPU ticks of a process (user + system), with those of its children it has reaped if asked."""
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped_children else 0)
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def terminate(process, timeout):
    """SIGTERM (the process drains), then SIGKILL past `timeout` seconds; reaped either way."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def pids_of(pattern):
    result = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


def rss_kb(pid):
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


class Usage:
    """CPU (% of one core, summed over a group's processes) and peak resident memory (of the group's
    largest process) of named process groups over a phase."""

    def __init__(self, groups):
        self.groups = groups  # name -> callable returning pids
        self.peak = {name: 0 for name in groups}
        self.stopping = threading.Event()

    def __enter__(self):
        self.started = time.monotonic()
        self.ticks = {name: self._ticks(name) for name in self.groups}
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()
        return self

    def _ticks(self, name):
        # The inspector's fork server counts the children it forked and reaped (one per file).
        return {pid: process_ticks(pid, reaped_children=name.startswith("inspector")) for pid in self.groups[name]()}

    def _sample(self):
        while not self.stopping.wait(0.1):
            for name, pids in self.groups.items():
                # The largest single process of the group (the memory targets are per process).
                self.peak[name] = max(self.peak[name], max((rss_kb(p) for p in pids()), default=0))

    def __exit__(self, *_):
        self.stopping.set()
        self.thread.join()
        wall = time.monotonic() - self.started
        self.cpu = {}
        for name in self.groups:
            after = self._ticks(name)
            before = self.ticks[name]
            used = sum(after[p] - before.get(p, 0) for p in after)
            self.cpu[name] = round(100 * used / TICK / wall) if wall > 0 else 0


# MARK: database figures

class Database:
    def __init__(self):
        self.connection = psycopg.connect(os.environ["TALENT_POSTGRES_URL"], autocommit=True)

    def one(self, sql, *args):
        return self.connection.execute(sql, args).fetchone()

    def finished(self, unit):
        return self.one("SELECT count(*) FROM jobs WHERE unit_id = %s AND status <> 'queued'", unit)[0]

    def wait_finished(self, unit, count, seconds):
        wait_for(lambda: self.finished(unit) >= count, seconds, f"{count} jobs of {unit} finished")

    def drain_rate(self, unit, effects="association_transitions"):
        """Jobs committed after the first commit per second, from the first commit to the last."""
        row = self.one(
            f"""
            WITH c AS (SELECT pg_xact_commit_timestamp(e.xmin) AS at FROM {effects} e
                       JOIN jobs j ON j.id = e.job_id WHERE j.unit_id = %s)
            SELECT count(*), extract(epoch FROM max(at) - min(at)),
                   (SELECT count(*) FROM c WHERE at = (SELECT min(at) FROM c)) FROM c
            """, unit)
        count, span, first = row[0], float(row[1] or 0), row[2]
        return {"count": count, "seconds": span, "perSecond": (count - first) / span if span > 0 else 0}

    def steady_rate(self, unit, low=0.2, high=0.8):
        """Effects per second between the low and high fractions of a run's effects."""
        row = self.one(
            """
            WITH c AS (SELECT pg_xact_commit_timestamp(e.xmin) AS at FROM association_transitions e
                       JOIN jobs j ON j.id = e.job_id WHERE j.unit_id = %s)
            SELECT count(*), extract(epoch FROM percentile_disc(%s) WITHIN GROUP (ORDER BY at)
                                         - percentile_disc(%s) WITHIN GROUP (ORDER BY at)) FROM c
            """, unit, high, low)
        count, span = row[0], float(row[1] or 0)
        return {"count": count, "seconds": span, "perSecond": (high - low) * count / span if span > 0 else 0}

    def latency(self, unit):
        """Request (job row created in the gateway) → committed effect, in milliseconds."""
        row = self.one(
            """
            WITH l AS (SELECT extract(epoch FROM pg_xact_commit_timestamp(e.xmin) - j.created_at) * 1000 AS ms
                       FROM association_transitions e JOIN jobs j ON j.id = e.job_id WHERE j.unit_id = %s)
            SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms),
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY ms),
                   percentile_cont(0.999) WITHIN GROUP (ORDER BY ms) FROM l
            """, unit)
        return {"count": row[0], "p50": float(row[1] or 0), "p99": float(row[2] or 0), "p999": float(row[3] or 0)}

    def reset_statements(self):
        self.connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        self.connection.execute("SELECT pg_stat_statements_reset()")

    def top_statements(self, limit=6):
        """The statements that took the most time since the last reset (pg_stat_statements)."""
        rows = self.connection.execute(
            """
            SELECT calls, total_exec_time, mean_exec_time, rows, regexp_replace(query, '\\s+', ' ', 'g')
            FROM pg_stat_statements WHERE query NOT LIKE '%%pg_stat_statements%%'
            ORDER BY total_exec_time DESC LIMIT %s
            """, (limit,)).fetchall()
        return [{"calls": r[0], "totalMs": round(r[1], 1), "meanMs": round(r[2], 3), "rows": r[3], "query": r[4][:140]}
                for r in rows]

    def corpus_rate(self, unit):
        """Files per second from the first upload's job row to the last verdict's commit."""
        row = self.one(
            """
            SELECT count(*), extract(epoch FROM max(pg_xact_commit_timestamp(v.xmin)) - min(j.created_at))
            FROM attachment_verdicts v JOIN jobs j ON j.id = v.job_id WHERE j.unit_id = %s
            """, unit)
        count, span = row[0], float(row[1] or 0)
        return {"count": count, "seconds": span, "perSecond": count / span if span > 0 else 0}


# MARK: the measures

GROUPS = ("ceilings", "decisions", "celery", "scale", "http", "attachments", "eligibility", "notices")

class Bench:
    def __init__(self, args):
        self.args = args
        self.bin = pathlib.Path(args.bin)
        self.processes = Processes(args.bin)
        self.database = Database()
        self.runs = {}
        self.python = sys.executable
        OUT.mkdir(parents=True, exist_ok=True)

    def ctl(self, *args, env=None):
        result = subprocess.run(
            [str(self.bin / "talentctl"), *args], capture_output=True, text=True, env={**os.environ, **(env or {})})
        if result.returncode != 0:
            raise SystemExit(f"bench: talentctl {' '.join(args)} failed:\n{result.stderr[-2000:]}")
        return result.stdout

    def record(self, measure, figure):
        self.runs.setdefault(measure, []).append(figure)
        log(f"{measure}: {json.dumps(figure)}")

    def groups(self):
        return {
            "gateway": lambda: self.processes.pids("gateway"),
            "association workers": lambda: self.processes.pids("association"),
            "attachment workers": lambda: self.processes.pids("attachment"),
            "inspector (fork server and its children)": lambda: [p for w in self.processes.pids("attachment") for p in children(w)],
            "rabbitmq": lambda: pids_of("beam.smp"),
            "postgresql": lambda: [int(p) for p in subprocess.run(
                ["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout.split()],
            "wrk": lambda: pids_of("^wrk "),
            "celery": lambda: pids_of("celery -A peer"),
        }

    def prepare(self, count, jobs):
        path = OUT / f"jobs-{time.time_ns()}.tsv"
        unit = self.ctl("bench", "prepare", "--count", str(count), "--out", str(path),
                        *(["--jobs"] if jobs else [])).strip()
        return unit, path

    # ceilings

    def ceilings(self):
        count = self.args.ceiling_count
        for what, extra in [("publish", ["--window", "100"]), ("consume", ["--prefetch", "100"]),
                            ("insert", ["--batch", "100", "--connections", "2"]),
                            ("loop", ["--batch", "100", "--prefetch", "200", "--connections", "2"])]:
            for _ in range(self.args.runs):
                result = json.loads(self.ctl("bench", "ceiling", what, "--count", str(count), *extra))
                self.record(f"ceiling.{what}", {"perSecond": result["perSecond"], "count": count})

    # broker-fed decisions

    def drain_decisions(self, count, workers, measure):
        self.processes.stop_all("association")
        unit, path = self.prepare(count, jobs=True)
        self.ctl("bench", "publish", "--jobs", str(path))
        self.database.reset_statements()
        with Usage(self.groups()) as usage:
            self.processes.start_workers("association.decision", workers)
            self.database.wait_finished(unit, count, 60 + count / 200)
        self.processes.stop_all("association")
        figure = self.database.drain_rate(unit)
        figure.update(cpu=usage.cpu, rssKB=usage.peak, statements=self.database.top_statements())
        self.record(measure, figure)
        path.unlink()

    def steady_decisions(self, count):
        self.processes.stop_all("association")
        self.processes.start_workers("association.decision", 1)
        unit, path = self.prepare(count, jobs=True)
        with Usage(self.groups()) as usage:
            self.ctl("bench", "publish", "--jobs", str(path))
            self.database.wait_finished(unit, count, 60 + count / 200)
        figure = self.database.steady_rate(unit)
        figure.update(cpu=usage.cpu, rssKB=usage.peak)
        self.record("ours.decisions.steady", figure)
        path.unlink()

    def celery(self, count):
        self.processes.stop_all("association")
        unit, path = self.prepare(count, jobs=True)
        venv_bin = pathlib.Path(self.python).parent
        env = {**os.environ, "PYTHONPATH": str(ROOT / "benchmarks/celery")}
        started = time.monotonic()
        subprocess.run([self.python, str(ROOT / "benchmarks/celery/peer.py"), "publish", str(path)],
                       check=True, env=env, capture_output=True)
        publish_rate = count / (time.monotonic() - started)
        # Published: the gateway's relay must not publish these outbox rows to our own queue.
        self.database.connection.execute(
            "UPDATE jobs SET published_at = now() WHERE unit_id = %s AND published_at IS NULL", (unit,))
        with Usage(self.groups()) as usage:
            worker = subprocess.Popen(
                [str(venv_bin / "celery"), "-A", "peer", "worker", "--pool", "prefork", "--concurrency", "2",
                 "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel", "WARNING"],
                env=env, cwd=ROOT / "benchmarks/celery",
                stdout=open(HOME / "logs/bench-celery.log", "ab"), stderr=subprocess.STDOUT)
            try:
                self.database.wait_finished(unit, count, 120 + count / 50)
            except BaseException:
                worker.kill()
                raise
            # Read the CPU before the worker stops (its processes must still exist).
        terminate(worker, timeout=30)
        figure = self.database.drain_rate(unit)
        figure.update(cpu=usage.cpu, rssKB=usage.peak, publishPerSecond=publish_rate)
        self.record("celery.decisions.drain", figure)
        path.unlink()

    # HTTP-fed approvals

    def http(self, count, measure, delay_ms=0, connections=32, duration=None):
        self.processes.stop_all("association")
        self.processes.start_workers("association.decision", 1)
        unit, path = self.prepare(count, jobs=False)
        ids = OUT / f"ids-{time.time_ns()}.txt"
        ids.write_text("".join(line.split("\t")[1] + "\n" for line in path.read_text().splitlines()))
        token = self.ctl("token", "--unit", unit, "--lifetime", "7200").strip()
        body = json.dumps({"entryDate": "2026-01-05", "position": "工程师", "department": "研发部",
                           "contract": {"kind": "open_ended", "startDate": "2026-01-05"}}, ensure_ascii=False)
        threads = 2
        env = {**os.environ, "BENCH_IDS": str(ids), "BENCH_TOKEN": token, "BENCH_BODY": body,
               "BENCH_DELAY_MS": str(delay_ms), "BENCH_THREADS": str(threads)}
        seconds = duration or self.args.http_seconds
        self.database.reset_statements()
        with Usage(self.groups()) as usage:
            result = subprocess.run(
                ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
                 "-s", str(ROOT / "benchmarks/wrk/approve.lua"), f"http://127.0.0.1:{os.environ['TALENT_HTTP_PORT']}"],
                capture_output=True, text=True, env=env, check=True)
            summary = json.loads(result.stdout.strip().splitlines()[-1])
            self.database.wait_finished(unit, summary["accepted"], 120)
        latency = self.database.latency(unit)
        figure = {"perSecond": summary["accepted"] / summary["seconds"], "accepted": summary["accepted"],
                  "other": summary["other"], "spare": summary["spare"], "answer": summary,
                  "effectLatencyMs": latency, "cpu": usage.cpu, "rssKB": usage.peak,
                  "statements": self.database.top_statements()}
        if summary["spare"] > 0:
            log(f"{measure}: the {count} prepared requests ran out; raise --http-count")
        self.record(measure, figure)
        path.unlink()
        ids.unlink()
        return figure

    # attachments

    def corpus_files(self):
        """The corpus's files, or (--corpus-limit) a folder with the first N of them."""
        files = pathlib.Path(self.args.corpus) / "files"
        if self.args.corpus_limit:
            subset = OUT / "corpus-subset"
            shutil.rmtree(subset, ignore_errors=True)
            subset.mkdir()
            for f in sorted(files.iterdir())[: self.args.corpus_limit]:
                if f.is_file():
                    shutil.copyfile(f, subset / f.name)
            files = subset
        return files

    def corpus(self, measure, broker_fed):
        files = self.corpus_files()
        unit, path = self.prepare(1, jobs=False)
        path.unlink()
        total = len([f for f in files.iterdir() if f.is_file()])
        self.processes.stop_all("attachment")
        if not broker_fed:
            self.processes.start_workers("attachment.validation", 1)
        upload = subprocess.Popen(
            [str(self.bin / "talentctl"), "upload", str(files), "--unit", unit, "--concurrency", "16"],
            stdout=subprocess.DEVNULL, stderr=open(HOME / "logs/bench-upload.log", "ab"))
        with Usage(self.groups()) as usage:
            if broker_fed:
                def uploaded():
                    published = self.database.one(
                        "SELECT count(*) FROM jobs WHERE unit_id = %s AND published_at IS NOT NULL", unit)[0]
                    if published < total and upload.poll() is not None:
                        raise SystemExit(f"bench: the upload stopped after {published} of {total} files")
                    return published >= total
                wait_for(uploaded, 300, "the corpus uploaded")
                self.processes.start_workers("attachment.validation", 1)
            self.database.wait_finished(unit, total, 600)
        upload.wait(timeout=120)
        figure = (self.database.drain_rate(unit, effects="attachment_verdicts") if broker_fed
                  else self.database.corpus_rate(unit))
        figure.update(cpu=usage.cpu, rssKB=usage.peak)
        self.record(measure, figure)

    def http_measures(self):
        a = self.args
        log("HTTP-fed approvals: full load, then half of it")
        for _ in range(a.runs):
            self.http(a.http_count, "ours.http.full")
        full = statistics.median(r["perSecond"] for r in self.runs["ours.http.full"])
        target = full / 2
        connections = 8
        # Paced load: a connection sends every delay + latency ms. Each run corrects the delay
        # by the latency it saw, so the runs settle near half of the full load's rate.
        delay = max(1, round(1000 * connections / target * 0.6)) if target > 0 else 10
        for _ in range(a.runs):
            run = self.http(a.http_count, "ours.http.half", delay_ms=delay, connections=connections)
            if run["perSecond"] > 0 and target > 0:
                latency = 1000 * connections / run["perSecond"] - delay
                delay = max(0, round(1000 * connections / target - latency))

    def run(self):
        a = self.args
        self.processes.start_gateway()
        self.processes.start_workers("attachment.validation", 1)
        try:
            want = set(a.only.split(",")) if a.only else set(GROUPS)
            if "ceilings" in want:
                log("raw ceilings")
                self.ceilings()
            if "decisions" in want:
                log("broker-fed decisions: backlog drained, then steady state")
                for _ in range(a.runs):
                    self.drain_decisions(a.drain_count, 1, "ours.decisions.drain")
                for _ in range(a.runs):
                    self.steady_decisions(a.drain_count)
            if "celery" in want:
                log("the Celery peer, same jobs")
                for _ in range(a.runs):
                    self.celery(a.celery_count)
            if "scale" in want:
                log("backlog size and worker processes")
                self.drain_decisions(a.big_count, 1, "ours.decisions.drain.big")
                for workers in (2, 4):
                    for _ in range(a.runs):
                        self.drain_decisions(a.drain_count, workers, f"ours.decisions.drain.workers{workers}")
            if "http" in want:
                self.http_measures()
            if "attachments" in want:
                log("attachments: the inspector alone, broker-fed and upload → verdict")
                files = self.corpus_files()
                for _ in range(a.runs):
                    result = json.loads(self.ctl("bench", "inspect", str(files), "--concurrency", "8"))
                    self.record("ceiling.inspector", result)
                for _ in range(a.runs):
                    self.corpus("ours.attachments.drain", broker_fed=True)
                for _ in range(a.runs):
                    self.corpus("ours.attachments.http", broker_fed=False)
            if "eligibility" in want:
                # Before the notices: their million bulk units would be swept too.
                log("eligibility: the daily sweep over every unit (bulk units with complete profiles)")
                for _ in range(a.runs):
                    result = json.loads(self.ctl("bench", "sweep", "--units", str(a.notice_units)).strip().splitlines()[-1])
                    result["perSecond"] = result["units_per_second"]
                    self.record("ours.eligibility.sweep", result)
            if "notices" in want:
                log("notices: one notice fanned out to every unit, the gateway answering inbox reads meanwhile")
                self.processes.start_workers("notice.fanout", 1)
                gateway = f"http://127.0.0.1:{os.environ['TALENT_HTTP_PORT']}"
                for size, measure in ((a.notice_units, "ours.notices.fanout.small"),
                                      (a.notice_units_big, "ours.notices.fanout.big")):
                    for _ in range(a.runs):
                        result = json.loads(self.ctl("bench", "notices", "--units", str(size), "--gateway", gateway)
                                            .strip().splitlines()[-1])
                        result["perSecond"] = result["rows_per_second"]
                        self.record(measure, result)
        finally:
            self.processes.stop_all()
        (OUT / "runs.json").write_text(json.dumps(self.runs, indent=1, ensure_ascii=False))
        report = Report(self.runs, machine()).markdown()
        (OUT / "report.md").write_text(report)
        print(report)


def children(pid):
    result = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in result.stdout.split()]


# MARK: the table

def machine():
    memory = next(l for l in pathlib.Path("/proc/meminfo").read_text().splitlines() if l.startswith("MemTotal"))
    def version(command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=20).stdout.strip().splitlines()[0]
        except Exception:  # a missing tool only leaves its line out
            return "?"
    return {
        "cores": os.cpu_count(), "memory": f"{int(memory.split()[1]) // 1024 // 1024} GiB",
        "kernel": platform.release(),
        "swift": version(["swift", "--version"]),
        "postgresql": version(["psql", "--version"]),
        "rabbitmq": version(["/usr/lib/rabbitmq/bin/rabbitmqctl", "-q", "version"]),
        "celery": version([str(pathlib.Path(sys.executable).parent / "celery"), "--version"]),
        "wrk": version(["wrk", "--version"]),
    }


class Report:
    def __init__(self, runs, machine):
        self.runs = runs
        self.machine = machine

    def stat(self, measure, key="perSecond"):
        values = [r[key] for r in self.runs.get(measure, [])]
        if not values:
            return None
        return statistics.median(values), min(values), max(values)

    def cell(self, measure, key="perSecond", unit="/s", digits=0):
        s = self.stat(measure, key)
        if s is None:
            return "—"
        return f"{s[0]:,.{digits}f}{unit} ({s[1]:,.{digits}f}–{s[2]:,.{digits}f})"

    def latency(self, measure, quantile):
        values = [r["effectLatencyMs"][quantile] for r in self.runs.get(measure, [])]
        return statistics.median(values) if values else None

    def markdown(self):
        median = lambda m: (self.stat(m) or (0, 0, 0))[0]
        celery = median("celery.decisions.drain")
        loop = median("ceiling.loop")
        ours = median("ours.decisions.drain")
        rows = []

        def row(name, figure, ratio, target, met):
            rows.append(f"| {name} | {figure} | {ratio} | {target} | {met} |")

        def ratio(a, b):
            return f"{a / b:.2f}×" if b else "—"

        def met(ok):
            return "met" if ok else "**not met**"

        row("raw ceiling: confirm-publish, window 100", self.cell("ceiling.publish"), "", "", "")
        row("raw ceiling: consume + ack, prefetch 100", self.cell("ceiling.consume"), "", "", "")
        row("raw ceiling: INSERT + COMMIT, 100 rows per transaction, 2 connections", self.cell("ceiling.insert"), "", "", "")
        row("raw ceiling: consume → insert → commit → `multiple` ack (batch 100, prefetch 200, 2 consumers)",
            self.cell("ceiling.loop"), "", "", "")
        row("Celery 5.5 peer: approvals drained from a backlog (prefork 2, acks_late, confirms, quorum queue)",
            self.cell("celery.decisions.drain"), "1.00×", "", "")
        row("ours: approvals drained from a backlog, 1 worker", self.cell("ours.decisions.drain"),
            f"{ratio(ours, celery)} Celery; {ratio(ours, loop)} of the raw loop", "≥ 6× Celery and ≥ 0.5× raw loop",
            met(celery > 0 and ours >= 6 * celery and ours >= 0.5 * loop))
        row("ours: approvals, steady state (published while consumed), 1 worker", self.cell("ours.decisions.steady"),
            ratio(median("ours.decisions.steady"), celery) + " Celery", "", "")
        big = median("ours.decisions.drain.big")
        row("ours: a large backlog drained, 1 worker", self.cell("ours.decisions.drain.big"),
            f"{ratio(big, ours)} of the small backlog's rate", "about 1×", met(ours > 0 and big >= 0.8 * ours))
        for workers in (2, 4):
            m = f"ours.decisions.drain.workers{workers}"
            row(f"ours: approvals drained, {workers} worker processes", self.cell(m), ratio(median(m), ours) + " of 1 worker", "", "")
        http = median("ours.http.full")
        row("ours: approvals through the gateway (HTTP, 202 after the confirm), full load", self.cell("ours.http.full"),
            "", "≥ 2,000/s", met(http >= 2000))
        p99 = self.latency("ours.http.half", "p99")
        half = median("ours.http.half")
        row(f"ours: request → committed effect at about half load ({half:,.0f}/s): p50 / p99 / p99.9",
            " / ".join(f"{self.latency('ours.http.half', q):.1f} ms" if self.latency('ours.http.half', q) is not None else "—"
                       for q in ("p50", "p99", "p999")), "", "p99 ≤ 50 ms", met(p99 is not None and p99 <= 50))
        row("ours: request → committed effect at full load: p50 / p99 / p99.9",
            " / ".join(f"{self.latency('ours.http.full', q):.1f} ms" if self.latency('ours.http.full', q) is not None else "—"
                       for q in ("p50", "p99", "p999")), "", "", "")
        inspector = median("ceiling.inspector")
        cpu_ms = self.stat("ceiling.inspector", "cpuMsPerFile")
        row("raw ceiling: the inspector alone, corpus through one fork server, 8 at once (no broker, no database)",
            self.cell("ceiling.inspector", digits=1), f"{cpu_ms[0]:.1f} ms CPU per file" if cpu_ms else "", "", "")
        corpus = median("ours.attachments.drain")
        row("ours: attachment corpus (388 files) drained from a backlog, 1 worker, a fresh limited process per file",
            self.cell("ours.attachments.drain", digits=1), f"{ratio(corpus, inspector)} of the inspector alone",
            "≥ 150 files/s", met(corpus >= 150))
        row("ours: attachment corpus, upload → verdict (talentctl upload, 16 at once), 1 worker",
            self.cell("ours.attachments.http", digits=1), "", "", "")
        peak = {}
        for measure, runs in self.runs.items():
            if not measure.startswith("ours."):
                continue
            for r in runs:
                for name, kb in r.get("rssKB", {}).items():
                    peak[name] = max(peak.get(name, 0), kb)
        gateway_mb = peak.get("gateway", 0) / 1024
        worker_mb = max(peak.get("association workers", 0) / 1024,
                        peak.get("attachment workers", 0) / 1024)
        row("resident memory under load (peak): gateway / workers",
            f"{gateway_mb:.1f} MB / {worker_mb:.1f} MB", "", "< 80 MB / < 60 MB",
            met(0 < gateway_mb < 80 and 0 < worker_mb < 60))
        for measure, size, target in (("ours.notices.fanout.small", 100_000, 3), ("ours.notices.fanout.big", 1_000_000, 30)):
            units = (self.stat(measure, "units") or (0, 0, 0))[0]
            seconds = self.stat(measure, "seconds")
            p99 = self.stat(measure, "read_p99_ms")
            if seconds is None:
                continue
            row(f"notice fan-out to every unit ({units:,.0f} units): seconds from 202 to the finished job; rows/s",
                f"{self.cell(measure, 'seconds', ' s', 2)}; {self.cell(measure)}", "", f"≤ {target} s at {size:,} units",
                met(units >= size and seconds[0] <= target))
            row(f"gateway inbox reads during that fan-out: p99", self.cell(measure, "read_p99_ms", " ms", 1), "", "< 50 ms",
                met(p99 is not None and p99[0] < 50))
        sweep = self.stat("ours.eligibility.sweep", "seconds")
        if sweep is not None:
            units = (self.stat("ours.eligibility.sweep", "units") or (0, 0, 0))[0]
            row(f"daily eligibility sweep over every unit ({units:,.0f} units, complete profiles): seconds; units/s",
                f"{self.cell('ours.eligibility.sweep', 'seconds', ' s', 2)}; {self.cell('ours.eligibility.sweep')}", "",
                "≤ 20 s at 100,000 units", met(units >= 100_000 and sweep[0] <= 20 * units / 100_000))
        cpu_lines = []
        for measure in ("ours.decisions.drain", "celery.decisions.drain", "ours.http.full", "ours.attachments.http"):
            runs = self.runs.get(measure)
            if runs:
                cpu = {k: v for k, v in runs[len(runs) // 2]["cpu"].items() if v}
                cpu_lines.append(f"- {measure}: " + ", ".join(f"{k} {v}%" for k, v in cpu.items()))
        statement_lines = []
        for measure in ("ours.decisions.drain", "ours.http.full"):
            runs = self.runs.get(measure)
            if runs and runs[len(runs) // 2].get("statements"):
                statement_lines += ["", f"Top statements (pg_stat_statements) in the middle run of {measure}:", "",
                                    "| calls | total ms | mean ms | rows | statement |", "|---|---|---|---|---|"]
                for st in runs[len(runs) // 2]["statements"]:
                    query = st["query"].replace("|", "\\|")
                    statement_lines.append(
                        f"| {st['calls']} | {st['totalMs']:,.1f} | {st['meanMs']:.3f} | {st['rows']} | `{query}` |")
        head = ["| measure (one run, same services) | median (min–max) | ratio | target | |", "|---|---|---|---|---|"]
        info = ", ".join(f"{k}: {v}" for k, v in self.machine.items())
        return "\n".join(
            ["## Benchmark", "", f"Machine: {info}.", "", *head, *rows, "",
             "CPU per process (% of one core) in the middle run of:", *cpu_lines, *statement_lines, ""])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True, help="release binaries (swift build -c release --show-bin-path)")
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared/corpus/attachments"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--ceiling-count", type=int, default=20_000)
    parser.add_argument("--drain-count", type=int, default=10_000)
    parser.add_argument("--celery-count", type=int, default=10_000)
    parser.add_argument("--big-count", type=int, default=100_000)
    parser.add_argument("--http-count", type=int, default=60_000)
    parser.add_argument("--http-seconds", type=int, default=10)
    parser.add_argument("--corpus-limit", type=int, default=0, help="upload only the first N corpus files")
    parser.add_argument("--only", help="comma-separated groups of measures: " + ",".join(GROUPS))
    parser.add_argument("--notice-units", type=int, default=100_000, help="units of the smaller notice fan-out")
    parser.add_argument("--notice-units-big", type=int, default=1_000_000, help="units of the larger notice fan-out")
    parser.add_argument("--smoke", action="store_true", help="each measure once, tiny counts")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.ceiling_count, args.drain_count, args.celery_count = 1, 200, 100, 50
        args.big_count, args.http_count, args.http_seconds, args.corpus_limit = 300, 3000, 1, 40
        args.notice_units, args.notice_units_big = 2_000, 5_000
    # A stopped benchmark (timeout, ^C) still stops the gateway and workers it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    Bench(args).run()


if __name__ == "__main__":
    main()
