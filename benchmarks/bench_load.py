"""Load on loopback: gunicorn + PostgreSQL, logged-in users, 1k and 100k cases in 20 municipalities.

    .venv/bin/python benchmarks/bench_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/<db>
        [--before PATH] [--rounds 3] [--memory-requests 50000] [--memory-max-seconds 600]
        [--memory-paths 20000]

Needs `wrk` (Debian package). In that database it (re)creates two schemas, kokoma_1k and
kokoma_100k, and leaves everything else alone. Steps:
1. migrate both; seed 1,000 cases into one and 100,000 into the other, each over 20
   municipalities (the 100k seeding is timed; the aim is under a minute);
2. serve each with `flask --app kokoma serve` (gunicorn), side by side, and the baseline: a
   minimal Flask + SQLAlchemy app (benchmarks/baseline_app.py) reading the same 50 rows of the
   100k schema with one query, under the same gunicorn settings; log in one facilitator per
   municipality; wrk replays their sessions (cookie and CSRF token) against 127.0.0.1 only.
   With `--before PATH` (another checkout of KoKoMa, e.g. `git worktree add /tmp/kokoma-before
   <commit>`), a fourth server serves the same 100k schema with that checkout's code: the same
   command and gunicorn flags, started in PATH with PYTHONPATH=PATH, so that PATH's `kokoma`
   package, templates and migrations are the ones imported (flask's `--app kokoma` puts the
   working directory in front of the import path, so the directory matters as much as
   PYTHONPATH). The script checks which files that command line imports and stops if they are
   not PATH's. The schema is the one the current code migrated: the old code runs on it and never
   migrates it (it need not know the newest revision; triggers its own migrations created and
   later ones dropped are simply missing). It gets KOKOMA_USER_CACHE_SECONDS=30, its own default,
   spelled out because the setting is gone from the current code. The same facilitators log in
   there. SERVE, BASELINE, SETTINGS and BEFORE_SETTINGS below spell out every server's flags and
   settings, and the run prints each server's command line;
3. memory (`--memory-requests N`, default 50,000; 0 skips it), right after the warm-up, while
   every KoKoMa server at 100k has the same history (its warm-up: 5 s of the list page, 3 s of
   case pages of the users' newest cases): for each of them in turn (the current one,
   then the before one) the resident set (VmRSS in /proc/<pid>/status) of each gunicorn worker,
   i.e. each child of the master, after the logins, before N varied requests at 100k and after
   each fifth of them (so that the run shows whether growth levels off).
   A server that keeps what it rendered per process (the before code's caches of rendered rows,
   filter bars and pages) only grows when it sees many different ones, so the requests vary:
   `--memory-paths` (default 20,000) different requests, the same list for every server
   (memory_paths, a fixed seed), the 20 logged-in facilitators in turn: 60 % list pages with
   varied filters (state, category, level, per_page, "only mine", search words: title numbers,
   reference starts) and paging (after, now and then before, a random case of the user's
   municipality), 40 % case pages of random cases of the user's municipality (each writes an
   access-trail row). The list is written to a file in the server's instance folder, one
   "<user number> <path>" a line, and load.lua (mix "memory") reads it in each thread's init and
   picks lines at random; wrk (16 connections) runs a few seconds at a time, each run with its
   own random seed, until N are answered or `--memory-max-seconds` (default 600) of wall time
   have passed for that server. The run prints, for each server, the requests answered, the
   list and case pages sent and how many distinct paths were sent, and then the workers of the
   servers side by side: after logins, before, after, growth, and each server's before -> after
   per worker and mean growth. A worker that was replaced meanwhile is named;
4. in rounds, interleaved so that all servers see the same machine (its neighbours make single
   runs noisy): the list page (50 rows) at 1k, at 100k, at 100k with the before code (when
   given; it and the current 100k swap places every other round, so that neither always goes
   first), the baseline, its signed-in page (the same app: KoKoMa's session cookie, the login
   session looked up, the 50 rows as HTML), KoKoMa's base layout alone (a signed-in 404 page:
   the navigation with its due count and nothing else, the least a page of KoKoMa shows), and
   the case page at 1k and at 100k (they too swap places every other round; the before code
   gets no case page rounds): GET /cases/<id> of the logged-in
   facilitator's own municipality, each request the next of a random user's 30 newest cases, so
   that every request shows another case and writes its access-trail row; then transitions at
   1k and at 100k. Transitions move each wrk thread's own cases back and forth, so that every
   transition is one the case allows. The median round of each is shown;
5. at 100,000 cases: a mix of list 50 %, detail 25 %, search 15 %, transitions 10 % (60 s).
It prints throughput, p50/p95/p99 latency, 5xx responses and lost writes (transitions answered
as done whose event is missing), the cost at 100k vs 1k of the list, the transition and the
case page (the issue: at most 1.2x each), by throughput and by p50 latency, and with --before
the list page's ratio to the baseline before and after, and after to before: of the runs'
median rounds, and the median of the ratios within each round (and each round's), and the
workers' memory before -> after N requests of both servers.
"""
import argparse
import math
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
from kokoma.defaults.escalation import GLASL_POINTS  # noqa: E402
from kokoma.domain import CATEGORIES, LEVELS, level_for  # noqa: E402
from kokoma.models import AnalysisActor, Case, CaseEvent, DisputeIssue, GlaslAssessment, Municipality  # noqa: E402
from kokoma.services import accounts  # noqa: E402

