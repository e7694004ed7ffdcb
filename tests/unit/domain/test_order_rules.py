"""The order lifecycle's rules: the transition table, its refusals, and the tables beside it.

The cases are generated from ``TRANSITIONS`` so that a new row is covered without editing this
file; the decisions listed in the module's docstring each have a named test below.
"""

from __future__ import annotations

from collections import deque

import pytest

from litdesk.domain import order_guidance
from litdesk.domain.order_guidance import (
    NEEDS_ACTION_BY,
    NEXT_STEPS,
    PROGRESS,
    STATUS_GROUP,
    StatusGroup,
    needs_action_by,
    next_steps,
    progress,
)
from litdesk.domain.orders import (
    FINAL_STATUSES,
    ORDER_ROLES,
    STATUS_LABELS,
    TRANSITION_BY_ACTION,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Input,
    MissingInput,
    NotPermitted,
    OrderRuleError,
    OrderState,
    OrderStatus,
    Role,
    Transition,
    allowed_actions,
    apply,
    check,
    missing_inputs,
    reachable_targets,
)

S = OrderStatus
R = Role
A = Action

PEOPLE = (R.INFLUENCER, R.ADVERTISER, R.MEDIATOR)
HOLD_ORIGINS = (S.PAYMENT_RECEIVED, S.PROCESSING)
UPDATE_ORIGINS = (S.PAYMENT_RECEIVED, S.PROCESSING, S.HOLD)


# --- helpers ---------------------------------------------------------------------------------

def full_inputs(transition: Transition, outcome: OrderStatus | None = None) -> dict[str, object]:
    """Every input ``transition`` requires, filled in (a proof as a link)."""
    inputs: dict[str, object] = {}
    for need in transition.required:
        if need is Input.PROOF:
            inputs["proof_url"] = "https://example.com/post/1"
        elif need is Input.OUTCOME:
            chosen = outcome if outcome is not None else sorted(transition.targets)[0]
            inputs[need.value] = chosen.value
        else:
            inputs[need.value] = f"some {need.value}"
    return inputs


def input_names(transition: Transition) -> tuple[str, ...]:
    return tuple(need.value for need in transition.required)


def states_in(status: OrderStatus) -> list[OrderState]:
    """The states an order can really be in with ``status`` (with what it remembers)."""
    if status is S.HOLD:
        return [OrderState(S.HOLD, held_from=origin) for origin in HOLD_ORIGINS]
    if status is S.UPDATE_REQUESTED:
        result = [
            OrderState(S.UPDATE_REQUESTED, update_from=origin)
            for origin in (S.PAYMENT_RECEIVED, S.PROCESSING)
        ]
        result += [
            OrderState(S.UPDATE_REQUESTED, held_from=held, update_from=S.HOLD)
            for held in HOLD_ORIGINS
        ]
        return result
    return [OrderState(status)]


def walk(steps: list[tuple[Action, Role]], state: OrderState | None = None) -> OrderState | None:
    """Apply ``steps`` in turn, each with its required inputs filled in."""
    for action, role in steps:
        state = apply(state, action, role, full_inputs(TRANSITION_BY_ACTION[action]))
    return state


def all_moves(state: OrderState) -> set[Action]:
    return {t.action for role in Role for t in allowed_actions(state, role)}


def reachable_from_pending() -> set[OrderStatus]:
    seen = {S.PENDING}
    queue = deque(seen)
    while queue:
        status = queue.popleft()
        for transition in TRANSITIONS:
            if status in transition.sources:
                for target in transition.targets - seen:
                    seen.add(target)
                    queue.append(target)
    return seen


# --- 1. every row of the table, for each of its roles and sources -------------------------------

LEGAL_CASES = [
    pytest.param(t, role, state, id=f"{t.action}-{role}-{state.status}"
                 f"-held:{state.held_from}-upd:{state.update_from}")
    for t in TRANSITIONS
    for role in sorted(t.roles)
    for source in sorted(t.sources)
    for state in states_in(source)
]


def test_table_has_one_row_per_action_and_only_order_roles() -> None:
    assert [t.action for t in TRANSITIONS] == list(Action)
    assert set(TRANSITION_BY_ACTION) == set(Action)
    for t in TRANSITIONS:
        assert t.roles, t.action
        assert t.roles <= ORDER_ROLES, t.action
        assert t.targets, t.action
        assert not (t.sources & FINAL_STATUSES), f"{t.action} leaves a final status"


