"""Issue 14's table at province scale, on SQLite and PostgreSQL, each measure as a ratio
against a baseline measured in the same run.

    python -m benchmarks [--people N] [--quick] [--backend sqlite|postgresql] [--load-seconds S]

Builds (or reuses) the cached dataset of `benchmarks.dataset`, works on a fresh copy, and
drives the app only through its public entry points: the services of the engines, the
`flask reminders sweep` command, the report builder, and HTTP against gunicorn (2 sync
workers) with `wrk -t2 -c16` (a Python client when wrk is missing). Prints one table and
writes benchmarks/results/latest.json. Nothing here is a test: no timed assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from benchmarks import dataset

NOW = datetime(2025, 10, 24, 9, 0, tzinfo=timezone(timedelta(hours=8)))
UA = "supervision-bench/1"
RESULTS = Path(__file__).resolve().parent / "results"
PY = sys.executable


def _timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


# -- in-process measures -----------------------------------------------------------------


def engines(url: str, repeat: int) -> dict:
    """Obligations summary vs a bare COUNT/GROUP BY; eligibility vs a plain SELECT."""
    app = dataset.make_app(url)
    with app.app_context():
        from supervision.common.periods import Period
        from supervision.extensions import db
        from supervision.obligations import engine
        from supervision.org.models import OrgUnit
        from supervision.rotation import eligibility

        period, as_of, s = Period.parse("2025Q3"), NOW.date(), db.session
        group_sql = sa.text(
            "SELECT pe.org_unit_id, count(*) FROM assignments a "
            "JOIN posts p ON p.id = a.post_id JOIN people pe ON pe.id = a.person_id "
            "WHERE p.is_sensitive AND a.start_date <= :end "
            "AND (a.end_date IS NULL OR a.end_date >= :start) GROUP BY pe.org_unit_id"
        )
        select_sql = sa.text(
            "SELECT a.person_id, a.post_id, a.start_date, a.end_date, pe.name, u.path, p.name "
            "FROM assignments a JOIN posts p ON p.id = a.post_id "
            "JOIN people pe ON pe.id = a.person_id JOIN org_units u ON u.id = pe.org_unit_id "
            "WHERE a.start_date <= :d AND (p.is_sensitive OR p.is_leadership)"
        )
        root = s.get(OrgUnit, 1)

        def summary():
            out = engine.summary(s, period, ["integrity_reminder"], as_of=as_of, unit=root)
            s.rollback()
            return out

        def elig():
            out = eligibility.compute(s, as_of)
            s.rollback()
            return out

        t_group, _ = _timed(
            lambda: s.execute(group_sql, {"start": period.start, "end": period.end}).all(), repeat
        )
        t_sum, _ = _timed(summary, repeat)
        t_sel, _ = _timed(lambda: s.execute(select_sql, {"d": as_of}).all(), repeat)
        t_elig, rows = _timed(elig, repeat)
        db.engine.dispose()
    return {
        "summary": {"value": t_sum, "baseline": t_group, "unit": "s"},
        "eligibility": {"value": t_elig, "baseline": t_sel, "unit": "s", "rows": len(rows)},
    }


def risk_pdf(url: str) -> dict:
    """The risk inventory PDF of the first branch vs WeasyPrint on the bare table."""
    from benchmarks.risk_pdf import _bare_html

    app = dataset.make_app(url)
    with app.app_context(), app.test_request_context():
        from supervision.common import pdf
        from supervision.extensions import db
        from supervision.org.scope import Scope
        from supervision.reports import risk_inventory

        def full():
            db.session.expire_all()
            inv = risk_inventory.build(db.session, Scope(everything=True), org_unit_id=2)
            return risk_inventory.render_pdf(inv)

        inv = risk_inventory.build(db.session, Scope(everything=True), org_unit_id=2)
        html = _bare_html(inv, str(pdf.font_face_css(pdf.find_fonts())))
        t_full, _ = _timed(full, 1)
        t_bare, _ = _timed(lambda: pdf.html_to_pdf(html), 1)
        db.engine.dispose()
    return {"value": t_full, "baseline": t_bare, "unit": "s", "points": len(inv.rows)}


def _env(url: str) -> dict:
    return os.environ | {
        "BENCH_RUN_URL": url,
        "BENCH_NOW": NOW.isoformat(),
        "PYTHONPATH": str(dataset.ROOT),
    }


#: When the sweeps run, after the dataset's rows were written (at NOW): the first half an
#: hour later, the rerun one scheduler interval (SCHEDULER_SWEEP_SECONDS, 15 minutes) after
#: it. With the clock frozen at NOW for both, every row would look written "since the last
#: sweep" (within its CHANGE_MARGIN) and the rerun would be a full evaluation that no real
#: deployment sees.
SWEEP_FIRST = NOW + timedelta(minutes=30)
SWEEP_RERUN = SWEEP_FIRST + timedelta(minutes=15)


def sweep(url: str) -> dict:
    """`flask reminders sweep` first run and rerun; baseline: the same command's --help."""
    flask = [PY, "-m", "flask", "--app", "benchmarks.wsgi_app"]

    def run(*args, at: datetime = NOW):
        start = time.perf_counter()
        done = subprocess.run(
            [*flask, *args],
            env=_env(url) | {"BENCH_NOW": at.isoformat()},
            capture_output=True,
            text=True,
            cwd=dataset.ROOT,
        )
        if done.returncode:
            return None, done.stderr.strip().splitlines()[-1:]
        return time.perf_counter() - start, done.stdout.strip().splitlines()[-1:]

    t_start, _ = run("reminders", "sweep", "--help")
    first, out1 = run("reminders", "sweep", "--now", SWEEP_FIRST.isoformat(), at=SWEEP_FIRST)
    rerun, out2 = run("reminders", "sweep", "--now", SWEEP_RERUN.isoformat(), at=SWEEP_RERUN)
    if url.startswith("postgresql"):
        # What autovacuum does within a minute of the first sweep's 65,000-row insert: the
        # pages below are measured in that steady state, not with the statistics of an empty
        # notifications table (the inbox's plans and the unread count of every page's
        # navigation bar were 3–10× slower with them). SQLite has no such daemon.
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
        engine.dispose()
    return {
        "sweep_first": {"value": first, "baseline": t_start, "unit": "s", "output": out1},
        "sweep_rerun": {"value": rerun, "baseline": t_start, "unit": "s", "output": out2},
    }


