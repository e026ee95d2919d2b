"""Where webhooks may be sent. A coordinator types the address; without this check they could
make KoKoMa call services inside the network it runs in (server-side request forgery). Checked
when a partner is saved and again before each call (the name may point elsewhere by then).
``WEBHOOK_ALLOW_INTERNAL = True`` allows internal addresses, for a partner system in the same
network."""
import ipaddress
import socket
from urllib.parse import urlsplit


class InternalAddress(ValueError):
    """The webhook's host is, or resolves to, an address that is not on the public internet."""


def check_webhook_address(url: str, allow_internal: bool) -> None:
    """Raise :class:`InternalAddress` if ``url`` leads into a loopback, private, link-local or
    otherwise non-public network; ``OSError`` if its host cannot be resolved."""
    if allow_internal:
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_, sockaddr in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
        address = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not address.is_global:
            raise InternalAddress(f"{parts.hostname} resolves to {address}, which is not a public address")
