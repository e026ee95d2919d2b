"""Default channel: e-mail through the configured SMTP server, German text from a template."""
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..database import utcnow
from ..domain import CATEGORIES, LEVELS
from ..notifications import case_link, details, event_label
from ..i18n import Label as _label
from ..plugin_api import Plugin
from ..plugin_host import hookimpl
from ..runtime import kokoma

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.email",
    description=_label("E-mail to partners through the configured mail server."),
    channel="email",
)


@hookimpl
def kokoma_notify_partners(case, event, partners, delivery):
    config = current_app.config
    recipients = [p for p in partners if p.email]
    if not recipients or not config["MAIL_SERVER"]:
        return False  # skipped: no address, or no mail server configured (KOKOMA_MAIL_SERVER)
    with connect(config) as smtp:
        for partner in recipients:
            smtp.send_message(_message(case, event, partner, delivery, config))
    return True


def _message(case, event, partner, delivery, config) -> EmailMessage:
    workflow = kokoma().workflow
    with force_locale(config["BABEL_DEFAULT_LOCALE"]):
        what = event_label(event, workflow)
        body = render_template(
            "mail/notification.txt", case=case, partner=partner, what=what, link=case_link(case, delivery),
            details=details(case) if partner.share_details else None,
            CATEGORIES=CATEGORIES, LEVELS=LEVELS, state_label=workflow.state_label,
        )
        subject = _("[KoKoMa] %(reference)s: %(what)s", reference=case.reference, what=what)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_SENDER"]
    message["To"] = partner.email
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id(delivery, partner, config)
    message["X-KoKoMa-Idempotency-Key"] = delivery.idempotency_key
    message.set_content(body)
    return message


def message_id(delivery, partner, config) -> str:
    """``<idempotency key>.<partner id>@<the sender's domain>``: the same on every attempt of a
    delivery, so that a mail system can drop a duplicate (docs/notifications.md)."""
    domain = config["MAIL_SENDER"].rpartition("@")[2].strip(" >") or "kokoma"
    return f"<{delivery.idempotency_key}.{partner.id}@{domain}>"


def connect(config):
    """An SMTP connection as the settings say (also used by the daily digest)."""
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    security = config["MAIL_SECURITY"]
    # The server's certificate is checked against the system's CAs, or MAIL_CA_FILE (a mail
    # server of the municipality with a certificate of its own CA).
    context = ssl.create_default_context(cafile=config["MAIL_CA_FILE"])
    if security == "ssl":
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
        if security == "starttls":
            smtp.starttls(context=context)
    if config["MAIL_USERNAME"]:
        smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
    return smtp