@pytest.mark.parametrize(("transition", "role", "state"), LEGAL_CASES)
def test_every_row_applies_from_each_source_for_each_role(
    transition: Transition, role: Role, state: OrderState
) -> None:
    assert transition in allowed_actions(state, role)
    assert check(state, transition.action, role) is transition
    for outcome in sorted(transition.targets) if Input.OUTCOME in transition.required else [None]:
        after = apply(state, transition.action, role, full_inputs(transition, outcome))
        assert after.status in transition.targets
        assert after.status in reachable_targets(transition, state)
        if outcome is not None:
            assert after.status is outcome
        if transition.returns:
            remembered = state.held_from if transition.action is A.RESUME else state.update_from
            assert after.status is remembered
            assert reachable_targets(transition, state) == {remembered}
        else:
            assert reachable_targets(transition, state) == transition.targets
            assert after.status is transition.single_target() or outcome is not None


@pytest.mark.parametrize("role", sorted(TRANSITION_BY_ACTION[A.PLACE_ORDER].roles))
def test_place_order_creates_a_pending_order(role: Role) -> None:
    transition = TRANSITION_BY_ACTION[A.PLACE_ORDER]
    assert check(None, A.PLACE_ORDER, role) is transition
    assert apply(None, A.PLACE_ORDER, role, full_inputs(transition)) == OrderState(S.PENDING)


# --- 2. every illegal (action, role, status) is refused, and why --------------------------------

@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_every_action_role_status_is_allowed_or_refused_for_the_right_reason(
    action: Action, role: Role
) -> None:
    transition = TRANSITION_BY_ACTION[action]
    for status in OrderStatus:
        for state in states_in(status):
            legal = role in transition.roles and status in transition.sources
            assert (transition in allowed_actions(state, role)) is legal
            for inputs in (full_inputs(transition), {}):
                if legal:
                    if inputs or not transition.required:
                        assert apply(state, action, role, inputs).status in transition.targets
                    continue
                with pytest.raises(OrderRuleError) as caught:
                    apply(state, action, role, inputs)
                expected = NotPermitted if role not in transition.roles else IllegalTransition
                # Who and from where is decided before the inputs are looked at.
                assert type(caught.value) is expected, (action, role, state, inputs)
                assert caught.value.reason
                with pytest.raises(expected):
                    check(state, action, role)
    # An order that does not exist yet: only placing it is possible.
    if role not in transition.roles:
        expected_none: type[OrderRuleError] | None = NotPermitted
    elif action is not A.PLACE_ORDER:
        expected_none = IllegalTransition
    else:
        expected_none = None
    if expected_none is None:
        assert apply(None, action, role, full_inputs(transition)) == OrderState(S.PENDING)
    else:
        with pytest.raises(OrderRuleError) as caught:
            apply(None, action, role, full_inputs(transition))
        assert type(caught.value) is expected_none


REQUIRED_CASES = [
    pytest.param(t, need, id=f"{t.action}-{need}")
    for t in TRANSITIONS
    for need in t.required
]


def legal_start(transition: Transition) -> tuple[OrderState | None, Role]:
    role = sorted(transition.roles)[0]
    if not transition.sources:
        return None, role
    return states_in(sorted(transition.sources)[0])[0], role


@pytest.mark.parametrize(("transition", "need"), REQUIRED_CASES)
@pytest.mark.parametrize("blank", [None, "", "   ", "\n\t", "absent"])
def test_a_missing_or_blank_required_input_is_refused_by_name(
    transition: Transition, need: Input, blank: object
) -> None:
    state, role = legal_start(transition)
    inputs = full_inputs(transition)
    keys = ("proof_url", "proof_attachment_id") if need is Input.PROOF else (need.value,)
    for key in keys:
        if blank == "absent":
            inputs.pop(key, None)
        else:
            inputs[key] = blank
    with pytest.raises(MissingInput) as caught:
        apply(state, transition.action, role, inputs)
    assert caught.value.missing == (need.value,)
    assert need.value in caught.value.reason
    assert missing_inputs(transition, inputs) == (need.value,)


