"""What exporting 100k cases as CSV and XLSX costs: time and peak memory of the Python heap.

    .venv/bin/python benchmarks/bench_export.py [--rows 100000] [--database-url URL]

Seeds the cases in SQL (as bench_search.py does), then downloads /cases/export.csv and
/cases/export.xlsx through Flask's test client as a facilitator, reading the streamed body chunk
by chunk. Peak memory is tracemalloc's peak of Python allocations during the download (the
constant-memory claim: it must not grow with the rows), measured in a second download; times
are wall clock of the first, untraced download (each export also writes its access-trail entries).
"""
import argparse
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_cases import PASSWORD, app_config, reset_postgresql  # noqa: E402
from bench_search import seed  # noqa: E402
from kokoma import create_app  # noqa: E402
from kokoma.services import accounts  # noqa: E402


def download(app, client, address, traced: bool):
    with app.app_context():
        if traced:
            tracemalloc.start()
        began = time.perf_counter()
        response = client.get(address, buffered=False)
        size = 0
        for chunk in response.response:
            size += len(chunk)
        seconds = time.perf_counter() - began
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
        if traced:
            tracemalloc.stop()
        response.close()
    return seconds, peak, size


def measured(app, client, address):
    """Seconds of a plain download, then the peak of a download under tracemalloc (which slows
    Python down several times, so its time is not the one printed)."""
    seconds, _peak, size = download(app, client, address, traced=False)
    _seconds, peak, _size = download(app, client, address, traced=True)
    return seconds, peak, size


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="1000,100000")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="kokoma-bench-"))
    url = args.database_url or f"sqlite:///{workdir}/bench.sqlite"
    if url.startswith("postgresql"):
        reset_postgresql(url)
    app = create_app(app_config(workdir, url, WTF_CSRF_ENABLED=False, SESSION_COOKIE_SECURE=False))
    from flask_migrate import upgrade

    results = []
    with app.test_request_context():
        upgrade()
        home = accounts.create_municipality("MST", "Musterstadt")
        facilitator = accounts.create_user(email="fac@mst.example", name="Bench", password=PASSWORD,
                                           role="facilitator", municipality=home)
        client = app.test_client()
        with app.app_context():
            assert client.post("/login", data={"email": "fac@mst.example", "password": PASSWORD}).status_code == 302
        have = 0
        for rows in [int(n) for n in args.rows.split(",")]:
            seed(home, facilitator, have + 1, rows)
            have = rows
            for kind in ("csv", "xlsx"):
                results.append((rows, kind, *measured(app, client, f"/cases/export.{kind}")))
    print(f"KoKoMa export benchmark, {'SQLite' if url.startswith('sqlite') else 'PostgreSQL'}\n")
    print("| rows | format | seconds | peak Python memory MiB | file MiB |")
    print("|---|---|---|---|---|")
    for rows, kind, seconds, peak, size in results:
        print(f"| {rows:,} | {kind} | {seconds:.1f} | {peak / 2**20:.1f} | {size / 2**20:.1f} |")


if __name__ == "__main__":
    main()
