"""Wire schemas: the JSON shapes server and client exchange (pydantic, no HTTP here)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

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


ID_MAX = 2**31 - 1  # ids are 32-bit integers in both databases


class Strict(BaseModel):
    """Request bodies: unknown fields are refused so typos are not silently ignored, and text
    must be storable (PostgreSQL refuses NUL characters and a lone surrogate cannot be encoded),
    so such text is invalid input (422) instead of a failure at the database."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _storable_text(self) -> Self:
        for name, value in self:
            for text in value if isinstance(value, list) else [value]:
                if not isinstance(text, str):
                    continue
                if "\x00" in text:
                    raise ValueError(f"{name} must not contain NUL characters")
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError(f"{name} is not valid Unicode text") from None
        return self


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
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme's name, not a secret
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


class OrderSort(StrEnum):
    """Orders for GET /orders; a leading '-' sorts newest or largest first. ``status`` follows
    the lifecycle (Pending first), not the alphabet."""

    CREATED = "created_at"
    CREATED_DESC = "-created_at"
    VALUE = "value"
    VALUE_DESC = "-value"
    STATUS = "status"
    STATUS_DESC = "-status"


class PlaceOrderIn(Strict):
    space_id: int = Field(ge=1, le=ID_MAX)
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


class ThreadPage(Wire):
    items: list[ThreadOut]
    total: int
    offset: int
    limit: int


class MessagePage(Wire):
    items: list[MessageOut] = Field(description="Oldest first (the newest is last).")
    has_more: bool = Field(description="Older messages exist: ask again with before=items[0].id.")


class MessageIn(Strict):
    text: str = Field(default="", max_length=20000)
    attachment_ids: list[Annotated[str, Field(max_length=36)]] = Field(
        default_factory=list, max_length=20,
        description="Ids from POST /attachments, uploaded by the sender.")


class ReadIn(Strict):
    last_read_message_id: int = Field(ge=0, le=2**62)


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
    counts: dict[str, int] = Field(
        default_factory=dict,
        description="For the brand's staff only (empty for creators and in the change feed): "
                    "requests per state, plus 'issue_open' and 'overdue'.",
    )


_NOT_BLANK = r"\S"  # required text: something other than spaces


class CampaignIn(Strict):
    name: str = Field(min_length=1, max_length=200, pattern=_NOT_BLANK)
    kind: CampaignKind
    product: str = Field(min_length=1, max_length=200, pattern=_NOT_BLANK)
    description: str = Field(default="", max_length=20000)
    stock: int | None = Field(default=None, ge=0, le=1_000_000_000,
                              description="Units to give away; left out: not counted.")


class CampaignCancelIn(Strict):
    reason: str = Field(min_length=1, max_length=5000, pattern=_NOT_BLANK)


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
    recipient_name: str = Field(min_length=1, max_length=200, pattern=_NOT_BLANK)
    address_line1: str = Field(min_length=1, max_length=300, pattern=_NOT_BLANK)
    address_line2: str = Field(default="", max_length=300)
    city: str = Field(min_length=1, max_length=120, pattern=_NOT_BLANK)
    postal_code: str = Field(min_length=1, max_length=20, pattern=_NOT_BLANK)
    region: str = Field(default="", max_length=120)
    country: str = Field(min_length=2, max_length=2, pattern=r"^[A-Za-z]{2}$",
                         description="ISO 3166-1 alpha-2")
    phone: str = Field(default="", max_length=40)


class ShippingActionIn(Strict):
    action: ShippingAction
    version: int | None = Field(default=None, description="If given, a stale one answers 409.")
    reason: str | None = Field(default=None, max_length=5000)
    carrier: str | None = Field(default=None, max_length=40)
    tracking_number: str | None = Field(default=None, max_length=60)


class BulkItemIn(Strict):
    id: int = Field(ge=1, le=ID_MAX)
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
    error: ErrorOut | None = Field(
        default=None,
        description="Why this item was not applied. In an atomic batch that failed, the items "
                    "that were fine carry the code 'not_applied'.",
    )
    request: ShippingRequestOut | None = None


class BulkResult(Wire):
    applied: int = Field(description="Items applied (0 when an atomic batch failed).")
    failed: int = Field(description="Items refused for a reason of their own.")
    results: list[BulkItemResult] = Field(description="One per item, in the order given.")


class BulkMessageIn(Strict):
    request_ids: list[Annotated[int, Field(ge=1, le=ID_MAX)]] = Field(
        min_length=1, max_length=20000)
    text: str = Field(min_length=1, max_length=20000, pattern=_NOT_BLANK)


class RequestPage(Wire):
    items: list[ShippingRequestOut]
    total: int
    offset: int
    limit: int


class RequestEventOut(Wire):
    id: int
    request_id: int
    actor_id: int | None = None
    actor_name: str
    action: str = Field(description="A shipping action, or 'requested' for the creation.")
    from_state: RequestState | None = None
    to_state: RequestState | None = None
    note: str = ""
    created_at: datetime


class ShippingRequestDetailOut(ShippingRequestOut):
    events: list[RequestEventOut]
    allowed_actions: list[ShippingAction] = Field(
        description="What the caller may do now (none once the campaign is cancelled).")


class RequestSort(StrEnum):
    """Orders for GET /requests; a leading '-' sorts newest or largest first."""

    REQUESTED = "requested_at"
    REQUESTED_DESC = "-requested_at"
    ACCEPTED = "accepted_at"
    ACCEPTED_DESC = "-accepted_at"
    SHIPPED = "shipped_at"
    SHIPPED_DESC = "-shipped_at"
    UPDATED = "updated_at"
    UPDATED_DESC = "-updated_at"
    CREATOR = "creator_name"
    CREATOR_DESC = "-creator_name"
    ID = "id"
    ID_DESC = "-id"


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
