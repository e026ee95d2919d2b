"""A case's analysis as pages, guards and plugins read it (:class:`Analysis`).

Each part is read on first use, in one query, so a page costs the same statements for 2 actors
or 30, and a plugin that reads one part does not pay for the others. Reading only: the changes
are kokoma.services.analysis's.
"""
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..database import db
from ..models import (
    ActorRelation, AnalysisActor, AnalysisResource, CaseAnalysis, DisputeIssue, GlaslAssessment, GroupHearing,
    HistoryEntry,
)

THREAT_ORDER = ("none", "low", "elevated", "high")
MIN_ACTORS = 2
TANDEM_GAP = 2  # stages between the two sides of the tandem that the case points out


class Analysis:
    """The analysis of ``case``: lists of its parts (``actors``, ``relations``, ``issues``,
    ``history``, ``hearings``, ``resources``, ``assessments``), ``extra`` (the plugin fields)
    and what follows from them (``complete``, ``missing``, ``tandem_gap``, ``highest_threat``)."""

    def __init__(self, case):
        self.case = case

    def _rows(self, model, *order, options=()):
        """The part's rows, and after them those the change in progress is about to write (the
        score reads them without flushing the case, which would count as a change of its own)."""
        if self.case.id is None:  # a case being logged has no analysis yet
            return []
        rows = db.session.scalars(
            select(model).options(*options).where(model.case_id == self.case.id).order_by(*order, model.id)
        ).all()
        return rows + [item for item in db.session.new if isinstance(item, model) and item.case_id == self.case.id]

    @cached_property
    def actors(self) -> list[AnalysisActor]:
        return self._rows(AnalysisActor)

    @cached_property
    def relations(self) -> list[ActorRelation]:
        return self._rows(ActorRelation)

    @cached_property
    def issues(self) -> list[DisputeIssue]:
        return self._rows(DisputeIssue)

    @cached_property
    def history(self) -> list[HistoryEntry]:
        return self._rows(HistoryEntry, HistoryEntry.happened_on)

    @cached_property
    def hearings(self) -> list[GroupHearing]:
        return self._rows(GroupHearing, GroupHearing.held_on)

    @cached_property
    def resources(self) -> list[AnalysisResource]:
        return self._rows(AnalysisResource)

    @cached_property
    def assessments(self) -> list[GlaslAssessment]:
        """Every Glasl assessment, oldest first, with who made it."""
        return self._rows(GlaslAssessment, options=(joinedload(GlaslAssessment.assessed_by),))

    @cached_property
    def record(self) -> CaseAnalysis | None:
        return db.session.get(CaseAnalysis, self.case.id) if self.case.id is not None else None

    @property
    def extra(self) -> dict:
        """Values of the plugins' analysis fields (kokoma_analysis_fields), by field name."""
        return dict(self.record.extra or {}) if self.record else {}

    # --- what follows ------------------------------------------------------------------------

    @cached_property
    def actor_names(self) -> dict[int, str]:
        return {actor.id: actor.name for actor in self.actors}

    @property
    def affected_groups(self) -> list[AnalysisActor]:
        return [actor for actor in self.actors if actor.affected]

    @property
    def flagged_actors(self) -> list[AnalysisActor]:
        """Actors flagged openly anti-democratic and unwilling to talk: where multi-partiality ends."""
        return [actor for actor in self.actors if actor.anti_democratic]

    @cached_property
    def heard_actor_ids(self) -> set[int]:
        return {hearing.actor_id for hearing in self.hearings}

    def not_heard(self) -> list[AnalysisActor]:
        """Affected groups without a hearing (with or without a reason why)."""
        return [actor for actor in self.affected_groups if actor.id not in self.heard_actor_ids]

    @property
    def highest_threat(self) -> str:
        """The highest threat assessment of the groups heard ("none" without hearings)."""
        return max((h.threat for h in self.hearings), key=THREAT_ORDER.index, default="none")

    def latest(self, side: str) -> GlaslAssessment | None:
        """The latest assessment of one side of the tandem ("facilitator" or "advisor")."""
        return next((a for a in reversed(self.assessments) if a.side == side), None)

    @property
    def tandem_gap(self) -> int | None:
        """How many stages the latest assessments of the two sides lie apart (None unless both assessed)."""
        own, advisor = self.latest("facilitator"), self.latest("advisor")
        return abs(own.stage - advisor.stage) if own and advisor else None

    @property
    def tandem_disagrees(self) -> bool:
        return (self.tandem_gap or 0) >= TANDEM_GAP

    def missing(self) -> list[str]:
        """What the analysis still lacks to be complete, in words (empty when complete)."""
        missing = []
        if len(self.actors) < MIN_ACTORS:
            missing.append(_("at least two actors"))
        if not self.issues:
            missing.append(_("at least one issue in dispute"))
        if not self.assessments:
            missing.append(_("a Glasl assessment"))
        unheard = [actor.name for actor in self.not_heard() if not actor.not_heard_reason.strip()]
        if unheard:
            missing.append(_("a hearing of the affected groups, or why not yet: %(groups)s",
                             groups=", ".join(unheard)))
        return missing

    @property
    def complete(self) -> bool:
        return not self.missing()


def analysis_of(case) -> Analysis:
    return Analysis(case)
