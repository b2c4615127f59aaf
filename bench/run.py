"""Valhalla's benchmark suite: ``make bench``.

Every figure is a ratio measured side by side in one run against a baseline
built here (a raw WSGI app on the same gunicorn, psycopg2 loops, in-process
work), so the numbers mean the same on a noisy shared machine. See README.md.
"""

import argparse
import base64
import io
import json
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
from psycopg2.extras import execute_values

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
CORES = os.cpu_count() or 2
VALHALLA_PORT, RAW_PORT = 8701, 8702
ENTITIES = 10_000  # 100 events each at 1M


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


# --- Environment ------------------------------------------------------------------


def ensure_wrk() -> str:
    if path := shutil.which("wrk"):
        return path
    log("installing wrk from Debian's packages")
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True
    )
    if not (path := shutil.which("wrk")):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"], check=True, capture_output=True
        )
        path = shutil.which("wrk")
    return path


def fresh_database(admin_dsn: str, name: str) -> str:
    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    return admin_dsn.rsplit("/", 1)[0] + "/" + name


def django_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_HTTPS": "false",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_LOG_LEVEL": "WARNING",
        "VALHALLA_WRITE_RATE": "off",  # the load comes from one token
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def make_token(env: dict[str, str]) -> str:
    return manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth.models import User;"
        "from rest_framework.authtoken.models import Token;"
        "u = User.objects.create_superuser('bench', 'bench@example.com', None);"
        "print(Token.objects.create(user=u).key)",
    ).splitlines()[-1]


