from .definition import StateDef, TransitionDef, TransitionRequest, WorkflowDefinition, WorkflowError
from .engine import TransitionBlocked, TriggerOption, WorkflowEngine

__all__ = [
    "StateDef",
    "TransitionBlocked",
    "TransitionDef",
    "TransitionRequest",
    "TriggerOption",
    "WorkflowDefinition",
    "WorkflowEngine",
    "WorkflowError",
]
