"""``/refer``: the professional referral form and ``/refer/public``, server-rendered.

Works without JavaScript: every page is a form posted to the server, which keeps the answers
so far (on the server, by the session's random id) and shows the threshold guidance beside
them. With JavaScript, ``guidance.js`` asks ``/refer/guidance`` as the referrer types. What
is sent is Referral v1, checked by intake's own code and published as the referrer's
organisation (for the public form, the council's public organisation), like an API call.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from math import ceil
from typing import Any

import structlog
from aiokafka.errors import KafkaError
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from domain.policies import PolicyBook
from domain.wording import PUBLIC_SOURCES, long_date, when
from runtime import metrics
from runtime.partners import PartnerDirectory
from runtime.watched_file import WatchedFile
from runtime.web.clients import client_key
from runtime.web.headers import FORM_LIMITS
from runtime.web.passwords import csrf_ok, new_csrf_token
from runtime.web.sign_in import Sessions, SignInThrottle
from schemas.codes import Ethnicity, Factor
from schemas.contact import contact_id_for
from schemas.local_authorities import LOCAL_AUTHORITIES
from schemas.partners import Partner
from schemas.status import Status, StatusUpdate
from services.gateway import concerns
from services.gateway.api import Api
from services.gateway.drafts import (
    STEPS,
    Draft,
    FormError,
    Sender,
    check,
    factors_of,
    facts_of,
    form_errors,
    referral_document,
    step_errors,
)
from services.gateway.guidance import threshold_guidance
from services.gateway.limits import RateLimit
from services.gateway.publisher import Publisher
from services.gateway.referrers import ReferrerAccount, ReferrerAccounts

log = structlog.get_logger(__name__)
STEP_NAMES = list(STEPS)
FINAL = {Status.REJECTED, Status.DUPLICATE, Status.CLOSED}
MAX_DRAFTS = 10_000


def _reference() -> str:
    """A reference nobody can guess (it opens the page that follows the referral)."""
    return "WEB-" + secrets.token_hex(8).upper()


class Forms:
    """The referral forms' request handlers."""

    def __init__(
        self,
        *,
        referrers: WatchedFile[ReferrerAccounts],
        partners: PartnerDirectory,
        policies: PolicyBook,
        publisher: Publisher,
        api: Api,
        templates: Jinja2Templates,
        public_limit: RateLimit,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """Serve the forms; publish with ``publisher``; read statuses through ``api``."""
        self.referrers = referrers
        self.partners = partners
        self.policies = policies
        self.publisher = publisher
        self.api = api
        self.templates = templates
        self.templates.env.filters |= {"when": when, "long_date": long_date}
        self.public_limit = public_limit
        self.clock = clock
        self.sessions = Sessions()
        self.throttle = SignInThrottle()
        self._verifier = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sign-in")
        self.drafts: dict[str, Draft] = {}

    # --- pieces ------------------------------------------------------------------------------

    def _csrf(self, request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str):
            token = new_csrf_token()
            request.session["csrf"] = token
        return token

    def account(self, request: Request) -> ReferrerAccount | None:
        """The signed-in referrer, if their organisation is still registered."""
        account = self.referrers.current.get(self.sessions.username(request.session.get("sid")))
        if account is None or self.partners.registry.get(account.organisation_id) is None:
            return None
        return account

    def _partner(self, account: ReferrerAccount) -> Partner:
        partner = self.partners.registry.get(account.organisation_id)
        assert partner is not None  # noqa: S101 - _account checked it
        return partner

    def _sender(self, account: ReferrerAccount) -> Sender:
        partner = self._partner(account)
        return Sender(
            account.organisation_id, partner.source, account.name, account.role, account.email
        )

    def _draft(self, request: Request) -> Draft:
        sid = request.session.get("sid")
        if not isinstance(sid, str):
            return {}
        if sid not in self.drafts and len(self.drafts) >= MAX_DRAFTS:
            self.drafts.pop(next(iter(self.drafts)))
        return self.drafts.setdefault(sid, {})

    def page(
        self, request: Request, template: str, status_code: int = 200, /, **context: object
    ) -> Response:
        """A page of these forms, with the session's CSRF token."""
        return self.templates.TemplateResponse(
            request, template, {"csrf": self._csrf(request), **context}, status_code=status_code
        )

    def _guidance(self, draft: Draft, la: str | None) -> dict[str, Any]:
        if not la or la not in LOCAL_AUTHORITIES:
            return {"guidance": None, "la_name": None}
        policy = self.policies.for_la(la)
        return {
            "guidance": threshold_guidance(policy, facts_of(draft), self.clock()),
            "la_name": LOCAL_AUTHORITIES[la],
        }

    async def form_data(self, request: Request) -> FormData | None:
        """The posted form, or None when its CSRF token is missing or wrong."""
        form = await request.form(**FORM_LIMITS)
        return form if csrf_ok(request.session.get("csrf"), form.get("csrf_token")) else None

    # --- signing in --------------------------------------------------------------------------

    async def sign_in_form(self, request: Request) -> Response:
        """The referrers' sign-in page."""
        return self.page(request, "sign_in.html", errors=[], username="")

    async def sign_in(self, request: Request) -> Response:
        """Check the password; start a session with a fresh CSRF token."""
        form = await self.form_data(request)
        if form is None:
            errors = [FormError("username", "The page expired: please sign in again")]
            return self.page(request, "sign_in.html", 403, errors=errors, username="")
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        address = client_key(request)
        wait = self.throttle.wait_s(username, address)
        if wait > 0:
            log.warning("referrer sign-in refused: locked out", minutes=ceil(wait / 60))
            metrics.SIGN_INS.labels("gateway", "locked-out").inc()
            errors = [
                FormError(
                    "username", f"Too many failed sign-ins. Try again in {ceil(wait / 60)} minutes"
                )
            ]
            return self.page(request, "sign_in.html", 429, errors=errors, username=username)
        loop = asyncio.get_running_loop()
        account = (  # a name no account can have is refused without hashing anything
            await loop.run_in_executor(
                self._verifier, self.referrers.current.authenticate, username, password
            )
            if self.throttle.possible(username)
            else None
        )
        if account is None:
            locked = self.throttle.failed(username, address)
            log.warning("referrer sign-in refused", locked=locked)
            metrics.SIGN_INS.labels("gateway", "refused").inc()
            errors = [FormError("username", "Enter a correct username and password")]
            return self.page(request, "sign_in.html", 401, errors=errors, username=username)
        self.throttle.succeeded(username, address)
        self.drafts.pop(str(request.session.get("sid")), None)  # the old session's answers go too
        self.sessions.sign_in(request.session, account.username)
        log.info("referrer signed in", organisation_id=account.organisation_id)
        metrics.SIGN_INS.labels("gateway", "signed-in").inc()
        return RedirectResponse("/refer", status_code=303)

    async def sign_out(self, request: Request) -> Response:
        """End the session and drop its draft."""
        if await self.form_data(request) is not None:
            sid = request.session.get("sid")
            if isinstance(sid, str):
                self.drafts.pop(sid, None)
            self.sessions.end(sid)
            request.session.clear()
        return RedirectResponse("/refer/sign-in", status_code=303)

    # --- the professional form ---------------------------------------------------------------

    async def start(self, request: Request) -> Response:
        """What the form asks, and the referrals sent from this session."""
        account = self.account(request)
        if account is None:
            return RedirectResponse("/refer/sign-in", status_code=303)
        sent = request.session.get("sent", [])
        return self.page(
            request,
            "start.html",
            account=account,
            partner=self._partner(account),
            steps=STEPS,
            sent=sent,
        )

    async def new(self, request: Request) -> Response:
        """Start a new referral (forgetting any unsent one)."""
        if self.account(request) is None:
            return RedirectResponse("/refer/sign-in", status_code=303)
        draft = self._draft(request)
        draft.clear()
        return RedirectResponse(f"/refer/step/{STEP_NAMES[0]}", status_code=303)

    def _step_page(  # noqa: PLR0917 - one page's whole context
        self,
        request: Request,
        account: ReferrerAccount,
        step: str,
        draft: Draft,
        errors: list[FormError],
        status_code: int = 200,
    ) -> Response:
        partner = self._partner(account)
        title, _ = STEPS[step]
        number = STEP_NAMES.index(step) + 1
        return self.page(
            request,
            f"step_{step}.html",
            status_code,
            account=account,
            step=step,
            title=title,
            number=number,
            steps=len(STEP_NAMES),
            draft=draft,
            errors=errors,
            local_authorities=[(la, LOCAL_AUTHORITIES[la]) for la in partner.local_authorities],
            groups=concerns.PROFESSIONAL,
            ethnicities=[e.value for e in Ethnicity],
            factors=set(factors_of(draft)),
            domestic_abuse=bool(concerns.DOMESTIC_ABUSE & facts_of(draft).factors),
            back=f"/refer/step/{STEP_NAMES[number - 2]}" if number > 1 else "/refer",
            **self._guidance(draft, draft.get("local_authority") or partner.local_authorities[0]),
        )

    async def step(self, request: Request) -> Response:
        """One page of the form, with the answers so far."""
        account = self.account(request)
        if account is None:
            return RedirectResponse("/refer/sign-in", status_code=303)
        step = request.path_params["step"]
        if step not in STEPS:
            return self.page(request, "missing.html", 404)
        return self._step_page(request, account, step, self._draft(request), [])

    async def answer(self, request: Request) -> Response:
        """Keep one page's answers; on to the next page, or back to it with what is wrong."""
        account = self.account(request)
        if account is None:
            return RedirectResponse("/refer/sign-in", status_code=303)
        step = request.path_params["step"]
        form = await self.form_data(request)
        if step not in STEPS or form is None:
            return RedirectResponse("/refer", status_code=303)
        draft = self._draft(request)
        _keep(draft, form, STEPS[step][1])
        errors = step_errors(
            draft, step, self.partners.registry, self._sender(account), self.clock()
        )
        if errors:
            return self._step_page(request, account, step, draft, errors, 400)
        number = STEP_NAMES.index(step)
        done = form.get("then") == "check" or number + 1 == len(STEP_NAMES)
        return RedirectResponse(
            "/refer/check" if done else f"/refer/step/{STEP_NAMES[number + 1]}", status_code=303
        )

    async def guidance(self, request: Request) -> Response:
        """The guidance panel for the answers on the page, not yet kept (for guidance.js)."""
        form = await self.form_data(request)
        if form is None:
            return Response(status_code=403)
        if request.url.path.endswith("/public/guidance"):
            draft = _public_draft(form, self.clock().date())
        else:
            if self.account(request) is None:
                return Response(status_code=401)
            draft = dict(self._draft(request))
            step = str(form.get("step", ""))
            _keep(draft, form, STEPS[step][1] if step in STEPS else ())
        context = self._guidance(draft, str(draft.get("local_authority", "")))
        return self.templates.TemplateResponse(request, "guidance.html", context)

    async def check_answers(self, request: Request) -> Response:
        """Every answer with a link to change it, the guidance, and the button that sends."""
        account = self.account(request)
        if account is None:
            return RedirectResponse("/refer/sign-in", status_code=303)
        draft = self._draft(request)
        return self._check_page(request, account, draft, [])

    def _check_page(
        self,
        request: Request,
        account: ReferrerAccount,
        draft: Draft,
        errors: list[FormError],
        status_code: int = 200,
    ) -> Response:
        document = referral_document(draft, "FORM-CHECK", self._sender(account), self.clock())
        verdict, _ = check(document, self.partners.registry, self.clock())
        errors = errors or form_errors(verdict)
        return self.page(
            request,
            "check.html",
            status_code,
            account=account,
            draft=draft,
            document=document,
            errors=errors,
            step_of={field: step for step, (_, fields) in STEPS.items() for field in fields},
            labels={c.factor.value: c.label for _, group in concerns.PROFESSIONAL for c in group},
            **self._guidance(draft, draft.get("local_authority")),
        )

    async def send(self, request: Request) -> Response:
        """Send the referral as the referrer's organisation; on to the page that follows it."""
        account = self.account(request)
        if account is None:
            return RedirectResponse("/refer/sign-in", status_code=303)
        if await self.form_data(request) is None:
            return RedirectResponse("/refer/check", status_code=303)
        draft = self._draft(request)
        referral_id = _reference()
        now = self.clock()
        document = referral_document(draft, referral_id, self._sender(account), now)
        verdict, raw = check(document, self.partners.registry, now)
        errors = form_errors(verdict)
        if errors:
            return self._check_page(request, account, draft, errors, 400)
        try:
            await self.publisher.publish(account.organisation_id, referral_id, raw)
        except KafkaError as error:
            log.error("form referral not sent: Kafka", error=type(error).__name__)  # noqa: TRY400
            errors = [
                FormError(
                    "send",
                    "Your referral could not be sent just now. Please try again in a minute; "
                    "nothing you entered is lost",
                )
            ]
            return self._check_page(request, account, draft, errors, 503)
        log.info(
            "form referral sent",
            organisation_id=account.organisation_id,
            contact_id=contact_id_for(account.organisation_id, referral_id),
        )
        draft.clear()
        request.session["sent"] = [referral_id, *request.session.get("sent", [])][:20]
        return RedirectResponse(f"/refer/sent/{referral_id}", status_code=303)

    async def sent(self, request: Request) -> Response:
        """The confirmation, then the referral's progress as the referrer is told it."""
        account = self.account(request)
        if account is None:
            return RedirectResponse("/refer/sign-in", status_code=303)
        referral_id = request.path_params["referral_id"]
        updates = await self.api.updates(account.organisation_id, referral_id)
        return self._progress_page(
            request,
            "sent.html",
            referral_id,
            contact_id_for(account.organisation_id, referral_id),
            updates,
            account=account,
        )

    def _progress_page(
        self,
        request: Request,
        template: str,
        reference: str,
        contact_id: str,
        updates: list[StatusUpdate],
        **context: object,
    ) -> Response:
        final = bool(updates) and updates[-1].status in FINAL
        return self.page(
            request,
            template,
            reference=reference,
            contact_id=contact_id,
            updates=updates,
            refresh=not final,
            **context,
        )

    # --- the public form ---------------------------------------------------------------------

    def _public_councils(self) -> dict[str, Partner]:
        """Each council with a public organisation, and that organisation."""
        found: dict[str, Partner] = {}
        for partner in self.partners.registry.partners:
            if partner.source in PUBLIC_SOURCES:
                for la in partner.local_authorities:
                    found.setdefault(la, partner)
        return found

    def _public_page(
        self, request: Request, draft: Draft, errors: list[FormError], status_code: int = 200
    ) -> Response:
        councils = self._public_councils()
        la = draft.get("local_authority") or (next(iter(councils)) if len(councils) == 1 else "")
        return self.page(
            request,
            "public.html",
            status_code,
            draft=draft,
            errors=errors,
            councils=[(code, LOCAL_AUTHORITIES[code]) for code in councils],
            choices=concerns.PUBLIC,
            factors=set(factors_of(draft)),
            relationships=PUBLIC_RELATIONSHIPS,
            **self._guidance(draft, la),
        )

    async def public_form(self, request: Request) -> Response:
        """The public form: 999 first, then a few plain questions."""
        return self._public_page(request, {}, [])

    async def public_send(self, request: Request) -> Response:
        """Send a member of the public's referral as the council's public organisation."""
        form = await self.form_data(request)
        if form is None:
            return self._public_page(
                request,
                {},
                [FormError("local_authority", "The page expired: please fill it in again")],
                403,
            )
        draft = _public_draft(form, self.clock().date())
        councils = self._public_councils()
        partner = councils.get(str(draft.get("local_authority", "")))
        if partner is None:
            return self._public_page(
                request,
                draft,
                [FormError("local_authority", "Select the council the child lives in")],
                400,
            )
        now = self.clock()
        reference = _reference()
        source = str(draft.get("relationship", ""))
        sender = Sender(
            partner.id,
            source if source in PUBLIC_SOURCES else "9",
            name=str(draft.get("your_name", "")).strip() or None,
            email=str(draft.get("your_email", "")).strip() or None,
        )
        document = referral_document(draft, reference, sender, now)
        verdict, raw = check(document, self.partners.registry, now)
        errors = form_errors(verdict, public=True)
        if not str(draft.get("relationship", "")):
            errors.insert(0, FormError("relationship", "Select who you are"))
        if errors:
            return self._public_page(request, draft, errors, 400)
        address = client_key(request)
        wait = self.public_limit.take(address)
        if wait > 0:
            log.warning("public referral refused: too many from one address")
            minutes = ceil(wait / 60)
            message = (
                "Too many referrals have been sent from your connection. "
                f"Try again in {minutes} minutes, or phone the council"
            )
            return self._public_page(request, draft, [FormError("summary", message)], 429)
        try:
            await self.publisher.publish(partner.id, reference, raw)
        except KafkaError as error:
            log.error("public referral not sent: Kafka", error=type(error).__name__)  # noqa: TRY400
            message = "Your referral could not be sent just now. Please try again in a minute"
            return self._public_page(request, draft, [FormError("summary", message)], 503)
        log.info(
            "public referral sent",
            organisation_id=partner.id,
            contact_id=contact_id_for(partner.id, reference),
        )
        return RedirectResponse(f"/refer/public/sent/{reference}", status_code=303)

    async def public_sent(self, request: Request) -> Response:
        """The reference and what the public are told, then as they are told it."""
        reference = request.path_params["reference"]
        for la, partner in self._public_councils().items():
            updates = await self.api.updates(partner.id, reference)
            if updates:
                return self._progress_page(
                    request,
                    "public_sent.html",
                    reference,
                    updates[0].contact_id,
                    updates,
                    la_name=LOCAL_AUTHORITIES[la],
                )
        return self._progress_page(request, "public_sent.html", reference, "", [], la_name=None)


PUBLIC_RELATIONSHIPS = (
    ("1A", "A relative or carer of the child"),
    ("1B", "A neighbour, friend or someone who knows the family"),
    ("1C", "I am the child or young person"),
    ("1D", "Someone else"),
    ("9", "I would rather not say who I am"),
)
PUBLIC_FIELDS = (
    "local_authority",
    "relationship",
    "given_name",
    "family_name",
    "date_of_birth",
    "age",
    "address_line1",
    "town",
    "postcode",
    "factors",
    "summary",
    "injury_observed",
    "your_name",
    "your_email",
    "referrer_phone",
)


KNOWN_FACTORS = frozenset(str(factor) for factor in Factor)


def _keep(draft: Draft, form: FormData, fields: tuple[str, ...]) -> None:
    """Keep the page's answers in the draft (a page's unticked boxes clear its ticks)."""
    for name in fields:
        if name == "factors":  # only the census's codes, each once: never a client's list
            draft[name] = sorted({str(v) for v in form.getlist(name)} & KNOWN_FACTORS)
        elif name in form:
            draft[name] = str(form.get(name, ""))[:20_000]
        else:
            draft.pop(name, None)


def _public_draft(form: FormData, today: date) -> Draft:
    """A member of the public's answers as a draft referral.

    They may not know a date of birth: an age in years stands in (the birthday a year after
    the earliest it could be), said in the summary. Consent is not sought by the public, and
    nobody is said to be at immediate risk here: the page tells them to call 999 for that.
    """
    draft: Draft = {}
    _keep(draft, form, PUBLIC_FIELDS)
    age = str(draft.get("age", "")).strip()
    summary = str(draft.get("summary", "")).strip()
    if not draft.get("date_of_birth") and age.isdigit() and int(age) <= 25:  # noqa: PLR2004
        estimated = today - timedelta(days=365 * int(age) + 182)
        draft["date_of_birth"] = estimated.isoformat()
        if summary:
            draft["summary"] = f"{summary}\n\n(The referrer gave the child's age as about {age}.)"
    draft["sex"] = "U"
    draft["immediate_risk"] = "no"
    draft.setdefault("injury_observed", "no")
    draft["consent"] = "not_sought"
    draft["consent_reason"] = "Referral from a member of the public."
    return draft
