"""Where the list page's cost goes, in CPU instructions per request (repeatable on a noisy VM).

    .venv/bin/python benchmarks/bench_instructions.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<db>

Needs valgrind. The database's public schema is wiped and 1,000 cases are seeded. Each page is
then requested in-process (Flask's test client, logged in as a facilitator) under
``valgrind --tool=callgrind``, once with 0 and once with N measured requests after the same
warm-up; the difference divided by N is the client-side cost of one request (Python, SQLAlchemy,
psycopg; PostgreSQL's own work runs in its process and is not counted). Wall-clock times on this
VM swing by up to 2x from minute to minute; instruction counts do not.

Besides the list page and the baselines of bench_load.py (one Core query, JSON; and the signed-in
baseline: KoKoMa's session cookie, the login session looked up, 50 rows as HTML), it measures
steps towards the list page on routes this script adds to its own app: the cheapest page
(/healthz), a page that only loads the logged-in user, and the base layout rendered for a
logged-in user. The ratio baseline/page is what the throughput ratio of the load run would be
if requests cost only what is counted here. It then times the same pages in CPU time, which also
counts the kernel's share of each round trip to PostgreSQL and how fast the instructions run.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

PASSWORD = "timing the pages 2026"
SECRET_KEY = "timing-only"  # KoKoMa's and the signed-in baseline's: one session cookie for both
PAGES = {
    "baseline (Core query, JSON)": "baseline",
    "signed-in baseline (login + rows, HTML)": "signed-in baseline",
    "/healthz (no login)": "/healthz",
    "logged-in user only": "/_bench/user",
    "base layout, logged in": "/_bench/layout",
    "case list, 50 rows": "/cases/?per_page=50",
}


def prepare(url):
    import bench_cases
    from flask_migrate import upgrade

    from kokoma import create_app
    from kokoma.database import db
    from kokoma.services import accounts

    bench_cases.reset_postgresql(url)
    app = create_app(app_config(url))
    with app.app_context():
        upgrade()
        home = accounts.create_municipality("MST", "Musterstadt")
        facilitator = accounts.create_user(email="fac@mst.example", name="Bench", password=PASSWORD,
                                           role="facilitator", municipality=home)
        bench_cases.seed(home, facilitator, 1000, 0)
        db.engine.dispose()


def app_config(url):
    from bench_cases import app_config as benchmark_app_config

    return benchmark_app_config(tempfile.mkdtemp(prefix="kokoma-instr-"), url, SESSION_COOKIE_SECURE=False, SECRET_KEY=SECRET_KEY,
                                WTF_CSRF_ENABLED=False, NOTIFY_BACKGROUND_WORKER=False)


def client_for(url, page):
    """A function that requests ``page`` once (run inside valgrind)."""
    if page in ("baseline", "signed-in baseline"):
        os.environ.update(KOKOMA_DATABASE_URL=url, KOKOMA_SECRET_KEY=SECRET_KEY)
        from baseline_app import app as baseline

        client = baseline.test_client()
        if page == "baseline":
            return lambda: client.get("/cases/1")
        # signed in by KoKoMa: its session cookie, as the load run's users bring it
        client.set_cookie("kokoma_session", kokoma_client(url).get_cookie("kokoma_session").value)

        def get_signed_in():
            assert client.get("/signed-in/cases").status_code == 200

        return get_signed_in

    client = kokoma_client(url)

    def get():
        assert client.get(page).status_code == 200

    return get


def kokoma_client(url):
    """A test client of KoKoMa (with this script's steps towards the list page), logged in."""
    from flask import render_template
    from flask_login import current_user, login_required

    from kokoma import create_app

    app = create_app(app_config(url))
    app.add_url_rule("/_bench/user", "bench_user", login_required(lambda: "ok " + current_user.name))
    app.add_url_rule("/_bench/layout", "bench_layout", login_required(lambda: render_template("error.html", code=404)))
    client = app.test_client()
    assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD}).status_code == 302
    return client


def run_inside(url, page, count):
    get = client_for(url, page)
    for _ in range(20):  # compiled queries, templates and caches warm
        get()
    for _ in range(count):
        get()


CPU_ROUNDS, CPU_COUNT = 9, 200  # interleaved rounds of requests per page; the best round counts


def cpu_times(url, rounds=CPU_ROUNDS, count=CPU_COUNT):
    """CPU time (user + system) of this process per request of each page, in milliseconds: the
    best of interleaved rounds, so that all pages see the machine alike. Unlike instructions,
    it counts what a round trip to PostgreSQL costs the client in the kernel and how fast the
    instructions run (a page that touches more code and data runs fewer per cycle)."""
    gets = {name: client_for(url, page) for name, page in PAGES.items()}
    for get in gets.values():
        for _ in range(50):
            get()
    best = dict.fromkeys(gets, float("inf"))
    for _ in range(rounds):
        for name, get in gets.items():
            began = time.process_time()
            for _ in range(count):
                get()
            best[name] = min(best[name], (time.process_time() - began) / count * 1000)
    return best


def instructions(url, page, count):
    out = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
         "--database-url", url, "--inside", page, "--count", str(count)],
        capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"}, check=True,
    ).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="PostgreSQL URL (its public schema is wiped)")
    parser.add_argument("--count", type=int, default=30, help="measured requests per page")
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        return run_inside(args.database_url, args.inside, args.count)

    prepare(args.database_url)
    results = {}
    for name, page in PAGES.items():
        extra = instructions(args.database_url, page, args.count) - instructions(args.database_url, page, 0)
        results[name] = extra / args.count
    print_table(f"instructions per request (callgrind, {args.count} requests minus 0, in-process, "
                "PostgreSQL's work not counted)", "million instructions", {k: v / 1e6 for k, v in results.items()}, 2)
    print_table(f"\nCPU time per request (user + system of the client process, best of {CPU_ROUNDS} "
                f"interleaved rounds of {CPU_COUNT})", "ms", cpu_times(args.database_url), 3)


def print_table(title, unit, values, decimals):
    """A Markdown table of ``values`` per page, each also as the baseline's share of it."""
    baseline = values["baseline (Core query, JSON)"]
    print(f"{title}\n")
    print(f"| page | {unit} | baseline / page |")
    print("|---|---|---|")
    for name, value in values.items():
        print(f"| {name} | {value:.{decimals}f} | {baseline / value:.2f} |")

if __name__ == "__main__":
    main()
