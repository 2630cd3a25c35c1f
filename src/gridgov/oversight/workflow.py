"""The lifecycles of oversight as tables (STYLE "Lifecycles": one verb, one row): appeals,
bulletin recipients and joint enforcement actions. Rows of core's `Verb` (label, permission,
the states it applies to, the state it leads to), asked by core's one `allowed_actions` loop.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from gridgov.core import workflow
from gridgov.core.workflow import Verb
from gridgov.oversight.models import Appeal, AppealState, JointActionState, RecipientState

A = AppealState
# seed 000/002: 月底依据日常记录进行公开公平考核; an appeal is raised by the assessed unit, then
# reviewed and decided by the office, and accepted corrections are published again.
APPEAL_VERBS: dict[str, Verb] = {
    "review": Verb(_("受理审核"), "oversight.review_appeal", frozenset({A.RAISED}), A.REVIEWING),
    "accept": Verb(_("采纳更正"), "oversight.review_appeal", frozenset({A.REVIEWING}), A.ACCEPTED),
    "refuse": Verb(_("驳回"), "oversight.review_appeal", frozenset({A.REVIEWING}), A.REFUSED),
}
R = RecipientState
# seed 000: a bulletin names the departments concerned; each signs for it, then reports back.
BULLETIN_VERBS: dict[str, Verb] = {
    "acknowledge": Verb(
        _("签收"), "oversight.act_on_bulletin", frozenset({R.SENT}), R.ACKNOWLEDGED
    ),
    "report": Verb(
        _("反馈落实情况"), "oversight.act_on_bulletin", frozenset({R.ACKNOWLEDGED}), R.REPORTED
    ),
}
J = JointActionState
# seed 002: a town applies to the county platform for concentrated enforcement; the county
# approves, plans (date, place, departments, people) and records the result.
JOINT_ACTION_VERBS: dict[str, Verb] = {
    "approve": Verb(
        _("批准"), "oversight.decide_joint_action", frozenset({J.REQUESTED}), J.APPROVED
    ),
    "refuse": Verb(
        _("不予批准"), "oversight.decide_joint_action", frozenset({J.REQUESTED}), J.REFUSED
    ),
    "plan": Verb(_("部署"), "oversight.run_joint_action", frozenset({J.APPROVED}), J.PLANNED),
    "complete": Verb(_("登记结果"), "oversight.run_joint_action", frozenset({J.PLANNED}), J.DONE),
}


def joint_action_actions(action: Any, user: Any) -> list[str]:
    """The verbs `user` may take on a (visible) joint action now."""
    return workflow.allowed_actions(JOINT_ACTION_VERBS, action, user)


RAISE_PERM = "oversight.raise_appeal"
PUBLISH_PERM = "oversight.publish_run"


def allowed_actions(appeal: Appeal, user: Any) -> list[str]:
    """The verbs `user` may take on the appeal now (the same rules as the services' `require`)."""
    return workflow.allowed_actions(APPEAL_VERBS, appeal, user)


def bulletin_actions(recipient: Any, user: Any) -> list[str]:
    """The verbs `user` may take on a bulletin's recipient row now."""
    return workflow.allowed_actions(BULLETIN_VERBS, recipient, user)
