"""What a black-box probe sends: NUL characters and lone surrogates, ids no column holds,
redirect targets with CR/LF, bodies of a hundred megabytes. Each is refused where it concerns,
with a message, without a 500 and without losing what else was typed; on SQLite and PostgreSQL."""
import io
import tracemalloc

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from kokoma.database import db
from kokoma.models import AdvisorAssignment, Case, CaseEvent, Partner, User
from kokoma.web.admin_forms import LoginForm
from kokoma.web.case_forms import CaseFilterForm, CommentForm

from .conftest import PASSWORD

UNSAVABLE = "entfernt"  # a word of the German message at a field that held unsavable characters


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def login(client, user):
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


# --- 1. NUL characters and lone surrogates -----------------------------------------------------


def test_a_nul_in_the_case_form_is_refused_at_its_field_and_the_rest_is_kept(client, world):
    login(client, world.facilitator)
    response = client.post("/cases/new", data={
        "title": "Streit\x00 am Platz", "category": "public_space", "description": "Seit Wochen Lärm.",
        "location": "Anwohnende", "facilitator_id": str(world.facilitator.id),
    })
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Streit am Platz"' in page and "Seit Wochen Lärm." in page and "Anwohnende" in page
    assert 'id="title-error"' in page and UNSAVABLE in page
    assert count(Case) == 0