@pytest.mark.parametrize(
    "transition", [pytest.param(t, id=t.action) for t in TRANSITIONS if t.required]
)
def test_all_inputs_missing_lists_every_name_in_table_order(transition: Transition) -> None:
    state, role = legal_start(transition)
    for inputs in ({}, None, dict.fromkeys(input_names(transition), " ")):
        with pytest.raises(MissingInput) as caught:
            apply(state, transition.action, role, inputs)
        assert caught.value.missing == input_names(transition)


@pytest.mark.parametrize(
    "transition", [pytest.param(t, id=t.action) for t in TRANSITIONS if not t.required]
)
def test_rows_without_required_inputs_need_none(transition: Transition) -> None:
    state, role = legal_start(transition)
    assert missing_inputs(transition, {}) == ()
    assert apply(state, transition.action, role).status in transition.targets


def test_proof_is_a_link_or_a_screenshot() -> None:
    complete = TRANSITION_BY_ACTION[A.COMPLETE]
    processing = OrderState(S.PROCESSING)
    by_link = apply(processing, A.COMPLETE, R.INFLUENCER, {"proof_url": "https://x.test/p"})
    by_shot = apply(processing, A.COMPLETE, R.INFLUENCER, {"proof_attachment_id": 42})
    assert by_link == by_shot == OrderState(S.COMPLETED)
    assert missing_inputs(complete, {"proof_url": " ", "proof_attachment_id": "att-1"}) == ()
    with pytest.raises(MissingInput) as caught:
        apply(processing, A.COMPLETE, R.INFLUENCER, {"proof": "https://x.test/p"})
    assert caught.value.missing == ("proof",)


# --- 3. the decisions written next to the table ------------------------------------------------

PAID_AND_WORKING = [
    (A.REQUEST_PAYMENT, R.INFLUENCER),
    (A.PAYMENT_SUCCEEDED, R.PAYMENT_SYSTEM),
    (A.START_PROCESSING, R.INFLUENCER),
]


def placed() -> OrderState:
    state = walk([(A.PLACE_ORDER, R.ADVERTISER)])
    assert state is not None
    return state


def test_decision_hold_then_update_then_hold_then_resume_returns_to_processing() -> None:
    state = walk(PAID_AND_WORKING, placed())
    assert state == OrderState(S.PROCESSING)
    state = walk([(A.PUT_ON_HOLD, R.ADVERTISER)], state)
    assert state == OrderState(S.HOLD, held_from=S.PROCESSING)
    state = walk([(A.REQUEST_UPDATE, R.ADVERTISER)], state)
    assert state == OrderState(S.UPDATE_REQUESTED, held_from=S.PROCESSING, update_from=S.HOLD)
    state = walk([(A.POST_UPDATE, R.INFLUENCER)], state)
    assert state == OrderState(S.HOLD, held_from=S.PROCESSING)
    state = walk([(A.RESUME, R.INFLUENCER)], state)
    assert state == OrderState(S.PROCESSING)


def test_decision_resume_returns_to_payment_received_when_held_from_there() -> None:
    state = walk(PAID_AND_WORKING[:2], placed())
    assert state == OrderState(S.PAYMENT_RECEIVED)
    state = walk([(A.PUT_ON_HOLD, R.INFLUENCER)], state)
    assert state == OrderState(S.HOLD, held_from=S.PAYMENT_RECEIVED)
    state = walk([(A.REQUEST_UPDATE, R.ADVERTISER), (A.POST_UPDATE, R.INFLUENCER)], state)
    assert state == OrderState(S.HOLD, held_from=S.PAYMENT_RECEIVED)
    state = walk([(A.RESUME, R.INFLUENCER)], state)
    assert state == OrderState(S.PAYMENT_RECEIVED)


@pytest.mark.parametrize("origin", [S.PAYMENT_RECEIVED, S.PROCESSING])
def test_decision_post_update_returns_to_the_status_before_the_request(
    origin: OrderStatus,
) -> None:
    state = walk([(A.REQUEST_UPDATE, R.ADVERTISER)], OrderState(origin))
    assert state == OrderState(S.UPDATE_REQUESTED, update_from=origin)
    assert walk([(A.POST_UPDATE, R.INFLUENCER)], state) == OrderState(origin)


