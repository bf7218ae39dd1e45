"""The CLI fixtures (a project on disk, an in-process invoker) for the --fix safety tests."""

from __future__ import annotations

from tests.cli.conftest import fake_engine, invoke, project

__all__ = ["fake_engine", "invoke", "project"]
