#!/usr/bin/env python3
"""Checks po/POTFILES.in: every source file with translatable strings is listed, every listed
file exists, and xgettext really extracts every msgid the Rust sources pass to gettext.

Usage: check-potfiles.py [SOURCE_ROOT] [--fix]   (--fix rewrites POTFILES.in with every such file)"""

import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import xgettext  # noqa: E402


def files_with_strings(root: pathlib.Path) -> set[str]:
    found = set()
    for path in sorted((root / "src").rglob("*.rs")):
        text = path.read_text(encoding="utf-8")
        if xgettext.RUST_USES_GETTEXT.search(text) and path.name != "i18n.rs":
            found.add(str(path.relative_to(root)))
    for path in sorted((root / "resources").rglob("*.ui")):
        if 'translatable="yes"' in path.read_text(encoding="utf-8"):
            found.add(str(path.relative_to(root)))
    for pattern in ("*.desktop.in.in", "*.metainfo.xml.in.in", "*.gschema.xml"):
        found.update(str(p.relative_to(root)) for p in (root / "data").glob(pattern))
    return found


def main() -> int:
    positional = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    root = pathlib.Path(positional[0] if positional else ".").resolve()
    if "--fix" in sys.argv:
        header = "# Files with translatable strings. build-aux/check-potfiles.py (run by meson test) keeps this complete.\n"
        (root / "po" / "POTFILES.in").write_text(header + "".join(f + "\n" for f in sorted(files_with_strings(root))))
    listed = xgettext.potfiles(root)
    problems = []
    problems += [f"listed but missing: {f}" for f in listed if not (root / f).exists()]
    problems += [f"not listed in po/POTFILES.in: {f}" for f in sorted(files_with_strings(root) - set(listed))]
    pot = xgettext.make_pot(root)
    for name in listed:
        if name.endswith(".rs"):
            text = xgettext.strip_line_comments((root / name).read_text(encoding="utf-8"))
            for match in xgettext.RUST_DYNAMIC_CALL.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{name}:{line}: gettext call without a literal msgid (xgettext cannot extract it)")
            for msgid in xgettext.rust_msgids((root / name).read_text(encoding="utf-8")):
                escaped = msgid.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                if f'msgid "{escaped}"' not in pot and f'msgid_plural "{escaped}"' not in pot:
                    problems.append(f"{name}: xgettext does not extract {msgid!r}")
    for problem in problems:
        print(problem)
    print(f"{len(listed)} files listed, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
