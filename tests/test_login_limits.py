"""Failed logins under parallel attempts and over a sliding window: the edge of a window does
not double a limit, and the window before weighs less the further it lies back
(kokoma/services/login_limits.py; accounts and sessions are in test_accounts.py).

Where a test sets the clock of the count (``login_limits.utcnow``), so that an attempt lands at
a known second of a window, everything else, the database included, is real."""
import itertools
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.serving import make_server

from kokoma.services import login_limits

from .conftest import World

WRONG = "falsch falsch"
EDGE = datetime(2026, 12, 2, 19, 0, tzinfo=timezone.utc)  # the start of a minute and of an hour


@pytest.fixture
def clock(monkeypatch):
    """The count's clock: ``clock.at = …`` sets the time the next attempts are counted at."""

    class Clock:
        at = EDGE

    monkeypatch.setattr(login_limits, "utcnow", lambda: Clock.at)
    return Clock


@pytest.fixture
def client(make_app):
    """A client of an app that allows 4 failed logins per minute."""
    app = make_app(LOGIN_RATE_LIMIT="4 per minute")
    with app.test_request_context():
        World()
    return app.test_client()


def attempt(client):
    answer = client.post("/login", data={"email": "fac@mst.example", "password": WRONG})
    return answer.status_code, answer.headers.get("Retry-After")


def wrong_logins_at_once(app, count: int) -> list[tuple[int, str | None]]:
    """``count`` threads send a wrong password at the same moment to ``app``, served on loopback:
    the (status, Retry-After) of each answer."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/login"
    body = urllib.parse.urlencode({"email": "fac@mst.example", "password": WRONG}).encode()
    start = threading.Barrier(count)
    answers = []

    def send():
        start.wait()
        try:
            urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=60)
        except urllib.error.HTTPError as answer:
            answers.append((answer.code, answer.headers.get("Retry-After")))

    threads = [threading.Thread(target=send) for _ in range(count)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
    finally:
        server.shutdown()
        server.server_close()
    assert len(answers) == count
    return answers


def test_parallel_wrong_logins_get_no_further_than_the_limit(make_app):
    """At most the limit reach the password check, the others are answered 429 with Retry-After."""
    app = make_app(LOGIN_RATE_LIMIT="5 per minute")
    with app.test_request_context():
        World()
    answers = wrong_logins_at_once(app, 20)
    assert sorted(code for code, _ in answers) == [422] * 5 + [429] * 15
    assert all(retry_after and int(retry_after) > 0 for code, retry_after in answers if code == 429)


def test_the_edge_of_a_window_does_not_let_the_limit_through_twice(client, clock):
    clock.at = EDGE - timedelta(seconds=1)
    assert [attempt(client)[0] for _ in range(4)] == [422] * 4
    clock.at = EDGE + timedelta(seconds=1)  # a new minute: the last one still weighs 59/60
    code, retry_after = attempt(client)
    assert code == 429
    assert int(retry_after) == 14  # until the minute before weighs 3/4: 4 * 3/4 + 1 = 4
    clock.at = EDGE + timedelta(seconds=14)
    assert attempt(client)[0] == 429
    clock.at = EDGE + timedelta(seconds=15)
    assert attempt(client)[0] == 422
    assert attempt(client)[0] == 429


def test_the_window_before_weighs_by_how_much_of_it_is_still_inside(client, clock):
    clock.at = EDGE + timedelta(seconds=10)
    assert [attempt(client)[0] for _ in range(4)] == [422] * 4
    clock.at = EDGE + timedelta(seconds=90)  # half way through the next minute: 4 * 1/2 = 2
    assert [attempt(client)[0] for _ in range(3)] == [422, 422, 429]
    clock.at = EDGE + timedelta(seconds=240)  # two minutes after the last count's: none counts
    assert [attempt(client)[0] for _ in range(5)] == [422] * 4 + [429]


def test_when_this_window_alone_is_used_up_the_wait_reaches_into_the_next(client, clock):
    clock.at = EDGE + timedelta(seconds=30)
    assert [attempt(client)[0] for _ in range(4)] == [422] * 4
    code, retry_after = attempt(client)
    # 30 s to the end of the minute, then 15 s until 4 * 3/4 + 1 fits.
    assert (code, int(retry_after)) == (429, 45)
    clock.at = EDGE + timedelta(seconds=30 + 44)
    assert attempt(client)[0] == 429
    clock.at = EDGE + timedelta(seconds=30 + 45)
    assert attempt(client)[0] == 422


def test_a_login_gives_its_place_back_also_after_its_window_has_passed(app, clock):
    """The place is taken in one minute; the password check ends in the next."""
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    with app.test_request_context():
        World()
        clock.at = EDGE - timedelta(seconds=1)
        place = login_limits.take_place("203.0.113.5", "fac@mst.example")
        clock.at = EDGE + timedelta(seconds=1)
        login_limits.take_place("203.0.113.5", "fac@mst.example")  # rolls the row on
        login_limits.give_back(place)
        login_limits.take_place("203.0.113.5", "fac@mst.example")  # 0 + 2 fits only with it back
        with pytest.raises(login_limits.LoginLimited):
            login_limits.take_place("203.0.113.5", "fac@mst.example")


def test_parallel_wrong_logins_at_the_edge_of_a_minute_get_no_further_than_the_limit(make_app, monkeypatch):
    """4 wrong logins in the last second of a minute, then 16 threads at the same moment against a
    served app, half of them still in that minute by their clock, half in the next: one more
    reaches the password check, not a new minute's worth."""
    sides = itertools.cycle([EDGE - timedelta(milliseconds=1), EDGE + timedelta(milliseconds=1)])
    lock, request_clock = threading.Lock(), threading.local()

    def per_request():  # each request is served in a thread of its own
        if not hasattr(request_clock, "at"):
            with lock:
                request_clock.at = next(sides)
        return request_clock.at

    app = make_app(LOGIN_RATE_LIMIT="5 per minute")
    with app.test_request_context():
        World()
    monkeypatch.setattr(login_limits, "utcnow", lambda: EDGE - timedelta(seconds=1))
    assert [attempt(app.test_client())[0] for _ in range(4)] == [422] * 4
    monkeypatch.setattr(login_limits, "utcnow", per_request)
    assert sorted(code for code, _ in wrong_logins_at_once(app, 16)) == [422] + [429] * 15
