"""Server-rendered pages: the report with review actions, SKU history, market position.

Every form carries the session's CSRF token; a POST answers with a redirect (303)
and a one-line message on the next page, so reloading never repeats a decision.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select

from pricing.errors import NotFoundError, PricingError
from pricing.history import sku_history
from pricing.market_position import competitor_moves, market_position
from pricing.reports.charts import price_chart
from pricing.reports.nightly import latest_complete_run, load_report
from pricing.review import decision_log, parse_amount, parse_fraction, rule_note
from pricing.storage.models import (
    Listing,
    Match,
    MatchStatus,
    Part,
    ReviewStatus,
    RunStatus,
    Suggestion,
    SuggestionRun,
    utcnow,
)
from pricing.web import actions, sessions
from pricing.web.auth import SESSION_MAX_AGE, csrf_matches, new_csrf_token
from pricing.web.deps import (
    CsrfRejected,
    RunId,
    State,
    csrf_token,
    flash,
    pop_flash,
    price_list_download,
    require_form_user,
    require_reader,
    session_of,
    session_user,
    visitor,
)
from pricing.web.schemas import (
    FormInputError,
    Name,
    Sku,
    parse_note,
    parse_override_price,
)

router = APIRouter(include_in_schema=False)
MOVES_DAYS = 30
TRAIL = 20  # latest audit-trail entries under the report
MAX_SELECTED = 5000  # SKUs ticked in one bulk decision
MAX_WHATIF_LINES = 50  # policy changes in one what-if
RULE_PREFIX = rule_note("")
Reader = Depends(require_reader)
FormText = Annotated[str | None, Form()]


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page from ``templates/``, with the user, the CSRF token and any message."""
    state = request.app.state.web
    context.update(user=session_user(request), csrf=csrf_token(request), flash=pop_flash(request))
    response = state.templates.TemplateResponse(request, name, context, status_code=status_code)
    assert isinstance(response, HTMLResponse)
    return response


def local_path(value: str | None, default: str) -> str:
    """``value`` when it is a path on this site, so redirects never leave it."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return default


def _field(kind: Any, name: str, value: str | None) -> str | None:
    """A short text form field, checked like the API's (length, no control characters)."""
    if not value:
        return None
    try:
        checked: str = TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        raise FormInputError(f"{name}: {exc.errors()[0]['msg']}") from None
    return checked


