"""Hostile values in every form and query parameter of every route, as every role.

The URL map is walked, so a new route is covered without touching this test. What a route takes
is learnt from the app itself: the forms its pages render (their fields and values, posted to the
route of their ``action``), the query parameters of its links, and the field names of the WTForms
form classes. Hypothesis then sends each route, as a facilitator, coordinator, advisor, admin or
nobody, those parameters with hostile values in their place (NUL, lone surrogates sent as the
bytes a client can send, huge numbers and strings, CR/LF, HTML, negative and non-numeric ids, ids
of another municipality's objects) and checks after every answer:

- no 5xx;
- nothing half-saved: every case has its "created" event and its version counts its changes,
  every review its events, every one-time token its answer;
- no data of a municipality the person may not see (markers of its seeded cases, partners and
  people) in any answer, and no redirect to another host.
"""
import html
import io
import os
import re
import zipfile
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.exceptions import HTTPException

from kokoma.database import db
from kokoma.models import AdvisorAssignment, Case, CaseEvent, Delivery, Partner, Review, Submission, User
from kokoma.services import access_trail, reviews
from kokoma.services.permissions import CASE_WORKERS
from kokoma.web.forms import field_names, form_classes

from .conftest import PASSWORD, World

ROLES = ("facilitator", "coordinator", "advisor", "admin", "anonymous")
# What the black-box probe sent first: each goes into each field of each form in turn.
CLASSIC = ("x\x00y", "/x\r\nSet-Cookie: kokoma=1", "/\\evil.example", "9223372036854775808", "abc")
EXAMPLES = 600  # with the sweep, 30 to 45 s on two cores (SQLite, PostgreSQL)
CHANGES = ("edited", "transition", "assigned", "analysis_changed")  # the events that change a case's row (its version)

HOSTILE = st.one_of(
    st.sampled_from([
        "\x00", "Kommentar\x00mit NUL", "\ud800", "Text mit \udfff allein", "\r\n", "Zeile\r\nSet-Cookie: a=b",
        "/x\r\nLocation: https://evil.example", "//evil.example", "/\\evil.example", "https://evil.example/",
        "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' OR '1'='1", "%00", "%0d%0a",
        "-1", "0", "2147483647", "2147483648", "9223372036854775808", "1" * 40, "1e309", "NaN", "١٢", "0x1F",
        "abc", "", " ", "y", "analysis", "processing", "closed", "facilitator", "admin", "de", "en",
    ]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=20),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=5),
    st.integers(min_value=1, max_value=40).map(lambda n: "Ä" * (n * 1000)),  # beyond every Length(max=...)
)


