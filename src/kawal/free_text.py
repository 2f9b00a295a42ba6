"""People's free text (an analysis, a recommendation, a recovery action, a note, the review's
discussion): bounded, so one entry cannot swell every mail, report and page that shows it (issue #17:
a 1 MB recovery action made the monthly report take 15 s).

:data:`FREE_TEXT_MAX` characters is the limit of every such field, checked in the workflow layer so
the CLI and the board refuse alike, with one line naming the field and its length — never quoting
the text itself (it may hold anything).
"""

from __future__ import annotations

from kawal.errors import KawalError

#: Characters a person's free-text field may hold: two thousand is a page of prose, ten times the
#: longest analysis in the demo and pilot data, and bounds a mail or report row to a few kilobytes.
FREE_TEXT_MAX = 2000


class TextTooLong(KawalError):
    """A free-text field longer than :data:`FREE_TEXT_MAX`."""


def bounded(field: str, text: str | None, limit: int = FREE_TEXT_MAX) -> str | None:
    """``text`` unchanged when it fits in ``limit`` characters; else one line naming ``field``."""
    if text is not None and len(text) > limit:
        raise TextTooLong(
            f"refused: {field} is {len(text):,} characters long; at most {limit:,} are kept (shorten it, or "
            "put the details in a document and refer to it)"
        )
    return text
