"""`distsafe.textsafe`: untrusted text is printed as itself, never as markup or terminal control."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from distsafe.textsafe import clean, markup

CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# text rich in the characters that matter: brackets, slashes, backslashes, escapes, controls
PIECES = st.sampled_from(
    [*"[]/\\ab =#;\x1b\x07\n\t\r\x9b\u202e", "[/bold]", "[red]", "\x1b[31m", "\x1b]0;t\x07", "[link=x]"]
)
TEXT = st.lists(PIECES, max_size=20).map("".join) | st.text(max_size=60)


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_clean_leaves_no_control_characters(text):
    out = clean(text)
    assert not CONTROL.search(out)
    assert clean(out) == out  # idempotent


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_markup_renders_as_the_clean_text(text):
    console = Console(width=400, color_system=None)
    expected = clean(text)
    # a zero-width space follows a final backslash (so a tag after it stays a tag)
    rendered = console.render_str(markup(text)).plain
    assert rendered.replace("\u200b", "") == expected
    # inside other markup too, before and after tags
    inside = console.render_str(f"[bold]{markup(text)}[/bold][red]{markup(text)}[/]").plain
    assert inside.replace("\u200b", "") == expected * 2


def test_examples():
    assert clean("a\x1b[2Jb\x1b]0;title\x07c") == "abc"
    assert clean("one\ntwo\tthree") == "one two three"
    assert clean("x" * 10, max_len=5) == "xxxx…"
    assert markup("[/bold]") == "\\[/bold]"
    assert markup("a\\") == "a\\\u200b"
