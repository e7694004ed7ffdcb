"""Wire schemas: the JSON shapes server and client exchange (pydantic, no HTTP here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from litdesk.domain.orders import Action, OrderStatus, Role
from litdesk.domain.shipping import (
    CampaignKind,
    CampaignStatus,
    IssueState,
    RequestState,
    ShippingAction,
)


class Wire(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="ignore")


class Strict(BaseModel):
    """Request bodies: unknown fields are refused so typos are not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Wire):
    code: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


# --- auth ----------------------------------------------------------------------------------------

class LoginIn(Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class UserOut(Wire):
    id: int
    email: str
    name: str
    role: Role
    brand_id: int | None = None
    handle: str | None = None


class LoginOut(Wire):
    token: str
    token_type: Literal["bearer"] = "bearer"
    user: UserOut


class HealthOut(Wire):
    status: Literal["ok"] = "ok"
    version: str
    database: str


# --- orders --------------------------------------------------------------------------------------

class PartyOut(Wire):
    id: int
    name: str


class SpaceOut(Wire):
    id: int
    influencer_id: int
    title: str
    description: str
    price_cents: int
    currency: str
    recurring: bool


class SpaceIn(Strict):
    """A space an influencer offers. ``recurring`` spaces are paid monthly, one order a month."""

    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    price_cents: int = Field(ge=0, le=1_000_000_000)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    recurring: bool = False


class OrderOut(Wire):
    id: int
    number: str
    status: OrderStatus
    held_from: OrderStatus | None = None
    update_from: OrderStatus | None = None
    awaiting: Role | None = None
    progress: int
    space: SpaceOut
    influencer: PartyOut
    advertiser: PartyOut
    value_cents: int
    currency: str
    brief: str
    portfolio_ref: str | None = None
    series_id: int | None = None
    series_index: int = 1
    period_start: datetime | None = None
    proof_url: str | None = None
    proof_attachment_id: str | None = None
    completed_at: datetime | None = None
    survey_due_at: datetime | None = None
    thread_id: int | None = None
    created_at: datetime
    updated_at: datetime
    version: int


class OrderEventOut(Wire):
    id: int
    order_id: int
    actor_id: int | None = None
    actor_name: str
    actor_role: str
    kind: Literal["created", "transition", "message", "rating", "survey", "proof"]
    action: str | None = None
    from_status: OrderStatus | None = None
    to_status: OrderStatus | None = None
    note: str = ""
    created_at: datetime


class RatingOut(Wire):
    id: int
    order_id: int
    rater_id: int
    score: int
    comment: str
    created_at: datetime


class SurveyOut(Wire):
    id: int
    order_id: int
    impressions: int
    clicks: int
    conversions: int
    satisfaction: int
    comment: str
    created_at: datetime


class OrderDetailOut(OrderOut):
    events: list[OrderEventOut]
    ratings: list[RatingOut]
    survey: SurveyOut | None = None
    allowed_actions: list[Action]
    next_steps: list[str]


class OrderPage(Wire):
    items: list[OrderOut]
    total: int
    offset: int
    limit: int


class PlaceOrderIn(Strict):
    space_id: int
    brief: str = Field(min_length=1, max_length=20000)
    portfolio_ref: str | None = Field(default=None, max_length=2000)
    first_message: str | None = Field(default=None, max_length=20000)


class TransitionIn(Strict):
    action: Action
    version: int = Field(description="The order version the caller saw; a stale one answers 409.")
    question: str | None = Field(default=None, max_length=20000)
    answer: str | None = Field(default=None, max_length=20000)
    reason: str | None = Field(default=None, max_length=20000)
    update_text: str | None = Field(default=None, max_length=20000)
    resolution: str | None = Field(default=None, max_length=20000)
    decision: str | None = Field(default=None, max_length=20000)
    outcome: OrderStatus | None = None
    proof_url: str | None = Field(default=None, max_length=2000)
    proof_attachment_id: str | None = Field(default=None, max_length=36)


class PayIn(Strict):
    version: int
    payment_method: str = Field(
        default="test_ok", max_length=100,
        description="For the built-in provider: 'test_declined' makes the payment fail.",
    )


class RatingIn(Strict):
    score: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=5000)


class SurveyIn(Strict):
    impressions: int = Field(ge=0, le=10**12)
    clicks: int = Field(ge=0, le=10**12)
    conversions: int = Field(ge=0, le=10**12)
    satisfaction: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=5000)


