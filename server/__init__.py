"""ragtune's front-ends: the command line, the language server, the output formats."""

import os as _os
import sys as _sys

# `python -m ragtune.server...` puts the working folder first on sys.path, and the
# working folder is usually the project being analysed: its json.py or pydantic.py
# would be imported instead of ours.  While this package is being imported for -m,
# sys.argv[0] is "-m"; take the folder off before anything else is imported.
def _drop_working_folder() -> None:
    if _sys.argv[:1] != ["-m"] or _sys.flags.safe_path or not _sys.path:
        return
    try:
        here = _os.getcwd()
    except OSError:  # the working folder was deleted: nothing can be imported from it
        here = None
    if _sys.path[0] in ("", here):
        del _sys.path[0]


_drop_working_folder()

# The one place the version is written: pyproject reads it (``[tool.setuptools.dynamic]``),
# and the commands read it here, not from the installed metadata (a metadata lookup
# scans every folder on sys.path: about 0.06 s of every run).
__version__ = "0.1.0"
