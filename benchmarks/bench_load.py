"""Load on loopback: gunicorn + PostgreSQL, logged-in users, 100k cases in 20 municipalities.

    .venv/bin/python benchmarks/bench_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<db>

WIPES the public schema of that database. Needs `wrk` (Debian package). Steps:
1. migrate; seed 100,000 cases over 20 municipalities (timed; the aim is under a minute);
2. serve KoKoMa with `flask --app kokoma serve` (gunicorn) and log in one facilitator per
   municipality; wrk replays their sessions (cookie and CSRF token) against 127.0.0.1 only;
3. at 1,000 and at 100,000 cases: the list page (50 rows) alone and transitions alone;
4. at 100,000 cases: a 60 s mix of list 50 %, detail 25 %, search 15 %, transitions 10 %;
5. the baseline: a minimal Flask + SQLAlchemy app (benchmarks/baseline_app.py) reading the same
   50 rows with one query, under the same gunicorn settings and the same wrk load.
It prints throughput, p50/p95/p99 latency, 5xx responses and lost writes (transitions answered
as done whose event is missing), and the two ratios of the issue.
"""
import argparse
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kokoma import create_app  # noqa: E402
from kokoma.database import db, utcnow  # noqa: E402
from kokoma.domain import CATEGORIES, level_for  # noqa: E402
from kokoma.models import Case, CaseEvent, Municipality, User  # noqa: E402
from kokoma.services import accounts  # noqa: E402

PASSWORD = "load testing the pages"
MUNICIPALITIES = 20
WORKERS, THREADS = 4, 2
GLASL_POINTS = {1: 5, 2: 10, 3: 20, 4: 30, 5: 40, 6: 55, 7: 65, 8: 80, 9: 90}


def reset(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed(municipalities, facilitators, per_municipality, start):
    rng = random.Random(start)
    now = utcnow()
    categories = list(CATEGORIES)
    began = time.perf_counter()
    for municipality, facilitator in zip(municipalities, facilitators):
        rows = []
        for n in range(start, start + per_municipality):
            stage = rng.randint(1, 9)
            score = GLASL_POINTS[stage]
            rows.append({
                "municipality_id": municipality.id, "reference": f"{municipality.code}-2026-{n + 1:06d}",
                "title": f"Konflikt Nr. {n} um den Stadtteiltreff", "description": "Beschreibung " * 10,
                "category": categories[n % 7], "location": "Innenstadt", "parties": "Anwohnende, Verein",
                "affected_groups": "Jugendliche", "glasl_stage": stage, "violence_reported": False,
                "state": ("analysis", "processing")[n % 2], "facilitator_id": facilitator.id,
                "escalation_score": score, "escalation_level": level_for(score), "peak_escalation_score": score,
                "escalation_factors": [{"key": "glasl_stage", "points": score, "reason": f"Glasl-Stufe {stage}", "plugin": "seed"}],
                "extra": {}, "created_at": now, "updated_at": now, "version": 1,
            })
        db.session.execute(insert(Case), rows)
        db.session.execute(Municipality.__table__.update().where(Municipality.id == municipality.id)
                           .values(case_seq=start + per_municipality, case_seq_year=now.year))
    db.session.commit()
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - began


def wait_until_up(url, process, seconds=60):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"server did not come up: {url}")
            time.sleep(0.3)


def login(base, email):
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(base + "/login").read().decode()
    login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode(
        {"email": email, "password": PASSWORD, "csrf_token": login_token}).encode())
    page = opener.open(base + "/cases/").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


def write_users(path, sessions):
    lines = ["return {"]
    for cookie, token, municipality_id, case_ids in sessions:
        ids = ", ".join(str(i) for i in case_ids)
        lines.append(f'  {{cookie = "{cookie}", csrf = "{urllib.parse.quote(token)}", municipality = {municipality_id}, cases = {{{ids}}}}},')
    lines.append("}")
    path.write_text("\n".join(lines))


def wrk(base, users_file, mix, seconds, connections=16):
    env = {**os.environ, "KOKOMA_LOAD_USERS": str(users_file), "KOKOMA_LOAD_MIX": mix}
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(ROOT / "benchmarks" / "load.lua"), base],
        env=env, capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    values = dict(re.findall(r"(\w+)=([\d.]+)", out.split("RESULT", 1)[1]))
    values = {k: float(v) for k, v in values.items()}
    values["rps"] = values["requests"] / values["seconds"]
    return values


def serve(command, env, port):
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=ROOT, start_new_session=True)
    wait_until_up(f"http://127.0.0.1:{port}/healthz" if "kokoma" in " ".join(command) else f"http://127.0.0.1:{port}/cases/1", process)
    return process


def stop(process):
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


def transition_events():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "transition"))


