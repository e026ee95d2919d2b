"""German first, every string translatable, the catalogue complete.

After adding or changing a UI string: run ``scripts/update_translations.sh`` and translate the new,
empty entries in the German catalogue; the first test below lists them.
"""
import gettext
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from kokoma.database import utcnow

from .conftest import PASSWORD

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "kokoma" / "translations"
PO = TRANSLATIONS / "de" / "LC_MESSAGES" / "messages.po"
# The keywords of scripts/update_translations.sh: pybabel's defaults (_, gettext, ngettext, ...)
# plus the lazy variants.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def read_catalog():
    with PO.open("rb") as f:
        return read_po(f, locale="de")


def extracted_messages() -> dict[tuple[str, str | None], str]:
    """(msgid, context) -> where it was found, extracted the way babel.cfg says."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        found.setdefault((msgid, context), f"{filename}:{lineno}")
    return found


def test_extraction_reaches_python_templates_and_mail():
    """Guards the next test against passing on an empty extraction (a broken babel.cfg)."""
    msgids = {msgid for msgid, _context in extracted_messages()}
    assert {"Hardening", "Log a conflict", "Hello %(name)s,"} <= msgids  # domain.py, base.html, mail
    assert len(msgids) > 200


def test_every_message_has_a_german_translation():
    catalog = read_catalog()
    missing = []
    for (msgid, context), where in sorted(extracted_messages().items(), key=lambda item: item[1]):
        entry = catalog.get(msgid, context=context)
        strings = entry.string if entry and isinstance(entry.string, tuple) else (entry and entry.string,)
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(f"{where}: {msgid!r}" + (" (fuzzy)" if entry is not None and entry.fuzzy else ""))
    assert not missing, (
        f"{len(missing)} message(s) without a German translation; run scripts/update_translations.sh "
        f"and translate them in {PO.relative_to(ROOT)}:\n" + "\n".join(missing)
    )


def test_translations_keep_the_placeholders():
    wrong = []
    for entry in read_catalog():
        if not entry.id:
            continue
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        for string in strings:
            if string and set(PLACEHOLDER.findall(string)) != expected:
                wrong.append(f"{ids[0]!r} -> {string!r}")
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_catalogue_compiles_and_translates(tmp_path):
    from kokoma.catalogs import compile_catalogs, stale_catalogs

    po = tmp_path / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    shutil.copy(PO, po)
    assert compile_catalogs(tmp_path) == [po.with_suffix(".mo")]
    assert stale_catalogs(tmp_path) == []
    with po.with_suffix(".mo").open("rb") as f:
        translations = gettext.GNUTranslations(f)
    for entry in read_catalog():
        if entry.id and entry.string and not (entry.fuzzy or entry.pluralizable or entry.context):
            assert translations.gettext(entry.id) == entry.string
    assert translations.gettext("Cases") == "Fälle"


BRAND = "KoKoMa"  # a name, the same in every language
ALLOWED_WORDS = re.compile(r"\b(?:%s)\b" % "|".join(map(re.escape, [BRAND])))
READ_ATTRIBUTES = re.compile(
    r"""\b(placeholder|title|aria-label|alt)\s*=\s*(?:"([^"]*)"|'([^']*)')""", flags=re.I
)


def strip_jinja(text: str) -> str:
    text = re.sub(r"\{#.*?#\}", " ", text, flags=re.S)
    return re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)


def visible_text(template: str) -> list[str]:
    """What a reader would see of a template that did not come from a Jinja expression."""
    text = strip_jinja(template)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = re.sub(r"<(script|style)\b.*?</\1\s*>", " ", text, flags=re.S | re.I)
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"&(?:[A-Za-z][A-Za-z0-9]*|#\d+|#[xX][0-9a-fA-F]+);", " ", text)
    chunks = (chunk.strip() for chunk in re.split(r"\s{2,}|\n", text))
    return [c for c in chunks if re.search(r"[^\W\d_]", ALLOWED_WORDS.sub("", c))]


def literal_attributes(template: str) -> list[str]:
    """Attribute values people read (placeholder, title, aria-label, alt) with literal text."""
    found = []
    for m in READ_ATTRIBUTES.finditer(template):
        value = m.group(2) if m.group(2) is not None else m.group(3)
        if re.search(r"[^\W\d_]", strip_jinja(value)):
            found.append(f'{m.group(1)}="{value}"')
    return found


