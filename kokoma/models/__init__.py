"""Data only: the rules that act on it live in kokoma.services."""
from .access_trail import CaseAccess
from .assignment import AdvisorAssignment
from .attachment import Attachment
from .case import Case
from .event import CaseEvent
from .login_count import LoginCount
from .login_session import LoginSession
from .municipality import Municipality
from .delivery import Delivery
from .partner import Partner
from .review import Review
from .search import CaseCount, CaseSearch
from .study import CaseStudy
from .submission import Submission
from .user import User

__all__ = [
    "AdvisorAssignment",
    "Attachment",
    "Case",
    "CaseAccess",
    "CaseCount",
    "CaseEvent",
    "CaseSearch",
    "CaseStudy",
    "Delivery",
    "LoginCount",
    "LoginSession",
    "Municipality",
    "Partner",
    "Review",
    "Submission",
    "User",
]
