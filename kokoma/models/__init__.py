"""Data only: the rules that act on it live in kokoma.services."""
from .access_trail import CaseAccess
from .analysis import (
    ActorRelation, AnalysisActor, AnalysisResource, CaseAnalysis, DisputeIssue, GlaslAssessment, GroupHearing,
    HistoryEntry,
)
from .assignment import AdvisorAssignment
from .attachment import Attachment
from .case import Case
from .event import CaseEvent
from .login_count import LoginCount
from .login_session import LoginSession
from .municipality import Municipality
from .delivery import Delivery
from .digest import DigestMail
from .follow_up import FollowUp
from .measure import Measure
from .partner import Partner
from .referral import Referral
from .plugin_choice import PluginChoice
from .pseudonym import PersonName, PseudonymLift, PseudonymSetting
from .retention import DailyJob, PersonRequest, RetentionRun, RetentionSetting
from .review import Review
from .score_point import ScorePoint
from .search import CaseCount, CaseSearch
from .study import CaseStudy
from .submission import Submission
from .user import User

__all__ = [
    "ActorRelation",
    "AnalysisActor",
    "AnalysisResource",
    "CaseAnalysis",
    "DisputeIssue",
    "GlaslAssessment",
    "GroupHearing",
    "HistoryEntry",
    "Referral",
    "ScorePoint",
    "AdvisorAssignment",
    "Attachment",
    "Case",
    "CaseAccess",
    "CaseCount",
    "CaseEvent",
    "CaseSearch",
    "CaseStudy",
    "DailyJob",
    "Delivery",
    "DigestMail",
    "FollowUp",
    "Measure",
    "LoginCount",
    "LoginSession",
    "Municipality",
    "Partner",
    "PluginChoice",
    "PersonRequest",
    "PersonName",
    "PseudonymLift",
    "PseudonymSetting",
    "RetentionRun",
    "RetentionSetting",
    "Review",
    "Submission",
    "User",
]
