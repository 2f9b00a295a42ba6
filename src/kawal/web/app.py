"""The KPI board and defect workflow as a FastAPI app, mounted by the Airflow plugin at ``/kawal``.

Server-rendered HTML (Jinja2, autoescape on: ticket text and names are people's input), no
JavaScript: it works the same on a laptop and a phone and inside Airflow's UI frame. Every page
needs a valid Airflow session (``kawal.web.auth``); every change goes through the lifecycle in
``kawal.defects.tickets``, which checks the person's role (§4.2, §4.5, §5.3) and records an event.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import BackgroundTasks, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from kawal.config import one_line
from kawal.errors import KawalError
from kawal.web import auth, views
from kawal.web.i18n import DEFAULT_LANG, LANGS, locale, refusal_text, words

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
LANG_COOKIE = "kawal_lang"
# No script at all; inline styles only for matplotlib's SVG; framed only by Airflow's own UI (same origin).
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",  # KPI data and tickets are not for shared caches
}
#: The largest id a ticket can have: ``defect_ticket.id`` is an INTEGER (32-bit signed on PostgreSQL).
#: A larger one cannot exist; asking the database for it would fail (issue #17: HTTP 500), so it is a 404.
MAX_TICKET_ID = 2**31 - 1


class SecurityHeaders:
    """Every answer of the board carries :data:`SECURITY_HEADERS` — static files, 404s, refusals and
    error lines too (issue #17), not only the rendered pages: a CSS or a 404 body served without
    ``nosniff`` and a CSP could be sniffed into a script or a page. Headers a response sets win."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_secured(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.lower().encode() not in present:
                        headers.append((name.lower().encode(), value.encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secured)


@cache
def _templates():  # type: ignore[no-untyped-def]
    from kawal.rendering import environment

    env = environment(HERE / "templates", escape_everything=True, trim_blocks=True, lstrip_blocks=True)
    return env


def _register():  # type: ignore[no-untyped-def]
    # read per request: a PIC or target changed in kpi_rules/ applies without restarting Airflow
    from kawal.register import load_register

    return load_register()


def _engine():  # type: ignore[no-untyped-def]
    from kawal.store import engine_for

    return engine_for()


def _today() -> date:
    from kawal.settings import now_site

    return now_site().date()


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in LANGS else DEFAULT_LANG


def _parse_month(text: str | None) -> date | None:
    if not text:
        return None
    try:
        year, month = text.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def _month_window(register: Any) -> tuple[date, date]:
    """The months the board can show: from the site's ``history_starts`` (the first business day Kawal
    computes, kawal backfill's floor) to this month. No value can exist outside it, and a month far
    outside (year 1, year 9999) overflowed the date arithmetic of the month links (issue #17)."""
    return register.site.history_starts.replace(day=1), _today().replace(day=1)


def _asked_month(page: Page, register: Any) -> date | HTMLResponse | None:
    """``?month=`` as the first day of a month in :func:`_month_window`, None when not asked, or the
    one-line 400/404 page (in the page's language) to answer instead."""
    text = page.request.query_params.get("month")
    if not text:
        return None
    asked = _parse_month(text)
    if asked is None:
        shown = one_line(repr(text[:20]))  # a query string, never a data cell; bounded and on one line
        return page.message(400, page.w["bad_input"], page.w["month_malformed"].format(month=shown))
    first, last = _month_window(register)
    if not first <= asked <= last:
        what = page.w["month_out_of_range"].format(
            month=f"{asked.year:04d}-{asked.month:02d}", first=first.strftime("%Y-%m"), last=last.strftime("%Y-%m")
        )
        return page.message(404, page.w["not_found"], what)
    return asked


def _month_links(register: Any, shown: date) -> dict[str, str | None]:
    """The previous and next month's ``?month=`` values, None beyond :func:`_month_window`."""
    first, last = _month_window(register)
    previous = (shown - timedelta(days=1)).replace(day=1) if shown > first else None
    following = (shown + timedelta(days=31)).replace(day=1) if shown < last else None
    return {
        "prev_month": previous.strftime("%Y-%m") if previous else None,
        "next_month": following.strftime("%Y-%m") if following else None,
    }


class Page:
    """Everything a template needs about this request: words, language, the viewer, the CSRF token."""

    def __init__(self, request: Request, viewer: auth.Viewer) -> None:
        self.request = request
        self.viewer = viewer
        self.lang = _lang(request)
        self.w = words(self.lang)
        self.loc = locale(self.lang)
        self.root = request.scope.get("root_path", "").rstrip("/")
        self.nonce, self.new_nonce = auth.csrf_nonce(request)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = (
            _templates()
            .get_template(template)
            .render(
                w=self.w,
                lang=self.lang,
                other_lang="en" if self.lang == "id" else "id",
                root=self.root,
                here=self.request.url.path,
                viewer=self.viewer,
                csrf_field=auth.CSRF_FIELD,
                csrf=auth.csrf_token(self.viewer.username, self.nonce),
                state_label=lambda s: self.w.get(f"state_{s}", s),
                sev_label=lambda s: self.w.get(f"sev_{s}", s),
                # an event's action, the pipeline as actor, the data engineering list: by their label (#18)
                event_label=lambda a: self.w.get(f"event_{a}", a),
                who_label=lambda p: {
                    "kawal": self.w["kawal_system"],
                    "data_engineering": self.w["data_engineering_team"],
                }.get(p, p),
                cat_label=lambda c: self.w[views.category_key(c)],
                **context,
            )
        )
        response = HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
        secure = self.request.url.scheme == "https"
        if self.new_nonce:
            response.set_cookie(
                auth.CSRF_COOKIE, self.nonce, path=self.root or "/", httponly=True, samesite="strict", secure=secure
            )
        if self.request.query_params.get("lang") in LANGS:
            response.set_cookie(LANG_COOKIE, self.lang, path=self.root or "/", samesite="lax", secure=secure)
        return response

    def message(
        self, status_code: int, title: str, text: str, ticket_id: int | None = None, hint: str = ""
    ) -> HTMLResponse:
        return self.render("message.html.j2", status_code, title=title, text=text, ticket_id=ticket_id, hint=hint)


def create_app() -> FastAPI:
    app = FastAPI(title="Kawal KPI board", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    async def viewer_or_login(request: Request) -> auth.Viewer | Response:
        username = await auth.airflow_username(request)
        if username is None:
            if request.method == "GET":  # to Airflow's login page, then back here; no data in the answer
                from airflow.api_fastapi.app import get_auth_manager

                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                try:
                    login = get_auth_manager().get_url_login(next_url=target)
                except RuntimeError:
                    login = "/auth/login?next=" + quote(target)
                return RedirectResponse(login, status_code=303, headers=SECURITY_HEADERS)
            return Response("401: sign in to Airflow first", status_code=401, headers=SECURITY_HEADERS)
        if (refused := await auth.board_refusal(request, username)) is not None:  # the auth manager's verdict (#19)
            return refused
        try:
            register = _register()
        except KawalError as exc:  # a broken people.yaml: say so, never a stack trace
            return Response(f"Kawal register: {exc}", status_code=500, media_type="text/plain")
        return auth.Viewer(username, auth.person_for(register, username))

    @app.get("/", response_class=HTMLResponse, name="board")
    async def board_page(request: Request) -> Response:
        viewer = await viewer_or_login(request)
        if isinstance(viewer, Response):
            return viewer
        page = Page(request, viewer)
        engine, register = _engine(), _register()
        asked = _asked_month(page, register)
        if isinstance(asked, Response):
            return asked
        choice = await run_in_threadpool(
            views.choose_month, engine, asked or _today().replace(day=1), explicit=asked is not None
        )
        data = await run_in_threadpool(views.board, engine, register, choice.shown, page.lang, page.loc)
        story = await run_in_threadpool(views.month_story, engine, register, choice.shown, page.lang)
        return page.render(
            "board.html.j2",
            choice=choice,
            month_label=_month_label,
            story=story,
            **_month_links(register, choice.shown),
            **data,
        )

    @app.get("/workbook")
    async def workbook_download(request: Request) -> Response:
        """The month's KPI table as XLSX (issue #18), the same workbook the report mail carries."""
        from kawal.reports.workbook import month_workbook

        viewer = await viewer_or_login(request)
        if isinstance(viewer, Response):
            return viewer
        page = Page(request, viewer)
        engine, register = _engine(), _register()
        asked = _asked_month(page, register)
        if isinstance(asked, Response):
            return asked
        month = asked or _today().replace(day=1)
        content = await run_in_threadpool(month_workbook, engine, register, month, page.lang)
        return Response(
            content,
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="tabel-kpi-{month:%Y-%m}-{page.lang}.xlsx"'},
        )

    @app.get("/kpi/{kpi_id}", response_class=HTMLResponse)
    async def kpi_page(request: Request, kpi_id: str) -> Response:
        viewer = await viewer_or_login(request)
        if isinstance(viewer, Response):
            return viewer
        page = Page(request, viewer)
        register = _register()
        if not register.has_kpi(kpi_id):
            return page.message(404, page.w["not_found"], f"KPI {kpi_id!r} ∉ kpi_rules/register.yaml")
        asked = _asked_month(page, register)
        if isinstance(asked, Response):
            return asked
        first = asked or _today().replace(day=1)
        data = await run_in_threadpool(views.kpi_detail, _engine(), register, kpi_id, first, page.lang, page.loc)
        return page.render("kpi.html.j2", first=first, month_label=_month_label, **data)

    @app.get("/defects", response_class=HTMLResponse)
    async def defects_page(request: Request) -> Response:
        viewer = await viewer_or_login(request)
        if isinstance(viewer, Response):
            return viewer
        page = Page(request, viewer)
        show_all = request.query_params.get("all") == "1"
        view = request.query_params.get("view")
        if view not in views.VIEWS:
            view = None  # an unknown view is the plain list, not an error: the links only offer the known ones
        today = _today()
        rows = await run_in_threadpool(
            partial(
                views.tickets,
                _engine(),
                _register(),
                show_all,
                page.lang,
                view=view,
                person=viewer.person_id,
                today=today,
            )
        )
        return page.render("defects.html.j2", rows=rows, show_all=show_all and not view, view=view, today=today)

    # {ticket_id:int}: only digits reach the page (anything else is the router's 404 below)
    @app.get("/defects/{ticket_id:int}", response_class=HTMLResponse)
    async def ticket_page(request: Request, ticket_id: int) -> Response:
        viewer = await viewer_or_login(request)
        if isinstance(viewer, Response):
            return viewer
        page = Page(request, viewer)
        if not 1 <= ticket_id <= MAX_TICKET_ID:
            return page.message(404, page.w["not_found"], f"#{ticket_id}")
        return await _ticket(page, ticket_id, saved=request.query_params.get("saved"))

    @app.post("/defects/{ticket_id:int}/{action}", response_class=HTMLResponse)
    async def act(request: Request, ticket_id: int, action: str, background: BackgroundTasks) -> Response:
        viewer = await viewer_or_login(request)
        if isinstance(viewer, Response):
            return viewer
        page = Page(request, viewer)
        if not 1 <= ticket_id <= MAX_TICKET_ID:  # no such ticket can exist: nothing to check a form for
            return page.message(404, page.w["not_found"], f"#{ticket_id}")
        form = await request.form()
        if not auth.csrf_ok(request, viewer.username, _text(form, auth.CSRF_FIELD)):
            return page.message(403, page.w["refused"], page.w["csrf"], ticket_id)
        if action not in views.ACTIONS:
            return page.message(404, page.w["not_found"], action, ticket_id)
        if viewer.person is None:
            return page.message(403, page.w["refused"], page.w["refused_not_person"], ticket_id)
        from kawal.defects import workflow
        from kawal.defects.lifecycle import Refused
        from kawal.store import session_scope

        register, engine = _register(), _engine()
        person = viewer.person.id

        def apply() -> str:
            with session_scope(engine) as session:
                if action == "analyse":
                    t = workflow.analyse(
                        session,
                        register,
                        ticket_id,
                        person,
                        root_cause=_text(form, "root_cause"),
                        coordinated_with=_text(form, "coordinated_with"),
                        recommendation=_text(form, "recommendation"),
                    )
                elif action == "decide":
                    t = workflow.decide(session, register, ticket_id, person, _planned_actions(form), _today())
                elif action == "verify":
                    done_on = _form_date(form, "done_on") or _today()
                    t = workflow.verify(session, register, ticket_id, person, done_on, _text(form, "note"))
                else:
                    t = workflow.close(session, register, ticket_id, person, _text(form, "note"))
                return t.state

        # A refused or invalid step re-renders the ticket with what was typed still in its form: a "back"
        # link would be a new GET that loses it, and on a phone a long analysis is not typed twice (#18).
        # Only after the CSRF check above: a forged post never gets its text shown back in a form.
        try:
            state = await run_in_threadpool(apply)
        except Refused as exc:
            log.info("Kawal board: %s refused on #%s: %s", action, ticket_id, exc)
            hint = await run_in_threadpool(_refusal_hint, engine, register, ticket_id, action, person, page.w)
            refusal = {"title": page.w["refused"], "text": refusal_text(str(exc), page.w), "hint": hint}
            return await _ticket(page, ticket_id, status_code=403, refusal=refusal, typed=(action, form))
        except FormError as exc:  # a malformed date, a half-filled plan row: said by the board itself
            named = {k: page.w.get(v, v) if k in ("field", "kind") else v for k, v in exc.params.items()}
            refusal = {"title": page.w["bad_input"], "text": page.w[exc.key].format(**named), "hint": ""}
            return await _ticket(page, ticket_id, status_code=400, refusal=refusal, typed=(action, form))
        except KawalError as exc:  # e.g. the ticket does not exist (any more)
            return page.message(400, page.w["bad_input"], refusal_text(str(exc), page.w), ticket_id)
        background.add_task(_deliver_outbox, register, engine)
        return RedirectResponse(
            f"{page.root}/defects/{ticket_id}?saved={state}", status_code=303, headers=SECURITY_HEADERS
        )

    @app.get("/review", response_class=HTMLResponse)
    async def review_page(request: Request) -> Response:
        viewer = await viewer_or_login(request)
        if isinstance(viewer, Response):
            return viewer
        page = Page(request, viewer)
        register = _register()
        engine, today = _engine(), _today()
        asked = _asked_month(page, register)
        if isinstance(asked, Response):
            return asked
        first = asked or await run_in_threadpool(views.review_month, engine, today)
        data = await run_in_threadpool(views.review, engine, register, today, first, page.lang)
        return page.render(
            "review.html.j2", first=first, month_label=_month_label, **_month_links(register, first), **data
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        # no such page (or method): one line, in the board's language to a signed-in person; no
        # JSON detail, and nothing but the status to someone without a session
        if exc.status_code == 404 and await auth.airflow_username(request) is not None:
            viewer = await viewer_or_login(request)
            if not isinstance(viewer, Response):
                page = Page(request, viewer)
                path = one_line(request.url.path[:120])
                return page.message(404, page.w["not_found"], page.w["page_not_found"].format(path=path))
        return Response(f"{exc.status_code}: {exc.detail}", status_code=exc.status_code, media_type="text/plain")

    @app.exception_handler(KawalError)
    async def kawal_error(request: Request, exc: KawalError) -> Response:
        # a store or register problem found while reading: one clear line, never a traceback
        return Response(f"Kawal: {exc}", status_code=500, media_type="text/plain", headers=SECURITY_HEADERS)

    return app


class FormError(KawalError):
    """A form the board cannot read (a malformed date, a half-filled row), as a catalogue key and the
    row numbers it names: said in the page's language, never quoting what was typed."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key, self.params = key, params


class Typed:
    """What a refused form sent, for the template to put back in its fields (one value or one per row)."""

    def __init__(self, action: str, form: Any) -> None:
        self.action, self.form = action, form

    def one(self, action: str, name: str, default: str = "") -> str:
        value = self.form.get(name) if action == self.action else None
        return value if isinstance(value, str) else default

    def row(self, action: str, name: str, i: int) -> str:
        values = self.form.getlist(name) if action == self.action else []
        return values[i] if i < len(values) and isinstance(values[i], str) else ""


async def _ticket(
    page: Page,
    ticket_id: int,
    *,
    status_code: int = 200,
    saved: str | None = None,
    refusal: dict | None = None,
    typed: tuple[str, Any] | None = None,
) -> Response:
    """The ticket page; after a refused step with the refusal on top and the form as it was sent."""
    register = _register()
    data = await run_in_threadpool(views.ticket_detail, _engine(), register, ticket_id, page.loc, page.lang)
    if data is None:
        return page.message(404, page.w["not_found"], f"#{ticket_id}")
    return page.render(
        "ticket.html.j2",
        status_code,
        allowed=views.allowed_actions(register, data["t"], page.viewer.person_id),
        who=views.who_may_act(register, data["t"], page.w),
        people=register.people.people,
        today=_today(),
        saved=saved,
        refusal=refusal,
        typed=Typed(*typed) if typed else Typed("", {}),
        **data,
    )


def _month_label(first: date, lang: str) -> str:
    from babel.dates import format_date

    return format_date(first, "MMMM y", locale=locale(lang))


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _form_date(form: Any, name: str, row: int | None = None) -> date | None:
    raw = (form.getlist(name)[row] if row is not None else form.get(name)) or ""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        field = f"field_{name}"
        if row is not None:
            raise FormError("bad_date_row", field=field, row=row + 1) from None
        raise FormError("bad_date", field=field) from None


def _planned_actions(form: Any) -> list:  # type: ignore[type-arg]
    """The plan's rows as the form sends them; empty rows are skipped, half-filled rows are an error."""
    from kawal.defects.lifecycle import PlannedAction

    out = []
    for kind in ("curative", "preventive"):
        descriptions = form.getlist(f"{kind}_description")
        owners = form.getlist(f"{kind}_owner")
        for i, text in enumerate(descriptions):
            text = text.strip() if isinstance(text, str) else ""
            owner = owners[i].strip() if i < len(owners) and isinstance(owners[i], str) else ""
            due = _form_date(form, f"{kind}_due", i) if i < len(form.getlist(f"{kind}_due")) else None
            if not text and not due:
                continue
            if not text or not owner or due is None:
                raise FormError("bad_plan_row", kind=kind, row=i + 1)
            out.append(PlannedAction(kind, text, owner, due))
    return out


def _refusal_hint(engine: Any, register: Any, ticket_id: int, action: str, person: str, w: dict[str, str]) -> str:
    """In the page's language, who may take this step now, when the refusal is about the person's role."""
    from sqlalchemy.orm import Session

    from kawal.store.models import DefectTicket

    with Session(engine) as session:
        t = session.get(DefectTicket, ticket_id)
        if t is None or action in views.allowed_actions(register, t, person):
            return ""  # refused for another reason (state, effectiveness, a missing field): the line says which
        return w["refused_hint"].format(step=w[f"step_{action}"], state=w.get(f"state_{t.state}", t.state),
                                        who=views.who_may_act(register, t, w))  # fmt: skip


def _deliver_outbox(register: Any, engine: Any) -> None:
    """Tell people now (the outbox is also delivered by the next DAG run or `kawal notify send`)."""
    from kawal.notify.outbox import deliver_pending

    try:
        deliver_pending(engine, register)
    except KawalError as exc:  # e.g. no SMTP connection here: the notification stays queued
        log.warning("Kawal board: notification queued, not sent now: %s", exc)


app = create_app()
