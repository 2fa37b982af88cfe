"""Shared by the i18n checks: how Hangar extracts translatable strings.

Rust has no xgettext parser of its own; xgettext reads `.rs` files with its C lexer, which is
why translatable Rust literals must not use `\\` line continuations.
"""

import pathlib
import re
import subprocess
import tempfile

KEYWORDS = [
    "--keyword=gettext",
    "--keyword=gettext_f",
    "--keyword=ngettext:1,2",
    "--keyword=ngettext_f:1,2",
    "--keyword=pgettext:1c,2",
]

# A call to one of the keywords above whose first argument is a plain string literal.
RUST_CALL = re.compile(r'\b(?:gettext|gettext_f|ngettext|ngettext_f)\s*\(\s*"((?:[^"\\]|\\.)*)"', re.S)
RUST_PCALL = re.compile(r'\bpgettext\s*\(\s*"(?:[^"\\]|\\.)*"\s*,\s*"((?:[^"\\]|\\.)*)"', re.S)
# A call whose msgid is not a literal: xgettext cannot see it, so its text is never translated.
RUST_DYNAMIC_CALL = re.compile(r'\b(?:gettext|gettext_f|ngettext|ngettext_f|pgettext)\s*\(\s*(?!["\s)])')
RUST_USES_GETTEXT = re.compile(r'\b(?:gettext|gettext_f|ngettext|ngettext_f|pgettext)\s*\(\s*"')


def strip_line_comments(source: str) -> str:
    """Blanks `//` comments (outside string literals, roughly: an even number of quotes before)."""
    lines = []
    for line in source.split("\n"):
        index = line.find("//")
        while index != -1 and line[:index].count('"') % 2 == 1:
            index = line.find("//", index + 2)
        lines.append(line if index == -1 else line[:index])
    return "\n".join(lines)


def potfiles(root: pathlib.Path) -> list[str]:
    lines = (root / "po" / "POTFILES.in").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def make_pot(root: pathlib.Path) -> str:
    """Runs xgettext over POTFILES.in the way meson's i18n module does; returns the template."""
    with tempfile.TemporaryDirectory() as tmp:
        pot = pathlib.Path(tmp) / "hangar.pot"
        subprocess.run(
            ["xgettext", "--package-name=hangar", "--from-code=UTF-8", "--no-wrap", "--add-comments=Translators",
             *KEYWORDS, "--keyword=_", "--keyword=N_", "--keyword=C_:1c,2",
             f"--directory={root}", f"--files-from={root / 'po' / 'POTFILES.in'}", f"--output={pot}"],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        return pot.read_text(encoding="utf-8")


def unescape_rust(literal: str) -> str:
    # Rust's `\<newline>` also swallows the next line's indentation; C's keeps it. Applying Rust's
    # rule here makes such literals show up as "not extracted".
    literal = re.sub(r"\\\n\s*", "", literal)
    return literal.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def rust_msgids(source: str) -> list[str]:
    return [unescape_rust(m) for m in RUST_CALL.findall(source) + RUST_PCALL.findall(source)]
