"""``frontdoor export annex-a``: the Ofsted Annex A lists a front door feeds, from the records."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Literal

import typer
from rich.console import Console

from frontdoor.cli.refusal import refusal
from runtime.records_db.database import DatabaseSettings, make_engine, require_current_schema
from runtime.records_db.reports import Table, annex_a_lists, as_text_cell, workbook
from schemas.local_authorities import LOCAL_AUTHORITIES

app = typer.Typer(pretty_exceptions_show_locals=False, help="Returns for inspectors and the DfE.")
console = Console(stderr=True, soft_wrap=True)


def write_csv(folder: Path, stem: str, lists: dict[str, Table]) -> list[Path]:
    """One CSV file per list."""
    paths = []
    for name, (columns, rows) in lists.items():
        path = folder / f"{stem}-{name.lower().replace(' ', '-')}.csv"
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            writer.writerows([as_text_cell(cell) for cell in row] for row in rows)
        paths.append(path)
    return paths


def write_xlsx(folder: Path, stem: str, lists: dict[str, Table]) -> list[Path]:
    """One workbook, one sheet per list."""
    path = folder / f"{stem}.xlsx"
    path.write_bytes(workbook(lists))
    return [path]


@app.command("annex-a")
def annex_a(
    la: str = typer.Option(..., "--la", help="The council's DfE LA number, e.g. 808."),
    first: datetime = typer.Option(..., "--from", formats=["%Y-%m-%d"], help="First day."),
    last: datetime = typer.Option(..., "--to", formats=["%Y-%m-%d"], help="Last day (included)."),
    file_format: Literal["csv", "xlsx"] = typer.Option("csv", "--format", help="csv or xlsx."),
    out: Path = typer.Option(Path(), help="Folder to write the lists into."),
) -> None:
    """Write Annex A List 1 (contacts) and List 3 (referrals) for one council and period.

    From the records database (FRONTDOOR_DATABASE_URL). Dates DD/MM/YYYY, gender a) to d),
    ethnicity census codes, the council's stable child id.
    """
    if la not in LOCAL_AUTHORITIES:
        raise typer.BadParameter(f"{la} is not a DfE local authority number", param_hint="--la")
    start, end = first.date(), last.date()
    if end < start:
        raise typer.BadParameter("the period ends before it starts", param_hint="--to")
    with refusal("export"):
        engine = make_engine(DatabaseSettings().url)
        try:
            require_current_schema(engine)
            lists = annex_a_lists(engine, la, start, end)
        finally:
            engine.dispose()
    out.mkdir(parents=True, exist_ok=True)
    stem = f"annex-a-{la}-{start:%Y%m%d}-{end:%Y%m%d}"
    writer = write_xlsx if file_format == "xlsx" else write_csv
    for path in writer(out, stem, lists):
        typer.echo(str(path))
    console.print(
        f"{LOCAL_AUTHORITIES[la]}, {start:%d/%m/%Y} to {end:%d/%m/%Y}: "
        f"{len(lists['List 1'][1])} contacts (List 1), {len(lists['List 3'][1])} referrals (List 3)"
    )
