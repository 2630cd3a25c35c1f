"""The case state machine, pinned: a change to a @transition must change this table too."""

import pytest

from gridgov.cases.models import OPEN_STATES, Case, CaseState

S = CaseState
OPEN_HANDLING = [
    S.ACCEPTED,
    S.REGISTERED,
    S.DISPATCHED,
    S.HANDLING,
    S.RETURNED,
    S.FED_BACK,
    S.VERIFIED,
]

TABLE = sorted(
    [
        (S.REPORTED, "resolve_on_spot", S.CLOSED),
        (S.REPORTED, "record", S.RECORDED),
        (S.REPORTED, "accept", S.ACCEPTED),
        (S.RECORDED, "accept", S.ACCEPTED),
        (S.REPORTED, "reject", S.REJECTED),
        (S.REPORTED, "merge", S.MERGED),
        (S.ACCEPTED, "merge", S.MERGED),
        (S.REGISTERED, "merge", S.MERGED),
        (S.REPORTED, "classify", None),
        (S.RECORDED, "classify", None),
        (S.ACCEPTED, "classify", None),
        (S.REGISTERED, "classify", None),
        (S.RETURNED, "classify", None),
        (S.ACCEPTED, "register", S.REGISTERED),
        (S.REGISTERED, "dispatch", S.DISPATCHED),
        (S.RETURNED, "dispatch", S.DISPATCHED),
        (S.DISPATCHED, "handle", S.HANDLING),
        (S.ACCEPTED, "handle", S.HANDLING),
        (S.REGISTERED, "handle", S.HANDLING),
        (S.RETURNED, "handle", S.HANDLING),
        (S.DISPATCHED, "return_", S.RETURNED),
        (S.HANDLING, "return_", S.RETURNED),
        (S.HANDLING, "feedback", S.FED_BACK),
        (S.FED_BACK, "verify", S.VERIFIED),
        (S.FED_BACK, "rework", S.HANDLING),
        *[(state, "close", S.CLOSED) for state in OPEN_HANDLING],
        (S.ACCEPTED, "transfer", S.CLOSED),
        (S.REGISTERED, "transfer", S.CLOSED),
        (S.RETURNED, "transfer", S.CLOSED),
        (S.CLOSED, "callback", S.CALLED_BACK),
        (S.CALLED_BACK, "reopen", S.REGISTERED),
        (S.ACCEPTED, "escalate", S.ACCEPTED),
        (S.REGISTERED, "escalate", S.ACCEPTED),
        (S.RETURNED, "escalate", S.ACCEPTED),
        (S.DISPATCHED, "extend", None),
        (S.HANDLING, "extend", None),
    ],
    key=lambda row: (row[1], str(row[0])),
)


def test_transition_table_is_pinned():
    actual = sorted(
        (
            (t.source, t.name, t.target)
            for t in Case._meta.get_field("state").get_all_transitions(Case)
        ),
        key=lambda row: (row[1], str(row[0])),
    )
    assert actual == TABLE


def test_terminal_states_have_no_way_out_but_reopen():
    sources = {t.source for t in Case._meta.get_field("state").get_all_transitions(Case)}
    assert S.REJECTED not in sources
    assert S.MERGED not in sources
    assert S.CALLED_BACK in sources  # only through a dissatisfied callback's reopen


def test_open_states_are_the_ones_a_deadline_runs_in():
    assert {
        S.REPORTED,
        S.ACCEPTED,
        S.REGISTERED,
        S.DISPATCHED,
        S.HANDLING,
        S.RETURNED,
        S.FED_BACK,
        S.VERIFIED,
    } == OPEN_STATES


def test_state_cannot_be_assigned_directly():
    case = Case(state=S.REPORTED)
    with pytest.raises(AttributeError):
        case.state = S.CLOSED  # FSMField(protected=True)
    assert case.state == S.REPORTED
