"""HTML mail as plain text, with the stdlib parser (no dependency, no
network): block elements become line breaks, links keep their address,
quoted blocks (<blockquote>, Gmail's and Outlook's quote containers) are
marked with "> " so quote stripping sees them, and scripts, styles and
the <head> are dropped."""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCKS = {
    "p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "address", "center",
}  # fmt: skip
HIDDEN = {"script", "style", "head", "title", "template", "noscript"}
# Containers mail clients put the quoted earlier message in.
QUOTE_CLASSES = re.compile(r"\b(gmail_quote|yahoo_quoted|moz-cite-prefix|OutlookMessageHeader)\b")
VOID = {"br", "hr", "img", "meta", "link", "input", "wbr", "col", "area", "base", "source"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.hidden = 0
        self.quoted = 0
        # Per open element: did it start a quote?
        self.stack: list[tuple[str, bool]] = []
        self.pre = 0
        self.href: list[str | None] = []

    def _break(self) -> None:
        if self.lines[-1].strip():
            self.lines.append("")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag in HIDDEN:
            self.hidden += 1
        quote = tag == "blockquote" or bool(QUOTE_CLASSES.search(values.get("class") or ""))
        if tag in BLOCKS:
            self._break()
        if tag == "pre":
            self.pre += 1
        if tag == "a":
            self.href.append(values.get("href"))
        if tag not in VOID:
            self.stack.append((tag, quote))
            if quote:
                self.quoted += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "a" and self.href:
            href = self.href.pop()
            if href and href.startswith(("http://", "https://")) and href not in self.lines[-1]:
                self._write(f" ({href})")
        # Close up to the matching element (mail HTML is often unbalanced).
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                for _, quote in self.stack[index:]:
                    self.quoted -= quote
                del self.stack[index:]
                break
        if tag in BLOCKS:
            self._break()

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            parts = data.split("\n")
            self._write(parts[0])
            for part in parts[1:]:
                self.lines.append("")
                self._write(part)
            return
        self._write(re.sub(r"\s+", " ", data))

    def _write(self, text: str) -> None:
        if not text:
            return
        if not self.lines[-1]:
            text = text.lstrip()
            if not text:
                return
            if self.quoted:
                text = "> " * self.quoted + text
        self.lines[-1] += text


def html_to_text(html: str) -> str:
    """The readable text of an HTML body, one paragraph per line."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [line.rstrip().replace("\xa0", " ") for line in parser.lines]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
