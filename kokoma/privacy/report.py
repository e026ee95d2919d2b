"""The documents a data protection officer needs, filled from the instance's real settings: the
record of processing activities (Art. 30 GDPR, Verzeichnis von Verarbeitungstätigkeiten) and the
technical and organisational measures (Art. 32). The templates are docs/privacy/*.md (Jinja);
what they are filled with is :func:`facts`: nothing of any case's content, only settings, counts
and names of the municipalities, partners and staff roles."""
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import func, select

from .. import domain
from ..config import resource_dir
from ..database import db, utcnow
from ..i18n import translate
from ..models import AdvisorAssignment, Case, Municipality, Partner, User
from ..runtime import kokoma
from ..services import attachment_crypto, partners, pseudonyms, retention
from ..services.permissions import PERMISSIONS
from .backup import attachments_path

DOCUMENTS = {
    "verzeichnis-verarbeitungstaetigkeiten.md": "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)",
    "technische-organisatorische-massnahmen.md": "Technische und organisatorische Maßnahmen (Art. 32 DSGVO)",
}
# What a partner's notification holds (kokoma.notifications.message.payload), always and with
# share_details.
ALWAYS_SHARED = ("Aktenzeichen", "Themenfeld", "Stand", "Eskalationsstufe", "Art und Zeit des Ereignisses",
                 "Link zum Fall (nur für Angemeldete)", "Name der Kommune")
DETAILS_SHARED = ("Titel", "Beschreibung", "Beteiligte und betroffene Gruppen (Namen der Akteure der Konfliktanalyse)")


@dataclass
class PartnerFacts:
    name: str
    kind: str
    channels: list[str]
    events: str
    categories: str
    min_level: str
    receives: list[str]


@dataclass
class MunicipalityFacts:
    code: str
    name: str
    cases: int
    anonymised: int
    staff: dict[str, int]
    advisors: list[str]
    anonymise_after_days: int | None
    delete_after_days: int | None
    pseudonyms: bool = False  # advisors and partners read persons as pseudonyms (services.pseudonyms)
    partners: list[PartnerFacts] = field(default_factory=list)


def _german(label) -> str:
    from flask_babel import force_locale, get_translations

    with force_locale("de"):
        return translate(label, get_translations())


def facts(app: Flask, municipality_code: str | None = None) -> dict:
    """Everything the documents say about this instance, read from its configuration and database."""
    config = app.config
    url = db.engine.url
    municipalities = db.session.scalars(
        select(Municipality).where(Municipality.code == municipality_code) if municipality_code
        else select(Municipality).order_by(Municipality.name)
    ).all()
    events = partners.subscribable_events(kokoma().workflow)
    rows = []
    for municipality in municipalities:
        count = lambda *where: db.session.scalar(  # noqa: E731
            select(func.count()).select_from(Case).where(Case.municipality_id == municipality.id, *where))
        staff = dict(db.session.execute(
            select(User.role, func.count()).where(User.municipality_id == municipality.id, User.active.is_(True))
            .group_by(User.role)).all())
        advisors = db.session.scalars(
            select(User.name).join(AdvisorAssignment, AdvisorAssignment.advisor_id == User.id)
            .where(AdvisorAssignment.municipality_id == municipality.id).order_by(User.name)).all()
        policy = retention.policy_of(municipality.id)
        facts_of = MunicipalityFacts(
            municipality.code, municipality.name, count(), count(Case.anonymised_at.is_not(None)),
            {_german(domain.ROLES[role]): n for role, n in staff.items()}, list(advisors),
            policy.anonymise_after_days, policy.delete_after_days, pseudonyms.enabled_for(municipality.id),
        )
        for partner in db.session.scalars(select(Partner).where(Partner.municipality_id == municipality.id,
                                                                Partner.active.is_(True)).order_by(Partner.name)):
            channels = [name for name, present in (("E-Mail", partner.email), ("Webhook", partner.webhook_url)) if present]
            facts_of.partners.append(PartnerFacts(
                partner.name, _german(domain.PARTNER_KINDS.get(partner.kind, partner.kind)), channels,
                ", ".join(_german(events.get(e, e)) for e in partner.events) or "alle",
                ", ".join(_german(domain.CATEGORIES.get(c, c)) for c in partner.categories) or "alle",
                _german(domain.LEVELS.get(partner.min_level, partner.min_level)),
                list(ALWAYS_SHARED) + (list(DETAILS_SHARED) if partner.share_details else []),
            ))
        rows.append(facts_of)
    return {
        "generated_at": utcnow().strftime("%d.%m.%Y %H:%M UTC"),
        "base_url": config["BASE_URL"],
        "municipalities": rows,
        "categories": [_german(label) for label in domain.CATEGORIES.values()],
        "analysis_parts": [_german(label) for label in domain.ANALYSIS_PARTS.values()],
        "measure_kinds": [_german(label) for label in domain.MEASURE_KINDS.values()],
        "roles": [(_german(domain.ROLES[role]), sorted(action for action, roles in PERMISSIONS.items() if role in roles))
                  for role in domain.ROLES],
        "database": {"kind": "PostgreSQL" if url.get_backend_name() == "postgresql" else "SQLite",
                     "where": (f"{url.host or 'lokaler Socket'}:{url.port or 5432}/{url.database}"
                               if url.get_backend_name() == "postgresql" else str(url.database))},
        "attachments_path": str(attachments_path(app)),
        "attachment_key": ("Konfiguration (ATTACHMENT_KEYS)" if attachment_crypto.configured_keys(app) is not None
                           else str(attachment_crypto.key_file(app))),
        "instance_path": app.instance_path,
        "mail_server": (f"{config['MAIL_SERVER']}:{config['MAIL_PORT']} ({config['MAIL_SECURITY']})"
                        if config.get("MAIL_SERVER") else None),
        "webhooks_internal": bool(config["WEBHOOK_ALLOW_INTERNAL"]),
        "access_trail_days": config["ACCESS_TRAIL_RETENTION_DAYS"],
        "session_idle_hours": config["LOGIN_SESSION_IDLE_TIMEOUT"] / 3600,
        "session_max_hours": config["LOGIN_SESSION_MAX_AGE"] / 3600,
        "login_limit": config["LOGIN_RATE_LIMIT"],
        "cookies_https_only": bool(config["SESSION_COOKIE_SECURE"]),
        "trusted_proxies": config["TRUSTED_PROXIES"],
        "plugins": [name for name, _hooks in kokoma().plugins.listing()],
    }


def render(app: Flask, municipality_code: str | None = None) -> dict[str, str]:
    """The filled documents by file name."""
    environment = Environment(loader=FileSystemLoader(resource_dir("docs/privacy")), undefined=StrictUndefined,
                              keep_trailing_newline=True, autoescape=False)  # Markdown, not HTML
    context = facts(app, municipality_code)
    return {name: environment.get_template(name).render(**context) for name in DOCUMENTS}


def write(app: Flask, folder: Path, municipality_code: str | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render(app, municipality_code).items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
