"""Suite-wide: every SARIF and GitLab report rendered by any test is schema-validated."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bqlint.report import gitlab, sarif
from tests.schemas import validate_gitlab, validate_sarif


def _validating(render: Callable[..., str], validate: Callable[[str], None]) -> Callable[..., str]:
    def wrapped(*args: Any, **kwargs: Any) -> str:
        text = render(*args, **kwargs)
        validate(text)
        return text

    return wrapped


@pytest.fixture(autouse=True)
def schema_validated_reports(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sarif, "render", _validating(sarif.render, validate_sarif))
    monkeypatch.setattr(gitlab, "render", _validating(gitlab.render, validate_gitlab))
    yield
