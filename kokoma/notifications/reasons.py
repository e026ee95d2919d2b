"""Why a delivery was skipped or failed, in words a coordinator understands (the technical error
stays beside it), and the channels by name."""
from ..i18n import Label as _l

CHANNEL_NAMES = {
    "email": _l("E-mail"),
    "webhook": _l("Webhook"),
}

# (part of the recorded error, what it means), the first that matches
FAILURES = (
    ("InternalAddress", _l("the webhook address points into an internal network, which is not allowed")),
    ("WebhookRefused", _l("the partner's system refused the message")),
    ("SMTPRecipientsRefused", _l("the mail server refused the partner's address")),
    ("SMTPAuthenticationError", _l("the mail server refused KoKoMa's login")),
    ("SSL", _l("the secure connection failed (certificate)")),
    ("ConnectionRefused", _l("the server could not be reached")),
    ("timed out", _l("the server did not answer in time")),
    ("Timeout", _l("the server did not answer in time")),
    ("gaierror", _l("the server's name could not be found")),
    ("URLError", _l("the server could not be reached")),
    ("OSError", _l("the server could not be reached")),
)


def channel_name(channel: str):
    """A channel in words: the built-in ones by what they are, a plugin's by the name it declares."""
    return CHANNEL_NAMES.get(channel, channel)


def reason(delivery, partner):
    """Why ``delivery`` did not arrive (or None when it did, or waits for its first try)."""
    if delivery.status == "skipped":
        if delivery.channel == "email":
            return _l("no mail server configured") if partner.email else _l("the partner has no e-mail address")
        if delivery.channel == "webhook":
            return _l("the partner has no webhook address")
        return _l("the channel has no address for this partner")
    if not delivery.last_error:
        return None
    for marker, meaning in FAILURES:
        if marker in delivery.last_error:
            return meaning
    return _l("the channel reported an error")