@pytest.fixture
def probe_world(make_app):
    """Musterstadt and Beispielhausen with a case, a review, a partner and a delivery each, and
    people the roles may act on without changing the roles themselves."""
    # one case a page, so that the list's pages link to each other (and the probe learns how);
    # the example plugin adds a field to the case form
    app = make_app(LOGIN_RATE_LIMIT="100000 per minute", CASES_PER_PAGE=1, CASES_PER_PAGE_CHOICES=(1, 10),
                   PLUGINS_DIR=str(Path(__file__).resolve().parent.parent / "plugins"))
    with app.test_request_context():
        world = World()
        people = {m.id: [world.user(f"opfer@{m.code.lower()}.example", "facilitator", m, f"Opfer {m.code}")]
                  for m in (world.musterstadt, world.other)}
        spare = world.user("spare@spi.example", "advisor", None, "Spare Advisor")
        objects = {"case_id": [], "review_id": [], "partner_id": [], "delivery_id": [],
                   "user_id": [p.id for group in people.values() for p in group], "assignment_id": []}
        markers = {}
        for municipality, author in ((world.musterstadt, world.facilitator), (world.other, world.outsider)):
            world.case(user=author, title=f"Zweiter Fall {municipality.code}")
            case = world.analysed_case(user=author, title=f"Geheimer Fall {municipality.code} Marker")
            reviews.request_review(author, case.id, f"Geheime Frage {municipality.code}")
            partner = Partner(municipality_id=municipality.id, name=f"Geheimer Partner {municipality.code}",
                              email=f"partner@{municipality.code.lower()}.example")
            db.session.add(partner)
            db.session.flush()
            event_id = db.session.scalar(select(CaseEvent.id).where(CaseEvent.case_id == case.id))
            delivery = Delivery(event_id=event_id, case_id=case.id, municipality_id=municipality.id,
                                partner_id=partner.id, channel="email",
                                idempotency_key=f"{municipality.code}-probe".ljust(32, "k"), status="failed")
            assignment = AdvisorAssignment(advisor_id=spare.id, municipality_id=municipality.id)
            db.session.add_all([delivery, assignment])
            db.session.commit()
            objects["case_id"].append(case.id)
            objects["review_id"].append(db.session.scalar(select(Review.id).where(Review.case_id == case.id)))
            objects["partner_id"].append(partner.id)
            objects["delivery_id"].append(delivery.id)
            objects["assignment_id"].append(assignment.id)
            workers = [u for u in (world.facilitator, world.coordinator, world.outsider, *people[municipality.id])
                       if u.municipality_id == municipality.id]
            for _ in range(51):  # more than a page of the access trail
                access_trail.record_view(author, case)
            markers[municipality.id] = {
                "cases": [case.title, case.reference, f"Geheime Frage {municipality.code}", partner.name],
                "people": [text for u in workers for text in (u.name, u.email)],
            }
    return app, world, objects, markers


def text_of(response) -> str:
    """What a response shows, as text: pages and CSV as they are, the text of an XLSX's sheets and
    of a PDF's pages (exports and the case report are checked for leaks like pages)."""
    body = response.get_data()
    if response.mimetype == "application/pdf":
        from pypdf import PdfReader

        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    if response.mimetype.startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml"))
    return body.decode("utf-8", "replace")


