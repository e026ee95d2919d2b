"""Default channel: a signed JSON POST to the partner's webhook URL (see docs/notifications.md)."""
import hashlib
import hmac
import json
import time
import urllib.request

from flask import current_app

from ..plugin_host import hookimpl
from .partner_message import payload

SIGNATURE_HEADER = "X-KoKoMa-Signature"
TIMESTAMP_HEADER = "X-KoKoMa-Timestamp"


class WebhookRefused(RuntimeError):
    pass


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``"<timestamp>." + body`` under the partner's secret."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


@hookimpl
def kokoma_notify_partners(case, event, partners, delivery):
    targets = [p for p in partners if p.webhook_url]
    if not targets:
        return False
    for partner in targets:
        body = json.dumps(payload(case, event, partner, delivery), ensure_ascii=False, sort_keys=True).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(partner.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "KoKoMa-Webhook/1",
            "X-KoKoMa-Idempotency-Key": delivery.idempotency_key,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(partner.webhook_secret, timestamp, body),
        })
        with urllib.request.urlopen(request, timeout=current_app.config["WEBHOOK_TIMEOUT"]) as response:
            if not 200 <= response.status < 300:
                raise WebhookRefused(f"{partner.webhook_url} answered {response.status}")
    return True
