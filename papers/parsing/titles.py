"""Title cleaning, search folding and identity keys (pure string functions)."""

from __future__ import annotations

import re
import unicodedata
from pathlib import PurePath

# `$\{$ATP$\}$` is how Google Scholar protects capitals; the math dollars carry no meaning.
_MATH_BRACE = re.compile(r"\$\\[{}]\$")
# Accent commands: \'e, \'{e}, {\'e}, \c{c}, \v s ... composed with a combining mark.
_ACCENT = re.compile(
    r"\\(['`^\"~=.])\s*\{?([A-Za-z])|\\([cvuHkr])(?:\s*\{([A-Za-z])\}|\s+([A-Za-z]))"
)
_COMBINING = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "c": "\u0327",
    "v": "\u030c",
    "u": "\u0306",
    "H": "\u030b",
    "k": "\u0328",
    "r": "\u030a",
}
_ESCAPED = re.compile(r"\\([&%_#$])")
# Anything still starting with a backslash needs the real LaTeX converter.
_NEEDS_CONVERTER = re.compile(r"\\(?![&%_#$])")
_TILDE = re.compile(r"(?<!\\)~")

# fold(): commands become separators, accent/escape commands vanish, braces vanish.
_FOLD_COMMAND = re.compile(r"\\[A-Za-z]+\*?")
_FOLD_SYMBOL = re.compile(r"\\[^A-Za-z]|[{}$]")
_NON_ALNUM = re.compile(r"[\W_]+")
_ASCII_NON_ALNUM = str.maketrans({chr(i): " " for i in range(128) if not chr(i).isalnum()})

# A web page's footer glued to the last item: "... mcompiled by X Last modified: Summer 2023".
_JUNK_TAIL = re.compile(
    r"\s+\S*compiled\s+by\s.*$|\s+last\s+modified\s*:.*$", re.IGNORECASE | re.DOTALL
)
_SHORT_NAME = re.compile(r"\s*\(([^()]+)\)\s*(\S.*)$", re.DOTALL)
_ARTICLES = ("a ", "an ", "the ")  # a leading one is not part of a title's key
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")

_CONVERTER_MAX_CHARS = 2000
_converter = None


def _latex_to_text(text: str) -> str:
    global _converter
    if _converter is None:  # importing and building pylatexenc's tables is slow; do it once
        from pylatexenc.latex2text import LatexNodes2Text

        _converter = LatexNodes2Text()
    try:
        return _converter.latex_to_text(text)
    except Exception:  # pylatexenc is tolerant, but never let a title crash an import
        return text.replace("\\", "")


def _compose_accent(match: re.Match[str]) -> str:
    if match.group(1):
        return unicodedata.normalize("NFC", match.group(2) + _COMBINING[match.group(1)])
    letter = match.group(4) or match.group(5)
    return unicodedata.normalize("NFC", letter + _COMBINING[match.group(3)])


def strip_latex(text: str) -> str:
    """LaTeX to plain text; fast paths for what BibTeX exports contain, pylatexenc otherwise."""
    if "$" in text:
        text = _MATH_BRACE.sub("", text)
    if "\\" in text:
        text = _ACCENT.sub(_compose_accent, text)
        if _NEEDS_CONVERTER.search(text):
            if len(text) > _CONVERTER_MAX_CHARS:  # pylatexenc is slow on megabyte "titles"
                return _FOLD_SYMBOL.sub("", _FOLD_COMMAND.sub(" ", text))
            return _latex_to_text(text)
        text = _ESCAPED.sub(r"\1", text)
    if "~" in text:
        text = _TILDE.sub(" ", text)
    if "{" in text or "}" in text:
        text = text.replace("{", "").replace("}", "")
    return text


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())


def unescape_markdown(text: str) -> str:
    r"""`\[` -> `[`, `\*` -> `*`: Markdown backslash escapes."""
    return _MD_ESCAPE.sub(r"\1", text) if "\\" in text else text


def filename_title(filename: str) -> str:
    """The file name without directories and extension, for documents without a title."""
    name = PurePath(filename.replace("\\", "/")).name
    return PurePath(name).stem.strip() or name.strip() or filename


def fold(text: str) -> str:
    """Search form: casefolded, no accents, no LaTeX, words separated by single spaces."""
    if "\\" in text or "{" in text or "$" in text:
        if "\\" in text:
            text = _ACCENT.sub(_compose_accent, text)  # "Fran\c{c}ois" stays one word
        text = _FOLD_COMMAND.sub(" ", text)
        text = _FOLD_SYMBOL.sub("", text)
    text = text.casefold()
    if text.isascii():  # most text: the same as the regex below, a third faster
        return " ".join(text.translate(_ASCII_NON_ALNUM).split())
    # NFKD both splits accents off and maps compatibility forms (µ -> μ, ﬁ -> fi).
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", text).strip()


def clean_title(raw: str) -> str:
    """Display title: no LaTeX, single spaces, no trailing period or page-footer junk."""
    text = collapse_spaces(strip_latex(raw))
    lowered = text.lower()
    if "compiled" in lowered or "modified" in lowered:  # cheap test before the regex
        text = _JUNK_TAIL.sub("", text)
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1].rstrip()
    return text


def title_key(title: str, *, folded: str | None = None) -> str:
    """Identity key: equal for titles differing only in case, punctuation, spacing, accents,
    LaTeX or a leading article. ``folded`` is ``fold(title)``, when the caller has it."""
    if folded is None:
        folded = fold(title)
    without_article = folded.split(" ", 1)[1] if folded.startswith(_ARTICLES) else folded
    # Spaces are dropped too, so "Co-adaptive" and "Coadaptive" agree.
    key = without_article.replace(" ", "") or folded.replace(" ", "")
    return key or collapse_spaces(title).casefold() or title


def split_short_name(title: str) -> tuple[str, str]:
    """`(vLLM) Efficient Memory ...` -> ("vLLM", "Efficient Memory ...")."""
    match = _SHORT_NAME.match(title)
    if not match:
        return "", title
    return collapse_spaces(match.group(1)), match.group(2).strip()