class Server:
    """gunicorn with one worker per core, as in production."""

    def __init__(self, app: str, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(CORES),
                "--keep-alive",
                "30",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                import urllib.request

                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                return
            except Exception as exc:
                if getattr(exc, "code", None):
                    return  # answered, with a 404 from the raw app
                time.sleep(0.2)
        raise RuntimeError(f"{app} did not start on port {port}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_peak_rss_mib(self) -> float:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        peaks = []
        for pid in children.read_text().split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return max(peaks)

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


# --- Load ----------------------------------------------------------------------------


def wrk(
    url: str, *, seconds: int, connections: int, script: str, env: dict[str, str]
) -> dict:
    result = subprocess.run(
        [
            WRK,
            "--latency",
            "-t",
            "2" if connections > 1 else "1",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "-s",
            str(BENCH / script),
            url,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    out = result.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = _duration(re.search(r"50%\s+([\d.]+\w+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses\n{out}")
    return {"rps": rps, "p50_ms": p50}


def _duration(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def post(url: str, body: object, token: str, **options) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(body, handle)
    try:
        return wrk(
            url,
            script="post.lua",
            env={"BENCH_BODY_FILE": handle.name, "BENCH_TOKEN": token},
            **options,
        )
    finally:
        os.unlink(handle.name)


def get(url: str, token: str, **options) -> dict:
    return wrk(url, script="get.lua", env={"BENCH_TOKEN": token}, **options)


# --- Data -----------------------------------------------------------------------------


EVENT = {
    "entity_type": "deal",
    "entity_id": "deal_ingest",
    "event_type": "status_changed",
    "source": "heimdall",
    "title": "Deal moved to under contract",
    "description": "Automatic status update from contract execution system",
    "payload": {"from": "offer", "to": "under_contract"},
}
TYPES = ("deal", "property", "audit", "governance")


def copy_events(dsn: str, start: int, stop: int) -> float:
    """COPY events ``start``..``stop`` (entity ``i % ENTITIES``, 1 s apart); seconds taken.

    The first call also inserts the 100 events of the entity whose timeline is read,
    so the read returns the same rows at 10k events and at 1M.
    """
    began = time.perf_counter()
    origin = datetime(2025, 1, 1, tzinfo=UTC)
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        if start == 0:  # the entity whose timeline is read: 100 events at any size
            cursor.execute(
                "INSERT INTO event_logs (entity_type, entity_id, event_type, source, title,"
                " description, payload, created_at) SELECT 'deal', 'hot', 'status_changed',"
                " 'system', 'Event ' || n, '', '{}', %s - n * interval '1 minute'"
                " FROM generate_series(1, 100) AS n",
                (origin,),
            )
        for chunk in range(start, stop, 100_000):
            buffer = io.StringIO()
            for i in range(chunk, min(chunk + 100_000, stop)):
                entity = i % ENTITIES
                stamp = (origin + timedelta(seconds=i)).isoformat()
                buffer.write(
                    f"{TYPES[entity % 4]}\tid_{entity}\tstatus_changed\tsystem\tEvent {i}\t\t{{}}\t{stamp}\n"
                )
            buffer.seek(0)
            cursor.copy_expert(
                "COPY event_logs (entity_type, entity_id, event_type, source, title,"
                " description, payload, created_at) FROM STDIN",
                buffer,
            )
        cursor.execute("ANALYZE event_logs")
    return time.perf_counter() - began


def execute_values_rows_per_second(dsn: str, seconds: float) -> float:
    rows = [
        (
            EVENT["entity_type"],
            f"bulk_{i}",
            EVENT["event_type"],
            EVENT["source"],
            EVENT["title"],
            EVENT["description"],
            json.dumps(EVENT["payload"]),
            datetime.now(UTC),
        )
        for i in range(1000)
    ]
    inserted, began = 0, time.perf_counter()
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        while time.perf_counter() - began < seconds:
            execute_values(
                cursor,
                "INSERT INTO event_logs (entity_type, entity_id, event_type, source, title,"
                " description, payload, created_at) VALUES %s RETURNING id",
                rows,
                page_size=1000,
                fetch=True,
            )
            connection.commit()
            inserted += len(rows)
    return inserted / (time.perf_counter() - began)


PLANS = {
    "entity": "WHERE entity_type = 'deal' AND entity_id = 'hot'",
    "type": "WHERE entity_type = 'deal'",
    "recent": "",
}


def explain_plans(dsn: str) -> dict:
    """Each timeline read at full size is an index scan with no sort (EXPLAIN)."""
    scans = {}
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        for name, where in PLANS.items():
            cursor.execute(
                f"EXPLAIN SELECT * FROM event_logs {where}"
                " ORDER BY created_at DESC, id DESC LIMIT 100"
            )
            plan = "\n".join(row[0] for row in cursor.fetchall())
            scans[name] = (
                "Index Scan" in plan and "Sort" not in plan and "Seq Scan" not in plan
            )
    return {
        "value": float(sum(scans.values())),
        "unit": f"of {len(scans)} reads",
        "op": ">=",
        "target": float(len(scans)),
        "detail": scans,
    }


def cursor_at_depth(dsn: str, where: str, params: tuple, depth: int) -> str:
    with psycopg2.connect(dsn) as connection, connection.cursor() as cursor:
        cursor.execute(
            f"SELECT created_at, id FROM event_logs {where}"
            " ORDER BY created_at DESC, id DESC OFFSET %s LIMIT 1",
            (*params, depth - 1),
        )
        created_at, pk = cursor.fetchone()
    token = f"{created_at.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


# --- Background work --------------------------------------------------------------------------


def celery_figures(env: dict[str, str], redis_url: str, sends: int, runs: int) -> dict:
    """Queued sends and BRRRR runs through 2 real Celery workers, against in-process."""
    script = BENCH / "celery_work.py"
    worker_env = {**env, "CELERY_BROKER_URL": redis_url}
    subprocess.run(
        ["redis-cli", "-u", redis_url, "flushdb"], check=False, capture_output=True
    )

    def work(mode: str, count: int) -> dict:
        result = subprocess.run(
            [str(BIN / "python"), str(script), mode, str(count)],
            cwd=ROOT,
            env=worker_env if mode.startswith("celery") else env,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(result.stdout.strip().splitlines()[-1])

    workers = [
        subprocess.Popen(
            [
                str(BIN / "celery"),
                "-A",
                "valhalla",
                "worker",
                "--concurrency=1",
                "--pool=prefork",
                "-n",
                f"bench{i}@%h",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=worker_env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(2)
    ]
    try:
        time.sleep(3)
        inprocess = work("inprocess-sends", sends)
        queued = work("celery-sends", sends)
        runs_result = work("celery-runs", runs)
        simulator = work("simulator", runs)
    finally:
        for worker in workers:
            os.killpg(worker.pid, signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    return {
        "inprocess_sends_per_s": inprocess["per_s"],
        "celery_sends_per_s": queued["per_s"],
        "celery_runs_per_s": runs_result["per_s"],
        "simulator_ms_per_run": simulator["ms_each"],
    }


# --- The suite -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--events", type=int, default=1_000_000, help="rows for the large-table figures"
    )
    parser.add_argument(
        "--seconds", type=int, default=10, help="duration of each load run"
    )
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument(
        "--admin-dsn",
        default=os.environ.get(
            "BENCH_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument(
        "--redis",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
    )
    args = parser.parse_args()

    global WRK
    WRK = ensure_wrk()
    started = time.perf_counter()
    dsn = fresh_database(args.admin_dsn, "valhalla_bench")
    database_url = dsn.replace("postgresql://", "postgres://")
    env = django_env(database_url)
    log("migrating a fresh database")
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    token = make_token(env)
    manage(
        env,
        "shell",
        "-c",
        "from notifications import services as s;"
        "s.create_channel(key='push', name='Push');"
        "s.create_template(key='bench', channel_key='push', subject='Deal {{deal_id}}', body='Deal {{deal_id}} is {{status}}')",
    )
    raw_env = {**os.environ, "BENCH_DSN": dsn}
    valhalla = Server("valhalla.wsgi", VALHALLA_PORT, env)
    raw = Server("bench.rawwsgi:application", RAW_PORT, raw_env)
    figures: dict[str, dict] = {}
    try:
        small = min(10_000, args.events)
        log(f"loading {small:,} events with COPY")
        copy_events(dsn, 0, small)
        entity = "/events/entity?entity_type=deal&entity_id=hot&limit=100"
        read_small = get(
            valhalla.url(entity), token, seconds=args.seconds, connections=1
        )

        log("event ingest: POST /events/ against raw WSGI")
        ingest = post(
            valhalla.url("/events/"), EVENT, token, seconds=args.seconds, connections=8
        )
        ingest_raw = post(
            raw.url("/events/"), EVENT, "", seconds=args.seconds, connections=8
        )
        figures["event_ingest"] = _ratio(
            ingest["rps"], ingest_raw["rps"], "req/s", ">=", 0.5
        )

        log("bulk ingest: POST /events/bulk of 1,000 against execute_values")
        bulk = post(
            valhalla.url("/events/bulk"),
            [{**EVENT, "entity_id": f"b{i}"} for i in range(1000)],
            token,
            seconds=args.seconds,
            connections=2,
        )
        baseline = execute_values_rows_per_second(dsn, args.seconds)
        figures["bulk_ingest"] = _ratio(
            bulk["rps"] * 1000, baseline, "rows/s", ">=", 0.5
        )

        log("notifications: POST /notifications/send, in-process, console provider")
        send = post(
            valhalla.url("/notifications/send"),
            {
                "template_key": "bench",
                "recipient": "ops",
                "context": {"deal_id": 7, "status": "won"},
            },
            token,
            seconds=args.seconds,
            connections=8,
        )
        figures["send_vs_ingest"] = _ratio(
            send["rps"], ingest["rps"], "req/s", ">=", 0.5
        )
        figures["worker_peak_rss"] = {
            "value": valhalla.worker_peak_rss_mib(),
            "unit": "MiB",
            "op": "<=",
            "target": 150,
        }

        log(f"loading up to {args.events:,} events with COPY")
        load_seconds = copy_events(dsn, small, args.events)
        read_large = get(
            valhalla.url(entity), token, seconds=args.seconds, connections=1
        )
        read_raw = get(raw.url(entity), "", seconds=args.seconds, connections=1)
        figures["entity_read_vs_raw"] = _ratio(
            read_large["p50_ms"], read_raw["p50_ms"], "median ms", "<=", 2
        )
        figures["entity_read_large_vs_small"] = _ratio(
            read_large["p50_ms"], read_small["p50_ms"], "median ms", "<=", 1.3
        )

        depth = min(100_000, args.events // 2)
        for name, query, where, params in [
            ("recent_deep_page", "", "", ()),
            (
                "filtered_deep_page",
                "entity_type=deal&",
                "WHERE entity_type = %s",
                ("deal",),
            ),
        ]:
            first = get(
                valhalla.url(f"/events/?{query}limit=100"),
                token,
                seconds=args.seconds,
                connections=1,
            )
            cursor = cursor_at_depth(dsn, where, params, depth)
            deep = get(
                valhalla.url(f"/events/?{query}limit=100&cursor={cursor}"),
                token,
                seconds=args.seconds,
                connections=1,
            )
            figures[name] = _ratio(
                deep["p50_ms"], first["p50_ms"], "median ms", "<=", 1.3
            )
        figures["timeline_plans"] = explain_plans(dsn)
        recent = get(
            valhalla.url("/events/recent?limit=50"),
            token,
            seconds=args.seconds,
            connections=1,
        )
        figures["recent_latency"] = {
            "value": recent["p50_ms"],
            "unit": "median ms",
            "op": "report",
            "target": None,
        }
    finally:
        valhalla.stop()
        raw.stop()

    log(f"background work: {args.sends:,} queued sends and {args.runs:,} BRRRR runs")
    background = celery_figures(env, args.redis, args.sends, args.runs)
    figures["queued_sends_celery_vs_inprocess"] = _ratio(
        background["celery_sends_per_s"],
        background["inprocess_sends_per_s"],
        "sends/s",
        ">=",
        0.8,
    )
    figures["brrrr_runs_celery"] = {
        "value": background["celery_runs_per_s"],
        "unit": "runs/s",
        "op": "report",
        "target": None,
    }
    figures["brrrr_simulator_cost"] = {
        "value": background["simulator_ms_per_run"],
        "unit": "ms/run",
        "op": "report",
        "target": None,
    }
    write_results(figures, args, load_seconds, time.perf_counter() - started)
    return 0


def _ratio(value: float, baseline: float, unit: str, op: str, target: float) -> dict:
    return {
        "value": value / baseline,
        "numerator": value,
        "baseline": baseline,
        "unit": unit,
        "op": op,
        "target": target,
    }


LABELS = {
    "event_ingest": "event ingest, POST /events/ (req/s, Valhalla / raw WSGI)",
    "bulk_ingest": "bulk ingest, POST /events/bulk x1,000 (rows/s, Valhalla / execute_values)",
    "entity_read_vs_raw": "entity timeline at 1M, 100 rows (median latency, Valhalla / raw WSGI)",
    "entity_read_large_vs_small": "entity timeline, 1M events / 10k events (median latency)",
    "recent_deep_page": "GET /events/ page 1,000 / page 1 (median latency)",
    "filtered_deep_page": "GET /events/?entity_type= page 1,000 / page 1 (median latency)",
    "recent_latency": "GET /events/recent at 1M (median latency, ms)",
    "send_vs_ingest": "POST /notifications/send in-process / event ingest (req/s)",
    "queued_sends_celery_vs_inprocess": "10,000 queued sends, 2 Celery workers / in-process (sends/s)",
    "brrrr_runs_celery": "1,000 brrrr_scale_doors runs through Celery (runs/s)",
    "brrrr_simulator_cost": "brrrr_scale_doors simulator alone (ms per run)",
    "worker_peak_rss": "peak RSS of one gunicorn worker after the ingest runs (MiB)",
    "timeline_plans": "timeline reads at 1M that are index scans without a sort (EXPLAIN)",
}


def _met(figure: dict) -> str:
    if figure["op"] == "report":
        return "report"
    ok = (
        figure["value"] >= figure["target"]
        if figure["op"] == ">="
        else figure["value"] <= figure["target"]
    )
    return "yes" if ok else "NO"


def _cell(figure: dict) -> str:
    detail = ""
    if "baseline" in figure:
        detail = f" ({figure['numerator']:,.1f} vs {figure['baseline']:,.1f} {figure['unit']})"
    return f"{figure['value']:,.2f}{detail}"


def write_results(
    figures: dict, args, load_seconds: float, total_seconds: float
) -> None:
    machine = f"{platform.node()}: {CORES} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}"
    with psycopg2.connect(args.admin_dsn) as connection, connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0]
    lines = [
        "# Benchmark results",
        "",
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, PostgreSQL {postgres}, "
        f"gunicorn with {CORES} workers, wrk over loopback; {args.events:,} events "
        f"(COPY took {load_seconds:.0f} s); {args.seconds} s per load run; whole run "
        f"{total_seconds / 60:.1f} min. Reproduce with `make bench`.",
        "",
        "| figure | measured | target | met |",
        "| --- | --- | --- | --- |",
    ]
    for name, figure in figures.items():
        target = (
            "—" if figure["target"] is None else f"{figure['op']} {figure['target']}"
        )
        lines.append(
            f"| {LABELS[name]} | {_cell(figure)} | {target} | {_met(figure)} |"
        )
    text = "\n".join(lines) + "\n"
    (BENCH / "RESULTS.md").write_text(text)
    (BENCH / "results.json").write_text(
        json.dumps(
            {"machine": machine, "postgres": postgres, "figures": figures}, indent=2
        )
    )
    print("\n" + text)


WRK = "wrk"

if __name__ == "__main__":
    sys.exit(main())
