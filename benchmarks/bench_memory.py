"""Memory of one process after 100 and after 10,000 transitions: it must not grow per case.

    .venv/bin/python benchmarks/bench_memory.py [--transitions 10000] [--database-url URL]

Fires transitions through kokoma.services.cases.fire_trigger on a rotating pool of cases (each
request in its own application context, as in a server) and prints the traced Python memory
(tracemalloc) and the process's resident set size after the warm-up, after 100 and after all.
"""
import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kokoma import create_app  # noqa: E402
from kokoma.database import db  # noqa: E402
from kokoma.services import accounts, cases  # noqa: E402
from kokoma.testing import complete_analysis  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transitions", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--pool", type=int, default=200, help="cases the transitions rotate over")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kokoma-mem-"))
    url = args.database_url or f"sqlite:///{workdir}/mem.sqlite"
    from bench_cases import app_config, reset_postgresql

    if url.startswith("postgresql"):
        reset_postgresql(url)
    app = create_app(app_config(workdir, url, NOTIFY_BACKGROUND_WORKER=False))
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()
        municipality = accounts.create_municipality("MST", "Musterstadt")
        user = accounts.create_user(email="mem@mst.example", name="Mem", password="remember the pages 1",
                                    role="facilitator", municipality=municipality)
        pool = [complete_analysis(cases.create_case(user, cases.CaseInput(title=f"Fall {n}", category="other",
                                                                          glasl_stage=3)).case, user).id
                for n in range(args.pool)]
        user_id = user.id
        db.session.remove()

    def fire(n):
        with app.test_request_context():
            from kokoma.models import User

            actor = db.session.get(User, user_id)
            case_id = pool[n % len(pool)]
            trigger = "start_processing" if (n // len(pool)) % 2 == 0 else "reanalyse"
            cases.fire_trigger(actor, case_id, trigger, "Lage", None)

    marks = {}
    for n in range(2 * len(pool)):  # warm-up: every case moved there and back once
        fire(n)
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    for n in range(args.transitions):
        fire(n)
        if n + 1 in (100, args.transitions):
            gc.collect()
            marks[n + 1] = (tracemalloc.get_traced_memory()[0] / 2**20, rss_mb())
    elapsed = time.perf_counter() - started
    (traced_100, rss_100), (traced_all, rss_all) = marks[100], marks[args.transitions]
    print(f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}, pool of {len(pool)} cases, "
          f"{args.transitions} transitions in {elapsed:.1f} s ({elapsed / args.transitions * 1000:.2f} ms each)")
    print("| after | traced Python memory MB | RSS MB |")
    print("|---|---|---|")
    print(f"| 100 transitions | {traced_100:.2f} | {rss_100:.1f} |")
    print(f"| {args.transitions:,} transitions | {traced_all:.2f} | {rss_all:.1f} |")
    print(f"growth: {traced_all - traced_100:+.2f} MB traced, {rss_all - rss_100:+.1f} MB RSS")


if __name__ == "__main__":
    main()
