"""Untrusted text on the terminal: names and labels from scenario files, logs and error messages.

`clean(text)` removes terminal escape sequences (colours, cursor moves, window titles, hyperlinks),
control characters and Unicode direction overrides, and joins lines, so a name cannot repaint or hide
what the terminal shows. `markup(text)` also escapes Rich markup (`[red]`, `[/bold]`), so Rich prints the
text as it is instead of interpreting it (or failing on an unmatched tag). Every string that came from
outside goes through one of them before the CLI prints it.
"""

from __future__ import annotations

import re
from typing import Any

from rich.markup import escape

_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI: colours, cursor moves, erase
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC: window title, hyperlinks
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC strings
    r"|\x1b[ -/]*[0-~]?"  # any other escape
)
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def clean(text: Any, max_len: int | None = None) -> str:
    """`text` as one printable line: escape sequences and control characters removed (tabs and newlines
    become spaces); cut to `max_len` characters with an ellipsis when longer."""
    s = _ESCAPES.sub("", str(text))
    s = _CONTROLS.sub(lambda m: " " if m.group() in "\t\n\r" else "", s)
    if max_len is not None and len(s) > max_len:
        s = s[: max_len - 1] + "…"
    return s


def markup(text: Any, max_len: int | None = None) -> str:
    """`clean(text)` with Rich markup escaped: safe inside a Rich string, table cell or title."""
    return escape(clean(text, max_len))