@pytest.mark.parametrize("path, field, data", [
    ("comment", "comment-text", {"text": "Ein\x00 Kommentar"}),
    ("measures", "measure-title", {"kind": "mediation", "status": "done", "title": "Runder\x00 Tisch"}),
    ("review", "question", {"question": "Bitte\x00 prüfen"}),
])
def test_a_nul_in_a_form_of_the_case_page_is_refused_at_its_field(client, world, path, field, data):
    case = world.analysed_case()
    login(client, world.facilitator)
    events = count(CaseEvent)
    response = client.post(f"/cases/{case.id}/{path}", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in page and UNSAVABLE in page
    assert next(iter(data.values())).replace("\x00", "") in page  # the rest of the text is kept
    assert count(CaseEvent) == events


def test_a_nul_in_the_login_form_is_refused_at_its_field(client, world):
    response = client.post("/login", data={"email": "fac@mst.example\x00", "password": PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in page and UNSAVABLE in page and 'value="fac@mst.example"' in page


@pytest.mark.parametrize("path, data", [
    ("/admin/users", {"name": "Neue\x00 Person", "email": "neu@mst.example", "role": "facilitator"}),
    ("/partners/new", {"name": "Jugend\x00amt", "email": "ja@mst.example", "kind": "youth_welfare",
                       "min_level": "low"}),
])
def test_a_nul_in_the_coordinators_forms_saves_nothing(client, world, path, data):
    login(client, world.coordinator)
    before = (count(User), count(Partner))
    response = client.post(path, data=data)
    assert response.status_code == 422 and UNSAVABLE in response.get_data(as_text=True)
    assert (count(User), count(Partner)) == before


def test_a_nul_in_the_municipality_form_saves_nothing(client, world):
    login(client, world.admin)
    response = client.post("/admin/municipalities", data={"code": "NEU", "name": "Neu\x00stadt"})
    assert response.status_code == 422 and UNSAVABLE in response.get_data(as_text=True)


def test_a_nul_in_the_list_filters_is_told_in_the_filter_bar(client, world):
    world.case(title="Streit am Bolzplatz")
    login(client, world.facilitator)
    response = client.get("/cases/?q=Bolz%00platz&state=%00")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="q-error"' in page and 'id="state-error"' in page and 'value="Bolzplatz"' in page


def test_every_field_kind_refuses_lone_surrogates_and_nul(ctx):
    """Whatever a server lets through: a lone surrogate has no UTF-8 form and cannot be saved."""
    form = CommentForm(formdata=MultiDict({"text": "Gut\ud800 gemacht"}), meta={"csrf": False})
    assert not form.validate() and form.text.data == "Gut gemacht" and form.text.errors
    form = LoginForm(formdata=MultiDict({"email": "a@b.de", "password": "x\udfff"}), meta={"csrf": False})
    assert not form.validate() and form.password.errors
    form = CaseFilterForm(MultiDict({"per_page": "25\x00", "mine": "y\x00"}))
    form.offer({}, (10, 25), 25)
    assert not form.validate() and form.per_page.errors and form.mine.errors


@pytest.mark.parametrize("url, data", [
    ("/invitation/abc%00def", None),  # reaches the database as the token's hash
    ("/language", {"locale": "de\x00"}),
    ("/cases/?after=1%00", None),
])
def test_a_nul_in_a_parameter_no_form_checks_answers_a_readable_400(client, world, url, data):
    login(client, world.facilitator)
    response = client.post(url, data=data) if data else client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<h1>" in page and "NUL" in page and 'lang="de"' in page


# --- 2. ids beyond what the column holds, and ids that are not numbers ---------------------


@pytest.mark.parametrize("value", ["abc", "-1", "2147483648", "99999999999999999999", "1e3", " 3"])
def test_assigning_with_ids_that_are_not_ids_is_refused_at_the_field(client, world, value):
    case = world.case()
    login(client, world.facilitator)
    response = client.post(f"/cases/{case.id}/assign", data={"facilitator_id": value, "advisor_id": value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="facilitator_id-error"' in page and 'id="advisor_id-error"' in page
    assert page.count("Bitte wählen Sie aus der Liste.") == 2
    assert db.session.get(Case, case.id).facilitator_id == world.facilitator.id


@pytest.mark.parametrize("value", ["abc", "2147483648", "9223372036854775808"])
def test_a_responsible_facilitator_that_is_no_id_is_refused_at_the_field(client, world, value):
    login(client, world.facilitator)
    response = client.post("/cases/new", data={"title": "Streit", "category": "other", "facilitator_id": value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="facilitator_id-error"' in page and "Liste" in page
    assert count(Case) == 0


@pytest.mark.parametrize("value", ["abc", "2147483648", "9223372036854775808"])
def test_the_admins_forms_refuse_ids_that_are_no_ids(client, world, value):
    login(client, world.admin)
    assignments = count(AdvisorAssignment)
    response = client.post("/admin/assignments", data={"advisor_id": value, "municipality_id": value})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="advisor_id-error"' in page and 'id="municipality_id-error"' in page
    assert count(AdvisorAssignment) == assignments
    response = client.post("/admin/users", data={"name": "Neu", "email": "neu@bhn.example", "role": "facilitator",
                                                 "municipality_id": value})
    assert response.status_code == 422 and 'id="municipality_id-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "neu@bhn.example")) is None


@pytest.mark.parametrize("value", ["2147483648", "9223372036854775808", "-5", "0"])
def test_paging_ids_out_of_range_show_the_first_page(client, world, value):
    world.case(title="Der neueste Fall")
    login(client, world.facilitator)
    for parameter in ("after", "before"):
        response = client.get(f"/cases/?{parameter}={value}")
        assert response.status_code == 200 and "Der neueste Fall" in response.get_data(as_text=True)
    client.post("/logout")
    login(client, world.coordinator)
    assert client.get(f"/admin/access-log?after={value}").status_code == 200


@pytest.mark.parametrize("name", ["kind", "endpoint", "_method", "_anchor", "_scheme", "_external", "values"])
def test_query_arguments_named_like_url_for_s_own_are_not_carried_into_links(client, world, name):
    """Only a filter form's own fields are kept in the paging and export links: an argument named
    like one of url_for's (``kind``, ``endpoint``, ``_anchor``…) neither clashes nor bends a link."""
    case = world.case(title="Der neueste Fall")
    login(client, world.facilitator)
    page = client.get(f"/cases/?state=analysis&{name}=javascript&mine=y")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Der neueste Fall" in html
    export = html.split('href="/cases/export.csv')[1].split('"')[0]
    assert "state=analysis" in export and "mine=y" in export and "javascript" not in export
    client.post("/logout")
    login(client, world.coordinator)
    trail = client.get(f"/admin/access-log?case={case.reference}&{name}=javascript")
    html = trail.get_data(as_text=True)
    assert trail.status_code == 200
    export = html.split('href="/admin/access-log.csv')[1].split('"')[0]
    assert f"case={case.reference}" in export and "javascript" not in export


@pytest.mark.parametrize("until", ["9999-12-31", "0001-01-01"])
def test_the_trail_until_the_first_or_last_day_there_is_answers(client, world, until):
    case = world.case()
    login(client, world.coordinator)
    client.get(f"/cases/{case.id}")  # an entry of today
    for path in ("/admin/access-log", "/admin/access-log.csv"):
        response = client.get(f"{path}?until={until}")
        assert response.status_code == 200
        entries = response.get_data(as_text=True).split("<tbody>")[-1]  # (the case field's example is a reference)
        assert (case.reference in entries) == (until == "9999-12-31")


# --- 3. redirect targets -----------------------------------------------------------------------

UNSAFE_TARGETS = ["/x\r\nSet-Cookie: a=b", "/x\nLocation: https://evil.example", "/\\evil.example",
                  "/\\\\evil.example", "/\tevil", "/a//evil.example", "/\x7f", "/\x85x", "/\u202eevil"]
SAFE_TARGET = "/cases/?q=Bahnhof&state=analysis"


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_an_unsafe_target_after_login_leads_to_the_start_page(client, world, target):
    def log_in(next_target):
        return client.post("/login", query_string={"next": next_target},
                           data={"email": world.facilitator.email, "password": PASSWORD})

    response = log_in(target)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    client.post("/logout")
    assert log_in(SAFE_TARGET).headers["Location"] == SAFE_TARGET


@pytest.mark.parametrize("target", UNSAFE_TARGETS)
def test_an_unsafe_target_after_choosing_a_language_leads_to_the_start_page(client, world, target):
    response = client.post("/language", data={"locale": "en", "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.post("/language", data={"locale": "de", "next": SAFE_TARGET}).headers["Location"] == SAFE_TARGET


# --- 4. bodies larger than any form ------------------------------------------------------------


class Body(io.RawIOBase):
    """A request body of ``size`` bytes made while it is read, counting what was read."""

    def __init__(self, size: int):
        self.size, self.left, self.read_bytes = size, size, 0

    def readable(self):
        return True

    def seekable(self):
        return True  # the test client measures the body by seeking to its end and back

    def seek(self, offset, whence=io.SEEK_SET):
        self.left = self.size - (offset if whence == io.SEEK_SET else self.size + offset)
        return self.tell()

    def tell(self):
        return self.size - self.left

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = b"x" * n
        self.left -= n
        self.read_bytes += n
        return n


@pytest.mark.parametrize("announced", [True, False], ids=["content-length", "chunked"])
def test_a_huge_body_is_refused_with_413_before_it_is_read(app, client, announced):
    def send(body):
        return client.post(
            "/login", input_stream=body, content_type="application/x-www-form-urlencoded",
            environ_overrides={} if announced else {"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True},
        )

    assert send(Body(2 * 1024 * 1024)).status_code == 413  # templates compiled, catalogues loaded
    body = Body(20 * 1024 * 1024)
    tracemalloc.start()
    try:
        response = send(body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 413
    assert "Zu viel auf einmal" in response.get_data(as_text=True)
    assert body.read_bytes <= app.config["MAX_CONTENT_LENGTH"] + 64 * 1024
    assert peak < 4 * app.config["MAX_CONTENT_LENGTH"], f"the request took {peak / 2**20:.1f} MiB"


def test_a_form_of_too_many_fields_is_refused_with_413_and_the_largest_real_form_fits(app, client, world):
    many = "&".join(f"f{n}=" for n in range(app.config["MAX_FORM_PARTS"] + 1))
    response = client.post("/login", data=many, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    # a case with every text at its longest, in four-byte characters, is still taken
    login(client, world.facilitator)
    response = client.post("/cases/new", data={
        "title": "🙂" * 200, "category": "other", "description": "🙂" * 20000, "location": "🙂" * 200,
    })
    assert response.status_code == 302 and count(Case) == 1


def test_a_multipart_field_beyond_the_form_memory_size_is_refused_with_413(app, client):
    text = "x" * (app.config["MAX_FORM_MEMORY_SIZE"] + 1)
    response = client.post("/login", data={"email": text, "password": "x"}, content_type="multipart/form-data")
    assert response.status_code == 413
