"""How the case list, the case page and a transition cost at 1k, 10k and 100k cases.

    .venv/bin/python benchmarks/bench_cases.py [--sizes 1000,10000,100000] [--database-url URL]

Without --database-url it uses a fresh SQLite file in a temporary folder. With a PostgreSQL URL
it DROPS AND RECREATES the public schema of that database first. The cases are bulk-inserted
(SQLAlchemy Core), then each page is requested in-process through Flask's test client, logged in
as a facilitator, and each transition goes through kokoma.services.cases.fire_trigger, the same
call the web view makes. It prints median and 95th percentile in milliseconds, the number of SQL
statements per request, and the ratio of the largest size to the smallest.
"""
import argparse
import platform
import random
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, event, func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kokoma import create_app  # noqa: E402
from kokoma.database import db, utcnow  # noqa: E402
from kokoma.defaults.escalation import GLASL_POINTS, VIOLENCE_POINTS  # noqa: E402
from kokoma.domain import CATEGORIES, level_for  # noqa: E402
from kokoma.models import Case, CaseEvent, Municipality  # noqa: E402
from kokoma.services import accounts, cases  # noqa: E402
from kokoma.testing import complete_analysis  # noqa: E402

PASSWORD = "timing the pages 2026"
STATES = ("analysis", "processing", "prevention", "closed")
OTHER_MUNICIPALITY_CASES = 5000


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn, repeat, warm_up=10):
    """p50 and p95 in ms of ``repeat`` calls, after ``warm_up`` calls that are not counted (the
    first calls at the first size would otherwise pay for compiling queries and templates)."""
    for _ in range(warm_up):
        fn()
    durations = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        durations.append((time.perf_counter() - start) * 1000)
    return statistics.median(durations), percentile(durations, 0.95)


class StatementCounter:
    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1

    @contextmanager
    def counting(self):
        start = self.count
        result = {}
        yield result
        result["statements"] = self.count - start


def command_line(description: str, sizes: tuple[str, str], repeat: int):
    """The options every in-process benchmark takes: the sizes it compares (option name and
    default), ``--database-url`` and ``--repeat``; returns the arguments and the sizes as ints."""
    option, default = sizes
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(f"--{option}", default=default)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (its public schema is wiped)")
    parser.add_argument("--repeat", type=int, default=repeat)
    args = parser.parse_args()
    return args, [int(s) for s in getattr(args, option).split(",")]


def person(municipality, email: str, password: str, role: str = "facilitator", name: str = "Bench"):
    """A user of the benchmark (advisors and admins with ``municipality`` None)."""
    return accounts.create_user(email=email, name=name, password=password, role=role, municipality=municipality)


def app_config(workdir, url, **overrides) -> dict:
    """What every benchmark app starts from: its own instance folder, no local or installed
    plugins, and cheap password hashing (logging in is not what is measured)."""
    return {
        "INSTANCE_PATH": str(workdir), "SQLALCHEMY_DATABASE_URI": url, "PLUGINS_DIR": None,
        "LOAD_ENTRYPOINT_PLUGINS": False,
        "PASSWORD_HASH_PARAMS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        **overrides,
    }


def open_app(database_url, **config):
    """A migrated benchmark app on ``database_url`` (PostgreSQL: its public schema wiped first)
    or, without one, on a fresh SQLite file in a temporary folder; returns (app, url)."""
    from flask_migrate import upgrade

    workdir = Path(tempfile.mkdtemp(prefix="kokoma-bench-"))
    url = database_url or f"sqlite:///{workdir}/bench.sqlite"
    if url.startswith("postgresql"):
        reset_postgresql(url)
    app = create_app(app_config(workdir, url, WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False,
                                LOGIN_RATE_LIMIT="1000 per minute", **config))
    with app.app_context():
        upgrade()
    return app, url