PASSWORD = "load testing the pages"
MUNICIPALITIES = 20
WORKERS, THREADS = 4, 2
WRK_THREADS = 2
CASES_PER_USER = 30
LIST_SHARE = 0.6  # of the memory step's requests list pages, the others case pages
MEMORY_LEGS = 5  # the memory step reads the workers after each fifth of its requests
USER_AGENT = "KoKoMa-Lastlauf/1"  # logins and wrk send the same, as one browser would
TIMEOUT = 60  # gunicorn's worker timeout, `kokoma serve`'s default, given explicitly to all servers

# Every server's command line and settings, explicitly. Each runs with PYTHONPATH and the working
# directory set to the checkout it serves (the current one, or --before's); the KOKOMA_* settings
# are the same for all (database URL and instance folder aside), plus each one's own below.
SERVE = ["-m", "flask", "--app", "kokoma", "serve", "--bind", "127.0.0.1:{port}",
         "--workers", str(WORKERS), "--threads", str(THREADS), "--timeout", str(TIMEOUT)]
# The baseline: the same gunicorn settings as `kokoma serve`, its access log included.
BASELINE = ["-m", "gunicorn", "--workers", str(WORKERS), "--threads", str(THREADS), "--timeout", str(TIMEOUT),
            "--access-logfile", "-", "--bind", "127.0.0.1:{port}", "benchmarks.baseline_app:app"]
SETTINGS = {"KOKOMA_PLUGINS_DIR": "", "KOKOMA_SECRET_KEY": "load-test-only",
            "KOKOMA_SESSION_COOKIE_SECURE": "false", "KOKOMA_LOGIN_RATE_LIMIT": "100000 per minute"}
# The code before the issue, as it ran by default: its per-process user cache keeps users 30 s.
# (Its NOTIFY triggers may be missing from a schema the current code migrated; then kept users
# only expire, which changes nothing here: no user changes during the run.)
BEFORE_SETTINGS = {"KOKOMA_USER_CACHE_SECONDS": "30"}
PORTS = {"1k": 18731, "100k": 18732, "baseline": 18733, "100k-before": 18734}
# Prints where the command line of a server imports `kokoma`, its templates and its migrations from.
IMPORT_PROBE = ('import kokoma\nprint("IMPORTED", kokoma.__file__, app.template_folder, '
                'app.extensions["migrate"].directory)\n')


def schema_url(url, schema):
    """The database URL with ``schema`` first on the search path."""
    return url + ("&" if "?" in url else "?") + f"options=-csearch_path%3D{schema}"


def reset(url, schemas):
    engine = create_engine(url)
    with engine.begin() as connection:
        for schema in schemas:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            connection.execute(text(f"CREATE SCHEMA {schema}"))
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
                "category": categories[n % 7], "location": "Innenstadt",
                "glasl_stage": stage, "violence_reported": False,
                "state": ("analysis", "processing")[n % 2], "facilitator_id": facilitator.id,
                "escalation_score": score, "escalation_level": level_for(score), "peak_escalation_score": score,
                "escalation_factors": [{"key": "glasl_stage", "points": score, "reason": f"Glasl-Stufe {stage}", "plugin": "seed"}],
                "extra": {}, "created_at": now, "updated_at": now, "version": 1,
            })
        db.session.execute(insert(Case), rows)
        db.session.execute(Municipality.__table__.update().where(Municipality.id == municipality.id)
                           .values(case_seq=start + per_municipality, case_seq_year=now.year))
        complete_analyses(municipality, facilitator)
    db.session.commit()
    with db.engine.connect() as connection:
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - began


