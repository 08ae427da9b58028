"""Every write to a request goes through here, one module per stage of its lifecycle.

Each action is keyword-only, takes the acting user (None for a resident without an account), runs
in one transaction, and raises lib.errors.ActionError with a Chinese message when a rule forbids it.
A status change is a guarded update on (id, version, status) plus an immutable TicketEvent row
(core.apply); what each step does is declared in lifecycle.STEPS.

    intake.py       ticket_create (one typed Intake, every channel), ticket_create_many (imports)
    routing.py      accept, reject, merge, resolve on the spot, dispatch, redispatch, return, escalate, correct
    place.py        更正地点: set the place of a request 位置待核实 (or a wrong one)
    handling.py     sign, progress, suspend, resume, resolve; notes from meetings; the case book mark
    callback.py     the callback: closed, or rework
    applications.py 退单, 延期, 缓办: applied for by the unit, decided by the level above
    supervision.py  督办单, 催办, and what the deadline sweep writes
    privacy.py      the reporter as a viewer sees them; erasing personal data after retention
"""

from minqing.lib.errors import ActionError, Conflict, Forbidden

from .applications import (
    application_decide,
    can_request_extension,
    extension_request,
    forwarded_to_platform,
    may_decide,
    return_apply,
    suspend_apply,
)
from .callback import ticket_callback, ticket_evaluate, ticket_recheck
from .handling import (
    ticket_add_progress,
    ticket_contact,
    ticket_mark_exemplary,
    ticket_note,
    ticket_resolve,
    ticket_resume,
    ticket_resume_planned,
    ticket_review,
    ticket_sign,
)
from .intake import Intake, IntakeCache, ticket_create, ticket_create_many, urgency_hits
from .parts import Assist, part_allowed, part_mark_overdue, part_rate, part_step, ticket_summon
from .place import ticket_relocate
from .privacy import reporter_shown, tickets_erase_personal_data
from .routing import (
    dispatch_targets,
    ticket_accept,
    ticket_correct,
    ticket_dispatch,
    ticket_escalate,
    ticket_merge,
    ticket_redispatch,
    ticket_reject,
    ticket_resolve_on_spot,
)
from .supervision import (
    supervision_issue,
    supervision_mark_overdue,
    supervision_reply,
    ticket_mark_overdue,
    ticket_remind,
    ticket_set_external_due,
)

__all__ = [
    "ActionError", "Assist", "Conflict", "part_allowed", "part_mark_overdue", "part_rate", "part_step", "ticket_summon", "Forbidden", "Intake", "IntakeCache", "application_decide", "can_request_extension",
    "dispatch_targets", "extension_request", "forwarded_to_platform", "may_decide", "return_apply", "suspend_apply", "ticket_resume_planned", "ticket_review", "reporter_shown", "supervision_issue", "supervision_mark_overdue",
    "supervision_reply", "ticket_accept", "ticket_add_progress", "ticket_callback", "ticket_contact", "ticket_evaluate", "ticket_recheck", "ticket_create",
    "ticket_correct", "ticket_create_many", "ticket_dispatch", "ticket_escalate", "ticket_mark_exemplary", "ticket_mark_overdue",
    "ticket_merge", "ticket_note", "ticket_redispatch", "ticket_reject", "ticket_relocate", "ticket_remind", "ticket_resolve",
    "ticket_resolve_on_spot", "ticket_resume", "ticket_set_external_due", "ticket_sign",
    "tickets_erase_personal_data", "urgency_hits",
]
