"""What the analyst does with prices: optimize, whatif, report, review, export."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from pricing.cli.context import get
from pricing.cli.options import AsOfOpt, FormatOpt, parse_as_of
from pricing.cli.output import (
    Format,
    OutOpt,
    console,
    dumps,
    emit,
    jsonable,
    out_format,
    print_line,
    progress,
    write_out,
)
from pricing.errors import PricingError
from pricing.storage.models import (
    ReviewStatus,
    Suggestion,
    SuggestionRun,
    change_fraction,
    price_change,
)

RunOpt = Annotated[
    int | None, typer.Option("--run", help="Suggestion run id (default: the latest).")
]
SUGGESTION_COLUMNS = [
    "sku",
    "category",
    "proprietary",
    "current_price",
    "suggested_price",
    "change",
    "change_pct",
    "unit_cost",
    "margin_before",
    "margin_after",
    "competitor_reference",
    "competitor_count",
    "elasticity",
    "elasticity_se",
    "elasticity_source",
    "expected_units_before",
    "expected_units_after",
    "expected_profit_before",
    "expected_profit_after",
    "binding_constraint",
    "reason_codes",
    "explanation",
]


_STORED = [c for c in SUGGESTION_COLUMNS if c not in ("change", "change_pct")]


def _suggestion_dict(s: Any) -> dict[str, object]:
    """A suggestion (a :class:`Suggestion` or a row of its table) as the commands print it."""
    row: dict[str, object] = {c: getattr(s, c) for c in _STORED}
    row["change"] = price_change(s.suggested_price, s.current_price)
    row["change_pct"] = change_fraction(s.suggested_price, s.current_price)
    row["margin"] = s.margin_after
    row["reasons"] = {"codes": list(s.reason_codes), "text": s.explanation}
    row["review_status"] = s.review_status
    row["approved_price"] = s.approved_price
    row["expected_gain"] = s.expected_profit_after - s.expected_profit_before
    row["reviewed_by"] = s.reviewed_by
    row["review_note"] = s.review_note
    return row


def _run_id(session: object, run: int | None) -> int:
    from pricing.reports.nightly import latest_complete_run

    return run if run is not None else latest_complete_run(session)  # type: ignore[arg-type]


def _optimize_out(
    out: Path, kind: Format, run_id: int, summary: dict[str, Any], rows: list[dict[str, Any]]
) -> None:
    """``optimize --out FILE``: exactly what ``--format csv|json`` would print."""
    if kind is Format.json:
        payload = {"run_id": run_id, "summary": summary, "suggestions": rows}
        write_out(out, lambda fh: fh.write(dumps(payload) + "\n"))
        print_line(f"suggestion run {run_id}: {len(rows)} suggestions written to {out} (json)")
    else:
        emit(rows, kind, SUGGESTION_COLUMNS, title=f"suggestion run {run_id}", out=out)


def optimize(
    ctx: typer.Context,
    fmt: FormatOpt = Format.table,
    as_of: AsOfOpt = None,
    out: OutOpt = None,
) -> None:
    """Make a suggestion run from the latest trusted competitor prices.

    A SKU that cannot be priced as stored (say a current price of 0) is skipped and
    listed on stderr with its reason; the run goes on for the others.
    """
    from pricing.pipeline.optimize import run_optimizer

    moment = parse_as_of(as_of)
    kind = out_format(fmt, out) if out is not None else None  # bad --out: before the work
    app_ctx = get(ctx)
    with progress("optimizing prices"):
        run_id = run_optimizer(app_ctx.db, app_ctx.config.policy, as_of=moment)
    with app_ctx.db.session() as session:
        # the table's rows, not ORM objects: 100,000 of them print in seconds
        table = Suggestion.__table__
        rows = [
            _suggestion_dict(s)
            for s in session.execute(
                select(table).where(table.c.run_id == run_id).order_by(table.c.sku)
            )
        ]
        summary = session.get(SuggestionRun, run_id).summary  # type: ignore[union-attr]
    for item in summary.get("skipped_skus", []):
        print_line(f"skipped: SKU {item['sku']}: {item['reason']}", stderr=True)
    for item in summary.get("sales_left_out", []):
        print_line(f"SKU {item['sku']}: {item['reason']}", stderr=True)
    if summary.get("skipped"):
        print_line(f"{summary['skipped']} SKUs skipped", stderr=True)
    changed = [r for r in rows if r["suggested_price"] != r["current_price"]]
    if out is not None and kind is not None:  # every row to the file, a summary here
        _optimize_out(out, kind, run_id, summary, rows)
        console.print(
            f"suggestion run {run_id}: {len(rows)} SKUs, {len(changed)} price changes"
        )
        return
    if fmt is Format.json:
        sys.stdout.write(
            dumps({"run_id": run_id, "summary": summary, "suggestions": rows}) + "\n"
        )
        return
    if fmt is Format.csv:
        emit(rows, fmt, SUGGESTION_COLUMNS)
        return
    emit(
        changed,
        fmt,
        [
            "sku",
            "current_price",
            "suggested_price",
            "margin_after",
            "binding_constraint",
            "explanation",
        ],
        title=f"Suggestion run {run_id}: changes",
    )
    console.print(f"suggestion run {run_id}: {len(rows)} SKUs, {len(changed)} price changes")
    for note in summary.get("notes", []):
        print_line(f"note: {note}")


def report(
    ctx: typer.Context,
    run: RunOpt = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the report files.")] = Path(
        "var/report"
    ),
    as_of: AsOfOpt = None,
) -> None:
    """Write the nightly report: report.html, suggestions.csv, suggestions.xlsx.

    ``--as-of`` ends the price charts at that moment instead of now."""
    from pricing.reports.nightly import write_report

    moment = parse_as_of(as_of)
    path = write_report(get(ctx).db, out, run, as_of=moment)
    console.print(f"report written: {path.resolve()}")


def review(
    ctx: typer.Context,
    run: RunOpt = None,
    approve: Annotated[
        bool, typer.Option("--approve", help="Approve the selected suggestions.")
    ] = False,
    reject: Annotated[
        bool, typer.Option("--reject", help="Reject the selected suggestions.")
    ] = False,
    override: Annotated[
        str | None, typer.Option("--override", help="Set this price instead.")
    ] = None,
    sku: Annotated[
        list[str] | None, typer.Option("--sku", help="Select a SKU (repeatable).")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Select a category.")
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Select by reason code.")
    ] = None,
    changes_only: Annotated[
        bool, typer.Option("--changes-only", help="Only suggestions that move a price.")
    ] = False,
    rule: Annotated[
        str | None,
        typer.Option("--rule", help="Those the named auto-approval rule approved."),
    ] = None,
    min_change: Annotated[
        str | None,
        typer.Option("--min-change", help="Moves at least this big, either way: 0.02 or 2%."),
    ] = None,
    max_change: Annotated[
        str | None,
        typer.Option("--max-change", help="Moves at most this big, either way: 0.05 or 5%."),
    ] = None,
    min_gain: Annotated[
        str | None,
        typer.Option(
            "--min-gain", help="Expected gross profit gained per period, at least (amount)."
        ),
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who decides (default: your login).")] = "",
    why: Annotated[
        str | None, typer.Option("--why", help="Why (required for overrides).")
    ] = None,
    log: Annotated[
        bool, typer.Option("--log", help="Show the run's audit trail: decisions, exports.")
    ] = False,
    fmt: FormatOpt = Format.table,
    out: OutOpt = None,
) -> None:
    """Approve, reject or override suggestions; with no action, list pending ones.

    ``--rule NAME`` selects what that auto-approval rule approved (to list it, or to
    reject it); the other filters select pending suggestions."""
    from pricing.review import (
        ReviewFilter,
        decide,
        decision_log,
        parse_amount,
        parse_fraction,
        parse_price,
        selected,
    )

    actions = [approve, reject, override is not None]
    if sum(actions) > 1:
        raise PricingError("choose one of --approve, --reject, --override")
    app_ctx = get(ctx)
    with app_ctx.db.session() as session:
        run_id = _run_id(session, run)
        if log:
            columns = ["at", "by", "action", "count", "price", "why", "skus"]
            title = f"Audit trail, run {run_id}"
            emit(decision_log(session, run_id), fmt, columns, title=title, out=out)
            return
        flt = ReviewFilter(
            tuple(sku or ()), category, reason, changes_only,
            status=None if rule else ReviewStatus.pending,
            rule=rule,
            min_change=None if min_change is None
            else abs(parse_fraction(min_change, "--min-change")),
            max_change=None if max_change is None
            else abs(parse_fraction(max_change, "--max-change")),
            min_gain=None if min_gain is None else parse_amount(min_gain, "--min-gain"),
        )
        rows = selected(session, run_id, flt)
        if not any(actions):
            emit(
                [_suggestion_dict(s) for s in rows],
                fmt,
                [
                    "sku",
                    "current_price",
                    "suggested_price",
                    "change_pct",
                    "expected_gain",
                    "margin_after",
                    "binding_constraint",
                    "review_status",
                    "reviewed_by",
                    "explanation",
                ],
                title=(f"Suggestions approved by rule {rule}, run {run_id}" if rule
                       else f"Pending suggestions, run {run_id}"),
                out=out,
            )
            return
        price = None if override is None else parse_price(override, "--override")
        action = "approve" if approve else "reject" if reject else "override"
        done = decide(
            session,
            rows,
            action=action,
            who=by or getpass.getuser(),
            why=why,
            policy=app_ctx.config.policy,
            override_price=price,
        )
    for line in done.refused:
        console.print(f"left pending {line}")
    console.print(
        f"run {run_id}: {action} applied to {done.count} suggestions"
        + (
            f"; {len(done.refused)} left pending (they fail the re-check)"
            if done.refused
            else ""
        )
    )


def export(
    ctx: typer.Context,
    run: RunOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="CSV file to write.")] = None,
    by: Annotated[str, typer.Option("--by", help="Who exports (default: your login).")] = "",
) -> None:
    """Write the approved price list for the ERP; approved prices become current.

    Each approved price is re-checked against the catalog and policy in force; what
    fails is left out and listed. A run is exported once: exporting it again writes
    the same file and nothing else. A run older than the last exported one is refused.
    """
    from pricing.export import export_approved

    app_ctx = get(ctx)
    with app_ctx.db.session() as session:
        run_id = _run_id(session, run)
    result = export_approved(
        app_ctx.db, run_id, by or getpass.getuser(), app_ctx.config.policy, out
    )
    for left in result.left_out:
        console.print(
            f"left out {left.sku}: {left.reason}", highlight=False, markup=False, soft_wrap=True
        )
    where = result.path.resolve()
    left_out = f", {len(result.left_out)} left out" if result.left_out else ""
    if result.repeat:
        console.print(
            f"run {run_id} was already exported at {result.exported_at:%Y-%m-%d %H:%M:%S} "
            f"UTC by {result.exported_by}: nothing new written to the price history; the "
            f"same price list ({result.rows} prices{left_out}) written to {where}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
        return
    console.print(
        f"exported {result.rows} approved prices to {where}{left_out}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def whatif(
    ctx: typer.Context,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="[category=C] [proprietary=true] KEY=VALUE",
            help="Change a policy key: max_change=0.05, categories.Belts.min_margin=32%, "
            "'category=Belts min_margin=0.32'; price_change=+5% moves current prices "
            "(repeatable).",
        ),
    ] = None,
    scenario: Annotated[
        Path | None,
        typer.Option("--scenario", help="A scenario YAML: policy, competitors, price_changes."),
    ] = None,
    competitor: Annotated[
        list[str] | None,
        typer.Option("--competitor", help="A competitor whose prices move (with --move)."),
    ] = None,
    move: Annotated[
        list[str] | None,
        typer.Option("--move", help="How that competitor's prices move: -10% or -0.1."),
    ] = None,
    changes: Annotated[
        bool,
        typer.Option(
            "--changes",
            help="Also list each suggestion that changes (with --format csv: only them).",
        ),
    ] = False,
    fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
    as_of: AsOfOpt = None,
    out: OutOpt = None,
) -> None:
    """Run the optimizer with a changed policy or market on the latest inputs and
    show what differs, per category; writes nothing to the database (``--out FILE``
    writes what ``--format csv|json`` would print to FILE)."""
    from pricing.whatif import (
        CHANGE_COLUMNS,
        COMPARE_COLUMNS,
        Scenario,
        changed_rows,
        compare,
        load_scenario,
        parse_move,
        parse_set,
        what_if,
    )

    names, moves = competitor or [], move or []
    if len(names) != len(moves):
        raise PricingError("give one --move for each --competitor "
                           f"({len(names)} --competitor, {len(moves)} --move)")
    plan = load_scenario(scenario) if scenario is not None else Scenario()
    for text in set_ or []:
        plan = plan.merged(parse_set(text))
    for name, how in zip(names, moves, strict=True):
        plan = plan.merged(parse_move(name, how))
    if not plan.described:
        raise PricingError("nothing to try: give --set, --scenario or --competitor/--move")
    if out is not None:  # a bad --out: before the work
        fmt = out_format(fmt, out)
    app_ctx = get(ctx)
    with progress("optimizing with the policy in force and with the scenario"):
        result = what_if(app_ctx.db, app_ctx.config.policy, plan, as_of=parse_as_of(as_of))
    rows = compare(result)
    if fmt is Format.json:
        payload = dumps({
            "as_of": result.as_of, "scenario": list(plan.described),
            "categories": [{c: jsonable(r[c]) for c in COMPARE_COLUMNS} for r in rows],
            "changed": changed_rows(result),
        }) + "\n"
        if out is None:
            sys.stdout.write(payload)
        else:
            write_out(out, lambda fh: fh.write(payload))
            print_line(f"what-if: {len(rows)} categories written to {out} (json)")
        return
    if fmt is Format.csv:
        if changes:
            emit(changed_rows(result), fmt, CHANGE_COLUMNS, title="what-if changes", out=out)
        else:
            emit(rows, fmt, COMPARE_COLUMNS, title="what-if categories", out=out)
        return
    emit(rows, fmt, COMPARE_COLUMNS,
         title="What if " + "; ".join(plan.described) + " (before: the policy in force)")
    if changes:
        emit(changed_rows(result), fmt, CHANGE_COLUMNS, title="Suggestions that change")
    console.print(f"{rows[-1]['changed']} of {rows[-1]['skus']} suggestions change; "
                  "nothing was written", highlight=False)
