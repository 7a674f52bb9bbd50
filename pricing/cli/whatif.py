"""``pricing whatif``: the optimizer under a changed policy or market, nothing written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pricing.cli.context import get
from pricing.cli.options import AsOfOpt, parse_as_of
from pricing.cli.output import Format, console, dumps, emit, jsonable, progress
from pricing.errors import PricingError


def register(app: typer.Typer) -> None:
    @app.command()
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
            bool, typer.Option("--changes", help="Also list each suggestion that changes.")
        ] = False,
        fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.table,
        as_of: AsOfOpt = None,
    ) -> None:
        """Run the optimizer with a changed policy or market on the latest inputs and
        show what differs, per category; writes nothing to the database."""
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
        app_ctx = get(ctx)
        with progress("optimizing with the policy in force and with the scenario"):
            result = what_if(app_ctx.db, app_ctx.config.policy, plan, as_of=parse_as_of(as_of))
        rows = compare(result)
        if fmt is Format.json:
            sys.stdout.write(dumps({
                "as_of": result.as_of, "scenario": list(plan.described),
                "categories": [{c: jsonable(r[c]) for c in COMPARE_COLUMNS} for r in rows],
                "changed": changed_rows(result),
            }) + "\n")
            return
        if fmt is Format.csv:
            emit(rows, fmt, COMPARE_COLUMNS)
            return
        emit(rows, fmt, COMPARE_COLUMNS,
             title="What if " + "; ".join(plan.described) + " (before: the policy in force)")
        if changes:
            emit(changed_rows(result), fmt, CHANGE_COLUMNS, title="Suggestions that change")
        console.print(f"{rows[-1]['changed']} of {rows[-1]['skus']} suggestions change; "
                      "nothing was written", highlight=False)
