"""Random walks through the order lifecycle: whatever anyone tries, the rules stay consistent.

Each step picks any action, any role and arbitrary inputs (legal or not). A refusal must leave
the order as it was and agree with ``check``/``allowed_actions``; a success must be a move that
``allowed_actions`` offered and land where ``reachable_targets`` says it can.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from litdesk.domain.orders import (
    FINAL_STATUSES,
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


def _reachable_from_pending() -> frozenset[OrderStatus]:
    seen = {S.PENDING}
    queue = deque(seen)
    while queue:
        status = queue.popleft()
        for transition in TRANSITIONS:
            if status in transition.sources:
                for target in transition.targets - seen:
                    seen.add(target)
                    queue.append(target)
    return frozenset(seen)


REACHABLE = _reachable_from_pending()

_TEXT_KEYS = [need.value for need in Input if need not in (Input.PROOF, Input.OUTCOME)]
_PROOF_KEYS = ["proof_url", "proof_attachment_id"]
_OUTCOMES = [s.value for s in OrderStatus] + ["", "  ", "bogus", "Refunded"]

_value = st.sampled_from(["text", "", "   ", None, 7])
_any_inputs = st.fixed_dictionaries(
    {},
    optional={
        **dict.fromkeys(_TEXT_KEYS + _PROOF_KEYS, _value),
        Input.OUTCOME.value: st.sampled_from([*_OUTCOMES, None]),
    },
)
_full_inputs = st.builds(
    lambda outcome, proof_key: {
        **dict.fromkeys(_TEXT_KEYS, "text"),
        proof_key: "https://example.com/proof",
        Input.OUTCOME.value: outcome,
    },
    st.sampled_from([S.MEDIATION_COMPLETE.value, S.REFUNDED.value, "bogus"]),
    st.sampled_from(_PROOF_KEYS),
)
INPUTS = st.one_of(_full_inputs, _any_inputs)


def _outcome_ok(transition: Transition, inputs: dict[str, object]) -> bool:
    if Input.OUTCOME not in transition.required:
        return True
    return str(inputs.get(Input.OUTCOME.value)) in {t.value for t in transition.targets}


def _outcome(
    attempt: Callable[[], object],
) -> tuple[object | None, OrderRuleError | None]:
    """Run ``attempt``; return its result, or the rule error it raised."""
    try:
        return attempt(), None
    except OrderRuleError as refused:
        return None, refused


class OrderLifecycle(RuleBasedStateMachine):
    state: OrderState

    @initialize(inputs=_full_inputs)
    def place(self, inputs: dict[str, object]) -> None:
        self.state = apply(None, Action.PLACE_ORDER, Role.ADVERTISER, inputs)
        assert self.state == OrderState(S.PENDING)

    def _attempt(self, action: Action, role: Role, inputs: dict[str, object]) -> None:
        before = self.state
        transition = TRANSITION_BY_ACTION[action]
        offered = transition in allowed_actions(before, role)
        after, refused = _outcome(lambda: apply(before, action, role, inputs))
        if refused is not None:
            assert self.state == before
            _, check_refused = _outcome(lambda: check(before, action, role))
            if isinstance(refused, MissingInput):
                # Who and from where were fine; only the inputs were wrong.
                assert offered
                assert check_refused is None
                missing = missing_inputs(transition, inputs)
                if missing:
                    assert refused.missing == missing
                else:
                    assert not _outcome_ok(transition, inputs)
                    assert refused.missing == ("outcome",)
            else:
                assert not offered, (action, role, before)
                expected = NotPermitted if role not in transition.roles else IllegalTransition
                assert type(refused) is expected
                assert type(check_refused) is expected, "check() and apply() disagree"
            return
        assert after is not None
        assert offered, (action, role, before)
        assert missing_inputs(transition, inputs) == ()
        assert _outcome_ok(transition, inputs)
        assert after.status in reachable_targets(transition, before)
        assert after.status in transition.targets
        event(f"moved to {after.status}" + (" (on hold)" if after.held_from else ""))
        self.state = after

    @rule(action=st.sampled_from(Action), role=st.sampled_from(Role), inputs=INPUTS)
    def anyone_tries_anything(self, action: Action, role: Role, inputs: dict[str, object]) -> None:
        self._attempt(action, role, inputs)

    @precondition(lambda self: self.state.status not in FINAL_STATUSES)
    @rule(data=st.data(), inputs=_full_inputs, end_it=st.integers(0, 9))
    def someone_takes_an_offered_move(
        self, data: st.DataObject, inputs: dict[str, object], end_it: int
    ) -> None:
        offered = [(t, role) for role in Role for t in allowed_actions(self.state, role)]
        assert offered, f"{self.state.status} is not final but nobody can move"
        # Cancelling or refunding ends the walk; prefer the other moves to get deeper.
        going_on = [(t, role) for t, role in offered if not t.destructive]
        transition, role = data.draw(st.sampled_from(going_on if going_on and end_it else offered))
        self._attempt(transition.action, role, inputs)

    @precondition(lambda self: self.state.status in FINAL_STATUSES)
    @rule(inputs=_full_inputs)
    def place_another_order(self, inputs: dict[str, object]) -> None:
        self.place(inputs)

    @invariant()
    def status_is_reachable_from_pending(self) -> None:
        assert self.state.status in REACHABLE

    @invariant()
    def held_from_is_remembered_exactly_while_on_hold(self) -> None:
        status, held, update = self.state.status, self.state.held_from, self.state.update_from
        on_hold = status is S.HOLD or (status is S.UPDATE_REQUESTED and update is S.HOLD)
        assert (held is not None) is on_hold, self.state
        if held is not None:
            assert held in TRANSITION_BY_ACTION[Action.RESUME].targets

    @invariant()
    def update_from_is_remembered_exactly_while_update_requested(self) -> None:
        update = self.state.update_from
        assert (update is not None) is (self.state.status is S.UPDATE_REQUESTED), self.state
        if update is not None:
            assert update in TRANSITION_BY_ACTION[Action.POST_UPDATE].targets

    @invariant()
    def final_means_no_one_can_move(self) -> None:
        if self.state.status in FINAL_STATUSES:
            assert all(allowed_actions(self.state, role) == () for role in Role)


OrderLifecycle.TestCase.settings = settings(
    max_examples=200,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestOrderLifecycle = OrderLifecycle.TestCase
