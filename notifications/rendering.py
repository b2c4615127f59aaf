"""``{{ placeholder }}`` templates: parsed strictly, rendered from plain data.

    >>> render("Deal {{ deal.id }} is {{status}}", {"deal": {"id": 7}, "status": "won"})
    'Deal 7 is won'

A placeholder is a dotted path of names and list indices. Rendering follows only
dict keys and list indices — never attributes — so ``{{ a.__class__ }}`` is just
a placeholder with no value. Every missing value is reported at once.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPEN, CLOSE = "{{", "}}"
PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.(?:[A-Za-z_][A-Za-z0-9_]*|[0-9]+))*\Z")


class TemplateSyntaxError(ValueError):
    """The template text is malformed; ``position`` is a 0-based offset."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


class MissingValuesError(ValueError):
    """The context has no value for these placeholders."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("No value for placeholder(s): " + ", ".join(missing))
        self.missing = missing


@dataclass(frozen=True)
class Placeholder:
    path: str

    @property
    def parts(self) -> list[str]:
        return self.path.split(".")


def parse(text: str) -> list[str | Placeholder]:
    """Split ``text`` into literal strings and placeholders, or raise."""
    segments: list[str | Placeholder] = []
    position = 0
    while (start := text.find(OPEN, position)) != -1:
        stray = text.find(CLOSE, position, start)
        if stray != -1:
            raise TemplateSyntaxError("'}}' without a matching '{{'", stray)
        end = text.find(CLOSE, start + len(OPEN))
        nested = text.find(OPEN, start + len(OPEN))
        if end == -1 or (nested != -1 and nested < end):
            raise TemplateSyntaxError("'{{' is not closed by '}}'", start)
        path = text[start + len(OPEN) : end].strip()
        if not path:
            raise TemplateSyntaxError("empty placeholder", start)
        if not PATH.match(path):
            raise TemplateSyntaxError(
                f"invalid placeholder {path!r} (use names and indices joined by dots)",
                start,
            )
        if start > position:
            segments.append(text[position:start])
        segments.append(Placeholder(path))
        position = end + len(CLOSE)
    stray = text.find(CLOSE, position)
    if stray != -1:
        raise TemplateSyntaxError("'}}' without a matching '{{'", stray)
    if position < len(text):
        segments.append(text[position:])
    return segments


def placeholders(*texts: str | None) -> list[str]:
    """The distinct placeholder paths of the texts, in order of appearance."""
    seen: dict[str, None] = {}
    for text in texts:
        for segment in parse(text or ""):
            if isinstance(segment, Placeholder):
                seen.setdefault(segment.path)
    return list(seen)


_MISSING = object()


def _lookup(context: Any, parts: list[str]) -> Any:
    value = context
    for part in parts:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def render_many(
    texts: list[str | None], context: Mapping[str, Any]
) -> list[str | None]:
    """Render several texts against one context; report every missing value."""
    parsed = [None if text is None else parse(text) for text in texts]
    missing: dict[str, None] = {}
    rendered: list[str | None] = []
    for segments in parsed:
        if segments is None:
            rendered.append(None)
            continue
        out = []
        for segment in segments:
            if isinstance(segment, Placeholder):
                value = _lookup(context, segment.parts)
                if value is _MISSING:
                    missing.setdefault(segment.path)
                    continue
                out.append(str(value))
            else:
                out.append(segment)
        rendered.append("".join(out))
    if missing:
        raise MissingValuesError(list(missing))
    return rendered


def render(text: str, context: Mapping[str, Any]) -> str:
    return render_many([text], context)[0]