# --- messages ------------------------------------------------------------------------------------

class AttachmentOut(Wire):
    id: str
    name: str
    content_type: str
    size: int


class MessageOut(Wire):
    id: int
    thread_id: int
    sender_id: int | None = None
    sender_name: str
    system: bool
    text: str
    attachments: list[AttachmentOut]
    created_at: datetime


class ThreadOut(Wire):
    id: int
    kind: Literal["order", "request"]
    order_id: int | None = None
    request_id: int | None = None
    title: str
    last_message_at: datetime | None = None
    message_count: int
    unread: int = 0


class MessagePage(Wire):
    items: list[MessageOut]
    has_more: bool


class MessageIn(Strict):
    text: str = Field(default="", max_length=20000)
    attachment_ids: list[str] = Field(default_factory=list, max_length=20)


class ReadIn(Strict):
    last_read_message_id: int = Field(ge=0)


# --- shipping ------------------------------------------------------------------------------------

class CampaignOut(Wire):
    id: int
    brand_id: int
    brand_name: str
    name: str
    kind: CampaignKind
    product: str
    description: str
    status: CampaignStatus
    stock: int | None = None
    created_at: datetime
    cancelled_at: datetime | None = None
    version: int
    counts: dict[str, int] = Field(default_factory=dict)


class CampaignIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: CampaignKind
    product: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=20000)
    stock: int | None = Field(default=None, ge=0)


class CampaignCancelIn(Strict):
    reason: str = Field(min_length=1, max_length=5000)


class ShippingRequestOut(Wire):
    id: int
    campaign_id: int
    creator_id: int
    creator_name: str
    creator_handle: str | None = None
    product: str
    variant: str
    recipient_name: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    region: str
    country: str
    phone: str
    state: RequestState
    issue_state: IssueState
    issue_reason: str
    issue_reported_at: datetime | None = None
    refused_reason: str
    cancelled_reason: str
    requested_at: datetime
    accepted_at: datetime | None = None
    ship_by: datetime | None = None
    shipped_at: datetime | None = None
    carrier: str
    tracking_number: str
    reship_count: int
    thread_id: int | None = None
    updated_at: datetime
    version: int


class ShippingRequestIn(Strict):
    variant: str = Field(default="", max_length=200)
    recipient_name: str = Field(min_length=1, max_length=200)
    address_line1: str = Field(min_length=1, max_length=300)
    address_line2: str = Field(default="", max_length=300)
    city: str = Field(min_length=1, max_length=120)
    postal_code: str = Field(min_length=1, max_length=20)
    region: str = Field(default="", max_length=120)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2")
    phone: str = Field(default="", max_length=40)


class ShippingActionIn(Strict):
    action: ShippingAction
    version: int | None = Field(default=None, description="If given, a stale one answers 409.")
    reason: str | None = Field(default=None, max_length=5000)
    carrier: str | None = Field(default=None, max_length=40)
    tracking_number: str | None = Field(default=None, max_length=60)


class BulkItemIn(Strict):
    id: int
    version: int | None = None
    carrier: str | None = Field(default=None, max_length=40)
    tracking_number: str | None = Field(default=None, max_length=60)


class BulkShippingIn(Strict):
    action: ShippingAction
    items: list[BulkItemIn] = Field(min_length=1, max_length=20000)
    reason: str | None = Field(default=None, max_length=5000)
    atomic: bool = Field(
        default=False,
        description="All or nothing: if any item fails, none is applied.",
    )


class BulkItemResult(Wire):
    id: int
    ok: bool
    error: ErrorOut | None = None
    request: ShippingRequestOut | None = None


class BulkResult(Wire):
    applied: int
    failed: int
    results: list[BulkItemResult]


class BulkMessageIn(Strict):
    request_ids: list[int] = Field(min_length=1, max_length=20000)
    text: str = Field(min_length=1, max_length=20000)


class RequestPage(Wire):
    items: list[ShippingRequestOut]
    total: int
    offset: int
    limit: int


# --- change feed ---------------------------------------------------------------------------------

class ChangeOut(Wire):
    pos: int
    entity: Literal["order", "order_event", "message", "thread", "campaign", "request", "rating",
                    "survey"]
    id: str
    op: Literal["upsert", "delete"]
    data: dict[str, Any]


class ChangesPage(Wire):
    changes: list[ChangeOut]
    cursor: int
    more: bool