def complete_analyses(municipality, facilitator):
    """The analysis of the cases the transitions move (the newest CASES_PER_USER of the
    municipality) complete, as starting the processing asks: two actors, an issue in dispute and
    a Glasl assessment each."""
    case_ids = db.session.scalars(select(Case.id).where(Case.municipality_id == municipality.id)
                                  .order_by(Case.id.desc()).limit(CASES_PER_USER)).all()
    db.session.execute(insert(AnalysisActor), [
        {"case_id": case_id, "name": name, "kind": "group", "role": "primary", "influence": "medium"}
        for case_id in case_ids for name in ("Anwohnende", "Verein")])
    db.session.execute(insert(DisputeIssue), [
        {"case_id": case_id, "text": "Nutzung des Platzes am Abend", "kind": "interests"} for case_id in case_ids])
    db.session.execute(insert(GlaslAssessment), [
        {"case_id": case_id, "stage": 3, "temperature": "hot", "side": "facilitator", "assessed_by_id": facilitator.id}
        for case_id in case_ids])


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
    opener.addheaders = [("User-Agent", USER_AGENT)]
    form = opener.open(base + "/login").read().decode()
    login_token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode(
        {"email": email, "password": PASSWORD, "csrf_token": login_token}).encode())
    page = opener.open(base + "/cases/").read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, token


def write_users(path, sessions):
    """users.lua for load.lua: each user's session, CSRF token, municipality and cases (id, state)."""
    lines = ["return {"]
    for cookie, token, municipality_id in sessions:
        cases = db.session.execute(
            select(Case.id, Case.state).where(Case.municipality_id == municipality_id,
                                              Case.state.in_(("analysis", "processing")))
            .order_by(Case.id.desc()).limit(CASES_PER_USER)  # the newest: cases no earlier run has moved
        ).all()
        listed = ", ".join(f'{{{case_id}, "{state}"}}' for case_id, state in cases)
        lines.append(f'  {{cookie = "{cookie}", csrf = "{urllib.parse.quote(token)}", municipality = {municipality_id}, cases = {{{listed}}}}},')
    lines.append("}")
    path.write_text("\n".join(lines))


class Site:
    """One KoKoMa on its own schema, served by gunicorn, with logged-in facilitators.

    ``code`` is the checkout whose code serves it (this one by default); ``like`` another Site on
    the same schema whose users, seeding and harness app it shares (it is not populated again)."""

    def __init__(self, name, url, port, workdir, code=ROOT, settings=None, like=None):
        self.name, self.url, self.port, self.code = name, url, port, Path(code)
        self.base = f"http://127.0.0.1:{port}"
        self.instance = workdir / name
        self.instance.mkdir()
        self.users_file = self.instance / "users.lua"
        if like is None:
            self.app = create_app({"INSTANCE_PATH": str(self.instance), "SQLALCHEMY_DATABASE_URI": url,
                                   "PLUGINS_DIR": None, "NOTIFY_BACKGROUND_WORKER": False})
        else:  # the harness reads the shared schema with the current code's models
            self.app, self.people = like.app, like.people
        self.settings = {"KOKOMA_DATABASE_URL": url, "KOKOMA_INSTANCE_PATH": str(self.instance),
                         **SETTINGS, **(settings or {})}
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith("KOKOMA_")},
                    **self.settings, "PYTHONPATH": str(self.code)}
        self.command = [sys.executable] + [arg.format(port=port) for arg in SERVE]
        self.server = None
        self.rss_at_start = {}

    def populate(self, per_municipality):
        """Migrate, add 20 municipalities with a facilitator each, seed; returns the seconds seeding took."""
        from flask_migrate import upgrade

        with self.app.app_context():
            upgrade()
            self.people = []
            for n in range(MUNICIPALITIES):
                code = "M" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n] + "X"
                m = accounts.create_municipality(code, f"Kommune {n + 1}")
                f = accounts.create_user(email=f"f{n}@{code.lower()}.example", name=f"Prozess {n}",
                                         password=PASSWORD, role="facilitator", municipality=m)
                self.people.append((m, f))
            return seed([m for m, _ in self.people], [f for _, f in self.people], per_municipality, 0)

    def imported_from(self):
        """Where this server's command line (same interpreter, environment and directory) imports
        `kokoma`, its templates and its migrations from: `flask --app kokoma shell` tells."""
        out = subprocess.run(self.command[:5] + ["shell"], input=IMPORT_PROBE, env=self.env, cwd=self.code,
                             capture_output=True, text=True, timeout=120)
        found = re.search(r"IMPORTED (\S+) (\S+) (\S+)", out.stdout)
        if not found:
            raise RuntimeError(f"{self.name}: cannot tell where kokoma is imported from:\n{out.stdout}{out.stderr}")
        paths = [Path(p) for p in found.groups()]
        if not all(p.is_relative_to(self.code) for p in paths):
            raise RuntimeError(f"{self.name}: imports {', '.join(map(str, paths))}, not from {self.code}")
        return paths

    def describe(self):
        own = {k: v for k, v in self.settings.items() if k not in SETTINGS}
        return (f"{self.name} (port {self.port}): cd {self.code} && PYTHONPATH={self.code} "
                + " ".join(f"{k}={v!r}" if " " in v or not v else f"{k}={v}" for k, v in own.items())
                + " " + " ".join(self.command[1:]))

    def start(self):
        self.imports = self.imported_from()
        self.server = serve(self.command, self.env, self.port, cwd=self.code)
        self.sessions = [(*login(self.base, f.email), m.id) for m, f in self.people]
        self.rss_at_start = worker_rss(self.server.pid)
        self.write_users()

    def write_users(self):
        with self.app.app_context():
            write_users(self.users_file, self.sessions)

    def settle(self):
        """After seeding: dirty pages written, caches and workers warm (the list page, and the
        case page of the users' 30 newest cases, whose template and queries are then compiled
        before the memory step's first reading)."""
        with self.app.app_context(), db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("CHECKPOINT"))
        time.sleep(2)
        wrk(self.base, self.users_file, "list", 5)
        wrk(self.base, self.users_file, "case", 3)

    def transition_events(self):
        with self.app.app_context():
            return db.session.scalar(
                select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "transition"))

    def stop(self):
        if self.server is not None:
            stop(self.server)


