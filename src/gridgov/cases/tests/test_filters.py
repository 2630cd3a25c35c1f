"""One case filter for every door (issue 8): the API's list and the command centre narrow by
the same CaseFilters and the same state groups, and the pages, the API and the navigation read
the same queue registry."""

from __future__ import annotations

import pytest

from gridgov.cases import queues, services
from gridgov.cases.filters import STATE_GROUPS, CaseFilters, filter_cases, states_of
from gridgov.cases.forms import CommandFilterForm
from gridgov.cases.models import OPEN_STATES, CaseState
from gridgov.core.errors import DomainError
from gridgov.web.queries import QUEUE_LABELS

pytestmark = pytest.mark.usefixtures("clock")


def test_every_state_group_is_made_of_states_and_a_state_is_its_own_filter():
    for _label, states in STATE_GROUPS.values():
        assert states <= set(CaseState.values)
    assert states_of("open") == OPEN_STATES
    assert states_of(CaseState.HANDLING) == {CaseState.HANDLING}
    with pytest.raises(DomainError) as err:
        states_of("bogus")
    assert err.value.field == "status"


def test_the_command_centre_offers_the_same_groups_the_api_reads():
    offered = [key for key, _label in CommandFilterForm().fields["state"].choices if key]
    assert offered == list(STATE_GROUPS)


def test_api_list_and_command_filter_give_the_same_cases(town, report, client_for):
    village = town.user("village_a")
    services.accept_case(case=report(), by=village)
    report()
    office = town.user("town_office")
    for group in STATE_GROUPS:
        expected = set(filter_cases(office, CaseFilters(status=group)).values_list("pk", flat=True))
        body = client_for("town_office").get("/api/v1/cases/", {"status": group}).json()
        assert {row["id"] for row in body["items"]} == expected, group
    waiting = filter_cases(office, CaseFilters(status="waiting"))
    assert waiting.count() == 2


def test_one_queue_registry_for_api_pages_and_badges(town, report, client_for):
    report()
    counts = client_for("village_a").get("/api/v1/cases/queues").json()
    assert set(counts) == set(queues.QUEUES) == set(QUEUE_LABELS)
    assert counts["to_accept"] == 1
    with pytest.raises(DomainError) as err:
        filter_cases(town.user("village_a"), CaseFilters(), queue="nope")
    assert err.value.field == "queue"
