"""Economy tests (a package, so that their module names never clash with same-named tests elsewhere)."""
