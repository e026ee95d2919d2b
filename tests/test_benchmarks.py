"""The benchmarks still run against today's schema and services: each in-process one at tiny
sizes (their figures are read by people, in benchmarks/ and docs/performance.md, not here)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

RUNS = {
    "bench_cases.py": ["--sizes", "20,40", "--repeat", "2"],
    "bench_day_work.py": ["--sizes", "20,40", "--repeat", "2"],
    "bench_timeline.py": ["--events", "5,30", "--repeat", "2"],
    "bench_memory.py": ["--transitions", "120", "--pool", "3"],
    "bench_search.py": ["--sizes", "20,40", "--repeat", "2"],
    "bench_export.py": ["--rows", "30"],
    "bench_pseudonyms.py": ["--cases", "4", "--repeat", "2"],
}


@pytest.fixture(scope="module")
def benchmark_database(database_url):
    """On PostgreSQL a database of its own beside the tests' (a benchmark wipes its schema); on
    SQLite None: each benchmark makes a file of its own."""
    if not database_url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine, make_url, text

    url = make_url(database_url)
    name = f"{url.database}_benchmarks"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.mark.parametrize("script", sorted(RUNS))
def test_the_benchmark_runs_and_prints_its_table(script, benchmark_database):
    args = list(RUNS[script])
    if benchmark_database:
        args += ["--database-url", benchmark_database]
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "|---|" in done.stdout, done.stdout[-2000:]