@pytest.mark.parametrize("holder", sorted(TRANSITION_BY_ACTION[A.PUT_ON_HOLD].roles))
def test_decision_only_the_influencer_resumes_whoever_put_it_on_hold(holder: Role) -> None:
    state = walk([(A.PUT_ON_HOLD, holder)], OrderState(S.PROCESSING))
    assert state is not None
    for role in Role:
        if role is R.INFLUENCER:
            continue
        with pytest.raises(NotPermitted):
            apply(state, A.RESUME, role)
        assert all(t.action is not A.RESUME for t in allowed_actions(state, role))
    assert apply(state, A.RESUME, R.INFLUENCER) == OrderState(S.PROCESSING)


@pytest.mark.parametrize("status", sorted(FINAL_STATUSES))
def test_decision_final_statuses_have_no_actions_for_anyone(status: OrderStatus) -> None:
    state = OrderState(status)
    for role in Role:
        assert allowed_actions(state, role) == ()
    for action in Action:
        for role in Role:
            with pytest.raises((NotPermitted, IllegalTransition)):
                apply(state, action, role, full_inputs(TRANSITION_BY_ACTION[action]))


def test_decision_the_final_statuses_are_cancelled_refunded_and_mediation_complete() -> None:
    assert {S.CANCELLED, S.REFUNDED, S.MEDIATION_COMPLETE} == FINAL_STATUSES
    dead_ends = {s for s in OrderStatus if not all_moves(OrderState(s))}
    assert dead_ends == FINAL_STATUSES


@pytest.mark.parametrize(
    ("status", "ways_out"),
    [
        (S.REFUND_DECLINED, {A.REQUEST_MEDIATION}),
        (S.DISPUTE_CLOSED, {A.REQUEST_REFUND, A.REQUEST_MEDIATION}),
        (S.COMPLETED, {A.REQUEST_REFUND, A.OPEN_DISPUTE}),
    ],
)
def test_decision_resting_states_leave_only_the_documented_ways(
    status: OrderStatus, ways_out: set[Action]
) -> None:
    assert all_moves(OrderState(status)) == ways_out


def test_decision_place_order_only_creates() -> None:
    transition = TRANSITION_BY_ACTION[A.PLACE_ORDER]
    assert transition.sources == frozenset()
    assert transition.targets == {S.PENDING}
    for status in OrderStatus:
        for role in Role:
            assert all(t.action is not A.PLACE_ORDER for t in allowed_actions(OrderState(status),
                                                                             role))
        with pytest.raises(IllegalTransition):
            apply(OrderState(status), A.PLACE_ORDER, R.ADVERTISER, full_inputs(transition))
    # ... and it is the only action that works on an order that does not exist yet.
    for action in Action:
        if action is A.PLACE_ORDER:
            continue
        for role in TRANSITION_BY_ACTION[action].roles:
            with pytest.raises(IllegalTransition):
                apply(None, action, role, full_inputs(TRANSITION_BY_ACTION[action]))


@pytest.mark.parametrize("outcome", [S.MEDIATION_COMPLETE, S.REFUNDED])
def test_decision_mediator_chooses_mediation_complete_or_refunded(outcome: OrderStatus) -> None:
    state = OrderState(S.MEDIATION_REQUIRED)
    for given in (outcome.value, outcome):
        after = apply(state, A.MEDIATOR_DECIDES, R.MEDIATOR,
                      {"decision": "The placement ran as agreed.", "outcome": given})
        assert after == OrderState(outcome)


@pytest.mark.parametrize(
    "outcome",
    ["cancelled", "completed", "mediation_required", "Refunded", "Mediation Complete",
     " refunded", "bogus", 3],
)
def test_decision_mediator_outcome_must_be_one_of_the_two(outcome: object) -> None:
    with pytest.raises(MissingInput) as caught:
        apply(OrderState(S.MEDIATION_REQUIRED), A.MEDIATOR_DECIDES, R.MEDIATOR,
              {"decision": "Ruled.", "outcome": outcome})
    assert caught.value.missing == ("outcome",)
    assert "mediation_complete" in caught.value.reason
    assert "refunded" in caught.value.reason


