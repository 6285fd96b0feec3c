"""The dashboard's request handlers (Starlette, server-rendered, live by server-sent events).

Wiring lives in :mod:`services.dashboard.app`; these handlers read the view and send actions.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from math import ceil
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError
from sse_starlette.sse import EventSourceResponse
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from domain.cases import REASON_REQUIRED
from domain.names import NameLikeness, name_likeness
from domain.wording import long_date, when
from domain.working_time import UK_TIME
from runtime import metrics
from runtime.records_db.checks import ChecksReader, CheckView
from runtime.records_db.encompass import NoticesReader, NoticeView
from runtime.records_db.reading import RecordsSearch
from runtime.records_db.reports import annex_a_lists, workbook
from runtime.records_db.tables import Child
from runtime.web.clients import client_key
from runtime.web.headers import FORM_LIMITS
from runtime.web.passwords import csrf_ok, new_csrf_token
from runtime.web.sign_in import Sessions, SignInThrottle
from schemas.status import Outcome
from schemas.topics import Topics
from schemas.triage import ActionKind, Level, ManagerAction
from services.dashboard import performance_charts as charts
from services.dashboard.auth import Manager
from services.dashboard.sign_in import ManagersFile
from services.dashboard.view import MOST_SHOWN, SHOWN, DashboardView

log = structlog.get_logger(__name__)
NOT_FOR_ROLE = "Your role does not give you this page or action."
ACTION_KINDS = {kind.value for kind in ActionKind}
SCREEN_IDS = uuid.UUID("5c3e0a6f-8b1d-4f2a-9e7c-2d4b6a8c0e13")
SCREENED_AT_ONCE = 200  # as many as the page shows
AGREEMENT_WINDOW = timedelta(days=365)  # the agreement figures: a year, month by month
# The charts look at the last 90 days' cases, and at the queues over the last 14 days.
CHART_WINDOW = timedelta(days=90)
MAX_NOTE_CHARS = 2000  # a manager action's reason
DEPTH_STEP = timedelta(hours=6)
DEPTH_POINTS = 4 * 14 + 1


def _hours(value: float) -> str:
    sign = "-" if value < 0 else ""
    minutes = round(abs(value) * 60)
    return f"{sign}{minutes // 60}h {minutes % 60:02d}m"


def _local(moment: datetime | None) -> str:
    """A time as every page writes one: ``16:30 on Friday 4 December``, UK time."""
    return "" if moment is None else when(moment)


def _shown(request: Request) -> int:
    """How many rows of each queue the page is asked to show ("show more")."""
    asked = request.query_params.get("show", "")
    return min(int(asked), MOST_SHOWN) if asked.isdigit() and int(asked) > 0 else SHOWN


def _refusal(manager: Manager, kind: str, reason: str) -> tuple[str, int] | None:
    """Why an action of ``kind`` is refused before it is sent, and the status; None if not."""
    if kind in ACTION_KINDS and not manager.may_do(ActionKind(kind)):
        return NOT_FOR_ROLE, 403
    if kind in {k.value for k in REASON_REQUIRED} and not reason:
        return "A reason is required.", 400
    return None


class Dashboard:
    """The dashboard's request handlers: sign-in, pages, actions, live events."""

    def __init__(
        self,
        *,
        managers: ManagersFile,
        view: DashboardView,
        templates: Jinja2Templates,
        topics: Topics,
        search_in: RecordsSearch,
        checks: ChecksReader,
        notices: NoticesReader,
    ) -> None:
        """Serve ``view`` to ``managers``; send their actions to ``topics.actions``."""
        self.managers = managers
        self.sessions = Sessions()
        self.throttle = SignInThrottle()
        # Argon2 takes ~100 ms and 64 MiB a check: off the event loop, two at a time at most.
        self._verifier = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sign-in")
        self.view = view
        self.templates = templates
        self.templates.env.filters |= {"hours": _hours, "local": _local, "long_date": long_date}
        self.topics = topics
        self.search_in = search_in
        self.checks_in = checks
        self.notices_in = notices
        self.producer: AIOKafkaProducer | None = None  # set while the app runs

    def _signed_in(self, request: Request) -> Manager | None:
        """Whoever the request's session belongs to, if anyone."""
        return self.managers.get(self.sessions.username(request.session.get("sid")))

    def _manager(self, request: Request) -> Manager | None:
        """The signed-in manager (None: not signed in); 403 if their role may not use the page."""
        manager = self._signed_in(request)
        page = getattr(request.scope.get("endpoint"), "__name__", "")
        if manager is not None and not manager.may_use(page):
            log.warning("page refused to the role", role=manager.role, page=page)
            raise HTTPException(403, NOT_FOR_ROLE)
        return manager

    def _csrf(self, request: Request) -> str:
        token = request.session.get("csrf")
        if not isinstance(token, str):
            token = new_csrf_token()
            request.session["csrf"] = token
        return token

    def _la(self, request: Request, manager: Manager) -> str:
        la = request.query_params.get("la", manager.local_authorities[0])
        return la if la in manager.local_authorities else manager.local_authorities[0]

    def _page(
        self,
        request: Request,
        template: str,
        manager: Manager | None,
        status_code: int = 200,
        **context: object,
    ) -> Response:
        return self.templates.TemplateResponse(
            request,
            template,
            {"manager": manager, "csrf": self._csrf(request), **context},
            status_code=status_code,
        )

    # --- sign in -----------------------------------------------------------------------------

    async def login_form(self, request: Request) -> Response:
        """The sign-in page."""
        return self._page(request, "login.html", None, error=None)

    async def login(self, request: Request) -> Response:
        """Check the password; start a session with a fresh CSRF token."""
        form = await request.form(**FORM_LIMITS)
        if not csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
            return self._page(
                request,
                "login.html",
                None,
                error="The form expired: please try again.",
                status_code=403,
            )
        username, password = str(form.get("username", "")), str(form.get("password", ""))
        address = client_key(request)
        wait = self.throttle.wait_s(username, address)
        if wait > 0:
            log.warning("sign-in refused: locked out", minutes=ceil(wait / 60))
            metrics.SIGN_INS.labels("dashboard", "locked-out").inc()
            return self._page(
                request,
                "login.html",
                None,
                error=f"Too many failed sign-ins. Try again in {ceil(wait / 60)} minutes.",
                status_code=429,
            )
        loop = asyncio.get_running_loop()
        manager = (  # a name no account can have is refused without hashing anything
            await loop.run_in_executor(
                self._verifier, self.managers.current.authenticate, username, password
            )
            if self.throttle.possible(username)
            else None
        )
        if manager is None:
            locked = self.throttle.failed(username, address)
            log.warning("sign-in refused", locked=locked)  # the audit trail of lockouts
            metrics.SIGN_INS.labels("dashboard", "refused").inc()
            return self._page(
                request, "login.html", None, error="Wrong username or password.", status_code=401
            )
        self.throttle.succeeded(username, address)
        self.sessions.sign_in(request.session, manager.username)
        log.info("signed in", actor=manager.username)
        metrics.SIGN_INS.labels("dashboard", "signed-in").inc()
        return RedirectResponse("/queues", status_code=303)

    async def logout(self, request: Request) -> Response:
        """End the session."""
        form = await request.form(**FORM_LIMITS)
        if csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
            self.sessions.end(request.session.get("sid"))  # every copy of the cookie, too
            request.session.clear()
        return RedirectResponse("/login", status_code=303)

    # --- pages -------------------------------------------------------------------------------

    async def refused(self, request: Request, error: Exception) -> Response:
        """A page refused to the signed-in person's role (403), said on a page of its own."""
        assert isinstance(error, HTTPException)  # noqa: S101 - registered for HTTPException
        if error.status_code != 403:  # noqa: PLR2004 - only refusals are ours to word
            return PlainTextResponse(error.detail, status_code=error.status_code)
        return self._page(
            request, "refused.html", self._signed_in(request), why=error.detail, status_code=403
        )

    async def home(self, _request: Request) -> Response:
        """Straight to the queues."""
        return RedirectResponse("/queues", status_code=303)

    def _queues_context(self, la: str, manager: Manager, most: int) -> dict[str, Any]:
        now = datetime.now(UTC)
        emergency = (
            "Emergency duty (out of hours)",
            "emergency-duty",
            self.view.emergency_duty(la, now),
        )
        if manager.role == "edt":  # the emergency duty team sees its own queue only
            return {"la": la, "now": now, "queues": [emergency]}
        waiting, overdue = self.view.reader.screening_counts(la, now)
        return {
            "la": la,
            "now": now,
            "screening": {"waiting": waiting, "overdue": overdue},
            "show": most,
            "queues": [
                emergency,
                (
                    "Enquiry and assessment",
                    "enquiry-assessment",
                    self.view.queue(la, Outcome.ENQUIRY_ASSESSMENT, now, most),
                ),
                ("Early help", "early-help", self.view.queue(la, Outcome.EARLY_HELP, now, most)),
            ],
        }

    async def queues(self, request: Request) -> Response:
        """Both queues of one local authority, most urgent first, live."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        la = self._la(request, manager)
        template = "queues_table.html" if request.query_params.get("fragment") else "queues.html"
        context = self._queues_context(la, manager, _shown(request))
        return self._page(request, template, manager, **context)

    async def case(self, request: Request) -> Response:
        """One case: contacts, rules, the audit trail, referrers' updates, and actions."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        case = self.view.reader.case(request.path_params["case_id"])
        if case is None or not manager.may_open(case):
            return self._page(request, "missing.html", manager, status_code=404)
        trail = self.view.reader.decisions([case.case_id]).get(case.case_id, [])
        told = self.view.reader.updates([c.contact_id for c in case.contacts])
        # the case keeps the start of each account; the records keep each referral whole
        whole = self.view.reader.referrals([c.contact_id for c in case.contacts])
        earlier = await asyncio.to_thread(self.search_in.earlier_cases, case)
        context: dict[str, Any] = {
            "case": case,
            "earlier": earlier,
            "la": case.local_authority,
            "decisions": sorted(trail, key=lambda d: d.decided_at, reverse=True),
            "updates": {c.contact_id: told.get(c.contact_id, []) for c in case.contacts},
            "referrals": whole,
            "accounts": {
                c.contact_id: whole[c.contact_id].summary
                if c.contact_id in whole
                else c.summary + (" …" if c.summary_cut else "")
                for c in case.contacts
            },
            "hours_left": self.view.hours_left(case, datetime.now(UTC)),
            "now": datetime.now(UTC),
            "sent": request.query_params.get("sent"),
            "outcomes": [o.value for o in Outcome],
            "levels": [level.value for level in Level],
        }
        template = "case_detail.html" if request.query_params.get("fragment") else "case.html"
        return self._page(request, template, manager, 200, **context)

    async def act(self, request: Request) -> Response:
        """Publish a manager's action to ``triage.actions`` once session, token and reason check."""
        manager = self._manager(request)
        if manager is None:
            return JSONResponse({"error": "sign in first"}, status_code=401)
        form = await request.form(**FORM_LIMITS)
        if not csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
            log.warning("action refused: bad CSRF token", actor=manager.username)
            return self._page(
                request,
                "refused.html",
                manager,
                why="The form's security token is missing or wrong.",
                status_code=403,
            )
        case = self.view.reader.case(request.path_params["case_id"])
        if case is None or not manager.may_open(case):
            return self._page(request, "missing.html", manager, status_code=404)
        reason = str(form.get("reason", "")).strip()
        refusal = _refusal(manager, str(form.get("kind", "")), reason)
        if refusal is not None:
            why, status = refusal
            return self._page(
                request, "refused.html", manager, why=why, case=case, status_code=status
            )
        try:
            kind = ActionKind(str(form.get("kind", "")))
            action = ManagerAction(
                action_id=uuid.uuid4().hex,
                kind=kind,
                case_id=case.case_id,
                local_authority=case.local_authority,
                actor=manager.username,
                reason=reason,
                worker=str(form.get("worker") or "") or None,
                outcome=Outcome(str(form["outcome"])) if form.get("outcome") else None,
                level=Level(int(str(form["level"]))) if form.get("level") else None,
                match_case_id=str(form.get("match_case_id") or "") or None,
                submitted_at=datetime.now(UTC),
            )
        except (ValueError, ValidationError) as error:
            bad_worker = isinstance(error, ValidationError) and any(
                e["loc"] == ("worker",) for e in error.errors()
            )
            return self._page(
                request,
                "refused.html",
                manager,
                why="The worker's name must start with a letter and hold only letters, digits, "
                "spaces and . ' -."
                if bad_worker
                else "The action is incomplete.",
                case=case,
                status_code=400,
            )
        await self._send(action)
        return RedirectResponse(f"/cases/{case.case_id}?sent={kind.value}", status_code=303)

    async def screening(self, request: Request) -> Response:
        """The council's proposals waiting for a person: confirm, change, or confirm several."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        la = self._la(request, manager)
        now = datetime.now(UTC)
        return self._page(
            request,
            "screening.html",
            manager,
            la=la,
            now=now,
            screening=self.view.screening(la, now, _shown(request)),
            sent=request.query_params.get("sent"),
            outcomes=[o.value for o in Outcome],
            levels=[level.value for level in Level],
        )

    async def screen(self, request: Request) -> Response:
        """Send a screening decision for each proposal chosen, each its own action."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        form = await request.form(**FORM_LIMITS)
        la = self._la(request, manager)
        refused = self._screen_refusal(request, manager, form)
        if refused is not None:
            return refused
        reason = str(form.get("reason", "")).strip()
        chosen = (
            [str(form["change"])]
            if form.get("change")
            else [str(form["confirm"])]
            if form.get("confirm")
            else [str(v) for v in form.getlist("case_id")]
        )
        now = datetime.now(UTC)
        sent = 0
        for case_id in dict.fromkeys(chosen[:SCREENED_AT_ONCE]):
            case = self.view.reader.case(case_id)
            if case is None or case.proposal is None or not manager.may_open(case):
                continue  # decided meanwhile, or not theirs: nothing to send
            try:
                action = ManagerAction(
                    # the same person sending the same version twice: applied once
                    action_id=uuid.uuid5(
                        SCREEN_IDS, f"{case_id}/{case.version}/{manager.username}"
                    ).hex,
                    kind=ActionKind.SCREEN,
                    case_id=case_id,
                    local_authority=case.local_authority,
                    actor=manager.username,
                    reason=reason,
                    level=Level(int(str(form["level"]))) if form.get("level") else None,
                    outcome=Outcome(str(form["outcome"])) if form.get("outcome") else None,
                    submitted_at=now,
                )
            except (ValueError, ValidationError):
                return self._page(
                    request,
                    "refused.html",
                    manager,
                    why="The screening decision is incomplete.",
                    status_code=400,
                )
            await self._send(action)
            sent += 1
        log.info("screening decisions sent", actor=manager.username, count=sent)
        return RedirectResponse(f"/screening?la={la}&sent={sent}", status_code=303)

    def _screen_refusal(
        self, request: Request, manager: Manager, form: FormData
    ) -> Response | None:
        """Why a screening form is refused before anything is sent (None: it is not)."""
        why, status = "", 400
        if not csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
            why, status = "The form's security token is missing or wrong.", 403
        elif not manager.may_do(ActionKind.SCREEN):
            why, status = NOT_FOR_ROLE, 403
        elif form.get("change") and not str(form.get("reason", "")).strip():
            why = "Say why you change the policy's proposal: a reason is required."
        elif not (form.get("change") or form.get("confirm") or form.getlist("case_id")):
            why = "Select at least one proposal to confirm."
        if not why:
            return None
        return self._page(request, "refused.html", manager, why=why, status_code=status)

    async def _send(self, action: ManagerAction) -> None:
        """Publish one manager action to ``triage.actions``, keyed by its council."""
        assert self.producer is not None  # noqa: S101 - set for the app's lifetime
        await self.producer.send_and_wait(
            self.topics.actions,
            action.model_dump_json().encode(),
            key=action.local_authority.encode(),
        )
        log.info(
            "action sent", actor=action.actor, kind=action.kind.value, action_id=action.action_id
        )
        metrics.ACTIONS.labels(action.kind.value).inc()

    async def performance(self, request: Request) -> Response:
        """Charts for one local authority."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        la = self._la(request, manager)
        now = datetime.now(UTC)
        cases = self.view.reader.cases_changed_since(la, now - CHART_WINDOW)
        decisions = self.view.reader.decisions([c.case_id for c in cases])
        moments = [now - DEPTH_STEP * n for n in range(DEPTH_POINTS - 1, -1, -1)]
        on_time_svg, on_time = charts.decisions_on_time(cases, decisions, now)
        found_svg, found = charts.duplicates_and_links(decisions)
        screened = self.view.reader.screening_decisions(la, now - AGREEMENT_WINDOW)
        agreement_svg, agreement = charts.agreement(screened)
        return self._page(
            request,
            "performance.html",
            manager,
            la=la,
            contacts_svg=charts.contacts_per_day(cases, now.astimezone(UK_TIME).date()),
            outcomes_svg=charts.outcomes_by_source(cases),
            on_time_svg=on_time_svg,
            on_time=on_time,
            depth_svg=charts.queue_depth(self.view.reader.queue_depth(la, moments)),
            found_svg=found_svg,
            found=found,
            agreement_svg=agreement_svg,
            agreement=agreement,
            today=now.astimezone(UK_TIME).date().isoformat(),
            year_ago=(now.astimezone(UK_TIME).date() - timedelta(days=365)).isoformat(),
        )

    async def checks(self, request: Request) -> Response:
        """Partner checks for one council: overdue ones by partner, and answer times."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        la = self._la(request, manager)
        now = datetime.now(UTC)
        overdue = await asyncio.to_thread(self.checks_in.overdue, (la,), now)
        by_partner: dict[str, list[CheckView]] = {}
        for check in overdue:
            by_partner.setdefault(check.organisation_id, []).append(check)
        times = await asyncio.to_thread(self.checks_in.answer_times, (la,))
        return self._page(
            request,
            "checks.html",
            manager,
            la=la,
            now=now,
            overdue=by_partner,
            times=times,
        )

    async def encompass(self, request: Request) -> Response:
        """Operation Encompass for one council: the queue for a person, and each week's counts."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        la = self._la(request, manager)
        now = datetime.now(UTC)
        queue = await asyncio.to_thread(self.notices_in.queue, [la], now)
        weeks = await asyncio.to_thread(self.notices_in.weeks, la, now)
        return self._page(
            request,
            "encompass.html",
            manager,
            la=la,
            now=now,
            queue=queue,
            weeks=weeks,
            sent=request.query_params.get("sent"),
        )

    async def note(self, request: Request) -> Response:
        """Record what a person did about a notice on the queue (to ``triage.actions``)."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        form = await request.form(**FORM_LIMITS)
        if not csrf_ok(request.session.get("csrf"), form.get("csrf_token")):
            why = "The form's security token is missing or wrong."
            return self._page(request, "refused.html", manager, why=why, status_code=403)
        notice = await asyncio.to_thread(self.notices_in.one, request.path_params["notice_ref"])
        if notice is None or notice.local_authority not in manager.local_authorities:
            return self._page(request, "missing.html", manager, status_code=404)
        said = str(form.get("note", "")).strip()
        if not said or len(said) > MAX_NOTE_CHARS:
            why = f"Say what you did (at most {MAX_NOTE_CHARS:,} characters)."
            return self._page(request, "refused.html", manager, why=why, status_code=400)
        action = ManagerAction(
            action_id=uuid.uuid4().hex,
            kind=ActionKind.ENCOMPASS_NOTE,
            case_id=notice.notice_ref,
            local_authority=notice.local_authority,
            actor=manager.username,
            reason=said,
            submitted_at=datetime.now(UTC),
        )
        assert self.producer is not None  # noqa: S101 - set for the app's lifetime
        await self.producer.send_and_wait(
            self.topics.actions,
            action.model_dump_json().encode(),
            key=notice.local_authority.encode(),
        )
        log.info("encompass note sent", actor=manager.username, action_id=action.action_id)
        metrics.ACTIONS.labels(ActionKind.ENCOMPASS_NOTE.value).inc()
        return RedirectResponse(
            f"/encompass?la={notice.local_authority}&sent={notice.notice_ref}", status_code=303
        )

    async def annex_a(self, request: Request) -> Response:
        """Annex A List 1 and List 3 for one of the manager's councils, as a workbook."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        la = self._la(request, manager)
        try:
            first = date.fromisoformat(request.query_params.get("from", ""))
            last = date.fromisoformat(request.query_params.get("to", ""))
        except ValueError:
            return self._page(
                request,
                "refused.html",
                manager,
                why="Choose a period: from and to dates.",
                status_code=400,
            )
        if last < first:
            return self._page(
                request,
                "refused.html",
                manager,
                why="The period ends before it starts.",
                status_code=400,
            )
        lists = await asyncio.to_thread(annex_a_lists, self.search_in.engine, la, first, last)
        log.info("annex a downloaded", actor=manager.username, la=la)
        name = f"annex-a-{la}-{first:%Y%m%d}-{last:%Y%m%d}.xlsx"
        return Response(
            workbook(lists),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def search(self, request: Request) -> Response:
        """Find a child, or a contact, in the manager's own local authorities."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        q = request.query_params.get("q", "")[:100]
        results = await asyncio.to_thread(self.search_in.search, q, manager.local_authorities)
        log.info("searched", actor=manager.username, children=len(results.children))
        return self._page(
            request,
            "search.html",
            manager,
            active="search",
            q=q,
            results=results,
            la=manager.local_authorities[0],
        )

    async def child(self, request: Request) -> Response:
        """Everything the council has recorded about one child: every case, live or closed."""
        manager = self._manager(request)
        if manager is None:
            return RedirectResponse("/login", status_code=303)
        child, cases = await asyncio.to_thread(
            self.search_in.child, request.path_params["child_id"]
        )
        if child is None or child.local_authority not in manager.local_authorities:
            return self._page(request, "missing.html", manager, status_code=404)
        decisions = self.view.reader.decisions([c.case_id for c in cases])
        referrals = self.view.reader.referrals(
            [c.contact_id for case in cases for c in case.contacts]
        )
        notices = await asyncio.to_thread(self._notices_about, child)
        return self._page(
            request,
            "child.html",
            manager,
            child=child,
            cases=cases,
            decisions=decisions,
            referrals=referrals,
            notices=notices,
            la=child.local_authority,
        )

    def _notices_about(self, child: Child) -> list[NoticeView]:
        """The Encompass notices about this child.

        The same birthday, and the same UPN or family and given names alike (identity
        matching's name rule).
        """
        if child.date_of_birth is None:
            return []
        return [
            notice
            for notice in self.notices_in.for_child(child.date_of_birth, child.name_key)
            if notice.local_authority == child.local_authority
            and (
                (child.upn is not None and notice.upn == child.upn)
                or name_likeness(notice.given_name, child.given_name) == NameLikeness.SAME
            )
        ]

    async def events(self, request: Request) -> Response:
        """Server-sent events: ``changed`` whenever anything about the LA changes."""
        manager = self._manager(request)
        if manager is None:
            return JSONResponse({"error": "sign in first"}, status_code=401)
        la = self._la(request, manager)
        # Watch before the stream opens: the page catches up when it sees the stream open, so
        # nothing may change unannounced in between.
        event = self.view.watch(la)

        async def changes() -> AsyncIterator[dict[str, str]]:
            try:
                while True:
                    await event.wait()
                    event.clear()
                    yield {"event": "changed", "data": la}
                    await asyncio.sleep(0.25)  # coalesce bursts into one refresh
            finally:
                self.view.unwatch(la, event)

        return EventSourceResponse(changes(), ping=15)

    async def health(self, _request: Request) -> Response:
        """Liveness for the supervisor: ok, or warning naming what needs mending.

        The details (which name files) are in the log, and nothing of the records is shown:
        this answers without sign-in.
        """
        warnings = {"managers": "unusable"} if self.managers.problem else {}
        return JSONResponse(
            {
                "service": "dashboard",
                "status": "warning" if warnings else "ok",
                "warnings": warnings,
            }
        )
