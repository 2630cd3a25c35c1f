"""The back-tracing task's verb table (hotline/workflow.py) agrees with the permissions, the
states and the API's `/backtrace/{id}/<verb>` (issue 8: one verb, one row)."""

from __future__ import annotations

import rules

from gridgov.core.workflow import Verb
from gridgov.hotline.models import BacktraceState
from gridgov.hotline.workflow import VERBS


def test_every_row_is_a_core_verb_with_a_registered_permission_and_real_states():
    for name, verb in VERBS.items():
        assert isinstance(verb, Verb), name
        assert rules.perm_exists(verb.perm), f"{name}: {verb.perm} is not registered"
        assert verb.states <= set(BacktraceState.values), name
        assert verb.target in BacktraceState.values, name
        assert verb.target not in verb.states, f"{name} leads nowhere"


def test_the_api_refuses_a_verb_outside_the_table(client_for):
    client = client_for("town_office")
    answer = client.post(
        "/api/v1/hotline/backtrace/1/seal", {"answer": "x"}, content_type="application/json"
    )
    assert answer.status_code == 400
    assert answer.json()["field"] == "action"