def cpu_ticks(port):
    """CPU time (clock ticks) used so far by each process of the server on ``port`` and of
    PostgreSQL: {pid: (kind, ticks)}."""
    used = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        kind = "postgres" if command.startswith("postgres") else "server" if f":{port}" in command else None
        if kind:
            used[pid] = kind, int(fields[11]) + int(fields[12])  # utime + stime
    return used


def cpu_used(before, after):
    """Ticks per kind between two readings of cpu_ticks, process by process: a process that
    ended in between (a backend, an autovacuum worker) counts nothing rather than minus all it
    had used, and one that started counts from zero."""
    used = {"server": 0, "postgres": 0}
    for pid, (kind, ticks) in after.items():
        was = before.get(pid)
        used[kind] += ticks - (was[1] if was and was[0] == kind else 0)
    return used


def wrk(base, users_file, mix, seconds, connections=16, **extra_env):
    """One wrk run of load.lua's ``mix``; ``extra_env``: more KOKOMA_LOAD_* settings for it."""
    env = {**os.environ, "KOKOMA_LOAD_USERS": str(users_file), "KOKOMA_LOAD_MIX": mix,
           "KOKOMA_LOAD_THREADS": str(WRK_THREADS), "KOKOMA_LOAD_AGENT": USER_AGENT,
           **{f"KOKOMA_LOAD_{k.upper()}": str(v) for k, v in extra_env.items()}}
    out = subprocess.run(
        ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(ROOT / "benchmarks" / "load.lua"), base],
        env=env, capture_output=True, text=True, timeout=seconds + 60,
    ).stdout
    values = dict(re.findall(r"(\w+)=([\d.]+)", out.split("RESULT", 1)[1]))
    values = {k: float(v) for k, v in values.items()}
    values["rps"] = values["requests"] / values["seconds"]
    return values


def wrk_with_cpu(base, users_file, mix, seconds):
    """wrk, plus the CPU milliseconds per request the server and PostgreSQL spent."""
    port = base.rsplit(":", 1)[1]
    before = cpu_ticks(port)
    values = wrk(base, users_file, mix, seconds)
    after = cpu_ticks(port)
    per_ms = 1000 / os.sysconf("SC_CLK_TCK") / max(values["requests"], 1)
    used = cpu_used(before, after)
    values["cpu_server"] = used["server"] * per_ms
    values["cpu_postgres"] = used["postgres"] * per_ms
    return values


def serve(command, env, port, cwd=ROOT):
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               cwd=cwd, start_new_session=True)
    wait_until_up(f"http://127.0.0.1:{port}/healthz" if "kokoma" in " ".join(command) else f"http://127.0.0.1:{port}/cases/1", process)
    return process


def worker_rss(master):
    """{pid: VmRSS in MB} of the gunicorn master's children, its workers."""
    rss = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]) != master:
                continue
            status = Path(f"/proc/{pid}/status").read_text()
        except (OSError, IndexError, ValueError):
            continue
        found = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        if found:
            rss[int(pid)] = int(found.group(1)) / 1024
    return rss


