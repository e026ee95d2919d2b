"""Partner notification: what a partner is told, and where it may be sent."""
from .addresses import InternalAddress, check_webhook_address
from .message import case_link, event_label, payload

__all__ = ["InternalAddress", "case_link", "check_webhook_address", "event_label", "payload"]
