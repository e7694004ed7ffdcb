"""Demo data: realistic orders, threads and seeding campaigns for trying LitDesk out.

Everything is made through the server's own services, so the data obeys the same rules as real
use and every object is in the change feed. Each order's history is built in one transaction and
then moved back in time before it commits, so the feed carries the backdated timestamps too.
Every demo account's password is ``demo``.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from litdesk.domain import tracking
from litdesk.domain.orders import Action, OrderStatus, Role
from litdesk.domain.shipping import CampaignKind, RequestState, ShippingAction
from litdesk.domain.wire import (
    CampaignIn,
    PayIn,
    PlaceOrderIn,
    RatingIn,
    ShippingRequestIn,
    SpaceIn,
    SurveyIn,
    TransitionIn,
)
from litdesk.server.accounts import create_brand, create_user
from litdesk.server.db import Database
from litdesk.server.models import (
    Message,
    Order,
    OrderEvent,
    Rating,
    RequestEvent,
    ShippingRequest,
    Space,
    Thread,
    User,
    utcnow,
)
from litdesk.server.payments import BuiltInProvider
from litdesk.server.services import order_feedback, orders, shipping
from litdesk.server.services.attachments import store_upload
from litdesk.server.services.threads import post_message, thread_for_order, thread_for_request

PASSWORD = "demo"  # noqa: S105 - documented in the README for the demo accounts
ORDER_COUNT = 200
ATTACHMENT_LIMIT = 10 * 1024 * 1024

S = OrderStatus
A = Action

# How to reach each status from Pending: (action, who) steps; "pay"/"decline" go through the
# payment provider. Inputs are filled in by ``_inputs``.
PATHS: dict[OrderStatus, tuple[tuple[str, Role], ...]] = {
    S.PENDING: (),
    S.FEEDBACK_REQUIRED: (("request_feedback", Role.INFLUENCER),),
    S.FEEDBACK_PROVIDED: (("request_feedback", Role.INFLUENCER),
                          ("provide_feedback", Role.ADVERTISER)),
    S.PAYMENT_REQUIRED: (("request_payment", Role.INFLUENCER),),
    S.UNCOLLECTABLE: (("request_payment", Role.INFLUENCER), ("decline", Role.ADVERTISER)),
    S.PAYMENT_RECEIVED: (("request_payment", Role.INFLUENCER), ("pay", Role.ADVERTISER)),
    S.PROCESSING: (("request_payment", Role.INFLUENCER), ("pay", Role.ADVERTISER),
                   ("start_processing", Role.INFLUENCER)),
    S.CANCELLED: (("request_feedback", Role.INFLUENCER), ("cancel", Role.ADVERTISER)),
}
_PROCESSING = PATHS[S.PROCESSING]
PATHS.update({
    S.HOLD: (*_PROCESSING, ("put_on_hold", Role.INFLUENCER)),
    S.UPDATE_REQUESTED: (*_PROCESSING, ("request_update", Role.ADVERTISER)),
    S.COMPLETED: (("request_feedback", Role.INFLUENCER), ("provide_feedback", Role.ADVERTISER),
                  *_PROCESSING, ("complete", Role.INFLUENCER)),
    S.DISPUTE_OPENED: (*_PROCESSING, ("open_dispute", Role.ADVERTISER)),
})
_COMPLETED = PATHS[S.COMPLETED]
PATHS.update({
    S.REFUND_REQUESTED: (*_COMPLETED, ("request_refund", Role.ADVERTISER)),
    S.REFUNDED: (*_PROCESSING, ("request_refund", Role.ADVERTISER),
                 ("grant_refund", Role.INFLUENCER)),
    S.REFUND_DECLINED: (*_COMPLETED, ("request_refund", Role.ADVERTISER),
                        ("decline_refund", Role.INFLUENCER)),
    S.DISPUTE_CLOSED: (*PATHS[S.DISPUTE_OPENED], ("close_dispute", Role.INFLUENCER)),
})
PATHS.update({
    S.MEDIATION_REQUIRED: (*PATHS[S.REFUND_DECLINED], ("request_mediation", Role.ADVERTISER)),
    S.MEDIATION_COMPLETE: (*PATHS[S.DISPUTE_CLOSED], ("request_mediation", Role.ADVERTISER),
                           ("mediator_decides", Role.MEDIATOR)),
})

# How many of the 200 orders end in each status (the rest are completed).
MIX: dict[OrderStatus, int] = {
    S.PENDING: 18, S.FEEDBACK_REQUIRED: 10, S.FEEDBACK_PROVIDED: 8, S.PAYMENT_REQUIRED: 12,
    S.PAYMENT_RECEIVED: 9, S.PROCESSING: 22, S.HOLD: 6, S.UPDATE_REQUESTED: 6,
    S.CANCELLED: 10, S.REFUND_REQUESTED: 6, S.REFUND_DECLINED: 5, S.REFUNDED: 6,
    S.DISPUTE_OPENED: 6, S.DISPUTE_CLOSED: 5, S.MEDIATION_REQUIRED: 5,
    S.MEDIATION_COMPLETE: 5, S.UNCOLLECTABLE: 6,
}
ACTIVE = {S.PENDING, S.FEEDBACK_REQUIRED, S.FEEDBACK_PROVIDED, S.PAYMENT_REQUIRED,
          S.PAYMENT_RECEIVED, S.PROCESSING, S.HOLD, S.UPDATE_REQUESTED, S.UNCOLLECTABLE}

SPACES = [
    ("Dedicated YouTube review (10-12 min)", 180000, False),
    ("Instagram Reel + 3 stories", 95000, False),
    ("Newsletter sponsor slot (42k readers)", 60000, True),
    ("TikTok integration, 30-60 s", 70000, False),
    ("Podcast mid-roll read", 45000, True),
]
BRANDS = ["Northwind Audio", "Lumen Labs", "Fable & Fern", "Kettle Coffee Co.", "Orbit Bikes",
          "Paperlane", "Brightside Skincare", "Tidewater Outdoor"]
BRIEFS = [
    "Launch of our {p}: we'd love an honest first-impressions piece with a discount code.",
    "Seasonal campaign for {p}. Key message: made to last. Link in the first line, please.",
    "We're reaching a younger audience with {p}; show it in your everyday routine.",
    "Back-to-school push for {p}. One clear call to action, code SCHOOL15.",
    "A comparison with what you use today is welcome. Product: {p}.",
]
PRODUCTS = ["wireless earbuds", "smart desk lamp", "herbal tea sampler", "cold-brew kit",
            "commuter e-bike", "weekly planner", "vitamin C serum", "ultralight tent"]
QUESTIONS = ["Can you share the key talking points and what to avoid?",
             "Is there a deadline for the publication date?",
             "Could you send a sample before I record?"]
ANSWERS = ["Key points attached in the messages; please avoid price comparisons.",
           "Any day before the end of the month works for us.",
           "A sample ships tomorrow, tracking to follow."]
CHAT = [
    ("advertiser", "Hi! Excited to work with you on this one."),
    ("influencer", "Thanks! I had a look at the brief; it fits my audience well."),
    ("advertiser", "Great. Anything else you need from us?"),
    ("influencer", "A couple of product shots would help for the thumbnail."),
    ("advertiser", "Sending them over today."),
    ("influencer", "Draft script is ready, I'll share it tomorrow morning."),
]
CREATORS = ["Ava Brooks", "Liam Chen", "Noah Patel", "Emma Rossi", "Olivia Nguyen", "Lucas Meyer",
            "Mia Kowalski", "Ethan Dubois", "Zoe Laurent", "Leo Santos", "Chloe Martin",
            "Jack Wilson", "Ines Garcia", "Hugo Bernard", "Lina Haddad", "Sam Taylor",
            "Nora Lindqvist", "Omar Farouk", "Ruby Adams", "Theo Novak"]
CITIES = [("Lyon", "69002", "FR"), ("Austin", "78701", "US"), ("Leeds", "LS1 4AP", "GB"),
          ("Berlin", "10115", "DE"), ("Toronto", "M5V 2T6", "CA"), ("Madrid", "28004", "ES")]
CARRIERS = ["UPS", "USPS", "DHL", "La Poste"]


@dataclass
class Cast:
    influencers: list[User]
    advertisers: list[User]
    mediator: User
    logistics: User
    creators: list[User]


def is_empty(db: Database) -> bool:
    """No accounts yet: the only kind of database the demo may fill."""
    with db.read() as session:
        return session.execute(select(User.id).limit(1)).first() is None


def fill_if_empty(db: Database, *, seed: int = 7) -> bool:
    """Fill the database with demo data unless it already has accounts."""
    if not is_empty(db):
        return False
    DemoBuilder(db, random.Random(seed)).build()
    return True


class DemoBuilder:
    def __init__(self, db: Database, rng: random.Random) -> None:
        self.db = db
        self.rng = rng
        self.now = utcnow()
        self.provider = BuiltInProvider()
        self.tracking_serial = 0

    # --- accounts ---

    def build(self) -> None:
        cast = self._accounts()
        spaces = self._spaces(cast)
        self._orders(cast, spaces)
        self._recurring_series(cast, spaces)
        self._shipping(cast)

    def _accounts(self) -> Cast:
        with self.db.write() as session:
            def person(email: str, name: str, role: Role, **extra: object) -> User:
                return create_user(session, email=email, name=name, role=role,
                                   password=PASSWORD, **extra)  # type: ignore[arg-type]

            influencers = [person("influencer@demo.test", "Maya Laurent", Role.INFLUENCER),
                           person("jonas@demo.test", "Jonas Weber", Role.INFLUENCER),
                           person("priya@demo.test", "Priya Raman", Role.INFLUENCER)]
            advertisers = [person("advertiser@demo.test", "Northwind Audio", Role.ADVERTISER)]
            for n, company in enumerate(BRANDS[1:], start=2):
                advertisers.append(person(f"advertiser{n}@demo.test", company, Role.ADVERTISER))
            mediator = person("mediator@demo.test", "Lit Mediation Team", Role.MEDIATOR)
            brand = create_brand(session, "Brightside Skincare")
            logistics = person("logistics@demo.test", "Sam Okafor (Brightside logistics)",
                               Role.BRAND_STAFF, brand_id=brand.id)
            creators = [person("creator@demo.test", "Ava Brooks", Role.CREATOR,
                               handle="@avabrooks")]
            for n, name in enumerate(CREATORS[1:], start=2):
                handle = "@" + name.lower().replace(" ", "")
                creators.append(person(f"creator{n}@demo.test", name, Role.CREATOR,
                                       handle=handle))
            session.commit()
            return Cast(influencers, advertisers, mediator, logistics, creators)

    def _spaces(self, cast: Cast) -> list[Space]:
        made: list[Space] = []
        with self.db.write() as session:
            for index, influencer in enumerate(cast.influencers):
                who = session.get(User, influencer.id)
                assert who is not None
                offers = SPACES if index == 0 else SPACES[index:index + 2]
                for title, price, recurring in offers:
                    made.append(orders.create_space(session, who, SpaceIn(
                        title=title, description=f"{title} by {who.name}.",
                        price_cents=price, recurring=recurring)))
            session.commit()
        return made

    # --- orders ---

    def _orders(self, cast: Cast, spaces: Sequence[Space]) -> None:
        plan: list[OrderStatus] = []
        for status, count in MIX.items():
            plan.extend([status] * count)
        plan.extend([S.COMPLETED] * (ORDER_COUNT - 6 - len(plan)))  # 6 come from the series
        self.rng.shuffle(plan)
        one_off = [s for s in spaces if not s.recurring]
        demo_influencer_spaces = [s for s in one_off if s.influencer_id == cast.influencers[0].id]
        for n, target in enumerate(plan):
            # Most orders involve the demo influencer and/or the demo advertiser.
            space = (self.rng.choice(demo_influencer_spaces) if n % 4 != 3
                     else self.rng.choice(one_off))
            advertiser = (cast.advertisers[0] if n % 2 == 0 or space.influencer_id !=
                          cast.influencers[0].id else self.rng.choice(cast.advertisers[1:]))
            self._order(cast, space.id, advertiser.id, target, with_chat=n % 3 == 0,
                        with_files=n % 9 == 0)

    def _order(self, cast: Cast, space_id: int, advertiser_id: int, target: OrderStatus, *,
               with_chat: bool, with_files: bool) -> None:
        rng = self.rng
        with self.db.write() as session:
            space = session.get(Space, space_id)
            advertiser = session.get(User, advertiser_id)
            assert space is not None
            assert advertiser is not None
            influencer = space.influencer
            mediator = session.get(User, cast.mediator.id)
            assert mediator is not None
            product = rng.choice(PRODUCTS)
            order = orders.place_order(session, advertiser, PlaceOrderIn(
                space_id=space.id, brief=rng.choice(BRIEFS).format(p=product),
                portfolio_ref=f"https://portfolio.example/{product.replace(' ', '-')}"
                if rng.random() < 0.5 else None,
                first_message=f"Hello {influencer.name.split()[0]}, looking forward to this!"
                if rng.random() < 0.6 else None,
            ))
            session.flush()
            actors = {Role.INFLUENCER: influencer, Role.ADVERTISER: advertiser,
                      Role.MEDIATOR: mediator}
            thread = thread_for_order(session, order)
            for step, (action, role) in enumerate(PATHS[target]):
                if with_chat and step == 1:
                    self._chat(session, thread, influencer, advertiser, with_files)
                self._step(session, order, action, actors[role])
            if with_chat and len(PATHS[target]) <= 1:
                self._chat(session, thread, influencer, advertiser, with_files)
            if order.completed_at is not None and rng.random() < 0.8:
                order_feedback.rate(session, influencer, order.id, RatingIn(
                    score=rng.choice([4, 5, 5]), comment="Smooth collaboration, thank you!"))
                if rng.random() < 0.8:
                    order_feedback.rate(session, advertiser, order.id, RatingIn(
                        score=rng.choice([3, 4, 5, 5]), comment="Great content, on time."))
                if target is S.COMPLETED and rng.random() < 0.5:
                    order_feedback.submit_survey(session, advertiser, order.id, SurveyIn(
                        impressions=rng.randint(8000, 250000), clicks=rng.randint(200, 9000),
                        conversions=rng.randint(5, 400), satisfaction=rng.randint(3, 5)))
            session.flush()
            self._backdate_order(session, order, recent=target in ACTIVE)
            session.commit()

    def _step(self, session: Session, order: Order, action: str, actor: User) -> None:
        session.flush()
        if action in ("pay", "decline"):
            method = "test_declined" if action == "decline" else "test_ok"
            orders.pay(session, actor, order.id, PayIn(version=order.version,
                                                       payment_method=method), self.provider)
            return
        inputs: dict[str, object] = {}
        rng = self.rng
        match Action(action):
            case A.REQUEST_FEEDBACK:
                inputs["question"] = rng.choice(QUESTIONS)
            case A.PROVIDE_FEEDBACK:
                inputs["answer"] = rng.choice(ANSWERS)
            case A.PUT_ON_HOLD:
                inputs["reason"] = "Waiting for the product sample to arrive."
            case A.COMPLETE:
                inputs["proof_url"] = f"https://video.example/watch/{order.number.lower()}"
            case A.CANCEL:
                inputs["reason"] = "Our campaign dates moved; we will come back next quarter."
            case A.REQUEST_REFUND:
                inputs["reason"] = "The post went live a week after the agreed date."
            case A.DECLINE_REFUND:
                inputs["reason"] = "The date was moved at your request, see the messages."
            case A.OPEN_DISPUTE:
                inputs["reason"] = "The discount code was missing from the video."
            case A.CLOSE_DISPUTE:
                inputs["resolution"] = "Code added to the description and pinned comment."
            case A.REQUEST_MEDIATION:
                inputs["reason"] = "We could not agree between us."
            case A.MEDIATOR_DECIDES:
                inputs["decision"] = "Both parties delivered what was agreed in the messages."
                inputs["outcome"] = "mediation_complete"
            case _:
                pass
        orders.transition(session, actor, order.id,
                          TransitionIn(action=Action(action), version=order.version,
                                       **inputs))

    def _chat(self, session: Session, thread: Thread, influencer: User, advertiser: User,
              with_files: bool) -> None:
        for n, (who, text) in enumerate(CHAT[: self.rng.randint(2, len(CHAT))]):
            sender = influencer if who == "influencer" else advertiser
            files = []
            if with_files and n == 3:
                files = [store_upload(session, sender, "moodboard.png", "image/png",
                                      demo_png(self.rng), max_bytes=ATTACHMENT_LIMIT)]
            if with_files and n == 1:
                files = [store_upload(session, sender, "media-kit.pdf", "application/pdf",
                                      demo_pdf("Media kit"), max_bytes=ATTACHMENT_LIMIT)]
            post_message(session, thread, sender, text, files)

    def _backdate_order(self, session: Session, order: Order, *, recent: bool,
                        ago: timedelta | None = None) -> None:
        """Spread the order's history over realistic days, ending ``ago`` in the past."""
        rng = self.rng
        events = list(session.execute(select(OrderEvent).where(OrderEvent.order_id == order.id)
                                      .order_by(OrderEvent.id)).scalars())
        gaps = [timedelta(hours=rng.uniform(0.2, 40)) for _ in events]
        if ago is None:
            ago = timedelta(days=rng.uniform(0.05, 6) if recent else rng.uniform(8, 150))
        moment = self.now - ago - sum(gaps, timedelta())
        times: list[datetime] = []
        for gap in gaps:
            moment += gap
            times.append(moment)
        for event, when in zip(events, times, strict=True):
            event.created_at = when
            if event.kind == "transition" and event.to_status == S.COMPLETED.value:
                order.completed_at = when
        order.created_at = times[0]
        order.updated_at = times[-1]
        message_times = [e.created_at for e in events if e.kind == "message"]
        thread = session.execute(select(Thread).where(Thread.order_id == order.id)).scalar_one()
        messages = list(session.execute(select(Message).where(Message.thread_id == thread.id)
                                        .order_by(Message.id)).scalars())
        for message, when in zip(messages, message_times, strict=False):
            message.created_at = when
        thread.created_at = times[0]
        thread.last_message_at = messages[-1].created_at if messages else None
        for rating in session.execute(select(Rating).where(Rating.order_id == order.id)).scalars():
            rating.created_at = (order.completed_at or times[-1]) + timedelta(hours=2)

    def _recurring_series(self, cast: Cast, spaces: Sequence[Space]) -> None:
        """Two monthly newsletter sponsors: each payment sets up next month's order."""
        recurring = [s for s in spaces if s.recurring and
                     s.influencer_id == cast.influencers[0].id]
        for space, months in zip(recurring, (4, 2), strict=False):
            with self.db.write() as session:
                advertiser = session.get(User, cast.advertisers[0].id)
                influencer = session.get(User, space.influencer_id)
                assert advertiser is not None
                assert influencer is not None
                order = orders.place_order(session, advertiser, PlaceOrderIn(
                    space_id=space.id, brief="Monthly sponsor slot: our feature of the month.",
                    first_message="Same as last time, new product each month."))
                self._step(session, order, "request_payment", influencer)
                for _ in range(months - 1):
                    self._step(session, order, "pay", advertiser)
                    session.flush()
                    following = session.execute(
                        select(Order).where(Order.series_id == order.series_id,
                                            Order.series_index == order.series_index + 1)
                    ).scalar_one()
                    self._step(session, order, "start_processing", influencer)
                    self._step(session, order, "complete", influencer)
                    order = following
                session.flush()
                series = session.execute(select(Order).where(Order.series_id == order.series_id)
                                         .order_by(Order.series_index)).scalars().all()
                for paid in series:
                    # One order a month, the newest (awaiting payment) this week.
                    months_back = len(series) - paid.series_index
                    self._backdate_order(session, paid, recent=True,
                                         ago=timedelta(days=30 * months_back + 1))
                session.commit()

    # --- shipping ---

    def _shipping(self, cast: Cast) -> None:
        with self.db.write() as session:
            staff = session.get(User, cast.logistics.id)
            assert staff is not None
            launch = shipping.create_campaign(session, staff, CampaignIn(
                name="Glow Serum launch", kind=CampaignKind.INFLUENCE, product="Glow Serum 30 ml",
                description="Creators apply; we pick 40 for the launch.", stock=60))
            gifted = shipping.create_campaign(session, staff, CampaignIn(
                name="Summer SPF gifted reviews", kind=CampaignKind.GIFTED_REVIEW,
                product="Daily SPF 50", description="Every approved reviewer gets a tube."))
            session.commit()
            launch_id, gifted_id = launch.id, gifted.id
        # (campaign, final state, open issue?) for each creator, in order; creator@demo.test
        # first: an open issue on the launch and a parcel to ship on the gifted campaign.
        launch_plan = ["issue", "pending", "pending", "pending", "pending", "pending", "refused",
                       "refused", "ready", "ready", "ready", "overdue", "overdue", "sent",
                       "sent", "sent_no_tracking", "sent", "solved", "reshipped", "cancelled"]
        gifted_plan = ["ready", "overdue", "overdue", "ready", "ready", "sent", "sent",
                       "sent_no_tracking", "issue", "issue", "cancelled", "sent", "ready",
                       "sent", "solved", "ready", "sent", "overdue", "sent", "ready"]
        for creator, plan in zip(cast.creators, launch_plan, strict=True):
            self._request(launch_id, creator.id, staff.id, plan)
        for creator, plan in zip(cast.creators, gifted_plan, strict=True):
            self._request(gifted_id, creator.id, staff.id, plan)

    def _request(self, campaign_id: int, creator_id: int, staff_id: int, plan: str) -> None:
        rng = self.rng
        with self.db.write() as session:
            creator = session.get(User, creator_id)
            staff = session.get(User, staff_id)
            assert creator is not None
            assert staff is not None
            city, postal, country = rng.choice(CITIES)
            request = shipping.create_request(session, creator, campaign_id, ShippingRequestIn(
                variant=rng.choice(["", "Fragrance-free", "Tinted"]),
                recipient_name=creator.name,
                address_line1=f"{rng.randint(1, 180)} {rng.choice(['Rue', 'Main', 'High'])} "
                              f"{rng.choice(['Street', 'de la Paix', 'Avenue'])}",
                city=city, postal_code=postal, country=country,
                phone=f"+1 555 01{rng.randint(10, 99)}"))
            session.flush()

            def do(action: ShippingAction, actor: User = staff, **inputs: str) -> None:
                session.flush()
                shipping.act(session, actor, request.id, action, **inputs)

            state = RequestState(request.state)
            if state is RequestState.PENDING and plan != "pending":
                if plan == "refused":
                    do(ShippingAction.REFUSE, reason="Your audience is outside our markets.")
                else:
                    do(ShippingAction.ACCEPT)
            if plan in ("sent", "sent_no_tracking", "issue", "solved", "reshipped"):
                if plan == "sent_no_tracking":
                    do(ShippingAction.SHIP)
                else:
                    carrier, number = self._tracking(rng)
                    do(ShippingAction.SHIP, carrier=carrier, tracking_number=number)
            if plan in ("issue", "solved", "reshipped"):
                do(ShippingAction.REPORT_ISSUE, creator,
                   reason=rng.choice(["The parcel arrived damaged.",
                                      "Tracking has not moved for a week.",
                                      "I received the wrong variant."]))
                thread = thread_for_request(session, request)
                post_message(session, thread, creator, "Hi, there's a problem with my parcel, "
                             "details in the report. Thanks for looking into it!")
            if plan == "solved":
                do(ShippingAction.MARK_SOLVED)
            if plan == "reshipped":
                do(ShippingAction.RESHIP)
            if plan == "cancelled":
                do(ShippingAction.CANCEL, reason="Out of stock in this variant, sorry!")
            session.flush()
            self._backdate_request(session, request, overdue=plan == "overdue")
            session.commit()

    def _tracking(self, rng: random.Random) -> tuple[str, str]:
        """A unique number in each carrier's format, with a correct check digit (the app
        validates them: a demo full of "invalid" numbers would teach the wrong thing)."""
        carrier = CARRIERS[self.tracking_serial % len(CARRIERS)]
        self.tracking_serial += 1
        serial = self.tracking_serial
        if carrier == "UPS":
            data = f"999AA10{serial:08d}"
            return carrier, f"1Z{data}{tracking.ups_mod10(data)}"
        if carrier == "USPS":
            data = f"9400111899223{serial:08d}"
            return carrier, f"{data}{tracking.gs1_mod10(data)}"
        if carrier == "DHL":
            return carrier, f"JJD00{serial:08d}"  # piece labels carry no check digit
        data = f"{serial:08d}"
        return carrier, f"RR{data}{tracking.s10_mod11(data)}FR"

    def _backdate_request(self, session: Session, request: ShippingRequest, *,
                          overdue: bool) -> None:
        rng = self.rng
        requested = self.now - timedelta(days=rng.uniform(7, 20) if overdue is False
                                         else rng.uniform(6, 9))
        request.requested_at = requested
        if request.accepted_at is not None:
            age = rng.uniform(4, 6) if overdue else rng.uniform(0.2, 2.5)
            request.accepted_at = self.now - timedelta(days=age)
            if request.accepted_at < requested:
                request.requested_at = request.accepted_at - timedelta(hours=rng.uniform(2, 40))
        if request.shipped_at is not None:
            base = request.accepted_at or requested
            request.shipped_at = base + timedelta(days=rng.uniform(0.3, 2.5))
            if request.shipped_at > self.now:
                request.shipped_at = self.now - timedelta(hours=1)
        if request.issue_reported_at is not None:
            request.issue_reported_at = (request.shipped_at or self.now) + timedelta(days=1)
            if request.issue_reported_at > self.now:
                request.issue_reported_at = self.now - timedelta(minutes=30)
        events = session.execute(select(RequestEvent).where(
            RequestEvent.request_id == request.id).order_by(RequestEvent.id)).scalars().all()
        for n, event in enumerate(events):
            event.created_at = request.requested_at + timedelta(minutes=n)
        request.updated_at = max(t for t in (request.requested_at, request.accepted_at,
                                             request.shipped_at, request.issue_reported_at)
                                 if t is not None)


def demo_png(rng: random.Random, width: int = 96, height: int = 64) -> bytes:
    """A small real PNG: a two-colour gradient, so thumbnails show something."""
    top = (rng.randint(120, 255), rng.randint(60, 200), rng.randint(60, 200))
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for _x in range(width):
            shade = y / max(1, height - 1)
            rows.extend(int(c * (1 - 0.6 * shade)) for c in top)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(bytes(rows))) + chunk(b"IEND", b""))


def demo_pdf(title: str) -> bytes:
    """A minimal one-page PDF with a title line."""
    text = title.replace("(", "").replace(")", "")
    content = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            .encode())
    return bytes(out)