def test_decision_mediators_act_only_in_mediation_required() -> None:
    for status in OrderStatus:
        moves = allowed_actions(OrderState(status), R.MEDIATOR)
        if status is S.MEDIATION_REQUIRED:
            assert [t.action for t in moves] == [A.MEDIATOR_DECIDES]
        else:
            assert moves == ()


def test_decision_payment_can_be_retried_from_uncollectable() -> None:
    state = walk([(A.REQUEST_PAYMENT, R.INFLUENCER), (A.PAYMENT_FAILED, R.PAYMENT_SYSTEM)],
                 placed())
    assert state == OrderState(S.UNCOLLECTABLE)
    with pytest.raises(IllegalTransition):
        apply(state, A.PAYMENT_FAILED, R.PAYMENT_SYSTEM)
    assert apply(state, A.PAYMENT_SUCCEEDED, R.PAYMENT_SYSTEM) == OrderState(S.PAYMENT_RECEIVED)


@pytest.mark.parametrize("status", [S.PAYMENT_REQUIRED, S.UNCOLLECTABLE])
def test_decision_only_the_payment_system_records_payment(status: OrderStatus) -> None:
    state = OrderState(status)
    for role in Role:
        if role is R.PAYMENT_SYSTEM:
            continue
        with pytest.raises(NotPermitted):
            apply(state, A.PAYMENT_SUCCEEDED, role)
        # The parties can only walk away; paying itself goes through the payment provider.
        assert {t.action for t in allowed_actions(state, role)} <= {A.CANCEL}
    assert A.PAYMENT_SUCCEEDED in {t.action for t in allowed_actions(state, R.PAYMENT_SYSTEM)}


def test_decision_errors_distinguish_never_from_not_now() -> None:
    # The advertiser may never complete an order ...
    with pytest.raises(NotPermitted):
        apply(OrderState(S.PROCESSING), A.COMPLETE, R.ADVERTISER, {"proof_url": "u"})
    # ... the influencer may, but not while it is Pending.
    with pytest.raises(IllegalTransition):
        apply(OrderState(S.PENDING), A.COMPLETE, R.INFLUENCER, {"proof_url": "u"})
    # ... and from Processing without proof the input is what is wrong.
    with pytest.raises(MissingInput):
        apply(OrderState(S.PROCESSING), A.COMPLETE, R.INFLUENCER, {})
    assert not issubclass(NotPermitted, IllegalTransition)
    assert not issubclass(IllegalTransition, NotPermitted)


# --- the table as a graph ------------------------------------------------------------------

def test_every_status_is_reachable_from_pending() -> None:
    assert reachable_from_pending() == set(OrderStatus)


def test_every_status_but_the_final_ones_has_a_way_out() -> None:
    for status in set(OrderStatus) - FINAL_STATUSES:
        assert all_moves(OrderState(status)), status


def test_returning_rows_only_return_to_statuses_that_lead_to_them() -> None:
    resume = TRANSITION_BY_ACTION[A.RESUME]
    post = TRANSITION_BY_ACTION[A.POST_UPDATE]
    assert resume.returns
    assert post.returns
    into_hold = {s for t in TRANSITIONS if S.HOLD in t.targets and not t.returns
                 for s in t.sources}
    into_update = {s for t in TRANSITIONS if S.UPDATE_REQUESTED in t.targets for s in t.sources}
    assert resume.targets == into_hold
    assert post.targets == into_update
    assert [t.action for t in TRANSITIONS if t.returns] == [A.RESUME, A.POST_UPDATE]


# --- 4. progress, groups, next steps and whose move it is ----------------------------------

@pytest.mark.parametrize("status", list(OrderStatus))
def test_progress_is_defined_and_within_the_bar(status: OrderStatus) -> None:
    value = progress(status)
    assert isinstance(value, int)
    assert 0 <= value <= 100
    if status in FINAL_STATUSES or status is S.COMPLETED:
        assert value == 100
    else:
        assert value < 100, "the bar is full only when the order is settled"


def test_progress_covers_exactly_the_eighteen_statuses() -> None:
    assert len(OrderStatus) == 18
    assert set(PROGRESS) == set(OrderStatus)


def test_progress_grows_along_the_happy_path() -> None:
    path = [S.PENDING, S.FEEDBACK_REQUIRED, S.FEEDBACK_PROVIDED, S.PAYMENT_REQUIRED,
            S.PAYMENT_RECEIVED, S.PROCESSING, S.COMPLETED]
    values = [progress(s) for s in path]
    assert values == sorted(values)
    assert len(set(values)) == len(values)


