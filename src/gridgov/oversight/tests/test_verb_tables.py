"""Oversight's verb tables (oversight/workflow.py) are rows of core's `Verb` whose permissions
are registered and whose states are the model's (issue 8: one verb, one row)."""

from __future__ import annotations

import pytest
import rules

from gridgov.core.workflow import Verb
from gridgov.oversight.models import AppealState, JointActionState, RecipientState
from gridgov.oversight.workflow import APPEAL_VERBS, BULLETIN_VERBS, JOINT_ACTION_VERBS

TABLES = [
    (APPEAL_VERBS, AppealState),
    (BULLETIN_VERBS, RecipientState),
    (JOINT_ACTION_VERBS, JointActionState),
]


@pytest.mark.parametrize(("table", "states"), TABLES)
def test_every_row_is_a_core_verb_with_a_registered_permission_and_real_states(table, states):
    for name, verb in table.items():
        assert isinstance(verb, Verb), name
        assert rules.perm_exists(verb.perm), f"{name}: {verb.perm} is not registered"
        assert verb.states <= set(states.values), name
        assert verb.target in states.values, name
        assert verb.target not in verb.states, f"{name} leads nowhere"