def row(name, r):
    return (f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
            f"{int(r['s5xx'])} | {int(r['s4xx'])} | {int(r['errors'])} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=60, help="length of the mixed run")
    parser.add_argument("--phase-seconds", type=int, default=15, help="length of each single-page run")
    args = parser.parse_args()
    url = args.database_url
    workdir = Path(tempfile.mkdtemp(prefix="kokoma-load-"))
    reset(url)
    app = create_app({"INSTANCE_PATH": str(workdir), "SQLALCHEMY_DATABASE_URI": url, "PLUGINS_DIR": None,
                      "NOTIFY_BACKGROUND_WORKER": False})
    from flask_migrate import upgrade

    port, baseline_port = 18731, 18732
    env = {**os.environ, "KOKOMA_DATABASE_URL": url, "KOKOMA_INSTANCE_PATH": str(workdir), "KOKOMA_PLUGINS_DIR": "",
           "KOKOMA_SECRET_KEY": "load-test-only", "KOKOMA_SESSION_COOKIE_SECURE": "false",
           "KOKOMA_LOGIN_RATE_LIMIT": "100000 per minute", "PYTHONPATH": str(ROOT)}
    base = f"http://127.0.0.1:{port}"
    results = {}
    with app.app_context():
        upgrade()
        municipalities, facilitators = [], []
        for n in range(MUNICIPALITIES):
            code = "M" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n] + "X"
            m = accounts.create_municipality(code, f"Kommune {n + 1}")
            municipalities.append(m)
            facilitators.append(accounts.create_user(email=f"f{n}@{code.lower()}.example", name=f"Prozess {n}",
                                                     password=PASSWORD, role="facilitator", municipality=m))
        seed_small = seed(municipalities, facilitators, 50, 0)  # 1,000 cases
        server = serve([sys.executable, "-m", "flask", "--app", "kokoma", "serve", "--bind", f"127.0.0.1:{port}",
                        "--workers", str(WORKERS), "--threads", str(THREADS)], env, port)
        try:
            def sessions():
                made = []
                for m, f in zip(municipalities, facilitators):
                    cookie, token = login(base, f.email)
                    ids = db.session.scalars(select(Case.id).where(Case.municipality_id == m.id, Case.state.in_(("analysis", "processing"))).limit(30)).all()
                    made.append((cookie, token, m.id, ids))
                return made

            users_file = workdir / "users.lua"
            write_users(users_file, sessions())
            wrk(base, users_file, "list", 3)  # warm-up
            results["list 1k"] = wrk(base, users_file, "list", args.phase_seconds)
            results["transition 1k"] = wrk(base, users_file, "transition", args.phase_seconds)

            seed_large = seed(municipalities, facilitators, 4950, 50)  # to 100,000 cases
            results["list 100k"] = wrk(base, users_file, "list", args.phase_seconds)
            results["transition 100k"] = wrk(base, users_file, "transition", args.phase_seconds)

            before = transition_events()
            results["mixed 100k"] = wrk(base, users_file, "mixed", args.seconds)
            time.sleep(2)  # let requests still in flight when wrk stopped finish
            written = transition_events() - before
            # A lost write is a transition answered as done whose event is missing. Requests cut
            # off by wrk at the end may be done without wrk seeing the answer: those are extra.
            lost = max(0, int(results["mixed 100k"]["s302"]) - written)
            unseen = max(0, written - int(results["mixed 100k"]["s302"]))
        finally:
            stop(server)
        baseline = serve([sys.executable, "-m", "gunicorn", "-w", str(WORKERS), "--threads", str(THREADS), "-b",
                          f"127.0.0.1:{baseline_port}", "benchmarks.baseline_app:app"], env, baseline_port)
        try:
            results["baseline 100k"] = wrk(f"http://127.0.0.1:{baseline_port}", users_file, "baseline", args.phase_seconds)
        finally:
            stop(baseline)
        version = db.session.scalar(text("show server_version"))
        total = db.session.scalar(select(func.count()).select_from(Case))

    print(f"KoKoMa load run on {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PostgreSQL {version}; gunicorn {WORKERS} workers x {THREADS} threads; wrk 2 threads x 16 connections, loopback")
    print(f"seeding: 1,000 cases in {seed_small:.1f} s; up to {total:,} cases in 20 municipalities in a further {seed_large:.1f} s")
    print("\n| run | requests/s | p50 ms | p95 ms | p99 ms | 5xx | 4xx | socket errors |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(row(name, r))
    mixed = results["mixed 100k"]
    print(f"\nmixed run: {int(mixed['requests'])} requests in {mixed['seconds']:.0f} s, {int(mixed['s302'])} transitions done "
          f"(4xx: refused because the case was not in the right state), lost writes: {lost} "
          f"({unseen} more done whose answer wrk cut off at the end)")
    print(f"list page vs baseline (100k): {results['list 100k']['rps'] / results['baseline 100k']['rps']:.2f} of the baseline's throughput")
    print(f"cost at 100k vs 1k (p50): list {results['list 100k']['p50'] / results['list 1k']['p50']:.2f}x, "
          f"transition {results['transition 100k']['p50'] / results['transition 1k']['p50']:.2f}x")


if __name__ == "__main__":
    main()