def memory_paths(site, count, seed=2026):
    """``count`` varied requests of the memory step, as (user number from 1, path): the users
    in turn, each with list pages (share LIST_SHARE) under varied filters (state, category,
    level, per_page, "only mine", search words) and paging (after or before a random case of
    the user's municipality), and case pages of random cases of the user's municipality, so
    that a server renders many different rows, filter bars and pages. The same seed gives the
    same list, so that every server of the step gets the same requests."""
    rng = random.Random(seed)
    with site.app.app_context():
        ids = {}
        for case_id, municipality_id in db.session.execute(select(Case.id, Case.municipality_id)):
            ids.setdefault(municipality_id, []).append(case_id)
    states = ["", "", "", "analysis", "processing", "prevention", "closed"]  # "" (all) most often
    categories = [""] * 7 + list(CATEGORIES)
    levels = [""] * 4 + list(LEVELS)
    sizes = [str(n) for n in site.app.config["CASES_PER_PAGE_CHOICES"]]
    lines = []
    for n in range(count):
        user = n % len(site.people)
        municipality, _ = site.people[user]
        own = ids[municipality.id]
        if rng.random() >= LIST_SHARE:
            lines.append((user + 1, f"/cases/{rng.choice(own)}"))
            continue
        query = {"state": rng.choice(states), "category": rng.choice(categories), "level": rng.choice(levels),
                 "per_page": rng.choice(sizes), "mine": "y" if rng.random() < 0.1 else ""}
        words = rng.random()
        if words < 0.1:
            query["q"] = f"Nr. {rng.randrange(len(own))}"  # a title's words: many numbers match
        elif words < 0.2:
            query["q"] = f"{municipality.code}-2026-{rng.randrange(len(own)) // 10:05d}"  # a reference's start
        elif words < 0.25:
            query["q"] = "Stadtteiltreff"
        paging = rng.random()
        if paging < 0.8:
            query["after"] = rng.choice(own) + 1  # the page that starts at that case
        elif paging < 0.85:
            query["before"] = rng.choice(own) - 1
        query = {k: v for k, v in query.items() if v != ""}  # an unset filter is left out, as a link leaves it
        lines.append((user + 1, "/cases/?" + urllib.parse.urlencode(query)))
    return lines


def write_paths(path, lines):
    path.write_text("".join(f"{user} {request}\n" for user, request in lines))


def drive(base, users_file, count, max_seconds, mix="list", chunk=5, **extra_env):
    """About ``count`` requests of ``mix``, in wrk runs of ``chunk`` seconds and then as many as
    the rate so far says are still needed, for at most ``max_seconds`` of wall time in all (wrk's
    own start and end included; a last run may end up to a second later). Each run gets its own
    seed, so that the random choices of a mix differ from run to run."""
    done = {"requests": 0, "seconds": 0.0, "s2xx": 0, "s5xx": 0, "s4xx": 0, "other": 0, "errors": 0,
            "sent_list": 0, "sent_case": 0, "runs": 0}
    started = time.monotonic()
    while done["requests"] < count and (left := max_seconds - (time.monotonic() - started)) >= 1:
        if done["requests"]:
            rate = done["requests"] / done["seconds"]
            seconds = max(1, min(chunk, math.ceil((count - done["requests"]) / rate)))
        else:
            seconds = chunk
        seconds = max(1, min(seconds, int(left)))
        r = wrk(base, users_file, mix, seconds, seed=done["runs"] + 1, **extra_env)
        r["runs"] = 1
        for key in done:
            done[key] += r[key]
    done["wall"] = time.monotonic() - started
    return done


def measure_memory(site, count, max_seconds, paths):
    """The workers' RSS after the logins, before and after ``count`` requests of the memory mix:
    paths (memory_paths) picked at random by load.lua from a file written for this server."""
    paths_file, sent_file = site.instance / "memory-paths.txt", site.instance / "memory-sent.txt"
    write_paths(paths_file, paths)
    sent_file.write_text("")
    before = worker_rss(site.server.pid)
    # In MEMORY_LEGS legs, the workers read after each: whether growth levels off, not only how much.
    done, legs, started = None, [], time.monotonic()
    for leg in range(1, MEMORY_LEGS + 1):
        left = max_seconds - (time.monotonic() - started)
        if left < 1:
            break
        part = drive(site.base, site.users_file, count // MEMORY_LEGS, left, mix="memory", paths=paths_file,
                     sent=sent_file)
        done = part if done is None else {key: done[key] + part[key] for key in done}
        time.sleep(1)  # requests in flight when wrk stopped
        legs.append((int(done["requests"]), worker_rss(site.server.pid)))
    after = legs[-1][1]
    sent = {int(n) - 1 for n in sent_file.read_text().split()}  # line numbers from 1
    done["distinct"] = len(sent)
    done["distinct_list"] = sum(1 for n in sent if paths[n][1].startswith("/cases/?"))
    done["distinct_case"] = done["distinct"] - done["distinct_list"]
    return {"start": site.rss_at_start, "before": before, "after": after, "done": done, "legs": legs}