def analyze() -> None:
    """Fresh planner statistics after a bulk insert (PostgreSQL; SQLite plans without)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))


def database_name(url) -> str:
    version = db.session.scalar(text("select sqlite_version()" if url.startswith("sqlite") else "show server_version"))
    return f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'} {version}"


def reset_postgresql(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def seed(municipality, facilitator, count, start_seq):
    """Bulk-insert ``count`` cases; returns the seconds it took."""
    rng = random.Random(start_seq)
    now = utcnow()
    rows = []
    began = time.perf_counter()
    categories = list(CATEGORIES)
    for n in range(count):
        seq = start_seq + n + 1
        stage = rng.randint(1, 9)
        violence = rng.random() < 0.2
        score = min(100, GLASL_POINTS[stage] + (VIOLENCE_POINTS if violence else 0))
        created = now - timedelta(minutes=count - n)
        rows.append({
            "municipality_id": municipality.id, "reference": f"{municipality.code}-2026-{seq:06d}",
            "title": f"Konflikt Nr. {seq} um den Stadtteiltreff", "description": "Beschreibung " * 20,
            "category": categories[seq % len(categories)], "location": "Innenstadt",
            "glasl_stage": stage,
            "violence_reported": violence, "state": STATES[seq % 4], "facilitator_id": facilitator.id,
            "escalation_score": score, "escalation_level": level_for(score), "peak_escalation_score": score,
            "escalation_factors": [{"key": "glasl_stage", "points": GLASL_POINTS[stage], "reason": f"Glasl-Stufe {stage}", "plugin": "bench"}],
            "extra": {}, "created_at": created, "updated_at": created, "version": 1,
        })
        if len(rows) == 5000:
            db.session.execute(insert(Case), rows)
            rows = []
    if rows:
        db.session.execute(insert(Case), rows)
    seq = start_seq + count
    db.session.execute(
        Municipality.__table__.update().where(Municipality.id == municipality.id).values(case_seq=seq, case_seq_year=now.year)
    )
    db.session.commit()
    analyze()
    return time.perf_counter() - began


def transition_pool(facilitator, size):
    """Cases in "processing" with a measure: they go reanalyse <-> start_processing forever."""
    made = []
    for n in range(size):
        case = cases.create_case(facilitator, cases.CaseInput(
            title=f"Benchmark {n}", category="polarisation", glasl_stage=3)).case
        complete_analysis(case, facilitator)  # what starting the processing asks for
        cases.fire_trigger(facilitator, case.id, "start_processing", "", None)
        made.append(case.id)
    return made


def main():
    args, sizes = command_line(__doc__, ("sizes", "1000,10000,100000"), 100)
    app, url = open_app(args.database_url)
    rows = []
    with app.test_request_context():
        counter = StatementCounter(db.engine)
        home = accounts.create_municipality("MST", "Musterstadt")
        other = accounts.create_municipality("BHN", "Beispielhausen")
        facilitator = person(home, "fac@mst.example", PASSWORD)
        outsider = person(other, "fac@bhn.example", PASSWORD, name="Other")
        seed(other, outsider, OTHER_MUNICIPALITY_CASES, 0)
        pool = transition_pool(facilitator, 20)
        detail_id = pool[0]
        for n in range(5):
            cases.add_comment(facilitator, detail_id, f"Kommentar {n}")
        db_version = db.session.scalar(text("select sqlite_version()" if url.startswith("sqlite") else "show server_version"))

        client = app.test_client()
        with app.app_context():
            assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD}).status_code == 302
        have = db.session.scalar(select(func.count()).select_from(Case).where(Case.municipality_id == home.id))
        seeded_seq = 10_000_000
        for size in sizes:
            seconds = seed(home, facilitator, size - have, seeded_seq) if size > have else 0.0
            seeded_seq += size
            have = max(have, size)

            def get(url):
                with app.app_context():  # a request of its own, as in production
                    response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)

            low, high = db.session.execute(
                select(func.min(Case.id), func.max(Case.id)).where(Case.municipality_id == home.id)
            ).one()
            middle = (low + high) // 2  # a page from the middle of the list

            with counter.counting() as list10:
                get("/cases/?per_page=10")
            with counter.counting() as list50:
                get("/cases/?per_page=50")
            with counter.counting() as detail_q:
                get(f"/cases/{detail_id}")
            with counter.counting() as overview_q:
                get("/overview/")
            list_t = timed(lambda: get("/cases/?per_page=50"), args.repeat)
            filtered_t = timed(lambda: get("/cases/?per_page=50&state=processing&level=high"), args.repeat)
            older_t = timed(lambda: get(f"/cases/?per_page=50&after={middle}"), args.repeat)
            detail_t = timed(lambda: get(f"/cases/{detail_id}"), args.repeat)
            overview_t = timed(lambda: get("/overview/"), args.repeat)
            flips = iter(range(10**9))

            def transition():
                n = next(flips)
                case_id = pool[n % len(pool)]
                trigger = "reanalyse" if (n // len(pool)) % 2 == 0 else "start_processing"
                cases.fire_trigger(facilitator, case_id, trigger, "Benchmark", None)
                db.session.remove()

            # Whole rounds there and back, so every case ends where it started.
            transition_t = timed(transition, 2 * len(pool) * max(1, args.repeat // (2 * len(pool))), warm_up=2 * len(pool))
            events = db.session.scalar(select(func.count()).select_from(CaseEvent))
            rows.append((size, seconds, list_t, filtered_t, older_t, detail_t, overview_t, transition_t,
                         list10["statements"], list50["statements"], detail_q["statements"],
                         overview_q["statements"], events))

    print(f"KoKoMa benchmark on {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{__import__('os').cpu_count()} CPUs, Python {platform.python_version()}, "
          f"{'SQLite' if url.startswith('sqlite') else 'PostgreSQL'} {db_version}")
    print(f"{OTHER_MUNICIPALITY_CASES} cases of another municipality besides; times in ms as p50/p95 over {args.repeat} runs\n")
    header = ("cases", "seed s", "list@50", "filtered", "older page", "detail", "overview", "transition",
              "q list@10", "q list@50", "q detail", "q overview")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for size, seconds, *timings, q10, q50, qd, qo, _events in rows:
        cells = ([f"{size:,}", f"{seconds:.1f}"] + [f"{p50:.1f} / {p95:.1f}" for p50, p95 in timings]
                 + [str(q10), str(q50), str(qd), str(qo)])
        print("| " + " | ".join(cells) + " |")
    first, last = rows[0], rows[-1]

    def ratio(column):
        return last[column][0] / first[column][0]

    print(f"\nratio {last[0]:,} / {first[0]:,} cases (p50): list {ratio(2):.2f}x, filtered list {ratio(3):.2f}x, "
          f"detail {ratio(5):.2f}x, overview {ratio(6):.2f}x, transition {ratio(7):.2f}x")
    print(f"queries for 10 rows vs 50 rows on the list page: {first[8]} vs {first[9]}"
          + (" (equal)" if all(r[8] == r[9] for r in rows) else " (DIFFERENT)"))

if __name__ == "__main__":
    main()