class Prober:
    """A logged-in client per role, what the app's pages say each route takes, and the checks."""

    def __init__(self, app, world, objects, markers):
        self.app, self.world, self.objects, self.markers = app, world, objects, markers
        self.clients = {role: app.test_client() for role in ROLES}
        for role in ROLES[:-1]:
            self.login(role)
        self.routes = [(rule, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
                       for method in ("GET", "POST") if method in rule.methods]
        # role -> (route, method) -> the fields and values of the form sent there, as the role's
        # own pages show it (what another role's page shows would be that role's data)
        self.forms = {role: {} for role in ROLES}
        self.learn_from_pages()
        self.fields_of = {}  # (route, method) -> the names of its form's fields, on anyone's page
        for forms in self.forms.values():
            for route, fields in forms.items():
                self.fields_of.setdefault(route, set()).update(fields)
        self.names = sorted({*(name for names in self.fields_of.values() for name in names),
                             *(name for form_class in form_classes() for name in field_names(form_class))})
        self.tried, self.requests = set(), 0

    def login(self, role):
        user = getattr(self.world, role)
        response = self.clients[role].post("/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, f"{role} cannot log in"

    def real_ids(self, rule) -> dict:
        return {name: str(self.objects.get(name, [1])[0]) for _converter, name in parameters(rule)}

    def url(self, rule, ids: dict) -> str:
        path = rule.rule
        for converter, name in parameters(rule):
            placeholder = f"<{converter}:{name}>" if converter else f"<{name}>"
            path = path.replace(placeholder, quote(ids[name].encode("utf-8", "surrogatepass"), safe=""))
        return path

    def learn_from_pages(self):
        """Every GET page as every role, with real ids: its forms (fields and values, by the route
        they are sent to) and the query parameters of its links (sent to the page's own route)."""
        adapter = self.app.url_map.bind("localhost")
        for role in ROLES:
            for rule, method in self.routes:
                if method != "GET":
                    continue
                url = self.url(rule, self.real_ids(rule))
                page = text_of(self.clients[role].get(url))
                for attrs, body in re.findall(r"<form([^>]*)>(.*?)</form>", page, re.S):
                    sent_with = "POST" if 'method="post"' in attrs else "GET"
                    action = re.search(r'action="([^"]*)"', attrs)
                    try:
                        target, _args = adapter.match(urlsplit(action[1] if action else url).path, method=sent_with,
                                                      return_rule=True)
                    except HTTPException:  # a form sent elsewhere
                        continue
                    self.forms[role].setdefault((target.rule, sent_with), {}).update(form_fields(body))
                for link in re.findall(r'href="([^"?]*)\?([^"]+)"', page):
                    self.learn_link(role, adapter, *link)

    def learn_link(self, role, adapter, path, query, hops=1):
        """A link's query arguments, for the route it leads to; and those of the page it leads to
        (a list's second page links back, with other arguments than the first)."""
        try:
            target, _args = adapter.match(path, method="GET", return_rule=True)
        except HTTPException:
            return
        names = dict.fromkeys(re.findall(r"(?:^|&amp;|&)(\w+)=", query), "")
        known = self.forms[role].setdefault((target.rule, "GET"), {})
        if not set(names) - set(known):
            return
        known.update(names)
        if hops:
            page = text_of(self.clients[role].get(f"{path}?{html.unescape(query)}"))
            for link in re.findall(r'href="([^"?]*)\?([^"]+)"', page):
                self.learn_link(role, adapter, *link, hops=hops - 1)

    def send(self, role, rule, method, ids, values):
        """``values`` in place of what the role's page would send (query and form alike)."""
        known = self.forms[role].get((rule.rule, method)) or dict.fromkeys(self.fields_of.get((rule.rule, method), ()), "")
        fields = {**known, **values}
        encoded = urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in fields.items()])
        url = self.url(rule, ids)
        self.tried.add((rule.rule, method))
        self.requests += 1
        if method == "GET":
            return url, self.clients[role].get(f"{url}?{encoded}")
        return url, self.clients[role].post(url, data=encoded, content_type="application/x-www-form-urlencoded")

    def visible(self, role) -> tuple[set, set]:
        """The municipalities whose cases, and whose people, ``role`` may see now."""
        if role == "anonymous":
            return set(), set()
        user = db.session.get(User, getattr(self.world, role).id)
        if user.role in CASE_WORKERS:
            return {user.municipality_id}, {user.municipality_id}
        assigned = set(db.session.scalars(
            select(AdvisorAssignment.municipality_id).where(AdvisorAssignment.advisor_id == user.id)))
        return assigned, set(self.markers) if user.role == "admin" else assigned

    def check(self, role, method, url, response):
        what = f"{role} {method} {url}"
        assert response.status_code < 500, f"{what} answered {response.status_code}"
        location = response.headers.get("Location", "")
        assert not location or urlsplit(location).netloc in ("", "localhost"), f"{what} sent to {location}"
        page = text_of(response)
        db.session.expire_all()
        cases_seen, people_seen = self.visible(role)
        for municipality_id, kinds in self.markers.items():
            for kind, seen in (("cases", cases_seen), ("people", people_seen)):
                if municipality_id not in seen:
                    leaked = [marker for marker in kinds[kind] if marker in page]
                    assert not leaked, f"{what} showed {leaked} of another municipality"
        assert_consistent(what)
        if role != "anonymous" and (url == "/logout" or "/login" in location):
            self.login(role)  # logged out by the probe: back in for the next request

    def sweep(self):
        """Every route as every role, each field of the role's form in turn with each of the
        classic probes (the others as the page has them); without a form, every field at once."""
        for rule, method in self.routes:
            ids = self.real_ids(rule)
            for role in ROLES:
                form = self.forms[role].get((rule.rule, method))
                if form:
                    attempts = [{name: value} for name in form for value in CLASSIC]
                else:  # no such form on the role's pages: the fields of anyone's, all at once
                    attempts = [dict.fromkeys(self.fields_of.get((rule.rule, method), ()), CLASSIC[0])]
                for values in attempts:
                    self.check(role, method, *self.send(role, rule, method, ids, values))


