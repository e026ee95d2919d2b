"""Default channel: a signed JSON POST to the partner's webhook URL (see docs/notifications.md)."""
import hashlib
import hmac
import json
import time
import urllib.request

from flask import current_app

from ..notifications import check_webhook_address, payload
from ..i18n import Label as _label
from ..plugin_api import Plugin
from ..plugin_host import hookimpl

KOKOMA_PLUGIN = Plugin(
    name="kokoma.defaults.webhook",
    description=_label("Signed JSON messages to partners' webhook addresses."),
    channel="webhook",
)


SIGNATURE_HEADER = "X-KoKoMa-Signature"
TIMESTAMP_HEADER = "X-KoKoMa-Timestamp"


class WebhookRefused(RuntimeError):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is not followed (it could lead to an internal address): it fails the delivery."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>." + body`` under the partner's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@hookimpl
def kokoma_notify_partners(case, event, partners, delivery):
    targets = [p for p in partners if p.webhook_url]
    if not targets:
        return False
    allow_internal = current_app.config["WEBHOOK_ALLOW_INTERNAL"]
    for partner in targets:
        check_webhook_address(partner.webhook_url, allow_internal)  # raises: the delivery fails, with why
        body = json.dumps(payload(case, event, partner, delivery), ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(partner.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "KoKoMa-Webhook/1",
            "X-KoKoMa-Idempotency-Key": delivery.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(partner.webhook_secret, timestamp, body),
        })
        with _OPENER.open(request, timeout=current_app.config["WEBHOOK_TIMEOUT"]) as response:
            if not 200 <= response.status < 300:
                raise WebhookRefused(f"{partner.webhook_url} answered {response.status}")
    return True