def test_every_status_has_a_group_a_label_and_the_closed_group_is_the_final_statuses() -> None:
    assert set(STATUS_GROUP) == set(OrderStatus)
    assert set(STATUS_GROUP.values()) == set(StatusGroup)
    assert {s for s, g in STATUS_GROUP.items() if g is StatusGroup.CLOSED} == FINAL_STATUSES
    assert set(STATUS_LABELS) == set(OrderStatus)
    assert len(set(STATUS_LABELS.values())) == len(OrderStatus)
    assert S.UPDATE_REQUESTED.label == "Update Requested"


@pytest.mark.parametrize("role", PEOPLE)
@pytest.mark.parametrize("status", list(OrderStatus))
def test_next_steps_exist_for_every_status_and_person(status: OrderStatus, role: Role) -> None:
    steps = next_steps(status, role)
    assert steps
    assert steps == NEXT_STEPS[(status, role)]
    assert all(isinstance(step, str) and step.strip() for step in steps)


def test_next_steps_differ_between_the_parties_where_it_is_one_sides_move() -> None:
    for status in OrderStatus:
        if needs_action_by(status) & {R.INFLUENCER, R.ADVERTISER}:
            assert next_steps(status, R.INFLUENCER) != next_steps(status, R.ADVERTISER), status


WAITING_ON = {
    order_guidance._W_ADV: R.ADVERTISER,
    order_guidance._W_INF: R.INFLUENCER,
    order_guidance._W_MED: R.MEDIATOR,
}


@pytest.mark.parametrize("role", PEOPLE)
@pytest.mark.parametrize("status", list(OrderStatus))
def test_next_steps_agree_with_whose_move_it_is(status: OrderStatus, role: Role) -> None:
    steps = next_steps(status, role)
    if role in needs_action_by(status):
        assert not set(steps) & set(WAITING_ON), "told to wait while it is their move"
    for waiting_text, other in WAITING_ON.items():
        if waiting_text in steps:
            assert other in needs_action_by(status), (status, role, other)
            assert role not in needs_action_by(status)


PAID_THROUGH_PROVIDER = {S.PAYMENT_REQUIRED, S.UNCOLLECTABLE}


@pytest.mark.parametrize("status", list(OrderStatus))
def test_whoever_needs_to_act_can(status: OrderStatus) -> None:
    state = OrderState(status)
    for role in needs_action_by(status):
        moves = {t.action for t in allowed_actions(state, role)}
        if role is R.ADVERTISER and status in PAID_THROUGH_PROVIDER:
            # Paying goes through the payment system; the table gives the advertiser cancel.
            assert A.CANCEL in moves
            assert A.PAYMENT_SUCCEEDED in {
                t.action for t in allowed_actions(state, R.PAYMENT_SYSTEM)
            }
        else:
            assert moves, f"{role} must act in {status} but may do nothing"


def test_needs_action_by_is_defined_everywhere_and_names_only_people() -> None:
    assert set(NEEDS_ACTION_BY) == set(OrderStatus)
    for status in OrderStatus:
        assert needs_action_by(status) <= set(PEOPLE), status


def test_nobody_needs_to_act_on_a_final_order() -> None:
    for status in FINAL_STATUSES:
        assert needs_action_by(status) == frozenset()


def test_completed_is_the_only_open_status_waiting_on_nobody() -> None:
    idle = {s for s in set(OrderStatus) - FINAL_STATUSES if not needs_action_by(s)}
    assert idle == {S.COMPLETED}
    # It is a resting state, not a dead end: the advertiser can still take it further.
    assert {t.action for t in allowed_actions(OrderState(S.COMPLETED), R.ADVERTISER)}


def test_the_mediator_is_needed_exactly_in_mediation_required() -> None:
    for status in OrderStatus:
        assert (R.MEDIATOR in needs_action_by(status)) is (status is S.MEDIATION_REQUIRED)
    # While the mediators decide, the parties can do nothing but wait.
    for role in (R.INFLUENCER, R.ADVERTISER):
        assert allowed_actions(OrderState(S.MEDIATION_REQUIRED), role) == ()

