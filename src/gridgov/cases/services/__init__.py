"""Every write to a case: its intake (intake.py takes reports in) and one `<verb>_case` service per
lifecycle verb, each guarding (who may: permissions.py → 403; from which state: the FSM → 409),
acting through the model's transition method, saving, and writing its typed CaseEvent row in the
same transaction; notifications go out on commit (notifications.py).

Concurrency: every service re-reads the case under a row lock (`SELECT … FOR UPDATE`; SQLite
serialises writers at BEGIN IMMEDIATE), so of two people acting at once the second sees the new
state and gets a 409 listing what it may do now. A client that sends the `version` it last saw
gets a 409 when the case changed since; `ConcurrentTransitionMixin` backs both up at save time.
"""

from gridgov.cases import permissions  # registers the rules
from gridgov.cases.catalogue import dispatch_targets
from gridgov.cases.services.base import (
    CLOSING_KINDS,
    lock_case,
    record,
    sync_step,
)
from gridgov.cases.services.closing import (
    callback_case,
    close_case,
    reopen_case,
    resident_callback,
    transfer_case,
    verify_case,
)
from gridgov.cases.services.control import (
    comment_case,
    decide_extension,
    escalate_case,
    request_extension,
    supervise_case,
    urge_case,
)
from gridgov.cases.services.flow import (
    CoHandler,
    accept_case,
    classify_case,
    dispatch_case,
    feedback_case,
    handle_case,
    merge_case,
    register_case,
    reject_case,
    return_case,
)
from gridgov.cases.workflow import VERBS, allowed_actions

__all__ = [
    "VERBS",
    "CLOSING_KINDS",
    "CoHandler",
    "accept_case",
    "allowed_actions",
    "callback_case",
    "classify_case",
    "close_case",
    "comment_case",
    "decide_extension",
    "dispatch_case",
    "dispatch_targets",
    "escalate_case",
    "feedback_case",
    "handle_case",
    "lock_case",
    "merge_case",
    "permissions",
    "record",
    "register_case",
    "reject_case",
    "reopen_case",
    "resident_callback",
    "request_extension",
    "return_case",
    "supervise_case",
    "sync_step",
    "transfer_case",
    "urge_case",
    "verify_case",
]
