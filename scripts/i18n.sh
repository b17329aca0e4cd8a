#!/usr/bin/env bash
# The interface text's catalogues (README "Translations"):
#   scripts/i18n.sh extract            write kiosk/locale/kiosk.pot from the code's tr("中文") calls
#   scripts/i18n.sh update             extract, then merge the template into every kiosk/locale/<lang>/LC_MESSAGES/kiosk.po
#                                      (new texts come in empty or fuzzy, texts gone from the code go)
#   scripts/i18n.sh check [LANG ...]   what is missing or wrong: untranslated or fuzzy entries of the
#                                      given languages (default: en), stale entries and placeholders of all
#   scripts/i18n.sh codemod [PATH ...] turn Text("中文", "English") pairs written in Python into tr("中文")
#                                      with the English in en.po (default: kiosk/); re-runnable
#   scripts/i18n.sh new LANG [zh|en]   start a catalogue for LANG, falling back to zh or en (default en)
# Uses the project's .venv (or $PYTHON).
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON:-.venv/bin/python}"
[ -x "$PY" ] || PY=/work/main/.venv/bin/python
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
cmd="${1:-check}"; shift || true
case "$cmd" in
  extract) "$PY" -c 'from kiosk.i18n import tools; tools.write(tools.template(), tools.TEMPLATE); print(tools.TEMPLATE)' ;;
  update)  "$PY" -c 'from kiosk.i18n import tools; print(*tools.update(), sep="\n")' ;;
  check)   "$PY" - "$@" <<'PYEOF'
import sys
from kiosk.i18n import tools
found = tools.problems(complete=tuple(sys.argv[1:]) or ("en",))
print(*found, sep="\n")
print(f"{len(found)} problems")
sys.exit(1 if found else 0)
PYEOF
  ;;
  codemod) "$PY" scripts/i18n_codemod.py "$@" ;;
  new)     "$PY" - "$@" <<'PYEOF'
import sys
from kiosk.i18n import tools
from kiosk.i18n.catalogues import KioskCatalog
lang, fallback = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "en")
path = tools.PACKAGE_DIR / lang / "LC_MESSAGES" / "kiosk.po"
if path.exists():
    sys.exit(f"{path} exists")
cat = KioskCatalog(locale=None, project="OneVisit Kiosk", version="1", charset="utf-8", fuzzy=False,
                   header_comment=f"# The kiosk's interface text in {lang}: msgid is the Chinese; keep its {{placeholders}}.\n"
                                  f"# What is left empty shows in {fallback} (X-Fallback).")
cat.extra_headers["X-Fallback"] = fallback
for m in tools.template():
    if m.id:
        cat.add(m.id, "", context=m.context)
tools.write(cat, path)
print(path)
PYEOF
  ;;
  *) sed -n '2,11p' "$0"; exit 2 ;;
esac