def print_memory(memory, path_count):
    """The memory step: each server's workers (VmRSS MB) after the logins, before and after its
    requests, the servers side by side (their workers in the order of their pids)."""
    if not memory:
        return
    print(f"\nmemory of the gunicorn workers (VmRSS MB) at 100k, after the warm-up, before and after "
          f"varied requests (list pages {LIST_SHARE:.0%}, case pages {1 - LIST_SHARE:.0%}, picked at random "
          f"from {path_count} different ones):")
    for name, m in memory.items():
        d = m["done"]
        print(f"  {name}: {int(d['requests'])} requests in {d['seconds']:.0f} s of wrk, {d['wall']:.0f} s in all "
              f"({int(d['runs'])} wrk runs; "
              f"{int(d['sent_list'])} list, {int(d['sent_case'])} case pages sent; {int(d['distinct'])} distinct "
              f"paths sent: {int(d['distinct_list'])} list, {int(d['distinct_case'])} case pages); "
              f"{int(d['s2xx'])} 2xx, {int(d['s4xx'])} 4xx, {int(d['s5xx'])} 5xx, {int(d['errors'])} socket errors")
    columns = {name: sorted(set(m["before"]) | set(m["after"])) for name, m in memory.items()}
    print("| worker | " + " | ".join(f"{name}: pid | after logins | before | after | growth" for name in memory) + " |")
    print("|---|" + "---|---|---|---|---|" * len(memory))
    for n in range(max(len(pids) for pids in columns.values())):
        cells = []
        for name, m in memory.items():
            if n >= len(columns[name]):
                cells += ["", "", "", "", ""]
                continue
            pid = columns[name][n]
            start, before, after = (m[k].get(pid) for k in ("start", "before", "after"))
            growth = (f"{after - before:+.1f}" if before is not None and after is not None
                      else "replaced" if before is not None else "new")
            cells += [str(pid)] + [f"{v:.1f}" if v is not None else "–" for v in (start, before, after)] + [growth]
        print(f"| {n + 1} | " + " | ".join(cells) + " |")
    for name, m in memory.items():
        pids = sorted(m["before"])
        print(f"{name}, mean VmRSS MB of the workers there from the start ({len(pids)}) after each leg: before "
              f"{sum(m['before'].values()) / len(pids):.1f}" + "".join(
                  f"; {requests:,} requests {sum(rss.get(p, 0) for p in pids) / len(pids):.1f}"
                  for requests, rss in m["legs"] if all(p in rss for p in pids)))
    for name, m in memory.items():
        both = [pid for pid in sorted(m["before"]) if pid in m["after"]]
        gone = [pid for pid in m["before"] if pid not in m["after"]]
        if both:
            pairs = ", ".join(f"{m['before'][p]:.1f} -> {m['after'][p]:.1f}" for p in both)
            growth = sum(m["after"][p] - m["before"][p] for p in both) / len(both)
            print(f"{name}: {pairs} MB; mean growth {growth:+.1f} MB per worker"
                  + (f" (replaced meanwhile: {', '.join(map(str, gone))})" if gone else ""))


def stop(process):
    os.killpg(process.pid, 15)
    process.wait(timeout=30)


def row(name, r):
    return (f"| {name} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} | "
            f"{int(r['s5xx'])} | {int(r['s4xx'])} | {int(r['errors'])} |")


