#!/usr/bin/env python3
"""Checks that every language in po/LINGUAS is complete against the current sources: merged
with a freshly extracted template, it has no untranslated or fuzzy message and compiles."""

import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import xgettext  # noqa: E402


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()
    pot_text = xgettext.make_pot(root)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        pot = pathlib.Path(tmp) / "hangar.pot"
        pot.write_text(pot_text, encoding="utf-8")
        linguas = (root / "po" / "LINGUAS").read_text(encoding="utf-8").split()
        for lang in linguas:
            merged = pathlib.Path(tmp) / f"{lang}.po"
            subprocess.run(["msgmerge", "--quiet", "--no-fuzzy-matching", "--output-file", str(merged),
                            str(root / "po" / f"{lang}.po"), str(pot)], check=True)
            result = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(merged)],
                                    capture_output=True, text=True)
            stats = result.stderr.strip()
            print(f"{lang}: {stats}")
            if result.returncode != 0 or "untranslated" in stats or "fuzzy" in stats:
                failures += 1
                untranslated = subprocess.run(["msgattrib", "--untranslated", "--no-obsolete", str(merged)],
                                              capture_output=True, text=True).stdout
                fuzzy = subprocess.run(["msgattrib", "--only-fuzzy", "--no-obsolete", str(merged)],
                                       capture_output=True, text=True).stdout
                print(untranslated + fuzzy)
    return 1 if failures or not linguas else 0


if __name__ == "__main__":
    sys.exit(main())
