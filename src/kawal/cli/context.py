"""What every command group shares: the store context, the site clock and the date/month options."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from kawal.register import Register


def store_context() -> tuple[Register, Engine]:
    """The register in force and Kawal's store, as every command that reads or changes records needs."""
    from kawal.register import load_register
    from kawal.store import engine_for

    return load_register(), engine_for()


def today() -> date:
    """Today on the site clock (settings.now_site): the default of every --as-of / --meeting-date."""
    from kawal.settings import now_site

    return now_site().date()


def date_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """click callback: ``YYYY-MM-DD`` → a date, or one clear usage error."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from None


def month_option(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    """click callback: ``YYYY-MM`` → the month's first day, or one clear usage error."""
    from kawal.periods import parse_month

    if value is None:
        return None
    try:
        return parse_month(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def lang_option(fn):  # type: ignore[no-untyped-def]
    """``--lang id|en`` (or ``KAWAL_LANG``) of the human-facing lines; default the site's language (#18).
    Machine output (``--format json``) and the ids in it are the same in every language."""
    from kawal.notify.catalogue import LANGS, SITE_LANG

    return click.option(
        "--lang",
        type=click.Choice(LANGS),
        envvar="KAWAL_LANG",
        default=SITE_LANG,
        show_default=True,
        help="language of the lines printed (env KAWAL_LANG)",
    )(fn)