def median_run(runs):
    """Of several rounds of the same run, the one with the median throughput (the machine's
    neighbours make single rounds noisy; rounds of compared runs are interleaved)."""
    return sorted(runs, key=lambda r: r["rps"])[len(runs) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--seconds", type=int, default=60, help="length of the mixed run")
    parser.add_argument("--round-seconds", type=int, default=10, help="length of each round of a single-page run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per single-page run (the median is shown)")
    parser.add_argument("--before", type=Path, metavar="PATH",
                        help="another checkout of KoKoMa (the code before a change): also serve the 100k schema with it")
    parser.add_argument("--memory-requests", type=int, default=50_000,
                        help="requests (varied list and case pages) at 100k between the two readings of each "
                             "worker's memory (0: no memory step)")
    parser.add_argument("--memory-max-seconds", type=int, default=600,
                        help="at most this long per server for those requests")
    parser.add_argument("--memory-paths", type=int, default=20_000,
                        help="different requests the memory step picks from at random (at most 100,000)")
    args = parser.parse_args()
    if not 1 <= args.memory_paths <= 100_000:
        parser.error("--memory-paths: from 1 to 100,000")
    started = time.monotonic()
    if args.before is not None:
        args.before = args.before.resolve()
        if not (args.before / "kokoma" / "__init__.py").is_file():
            parser.error(f"--before {args.before}: no kokoma package there")
        if args.before == ROOT:
            parser.error("--before is this checkout")
    workdir = Path(tempfile.mkdtemp(prefix="kokoma-load-"))
    reset(args.database_url, ("kokoma_1k", "kokoma_100k"))
    small = Site("1k", schema_url(args.database_url, "kokoma_1k"), PORTS["1k"], workdir)
    large = Site("100k", schema_url(args.database_url, "kokoma_100k"), PORTS["100k"], workdir)
    baseline_port = PORTS["baseline"]
    baseline_base = f"http://127.0.0.1:{baseline_port}"
    small.populate(50)
    seconds_100k = large.populate(5000)  # migrated with the current code only
    # The before code on the schema the current code migrated, with the same users.
    old = (Site("100k-before", large.url, PORTS["100k-before"], workdir, code=args.before,
                settings=BEFORE_SETTINGS, like=large) if args.before else None)
    kokomas = [small, large] + ([old] if old else [])
    baseline_command = [sys.executable] + [arg.format(port=baseline_port) for arg in BASELINE]
    print("servers:")
    for site in kokomas:
        print("  " + site.describe())
    print(f"  baseline (port {baseline_port}): cd {ROOT} && PYTHONPATH={ROOT} {' '.join(baseline_command[1:])}")
    print(f"  all KoKoMa servers: {' '.join(f'{k}={v!r}' for k, v in SETTINGS.items())}", flush=True)
    rounds = {}
    memory = {}

    def measure(name, target, users_file, mix):
        rounds.setdefault(name, []).append(wrk_with_cpu(target, users_file, mix, args.round_seconds))

    baseline = None
    try:
        for site in kokomas:
            site.start()
            print(f"  {site.name} imports {site.imports[0]}, templates {site.imports[1]}, "
                  f"migrations {site.imports[2]}", flush=True)
        baseline = serve(baseline_command, large.env, baseline_port)
        small.settle()
        large.settle()
        if old:
            old.settle()
        if args.memory_requests > 0:
            paths = memory_paths(large, args.memory_paths)  # the same requests for every server
            for site in [large] + ([old] if old else []):
                print(f"memory: {args.memory_requests} requests at {site.name}, picked from {len(paths)} "
                      f"(at most {args.memory_max_seconds} s) ...", flush=True)
                memory[site.name] = measure_memory(site, args.memory_requests, args.memory_max_seconds, paths)
        for n in range(args.rounds):
            measure("list 1k", small.base, small.users_file, "list")
            pair = [("list 100k", large), ("list 100k (before)", old)] if old else [("list 100k", large)]
            for name, site in (pair if n % 2 == 0 else pair[::-1]):
                measure(name, site.base, site.users_file, "list")
            measure("baseline 100k", baseline_base, large.users_file, "baseline")
            measure("signed-in baseline 100k", baseline_base, large.users_file, "signed-in")
            measure("layout alone 100k", large.base, large.users_file, "layout")
            cases = [("case page 1k", small), ("case page 100k", large)]  # which goes first alternates
            for name, site in (cases if n % 2 == 0 else cases[::-1]):
                measure(name, site.base, site.users_file, "case")
        for _ in range(args.rounds):
            for site in (small, large):
                site.write_users()  # the cases' states as the last round left them
                measure(f"transition {site.name}", site.base, site.users_file, "transition")

        large.write_users()
        before = large.transition_events()
        mixed = wrk(large.base, large.users_file, "mixed", args.seconds)
        time.sleep(2)  # let requests still in flight when wrk stopped finish
        written = large.transition_events() - before
        # A lost write is a transition answered as done whose event is missing. Requests cut
        # off by wrk at the end may be done without wrk seeing the answer: those are extra.
        lost = max(0, int(mixed["s302"]) - written)
        unseen = max(0, written - int(mixed["s302"]))
    finally:
        for site in kokomas:
            site.stop()
        if baseline is not None:
            stop(baseline)
    with large.app.app_context():
        version = db.session.scalar(text("show server_version"))
        total = db.session.scalar(select(func.count()).select_from(Case))

    results = {name: median_run(runs) for name, runs in rounds.items()}
    results["mixed 100k"] = mixed
    print(f"KoKoMa load run on {platform.platform()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"PostgreSQL {version}; gunicorn {WORKERS} workers x {THREADS} threads; "
          f"wrk {WRK_THREADS} threads x 16 connections, loopback")
    print(f"seeding: {total:,} cases in 20 municipalities in {seconds_100k:.1f} s")
    print(f"single-page runs: median of {args.rounds} interleaved rounds of {args.round_seconds} s; "
          f"mixed run: {args.seconds} s")
    print("\n| run | requests/s | p50 ms | p95 ms | p99 ms | 5xx | 4xx | socket errors | CPU ms/request: server / PostgreSQL |")
    print("|---|---|---|---|---|---|---|---|---|")
    names = ["list 1k", "list 100k"] + (["list 100k (before)"] if old else []) + [
        "baseline 100k", "signed-in baseline 100k", "layout alone 100k", "case page 1k", "case page 100k", "transition 1k", "transition 100k", "mixed 100k"]
    for name in names:
        r = results[name]
        cpu = f" {r['cpu_server']:.2f} / {r['cpu_postgres']:.2f} |" if "cpu_server" in r else " – |"
        print(row(name, r) + cpu)
    print("rounds (requests/s): " + "; ".join(
        f"{name} " + " ".join(f"{r['rps']:.0f}" for r in runs) for name, runs in rounds.items()))
    print(f"\nmixed run: {int(mixed['requests'])} requests in {mixed['seconds']:.0f} s, {int(mixed['s302'])} transitions done, "
          f"{int(mixed['s4xx'])} refused (4xx), lost writes: {lost} "
          f"({unseen} more done whose answer wrk cut off at the end)")
    print(f"list page vs baseline (100k): {results['list 100k']['rps'] / results['baseline 100k']['rps']:.2f} of the baseline's throughput")
    if results["signed-in baseline 100k"]["s4xx"]:
        print("the signed-in baseline refused requests (4xx): its figures below do not count")
    print(f"list page vs signed-in baseline (100k): "
          f"{results['list 100k']['rps'] / results['signed-in baseline 100k']['rps']:.2f}; "
          f"signed-in baseline vs baseline: "
          f"{results['signed-in baseline 100k']['rps'] / results['baseline 100k']['rps']:.2f}")
    layout = results["layout alone 100k"]
    if layout["s2xx"] or layout["s302"] or layout["s5xx"] or layout["other"]:  # a 302: signed out, to the login
        print("the layout alone was not answered with 404 every time: its figures below do not count")
    print(f"layout alone (a signed-in 404 page) vs baseline (100k): {layout['rps'] / results['baseline 100k']['rps']:.2f}; "
          f"list page vs layout alone: {results['list 100k']['rps'] / layout['rps']:.2f}")
    if old:
        # Two readings of each ratio: of the two runs' median rounds (as above), and the median of
        # the ratios within each round, whose two runs were only seconds apart (steadier when a
        # neighbour loads the machine now and then).
        def ratios(name, to):
            per_round = [r["rps"] / b["rps"] for r, b in zip(rounds[name], rounds[to])]
            return (f"{results[name]['rps'] / results[to]['rps']:.2f} (median of the rounds' ratios "
                    f"{sorted(per_round)[len(per_round) // 2]:.2f}; rounds: {' '.join(f'{x:.2f}' for x in per_round)})")

        print(f"list page vs baseline (100k), before: {ratios('list 100k (before)', 'baseline 100k')}")
        print(f"list page vs baseline (100k), after:  {ratios('list 100k', 'baseline 100k')}")
        print(f"list page after / before (100k):      {ratios('list 100k', 'list 100k (before)')}")
    # Under a closed-loop load that saturates both CPUs, the cost of a request is best read from
    # the throughput (CPU time per request); p50 also carries the queueing in front of the workers.
    kinds = [("list", "list"), ("transition", "transition"), ("case page", "case page")]
    print("cost at 100k vs 1k (the issue: at most 1.2x), by throughput: " + ", ".join(
        f"{label} {results[f'{kind} 1k']['rps'] / results[f'{kind} 100k']['rps']:.2f}x" for kind, label in kinds)
        + "; by p50 latency: " + ", ".join(
        f"{label} {results[f'{kind} 100k']['p50'] / results[f'{kind} 1k']['p50']:.2f}x" for kind, label in kinds))
    print_memory(memory, args.memory_paths)
    print(f"\nthe whole run took {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
