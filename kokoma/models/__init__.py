"""Data only: the rules that act on it live in kokoma.services."""
from .access_trail import CaseAccess
from .assignment import AdvisorAssignment
from .case import Case
from .event import CaseEvent
from .login_count import LoginCount
from .login_session import LoginSession
from .municipality import Municipality
from .delivery import Delivery
from .partner import Partner
from .retention import DailyJob, PersonRequest, RetentionRun, RetentionSetting
from .review import Review
from .submission import Submission
from .user import User

__all__ = [
    "AdvisorAssignment",
    "Case",
    "CaseAccess",
    "CaseEvent",
    "DailyJob",
    "Delivery",
    "LoginCount",
    "LoginSession",
    "Municipality",
    "Partner",
    "PersonRequest",
    "RetentionRun",
    "RetentionSetting",
    "Review",
    "Submission",
    "User",
]
