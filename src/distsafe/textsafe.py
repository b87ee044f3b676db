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


#: a "[" and the backslashes before it; group 3 is non-empty when Rich would read a tag there
_BRACKET = re.compile(r"(\\*)\[(?=([a-z#/@][^[]*?\])?)")


def _escape_bracket(m: re.Match[str]) -> str:
    # Rich reads k backslashes before a tag as k // 2 backslashes (odd: the tag is text), and removes one
    # backslash before any other "[": so each "[" gets what makes it print as itself.
    k = len(m.group(1))
    return "\\" * (2 * k + 1 if m.group(2) else k + 1) + "["


def markup(text: Any, max_len: int | None = None) -> str:
    """`clean(text)` with Rich markup escaped: safe inside a Rich string, table cell or title, where it
    prints as itself. (Text that ends in a backslash gets a zero-width space after it, so that a tag that
    follows it in the caller's markup stays a tag.)"""
    s = _BRACKET.sub(_escape_bracket, clean(text, max_len))
    return s + "\u200b" if s.endswith("\\") else s
