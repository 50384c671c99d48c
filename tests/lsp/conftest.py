from lsp_harness import workspace  # noqa: F401  (the fixture every LSP test uses)
