"""The shipping queue's rules (Skeepers): requests, issues, stock, the 3-day window."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from litdesk.domain.orders import NotPermitted, OrderRuleError, Role
from litdesk.domain.shipping import (
    SHIP_WITHIN,
    SHIPPING_REQUIRED,
    SHIPPING_ROLES,
    USES_STOCK,
    CampaignKind,
    IssueState,
    RequestSnapshot,
    RequestState,
    ShippingAction,
    ShippingRuleError,
    allowed,
    allowed_shipping_actions,
    apply_shipping,
    can_submit_content,
    cancels_with_campaign,
    describe,
    initial_state,
    is_overdue,
    ship_by,
)

RS = RequestState
IS = IssueState
SA = ShippingAction

STAFF = Role.BRAND_STAFF
CREATOR = Role.CREATOR

# --- the oracle: what each action does, written out from the module's docstring and §2 ---------

EXPECTED: dict[tuple[ShippingAction, RequestSnapshot], RequestSnapshot] = {}
for _issue in IssueState:
    _closed_issue = IS.NONE if _issue is IS.NONE else IS.SOLVED
    EXPECTED[SA.ACCEPT, RequestSnapshot(RS.PENDING, _issue)] = RequestSnapshot(RS.READY_TO_SHIP)
    EXPECTED[SA.REFUSE, RequestSnapshot(RS.PENDING, _issue)] = RequestSnapshot(RS.REFUSED)
    EXPECTED[SA.SHIP, RequestSnapshot(RS.READY_TO_SHIP, _issue)] = RequestSnapshot(RS.SENT, _issue)
    for _from in (RS.PENDING, RS.READY_TO_SHIP):
        EXPECTED[SA.CANCEL, RequestSnapshot(_from, _issue)] = RequestSnapshot(
            RS.CANCELLED, _closed_issue
        )
for _issue in (IS.NONE, IS.SOLVED):
    EXPECTED[SA.REPORT_ISSUE, RequestSnapshot(RS.SENT, _issue)] = RequestSnapshot(RS.SENT, IS.OPEN)
_OPEN = RequestSnapshot(RS.SENT, IS.OPEN)
EXPECTED[SA.RESHIP, _OPEN] = RequestSnapshot(RS.READY_TO_SHIP, IS.SOLVED)
EXPECTED[SA.CANCEL, _OPEN] = RequestSnapshot(RS.CANCELLED, IS.SOLVED)
EXPECTED[SA.MARK_SOLVED, _OPEN] = RequestSnapshot(RS.SENT, IS.SOLVED)

WHO = {
    SA.ACCEPT: STAFF, SA.REFUSE: STAFF, SA.SHIP: STAFF, SA.RESHIP: STAFF, SA.CANCEL: STAFF,
    SA.MARK_SOLVED: STAFF, SA.REPORT_ISSUE: CREATOR,
}

# What a request can really look like, starting from either kind of campaign.
REACHABLE = frozenset({
    RequestSnapshot(RS.PENDING),
    RequestSnapshot(RS.REFUSED),
    RequestSnapshot(RS.READY_TO_SHIP),
    RequestSnapshot(RS.READY_TO_SHIP, IS.SOLVED),
    RequestSnapshot(RS.SENT),
    RequestSnapshot(RS.SENT, IS.OPEN),
    RequestSnapshot(RS.SENT, IS.SOLVED),
    RequestSnapshot(RS.CANCELLED),
    RequestSnapshot(RS.CANCELLED, IS.SOLVED),
})

ALL_SNAPSHOTS = [RequestSnapshot(state, issue) for state in RequestState for issue in IssueState]


def inputs_for(action: ShippingAction) -> dict[str, object]:
    return {key: "Out of stock in that size" for key in SHIPPING_REQUIRED.get(action, ())}


def snap_id(snapshot: RequestSnapshot) -> str:
    return f"{snapshot.state}+{snapshot.issue}"


# --- every action x role x (state, issue) ------------------------------------------------------

def test_the_roles_and_inputs_are_as_documented() -> None:
    assert dict(SHIPPING_ROLES) == WHO
    assert set(SHIPPING_REQUIRED) == {SA.REFUSE, SA.REPORT_ISSUE}
    assert {SA.ACCEPT, SA.RESHIP} == USES_STOCK


@pytest.mark.parametrize("snapshot", ALL_SNAPSHOTS, ids=snap_id)
@pytest.mark.parametrize("action", list(ShippingAction))
def test_every_action_role_and_state_is_done_as_documented_or_refused(
    action: ShippingAction, snapshot: RequestSnapshot
) -> None:
    expected = EXPECTED.get((action, snapshot))
    assert allowed(snapshot, action) is (expected is not None)
    for role in Role:
        offered = action in allowed_shipping_actions(snapshot, role)
        if role is not WHO[action]:
            assert not offered
            with pytest.raises(NotPermitted) as caught:
                apply_shipping(snapshot, action, role, inputs_for(action))
            assert not isinstance(caught.value, ShippingRuleError)
        elif expected is None:
            assert not offered
            with pytest.raises(ShippingRuleError) as refused:
                apply_shipping(snapshot, action, role, inputs_for(action))
            assert describe(snapshot) in refused.value.reason
        else:
            assert offered
            for stock in (None, 1, 50):
                after = apply_shipping(snapshot, action, role, inputs_for(action), stock=stock)
                assert after == expected


@pytest.mark.parametrize("snapshot", sorted(REACHABLE, key=snap_id), ids=snap_id)
def test_offered_actions_per_role_for_every_real_request(snapshot: RequestSnapshot) -> None:
    for role in Role:
        expected = tuple(
            a for a in ShippingAction if WHO[a] is role and (a, snapshot) in EXPECTED
        )
        assert allowed_shipping_actions(snapshot, role) == expected
    if snapshot.state in (RS.REFUSED, RS.CANCELLED):
        assert not any(allowed(snapshot, a) for a in ShippingAction)


@pytest.mark.parametrize("action", sorted(SHIPPING_REQUIRED))
@pytest.mark.parametrize("value", ["absent", None, "", "   ", "\n"])
def test_required_reason_missing_or_blank_is_refused(action: ShippingAction, value: object) -> None:
    snapshot = next(s for (a, s) in EXPECTED if a is action)
    inputs = {} if value == "absent" else dict.fromkeys(SHIPPING_REQUIRED[action], value)
    with pytest.raises(ShippingRuleError) as caught:
        apply_shipping(snapshot, action, WHO[action], inputs)
    assert "reason" in caught.value.reason
    with pytest.raises(ShippingRuleError):
        apply_shipping(snapshot, action, WHO[action])


@pytest.mark.parametrize("action", [a for a in ShippingAction if a not in SHIPPING_REQUIRED])
def test_other_actions_need_no_inputs(action: ShippingAction) -> None:
    snapshot = next(s for (a, s) in EXPECTED if a is action)
    assert apply_shipping(snapshot, action, WHO[action]) == EXPECTED[action, snapshot]


# --- campaigns, stock ---------------------------------------------------------------------------

def test_gifted_reviews_start_ready_to_ship_and_influence_starts_pending() -> None:
    assert initial_state(CampaignKind.GIFTED_REVIEW) is RS.READY_TO_SHIP
    assert initial_state(CampaignKind.INFLUENCE) is RS.PENDING


def test_a_gifted_review_ships_without_being_accepted() -> None:
    request = RequestSnapshot(initial_state(CampaignKind.GIFTED_REVIEW))
    with pytest.raises(ShippingRuleError):
        apply_shipping(request, SA.ACCEPT, STAFF, stock=5)
    with pytest.raises(ShippingRuleError):
        apply_shipping(request, SA.REFUSE, STAFF, {"reason": "no"})
    assert apply_shipping(request, SA.SHIP, STAFF) == RequestSnapshot(RS.SENT)


@pytest.mark.parametrize("stock", [0, -1])
@pytest.mark.parametrize(
    ("action", "snapshot"),
    [(SA.ACCEPT, RequestSnapshot(RS.PENDING)), (SA.RESHIP, RequestSnapshot(RS.SENT, IS.OPEN))],
)
def test_no_stock_refuses_accept_and_reship(
    action: ShippingAction, snapshot: RequestSnapshot, stock: int
) -> None:
    with pytest.raises(ShippingRuleError) as caught:
        apply_shipping(snapshot, action, STAFF, stock=stock)
    assert "stock" in caught.value.reason
    # One unit is enough, and None means the campaign does not count its stock.
    assert apply_shipping(snapshot, action, STAFF, stock=1) == EXPECTED[action, snapshot]
    assert apply_shipping(snapshot, action, STAFF, stock=None) == EXPECTED[action, snapshot]


@pytest.mark.parametrize(
    ("action", "snapshot"),
    [(a, s) for (a, s) in EXPECTED if a not in USES_STOCK and s in REACHABLE],
    ids=lambda v: str(v) if isinstance(v, ShippingAction) else snap_id(v),
)
def test_actions_that_use_no_stock_work_with_none_left(
    action: ShippingAction, snapshot: RequestSnapshot
) -> None:
    after = apply_shipping(snapshot, action, WHO[action], inputs_for(action), stock=0)
    assert after == EXPECTED[action, snapshot]


def test_the_state_is_judged_before_the_stock() -> None:
    with pytest.raises(ShippingRuleError) as caught:
        apply_shipping(RequestSnapshot(RS.SENT), SA.ACCEPT, STAFF, stock=0)
    assert "stock" not in caught.value.reason
    assert "sent" in caught.value.reason


def test_a_whole_influence_request_with_a_shipping_problem() -> None:
    steps: list[tuple[ShippingAction, Role, RequestSnapshot]] = [
        (SA.ACCEPT, STAFF, RequestSnapshot(RS.READY_TO_SHIP)),
        (SA.SHIP, STAFF, RequestSnapshot(RS.SENT)),
        (SA.REPORT_ISSUE, CREATOR, RequestSnapshot(RS.SENT, IS.OPEN)),
        (SA.RESHIP, STAFF, RequestSnapshot(RS.READY_TO_SHIP, IS.SOLVED)),
        (SA.SHIP, STAFF, RequestSnapshot(RS.SENT, IS.SOLVED)),
        (SA.REPORT_ISSUE, CREATOR, RequestSnapshot(RS.SENT, IS.OPEN)),
        (SA.MARK_SOLVED, STAFF, RequestSnapshot(RS.SENT, IS.SOLVED)),
    ]
    request = RequestSnapshot(initial_state(CampaignKind.INFLUENCE))
    for action, role, expected in steps:
        request = apply_shipping(request, action, role, inputs_for(action))
        assert request == expected, action


def test_one_open_issue_at_a_time() -> None:
    request = RequestSnapshot(RS.SENT, IS.OPEN)
    with pytest.raises(ShippingRuleError):
        apply_shipping(request, SA.REPORT_ISSUE, CREATOR, {"reason": "Still broken"})


def test_a_sent_request_is_cancelled_only_through_an_open_issue() -> None:
    for issue in (IS.NONE, IS.SOLVED):
        with pytest.raises(ShippingRuleError):
            apply_shipping(RequestSnapshot(RS.SENT, issue), SA.CANCEL, STAFF)
    after = apply_shipping(RequestSnapshot(RS.SENT, IS.OPEN), SA.CANCEL, STAFF)
    assert after == RequestSnapshot(RS.CANCELLED, IS.SOLVED)


def test_describe_mentions_an_open_issue() -> None:
    assert describe(RequestSnapshot(RS.READY_TO_SHIP)) == "ready to ship"
    assert "open shipping issue" in describe(RequestSnapshot(RS.SENT, IS.OPEN))
    assert "issue" not in describe(RequestSnapshot(RS.SENT, IS.SOLVED))


# --- the 3-day window ---------------------------------------------------------------------------

ACCEPTED = datetime(2024, 3, 29, 17, 30, tzinfo=UTC)


def test_ship_within_is_three_days() -> None:
    assert timedelta(days=3) == SHIP_WITHIN


@pytest.mark.parametrize(
    "accepted",
    [ACCEPTED, ACCEPTED.replace(tzinfo=None),
     datetime(2024, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5)))],
)
def test_ship_by_is_three_days_after_acceptance(accepted: datetime) -> None:
    assert ship_by(accepted) == accepted + timedelta(days=3)
    assert ship_by(accepted) - accepted == timedelta(hours=72)
    assert ship_by(accepted).tzinfo == accepted.tzinfo


def test_overdue_starts_just_after_three_days() -> None:
    deadline = ACCEPTED + timedelta(days=3)
    tick = timedelta(microseconds=1)
    assert not is_overdue(RS.READY_TO_SHIP, ACCEPTED, ACCEPTED)
    assert not is_overdue(RS.READY_TO_SHIP, ACCEPTED, deadline - tick)
    assert not is_overdue(RS.READY_TO_SHIP, ACCEPTED, deadline)
    assert is_overdue(RS.READY_TO_SHIP, ACCEPTED, deadline + tick)
    assert is_overdue(RS.READY_TO_SHIP, ACCEPTED, ACCEPTED + timedelta(days=30))


def test_overdue_compares_instants_across_time_zones() -> None:
    paris = timezone(timedelta(hours=1))
    deadline_in_paris = (ACCEPTED + SHIP_WITHIN).astimezone(paris)
    assert not is_overdue(RS.READY_TO_SHIP, ACCEPTED, deadline_in_paris)
    assert is_overdue(RS.READY_TO_SHIP, ACCEPTED, deadline_in_paris + timedelta(seconds=1))


@pytest.mark.parametrize("state", [s for s in RequestState if s is not RS.READY_TO_SHIP])
def test_only_ready_to_ship_requests_are_overdue(state: RequestState) -> None:
    assert not is_overdue(state, ACCEPTED, ACCEPTED + timedelta(days=30))


def test_a_request_never_accepted_is_not_overdue() -> None:
    assert not is_overdue(RS.READY_TO_SHIP, None, ACCEPTED + timedelta(days=30))


# --- campaigns and content ----------------------------------------------------------------------

@pytest.mark.parametrize("state", list(RequestState))
def test_cancelling_a_campaign_cancels_every_request_not_yet_sent(state: RequestState) -> None:
    assert cancels_with_campaign(state) is (state in {RS.PENDING, RS.READY_TO_SHIP})
    # Whatever a campaign cancellation takes, cancelling the request itself could take too.
    if cancels_with_campaign(state):
        assert allowed(RequestSnapshot(state), SA.CANCEL)


@pytest.mark.parametrize("state", list(RequestState))
def test_content_only_once_the_item_is_marked_shipped(state: RequestState) -> None:
    assert can_submit_content(state) is (state is RS.SENT)


# --- random walks through the queue -------------------------------------------------------------

def _outcome(
    attempt: Callable[[], RequestSnapshot],
) -> tuple[RequestSnapshot | None, OrderRuleError | None]:
    try:
        return attempt(), None
    except OrderRuleError as refused:
        return None, refused


class ShippingQueue(RuleBasedStateMachine):
    kind: CampaignKind
    request: RequestSnapshot
    stock: int | None

    @initialize(kind=st.sampled_from(CampaignKind), stock=st.none() | st.integers(0, 3))
    def new_request(self, kind: CampaignKind, stock: int | None) -> None:
        self.kind = kind
        self.stock = stock
        self.request = RequestSnapshot(initial_state(kind))

    def _attempt(
        self, action: ShippingAction, role: Role, inputs: dict[str, object]
    ) -> None:
        before = self.request
        after, refused = _outcome(
            lambda: apply_shipping(before, action, role, inputs, stock=self.stock)
        )
        expected = EXPECTED.get((action, before))
        reason = inputs.get("reason")
        no_reason = not (isinstance(reason, str) and reason.strip())
        if role is not WHO[action]:
            assert type(refused) is NotPermitted
            assert action not in allowed_shipping_actions(before, role)
        elif expected is None:
            assert isinstance(refused, ShippingRuleError)
            assert not allowed(before, action)
        else:
            assert allowed(before, action)
            lacks_reason = action in SHIPPING_REQUIRED and no_reason
            lacks_stock = action in USES_STOCK and self.stock == 0
            if lacks_reason or lacks_stock:
                assert isinstance(refused, ShippingRuleError)
            else:
                assert refused is None, refused
                assert after == expected
                if action in USES_STOCK and self.stock is not None:
                    self.stock -= 1
                event(f"{action} -> {after.state}/{after.issue}")
                self.request = after
        if refused is not None:
            assert self.request == before

    @rule(
        action=st.sampled_from(ShippingAction),
        role=st.sampled_from([STAFF, CREATOR, Role.INFLUENCER, Role.ADVERTISER]),
        reason=st.sampled_from(["Parcel lost", "", "  ", None]),
    )
    def anyone_tries_anything(
        self, action: ShippingAction, role: Role, reason: str | None
    ) -> None:
        self._attempt(action, role, {"reason": reason})

    @rule(data=st.data(), end_it=st.integers(0, 5))
    def someone_takes_an_offered_action(self, data: st.DataObject, end_it: int) -> None:
        offered = [a for a in ShippingAction if allowed(self.request, a)]
        # Refusing and cancelling end the walk; prefer the other actions to get further.
        going_on = [a for a in offered if a not in (SA.REFUSE, SA.CANCEL)]
        choices = going_on if going_on and end_it else offered
        if not choices:
            assert self.request.state in (RS.REFUSED, RS.CANCELLED)
            return
        action = data.draw(st.sampled_from(choices))
        self._attempt(action, WHO[action], {"reason": "Parcel lost"})

    @rule(stock=st.integers(1, 2))
    def restock(self, stock: int) -> None:
        if self.stock is not None:
            self.stock += stock

    @invariant()
    def request_stays_in_the_documented_states(self) -> None:
        assert self.request in REACHABLE

    @invariant()
    def an_open_issue_only_on_a_sent_request(self) -> None:
        if self.request.issue is IS.OPEN:
            assert self.request.state is RS.SENT

    @invariant()
    def gifted_reviews_are_never_pending_or_refused(self) -> None:
        if self.kind is CampaignKind.GIFTED_REVIEW:
            assert self.request.state not in (RS.PENDING, RS.REFUSED)

    @invariant()
    def stock_never_goes_negative(self) -> None:
        assert self.stock is None or self.stock >= 0

    @invariant()
    def offered_actions_are_exactly_the_allowed_ones(self) -> None:
        for role in (STAFF, CREATOR):
            offered = allowed_shipping_actions(self.request, role)
            assert set(offered) == {
                a for a in ShippingAction if WHO[a] is role and allowed(self.request, a)
            }


ShippingQueue.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestShippingQueue = ShippingQueue.TestCase