def _since(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


# --- report and review ----------------------------------------------------------------


@router.get("/", response_class=HTMLResponse, dependencies=[Reader])
def home(request: Request, state: State) -> Response:
    with state.db.session() as session:
        try:
            run_id = latest_complete_run(session)
        except NotFoundError:
            return render(request, "empty.html.j2", title="No suggestion run yet")
    return report_page(request, state, run_id)


@router.get("/runs", response_class=HTMLResponse, dependencies=[Reader])
def runs_page(request: Request, state: State) -> Response:
    with state.db.session() as session:
        runs = list(
            session.scalars(select(SuggestionRun).order_by(SuggestionRun.id.desc()).limit(200))
        )
        stmt = select(Suggestion.run_id, func.count()).group_by(Suggestion.run_id)
        counts = {run_id: n for run_id, n in session.execute(stmt)}
    return render(request, "runs.html.j2", title="Suggestion runs", runs=runs, counts=counts)


def _size_filters(
    min_change: str | None, max_change: str | None, min_gain: str | None
) -> dict[str, Decimal | None]:
    """The size-of-change and expected-gain filters as typed (``2%`` or ``0.02``)."""
    try:
        return {
            "min_change": parse_fraction(min_change, "min change") if min_change else None,
            "max_change": parse_fraction(max_change, "max change") if max_change else None,
            "min_gain": parse_amount(min_gain, "min gain") if min_gain else None,
        }
    except PricingError as exc:
        raise FormInputError(str(exc)) from None


@router.get("/runs/{run_id}", response_class=HTMLResponse, dependencies=[Reader])
def report_page(
    request: Request,
    state: State,
    run_id: RunId,
    category: str | None = None,
    reason: str | None = None,
    status: str | None = None,
    changes: str | None = None,
    rule: str | None = None,
    min_change: str | None = None,
    max_change: str | None = None,
    min_gain: str | None = None,
) -> Response:
    status = status if status in actions.REVIEW_STATUSES else "any"
    try:
        sizes = _size_filters(min_change, max_change, min_gain)
    except FormInputError as exc:
        flash(request, f"{exc}; that filter is not applied", "error")
        sizes = _size_filters(None, None, None)
    flt = actions.review_filter(
        category=category, reason=reason, status=status, only_changes=bool(changes),
        rule=rule, min_change=sizes["min_change"], max_change=sizes["max_change"],
        min_gain=sizes["min_gain"],
    )
    with state.db.session() as session:
        data = load_report(session, run_id)
        rows = actions.suggestion_rows(session, run_id, flt)
        trail = decision_log(session, run_id)[-TRAIL:][::-1]
    categories = sorted({r.category for r in data.rows})
    reasons = sorted({code for r in data.rows for code in r.reason_codes})
    query = {
        k: v
        for k, v in (
            ("category", flt.category),
            ("reason", flt.reason),
            ("status", flt.status),
            ("changes", "1" if flt.only_changes else None),
            ("rule", flt.rule),
            ("min_change", min_change if sizes["min_change"] is not None else None),
            ("max_change", max_change if sizes["max_change"] is not None else None),
            ("min_gain", min_gain if sizes["min_gain"] is not None else None),
        )
        if v
    }
    rules = sorted({r.review_note.removeprefix(RULE_PREFIX) for r in data.rows
                    if r.review_note and r.review_note.startswith(RULE_PREFIX)}
                   | {rule.name for rule in state.config.policy.auto_approve})
    here = f"/runs/{run_id}" + (f"?{urlencode(query)}" if query else "")
    return render(
        request,
        "report.html.j2",
        title=f"Suggestions: run {run_id}",
        run=data.run,
        figures=data.figures,
        flags=data.flags,
        rows=rows,
        trail=trail,
        categories=categories,
        reasons=reasons,
        flt=flt,
        rules=rules,
        sizes={"min_change": min_change or "", "max_change": max_change or "",
               "min_gain": min_gain or ""},
        here=here,
        bulk_count=sum(1 for r in rows if r.review_status == (flt.status or ReviewStatus.pending)),
    )


@router.post("/runs/{run_id}/review")
def review_form(
    request: Request,
    state: State,
    run_id: RunId,
    csrf_token: FormText = None,
    action: FormText = None,
    sku: Annotated[list[str] | None, Form()] = None,
    category: FormText = None,
    reason: FormText = None,
    status: FormText = None,
    changes_only: FormText = None,
    rule: FormText = None,
    min_change: FormText = None,
    max_change: FormText = None,
    min_gain: FormText = None,
    selection: FormText = None,
    price: FormText = None,
    why: FormText = None,
    back: FormText = None,
) -> Response:
    """One decision for one SKU, for the SKUs ticked in the table (``sku`` repeated),
    or for every suggestion the filters select."""
    who = require_form_user(request, csrf_token)
    target = local_path(back, f"/runs/{run_id}")
    if action not in ("approve", "reject", "override"):
        flash(request, "choose approve, reject or override", "error")
        return RedirectResponse(target, status_code=303)
    override_price: Decimal | None = None
    try:
        if action == "override":
            override_price = parse_override_price(price)
        note = parse_note(why)
        if sku is not None and len(sku) > MAX_SELECTED:
            raise FormInputError(f"at most {MAX_SELECTED} SKUs at once")
        named = tuple(dict.fromkeys(
            checked for value in sku or () if (checked := _field(Sku, "sku", value))))
        if (sku or selection) and not named:
            raise FormInputError("no SKU selected: tick the rows to decide first")
        flt = actions.review_filter(
            skus=named,
            category=_field(Name, "category", category),
            reason=_field(Name, "reason", reason),
            status=status if status in actions.REVIEW_STATUSES else None,
            only_changes=bool(changes_only),
            rule=_field(Name, "rule", rule),
            **_size_filters(min_change, max_change, min_gain),
        )
    except FormInputError as exc:
        flash(request, str(exc), "error")
        return RedirectResponse(target, status_code=303)
    try:
        done = actions.review(
            state,
            run_id,
            flt,
            action=action,  # type: ignore[arg-type]
            who=who,
            why=note,
            price=override_price,
        )
    except PricingError as exc:
        flash(request, str(exc), "error")
    else:
        names = ", ".join(done.skus[:5]) + (" ..." if len(done.skus) > 5 else "")
        flash(
            request,
            f"{action}: {len(done.skus)} suggestion(s) by {who.name}"
            + (f" ({names})" if names else ""),
        )
    return RedirectResponse(target, status_code=303)


@router.post("/runs/{run_id}/export")
def export_form(
    request: Request, state: State, run_id: RunId, csrf_token: FormText = None
) -> Response:
    """The approved price list as a CSV download; its prices become current."""
    who = require_form_user(request, csrf_token)
    result, body = actions.export(state, run_id, who)
    return price_list_download(result.path.name, result.rows, body)


# --- history and market ---------------------------------------------------------------


@router.get("/sku/{sku:path}", response_class=HTMLResponse, dependencies=[Reader])
def sku_page(
    request: Request,
    state: State,
    sku: str,
    competitor: str | None = None,
    since: str | None = None,
) -> Response:
    since_date = _since(since)
    with state.db.session() as session:
        part = session.scalar(select(Part).where(Part.sku == sku))
        if part is None:
            raise NotFoundError(f"no SKU {sku!r} in the catalog")
        rows = sku_history(session, sku, competitor=competitor or None, since=since_date)
        everyone = sorted({r.competitor for r in sku_history(session, sku)})
        matches = actions.match_rows(session, sku=sku)
        suggestion = session.scalar(
            select(Suggestion)
            .join(SuggestionRun, SuggestionRun.id == Suggestion.run_id)
            .where(Suggestion.sku == sku, SuggestionRun.status == RunStatus.complete)
            .order_by(Suggestion.run_id.desc())
            .limit(1)
        )
    chart = price_chart(rows, part.currency, until=utcnow())
    return render(
        request,
        "sku.html.j2",
        title=f"{sku}: price history",
        part=part,
        rows=rows[::-1],
        chart=chart,
        competitors=everyone,
        competitor=competitor or "",
        since=since_date.isoformat() if since_date else "",
        matches=matches,
        suggestion=suggestion,
    )


@router.get("/market", response_class=HTMLResponse, dependencies=[Reader])
def market_page(request: Request, state: State) -> Response:
    now = utcnow()
    with state.db.session() as session:
        cats = market_position(session, state.config.policy, as_of=now)
        moves = competitor_moves(session, now - dt.timedelta(days=MOVES_DAYS), now)
    return render(
        request,
        "market.html.j2",
        title="Market position",
        cats=cats,
        policy=state.config.policy,
        moves=moves,
        moves_days=MOVES_DAYS,
    )


@router.get("/impact", response_class=HTMLResponse, dependencies=[Reader])
def impact_page(request: Request, state: State) -> Response:
    """After each export: the sales that followed against what the model expected,
    and our market position per category over the runs."""
    from pricing.impact import LARGE_MISS, MIN_UNITS, WINDOW_WEEKS, export_impacts
    from pricing.reports.season import position_chart

    with state.db.session() as session:
        impacts = export_impacts(session)
        position = position_chart(session, utcnow())
    return render(
        request,
        "impact.html.j2",
        title="Impact",
        impacts=impacts,
        position=position,
        large_miss=LARGE_MISS,
        min_units=MIN_UNITS,
        window_weeks=WINDOW_WEEKS,
    )


@router.get("/market/{category:path}", response_class=HTMLResponse, dependencies=[Reader])
def market_category_page(request: Request, state: State, category: str) -> Response:
    with state.db.session() as session:
        cats = market_position(session, state.config.policy, category=category)
    if not cats:
        raise NotFoundError(f"no category {category!r} in the catalog")
    items = sorted(cats[0].items, key=lambda p: (p.index is None, -(p.index or 0), p.sku))
    return render(
        request,
        "market_category.html.j2",
        title=f"Market position: {category}",
        cat=cats[0],
        items=items,
    )


@router.get("/whatif", response_class=HTMLResponse, dependencies=[Reader])
def whatif_page(
    request: Request,
    state: State,
    sets: Annotated[list[str] | None, Query(alias="set")] = None,
    competitor: str | None = None,
    move: str | None = None,
) -> Response:
    """The optimizer with the policy in force and with the typed changes, compared per
    category (:mod:`pricing.whatif`, as ``pricing whatif``); nothing is written."""
    from pricing.whatif import Scenario, changed_rows, compare, parse_move, parse_set, what_if

    lines = [line.strip() for line in sets or () if line.strip()][:MAX_WHATIF_LINES]
    with state.db.session() as session:
        competitors = sorted(session.scalars(select(Listing.competitor).distinct()))
    rows: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    error = None
    scenario = Scenario()
    try:
        for line in lines:
            scenario = scenario.merged(parse_set(line))
        if competitor or move:
            if not (competitor and move):
                raise PricingError("give both a competitor and how its prices move")
            scenario = scenario.merged(parse_move(competitor, move))
        if scenario.described:
            result = what_if(state.db, state.config.policy, scenario)
            rows, changed = compare(result), changed_rows(result)
    except PricingError as exc:
        error = str(exc)
    return render(
        request, "whatif.html.j2", title="What if",
        sets=[*lines, "", "", ""][: max(4, len(lines) + 1)],
        competitors=competitors, competitor=competitor or "", move=move or "",
        rows=rows, changed=changed, error=error,
    )


@router.get("/matches", response_class=HTMLResponse, dependencies=[Reader])
def matches_page(
    request: Request, state: State, status: str | None = MatchStatus.needs_review
) -> Response:
    with state.db.session() as session:
        rows = actions.match_rows(session, status=status or None)
        stmt = select(Match.status, func.count()).group_by(Match.status)
        counts = {name: n for name, n in session.execute(stmt)}
        listings = session.scalar(select(func.count()).select_from(Listing))
    return render(
        request,
        "matches.html.j2",
        title="Matches",
        rows=rows,
        counts=counts,
        status=status or "",
        listings=listings,
    )


@router.get("/docs", response_class=HTMLResponse, dependencies=[Reader])
def api_docs(request: Request) -> Response:
    """The API's endpoints from the OpenAPI schema, without Swagger UI's CDN scripts."""
    schema = request.app.openapi()
    return render(request, "docs.html.j2", title="JSON API", paths=schema["paths"])


# --- login ----------------------------------------------------------------------------


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html.j2", title="Log in", next=local_path(next, "/"), error=None)


@router.post("/login")
def login(
    request: Request,
    state: State,
    csrf_token: FormText = None,
    username: FormText = None,
    password: FormText = None,
    next: FormText = None,
) -> Response:
    """Check the password (throttled per user name and per address); on success start
    a server-side session under a fresh session id and CSRF token."""
    session = session_of(request)
    if not csrf_matches(session, csrf_token):
        raise CsrfRejected()
    target = local_path(next, "/")
    name, address = (username or "")[:128], visitor(request).address
    wait = state.auth.throttle.retry_after(name, address)
    if wait is not None:
        response = render(
            request,
            "login.html.j2",
            status_code=429,
            title="Log in",
            next=target,
            error=f"Too many failed logins. Try again in {wait // 60 + 1} minute(s).",
        )
        response.headers["Retry-After"] = str(wait)
        return response
    if not name or not password or not state.auth.check_password(name, password):
        if name:
            state.auth.throttle.failed(name, address)
        return render(
            request,
            "login.html.j2",
            status_code=401,
            title="Log in",
            next=target,
            error="Unknown user or wrong password.",
        )
    state.auth.throttle.succeeded(name)
    tag = state.auth.password_tag(name)
    assert tag is not None
    old = session.get("sid")
    if isinstance(old, str):
        sessions.end_session(state.db, old)
    session_id = sessions.start_session(
        state.db, name, tag, dt.timedelta(seconds=SESSION_MAX_AGE), address=address
    )
    session.clear()
    session.update(sid=session_id, csrf=new_csrf_token())
    request.state.user = name
    flash(request, f"Logged in as {name}.")
    return RedirectResponse(target, status_code=303)


@router.post("/logout")
def logout(request: Request, state: State, csrf_token: FormText = None) -> Response:
    """End the server-side session: every copy of the cookie stops working."""
    if not csrf_matches(session_of(request), csrf_token):
        raise CsrfRejected()
    session_id = session_of(request).get("sid")
    if isinstance(session_id, str):
        sessions.end_session(state.db, session_id)
    session_of(request).clear()
    return RedirectResponse("/", status_code=303)