def test_the_template_checks_catch_unmarked_text():
    """The detectors themselves: they must see plain text and leave marked text alone."""
    assert visible_text("<p>Save</p>") == ["Save"]
    assert visible_text('<p>{{ _("Save") }}</p><!-- note --><style>p { color: red }</style>') == []
    assert visible_text("<title>{% block t %}{% endblock %} – KoKoMa</title> &ndash; &#8211; {# x #}") == []
    assert visible_text("<p>KoKoMa hilft</p>") == ["KoKoMa hilft"]
    assert literal_attributes('<nav aria-label="Pages">') == ['aria-label="Pages"']
    assert literal_attributes("<input placeholder='Name {{ x }}'>") == ["placeholder=\"Name {{ x }}\""]
    assert literal_attributes('<nav aria-label="{{ _(\'Pages\') }}">') == []


def test_templates_have_no_unmarked_text():
    offenders = {}
    templates = sorted(p for p in (ROOT / "templates").rglob("*") if p.suffix in {".html", ".txt"})
    assert templates
    for path in templates:
        source = path.read_text(encoding="utf-8")
        found = visible_text(source) + literal_attributes(source)
        if found:
            offenders[str(path.relative_to(ROOT))] = found
    assert not offenders, "text not marked for translation (wrap it in {{ _(\"...\") }}):\n" + "\n".join(
        f"{path}: {texts}" for path, texts in offenders.items()
    )


def test_fields_declared_in_python_hold_no_untranslated_text():
    """A field's placeholder, title or aria label is read by a person, and the template check
    cannot see fields declared in Python: each must be a translatable string."""
    import importlib
    import inspect

    from flask_babel.speaklater import LazyString
    from wtforms import Form
    from wtforms.fields.core import UnboundField

    plain = []
    for path in sorted((ROOT / "kokoma" / "web").glob("*forms.py")):
        module = importlib.import_module(f"kokoma.web.{path.stem}")
        forms = [value for value in vars(module).values() if inspect.isclass(value) and issubclass(value, Form)]
        assert forms or path.name == "forms.py", path
        for form in forms:
            for name, field in inspect.getmembers(form, lambda value: isinstance(value, UnboundField)):
                shown = (field.kwargs.get("render_kw") or {}).items()
                plain += [f"{form.__name__}.{name}: {key}={value!r}" for key, value in shown
                          if key in {"placeholder", "title", "aria-label"} and not isinstance(value, LazyString)]
    assert plain == []


