"""ragtune's front-ends: the command line, the language server, the output formats."""

# The one place the version is written: pyproject reads it (``[tool.setuptools.dynamic]``),
# and the commands read it here, not from the installed metadata (a metadata lookup
# scans every folder on sys.path: about 0.06 s of every run).
__version__ = "0.1.0"