def assert_consistent(what):
    """Nothing half-saved: every change came with its event, and every event with its change."""
    cases = db.session.execute(select(Case.id, Case.version)).all()
    created = dict(db.session.execute(
        select(CaseEvent.case_id, func.count()).where(CaseEvent.kind == "created").group_by(CaseEvent.case_id)).all())
    changes = dict(db.session.execute(
        select(CaseEvent.case_id, func.count()).where(CaseEvent.kind.in_(CHANGES)).group_by(CaseEvent.case_id)).all())
    for case_id, version in cases:
        assert created.get(case_id) == 1, f"after {what}: case {case_id} has {created.get(case_id)} created events"
        assert version == 1 + changes.get(case_id, 0), f"after {what}: case {case_id} changed without its event"
    requested = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "review_requested"))
    given = db.session.scalar(select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "review_given"))
    assert db.session.scalar(select(func.count()).select_from(Review)) == requested, f"after {what}: reviews"
    assert db.session.scalar(select(func.count()).select_from(Review).where(Review.given_at.is_not(None))) == given
    assert not db.session.scalar(select(func.count()).select_from(Submission).where(Submission.url == "")), \
        f"after {what}: a one-time token without its answer"


def parameters(rule) -> list[tuple[str, str]]:
    """(converter, name) of each variable part of a rule, e.g. ("int", "case_id")."""
    return re.findall(r"<(?:(\w+):)?(\w+)>", rule.rule)


def form_fields(body: str) -> dict:
    """The names and values a form would send as it is rendered (a select its chosen option)."""
    fields = {}
    controls = r"<(?:input|button)([^>]*)>|<select([^>]*)>(.*?)</select>|<textarea([^>]*)>(.*?)</textarea>"
    for single, select, options, textarea, text in re.findall(controls, body, re.S):
        name = re.search(r'name="([^"]+)"', single or select or textarea)
        if not name:
            continue
        if select:
            chosen = re.search(r'<option selected value="([^"]*)"', options) or re.search(r'value="([^"]*)"', options)
            value = chosen[1] if chosen else ""
        elif textarea:
            value = text
        else:
            given_value = re.search(r'value="([^"]*)"', single)
            value = given_value[1] if given_value else ""
        fields[name[1]] = html.unescape(value)
    return fields


@pytest.fixture
def prober(probe_world):
    return Prober(*probe_world)


def test_hostile_values_in_every_parameter_of_every_route_as_every_role(prober):
    app = prober.app
    started = time.monotonic()
    with app.test_request_context():
        prober.sweep()
    swept = time.monotonic() - started

    # In CI the examples are the same every run (a submission's CI must not fail by chance);
    # locally each run draws new ones, which is how the probe keeps finding what is left.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def probe(data):
        role = data.draw(st.sampled_from(ROLES), label="role")
        rule, method = data.draw(st.sampled_from(prober.routes), label="route")
        ids = {name: data.draw(st.one_of(
            st.sampled_from([str(i) for i in prober.objects.get(name, [1])]),
            st.sampled_from(["0", "2147483647", "2147483648", "9223372036854775808", "1" * 30]),
            st.integers(min_value=0, max_value=2**80).map(str) if converter == "int" else HOSTILE,
        ), label=name) for converter, name in parameters(rule)}
        own = sorted(prober.fields_of.get((rule.rule, method), ())) or prober.names
        names = st.one_of(st.sampled_from(own), st.sampled_from(prober.names))
        values = data.draw(st.dictionaries(names, HOSTILE, max_size=4), label="values")
        prober.check(role, method, *prober.send(role, rule, method, ids, values))

    with app.test_request_context():
        probe()
    untried = {(rule.rule, method) for rule, method in prober.routes} - prober.tried
    assert not untried, f"never probed: {sorted(untried)}"
    print(f"\nswept {len(prober.tried)} routes ({prober.requests} requests) in {swept:.1f} s, then {EXAMPLES} "
          f"examples until {time.monotonic() - started:.1f} s")
