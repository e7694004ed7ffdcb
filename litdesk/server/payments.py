"""The payment-provider interface and the built-in provider.

The built-in provider moves no money: it records the payment at once. Like a card processor's
test mode, the payment method ``test_declined`` makes a payment fail, which is how a demo or a
test reaches Uncollectable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PaymentResult:
    ok: bool
    reference: str
    message: str = ""


class PaymentProvider(Protocol):
    def charge(self, order_number: str, amount_cents: int, currency: str,
               payment_method: str) -> PaymentResult: ...


class BuiltInProvider:
    """Records payments without moving money."""

    DECLINED = "test_declined"

    def charge(self, order_number: str, amount_cents: int, currency: str,
               payment_method: str) -> PaymentResult:
        if payment_method == self.DECLINED:
            return PaymentResult(False, f"declined-{order_number}", "The card was declined.")
        return PaymentResult(True, f"paid-{order_number}-{amount_cents}{currency}")