# -- HTTP --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on the working copy."""

    def __init__(self, url: str):
        self.base = f"http://127.0.0.1:{_free_port()}"
        self.proc = subprocess.Popen(
            [PY, "-m", "gunicorn", "-w", "2", "-k", "sync", "--timeout", "300"]
            + ["-b", self.base[7:], "benchmarks.wsgi_app:app"],
            env=_env(url),
            cwd=dataset.ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import requests

        for _ in range(120):
            try:
                if requests.get(self.base + "/bench/hello", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError("gunicorn did not answer /bench/hello")

    def cookie(self, username: str) -> str:
        import requests

        http = requests.Session()
        http.headers["User-Agent"] = UA
        page = http.get(self.base + "/login").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token"[^>]*value="([^"]+)"', page
        )
        data = {"username": username, "password": dataset.PASSWORD, "csrf_token": token.group(1)}
        http.post(self.base + "/login", data=data, allow_redirects=False)
        return "; ".join(f"{k}={v}" for k, v in http.cookies.items())

    def p50(self, path: str, cookie: str, n: int) -> dict:
        import requests

        times, status = [], None
        headers = {"Cookie": cookie, "User-Agent": UA}
        for _ in range(2):  # one warm-up request per worker: imports, template compilation
            requests.get(self.base + path, headers=headers, allow_redirects=False, timeout=600)
        for _ in range(n):
            start = time.perf_counter()
            resp = requests.get(
                self.base + path,
                headers={"Cookie": cookie, "User-Agent": UA},
                allow_redirects=False,
                timeout=600,
            )
            times.append(time.perf_counter() - start)
            status = resp.status_code
        return {"value": statistics.median(times) * 1000, "unit": "ms", "status": status}

    def load(self, path: str, cookie: str, seconds: int) -> dict:
        """Requests per second under 2 threads x 16 connections for `seconds`."""
        headers = {"Cookie": cookie, "User-Agent": UA}
        if shutil.which("wrk"):
            args = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--timeout", "120s"]
            for k, v in headers.items():
                args += ["-H", f"{k}: {v}"]
            out = subprocess.run([*args, self.base + path], capture_output=True, text=True).stdout
            rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
            bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
            return {"value": rate, "unit": "req/s", "non_2xx": int(bad.group(1)) if bad else 0}
        return self._py_load(path, headers, seconds)

    def _py_load(self, path: str, headers: dict, seconds: int) -> dict:
        import requests

        stop = time.perf_counter() + seconds

        def client():
            n, http = 0, requests.Session()
            while time.perf_counter() < stop:
                http.get(self.base + path, headers=headers, timeout=600)
                n += 1
            return n

        start = time.perf_counter()
        with ThreadPoolExecutor(16) as pool:
            total = sum(pool.map(lambda _: client(), range(16)))
        return {"value": total / (time.perf_counter() - start), "unit": "req/s", "client": "python"}

    def worker_rss_mb(self) -> float:
        """The largest resident set of the workers (children of the gunicorn master)."""
        out = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == self.proc.pid:
                    status = (stat.parent / "status").read_text()
                    kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                    out = max(out, kb / 1024)
            except (OSError, AttributeError, ValueError):
                continue
        return out

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def http(url: str, repeat: int, seconds: int) -> dict:
    server = Server(url)
    try:
        # The committee's secretary (whole bureau, a conductor: person 1 heads the root);
        # admin only for the people list (an administrator's page); hr for the inbox.
        admin, secretary, hr = (server.cookie(u) for u in ("admin", "secretary", "hr"))
        hello = server.p50("/bench/hello", "", 20)["value"]
        out = {}
        for key, path, who in (
            ("p50_talks", "/talks/", secretary),
            ("p50_rotation", "/rotation/", secretary),
            ("p50_mine", "/talks/mine", secretary),
            ("p50_people", "/org/people", admin),
            ("p50_risks", "/risks/", secretary),
            ("p50_inbox", "/notifications/", hr),
            ("p50_home", "/", secretary),
        ):
            out[key] = server.p50(path, who, repeat) | {"baseline": hello}
        base = server.load("/bench/hello", secretary, seconds)
        for key, path in (
            ("load_obligations", "/obligations/"),
            ("load_rotation", "/rotation/"),
            ("load_profile", "/profile"),
        ):
            out[key] = server.load(path, secretary, seconds) | {"baseline": base["value"]}
        out["rss"] = {"value": server.worker_rss_mb(), "unit": "MB"}
    finally:
        server.stop()
    return out


# -- the table ---------------------------------------------------------------------------

#: key, measure, goal text, test on the result (value, ratio)
ROWS = (
    (
        "load_obligations",
        "/obligations/ under wrk -t2 -c16 vs hello",
        "≥ 20 % of hello",
        lambda v, r: r >= 0.2,
    ),
    (
        "load_rotation",
        "/rotation/ under the same load vs hello",
        "≥ 20 % of hello",
        lambda v, r: r >= 0.2,
    ),
    (
        "load_profile",
        "/profile (the lightest signed-in page: layout and a form) under the same load",
        "reference: what any page can reach",
        None,
    ),
    ("p50_talks", "/talks/ p50", "≤ 150 ms", lambda v, r: v <= 150),
    ("p50_rotation", "/rotation/ p50", "≤ 150 ms", lambda v, r: v <= 150),
    ("p50_mine", "/talks/mine (secretary) p50", "≤ 150 ms", lambda v, r: v <= 150),
    ("p50_people", "/org/people p50", "≤ 150 ms", lambda v, r: v <= 150),
    ("p50_risks", "/risks/ p50", "≤ 150 ms", lambda v, r: v <= 150),
    ("p50_inbox", "/notifications/ (hr) p50", "≤ 150 ms", lambda v, r: v <= 150),
    ("p50_home", "start page / (secretary) p50", "≤ 150 ms", lambda v, r: v <= 150),
    ("summary", "obligations summary (engine) vs COUNT/GROUP BY", "≤ 1 s", lambda v, r: v <= 1),
    ("eligibility", "eligibility (engine) vs plain SELECT", "≤ 2 s", lambda v, r: v <= 2),
    ("sweep_first", "sweep CLI, first run vs CLI start", "≤ 30 s", lambda v, r: v <= 30),
    ("sweep_rerun", "sweep CLI, rerun vs CLI start", "≤ 5 s", lambda v, r: v <= 5),
    ("risk_pdf", "risk PDF vs WeasyPrint bare table", "≤ 1.25×", lambda v, r: r <= 1.25),
    ("rss", "worker RSS after the load", "≤ 300 MB", lambda v, r: v <= 300),
)


def _cell(m: dict | None) -> str:
    if not m or m.get("value") is None:
        return "failed" if m else "-"
    v, unit = m["value"], m["unit"]
    text = f"{v:,.3f} s" if unit == "s" else f"{v:,.1f} {unit}"
    if m.get("ratio") is not None:
        text += f" ({m['ratio']:.2f}× of {m['baseline']:,.3g})"
    if m.get("status") not in (None, 200):
        text += f" [HTTP {m['status']}]"
    if m.get("non_2xx"):
        text += f" [{m['non_2xx']} non-2xx]"
    return text


def judge(results: dict) -> list[dict]:
    table = []
    for key, label, goal, test in ROWS:
        row = {"key": key, "measure": label, "goal": goal}
        for backend, res in results.items():
            m = res.get(key)
            if m and m.get("value") is not None and m.get("baseline"):
                m["ratio"] = m["value"] / m["baseline"]
            ok = None
            if (
                test is not None
                and m
                and m.get("value") is not None
                and m.get("status") in (None, 200)
                and not m.get("non_2xx")
            ):
                ok = bool(test(m["value"], m.get("ratio") or 0))
            row[backend] = {"cell": _cell(m), "met": ok}
        table.append(row)
    return table


def render(table: list[dict], backends: list[str]) -> str:
    head = ["measure", "goal", *backends, "met?"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in table:
        marks = {True: "yes", False: "NO", None: "?" if row["goal"][:1] in ("≤", "≥") else "—"}
        mets = "/".join(marks[row[b]["met"]] for b in backends)
        cells = [row["measure"], row["goal"], *(row[b]["cell"] for b in backends), mets]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_backend(backend: str, people: int, quick: bool, seconds: int) -> dict:
    template, meta = dataset.ensure(backend, people)
    url = dataset.working_copy(backend, template)
    repeat = 3 if quick else 5
    out: dict = {"build_seconds": meta["seconds"], "url": url.split("@")[-1]}
    print(f"[{backend}] engines ...", flush=True)
    out |= engines(url, repeat)
    print(f"[{backend}] sweep ...", flush=True)
    out |= sweep(url)
    print(f"[{backend}] risk PDF ...", flush=True)
    out["risk_pdf"] = risk_pdf(url)
    print(f"[{backend}] HTTP ...", flush=True)
    out |= http(url, repeat, seconds)
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--people", type=int, default=int(os.environ.get("BENCH_PEOPLE", 0)))
    parser.add_argument("--quick", action="store_true", help="5,000 people, 5 s loads")
    parser.add_argument("--backend", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--load-seconds", type=int, default=0)
    parser.add_argument("--output", default=str(RESULTS / "latest.json"))
    args = parser.parse_args(argv)
    people = args.people or (5_000 if args.quick else 100_000)
    seconds = args.load_seconds or (5 if args.quick else 20)
    backends = args.backend or ["sqlite", "postgresql"]
    results = {b: run_backend(b, people, args.quick, seconds) for b in backends}
    table = judge(results)
    print(f"\nProvince scale: {people:,} people ({date.today().isoformat()})\n")
    print(render(table, backends))
    path = Path(args.output)
    path.parent.mkdir(parents=True, exist_ok=True)
    sizes = dataset.sizes(people)
    path.write_text(
        json.dumps(
            {"sizes": sizes, "now": NOW.isoformat(), "results": results, "table": table},
            indent=1,
            ensure_ascii=False,
            default=str,
        )
    )
    print(f"\nwritten: {path}")
    return 0