def test_a_date_field_and_an_example_reference_are_shown_in_the_readers_terms(client, auth, world):
    """The format a date field takes, in the page's language; the example of a reference on the
    access trail is one of the reader's own municipality."""
    auth.login()
    assert 'placeholder="JJJJ-MM-TT"' in client.get("/cases/new").get_data(as_text=True)
    assert 'placeholder="YYYY-MM-DD"' in client.get("/cases/new", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    auth.logout()
    auth.login("coord@mst.example")
    trail = client.get("/admin/access-log").get_data(as_text=True)
    assert f'placeholder="MST-{utcnow().year}-0001"' in trail and 'placeholder="JJJJ-MM-TT"' in trail


def test_german_is_the_default_and_english_follows_the_browser(client, auth, world):
    auth.login()
    german = client.get("/cases/").get_data(as_text=True)
    assert 'lang="de"' in german and ">Fälle<" in german and "Konflikt erfassen" in german
    assert ">Cases<" not in german
    for header in ("en", "en-GB,en;q=0.9"):
        english = client.get("/cases/", headers={"Accept-Language": header}).get_data(as_text=True)
        assert 'lang="en"' in english and ">Cases<" in english and "Log a conflict" in english, header
        assert "Fälle" not in english and "Konflikt erfassen" not in english, header


@pytest.mark.parametrize("header", ["fr-FR,fr;q=0.9", "de-DE,de;q=0.9,en;q=0.5"])
def test_other_browsers_get_german(client, auth, world, header):
    auth.login()
    page = client.get("/cases/", headers={"Accept-Language": header}).get_data(as_text=True)
    assert 'lang="de"' in page and ">Fälle<" in page


def test_the_chosen_language_wins_over_the_browser_and_is_kept_on_the_account(client, auth, world):
    auth.login()
    response = client.post("/language", data={"locale": "en", "next": "/cases/"})
    assert response.status_code == 302 and response.headers["Location"] == "/cases/"
    page = client.get("/cases/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert 'lang="en"' in page and ">Cases<" in page
    assert 'lang="de">Deutsch</button>' in page
    from kokoma.database import db
    from kokoma.models import User

    assert db.session.get(User, world.facilitator.id).locale == "en"
    client.post("/logout")
    other = client.application.test_client()
    other.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert ">Cases<" in other.get("/cases/").get_data(as_text=True)  # another device, same choice


def test_the_language_chosen_on_the_login_page_is_kept_after_login_and_on_the_account(client, world):
    from kokoma.database import db
    from kokoma.models import User

    client.post("/language", data={"locale": "en", "next": "/login"})
    assert ">Log in<" in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert ">Cases<" in client.get("/cases/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, world.facilitator.id).locale == "en"
    other = client.application.test_client()  # another device, no choice on its login page
    other.post("/login", data={"email": world.facilitator.email, "password": PASSWORD})
    assert ">Cases<" in other.get("/cases/", headers={"Accept-Language": "de"}).get_data(as_text=True)


def test_an_unknown_language_is_refused(client):
    assert client.post("/language", data={"locale": "xx"}).status_code == 400


def test_plurals_follow_the_language(client, world):
    from kokoma.services import reviews

    first = world.analysed_case()
    reviews.request_review(world.facilitator, first.id, "Eins")
    client.post("/login", data={"email": world.advisor.email, "password": PASSWORD})
    assert "1 Einschätzung wartet auf Sie." in client.get("/reviews/").get_data(as_text=True)
    reviews.request_review(world.facilitator, world.analysed_case(title="Zwei").id, "Zwei")
    assert "2 Einschätzungen warten auf Sie." in client.get("/reviews/").get_data(as_text=True)
    english = client.get("/reviews/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "2 reviews are waiting for you." in english


def test_dates_follow_the_language(client, auth, world):
    case = world.case()
    auth.login()
    german = client.get(f"/cases/{case.id}").get_data(as_text=True)
    english = client.get(f"/cases/{case.id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r"\d{2}\.\d{2}\.\d{2}, \d{2}:\d{2}", german)  # 25.11.26, 06:22
    assert re.search(r"\d{1,2}/\d{1,2}/\d{2}, \d{1,2}:\d{2}\s?[AP]M", english)  # 11/25/26, 6:22 AM


@pytest.mark.parametrize("code", ["de", "en", "fr", "ja", "ar", "fa", "en_GB"])
@pytest.mark.parametrize("width", ["short", "medium", "long"])
def test_page_dates_are_babels_dates(code, width):
    """The page's date format (one pattern joined from the locale's date and time patterns, a
    str.format template where it has numbers only) writes what Babel's format_datetime writes, in
    any locale, width and time zone, across the year."""
    from datetime import datetime, timedelta, timezone
    from zoneinfo import ZoneInfo

    from babel import Locale
    from babel.dates import format_datetime

    from kokoma.web.labels import DateTimeFormat

    locale = Locale.parse(code)
    if width == "short" and code in ("de", "en"):  # the page's languages write numbers only: one call a value
        assert DateTimeFormat(locale, timezone.utc, width).template is not None
    for zone_name in ("Europe/Berlin", "America/New_York", "Asia/Kolkata"):
        zone = ZoneInfo(zone_name)
        page_format = DateTimeFormat(locale, zone, width)
        for step in range(0, 60):
            value = datetime(2026, 1, 1, tzinfo=timezone.utc) + timedelta(hours=149 * step, minutes=7 * step)
            assert page_format(value) == format_datetime(value, width, tzinfo=zone, locale=locale)


def test_numbers_follow_the_language(app):
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("de"):
            assert render_template_string("{{ 1234567|number }}") == "1.234.567"
        with force_locale("en"):
            assert render_template_string("{{ 1234567|number }}") == "1,234,567"


def test_the_overview_counts_in_the_language_of_the_page(client, auth, world):
    world.case(glasl_stage=8, violence_reported=True)
    auth.login()
    german = client.get("/overview/").get_data(as_text=True)
    english = client.get("/overview/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Wo die Fälle stehen" in german and "0 erbetene Einschätzungen warten auf Antwort." in german
    assert "Where the cases stand" in english and "0 review requests are waiting for an answer." in english
