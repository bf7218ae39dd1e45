"""Validate reports against their published schemas (committed under tests/report/schemas/).

tests/conftest.py wraps the SARIF and GitLab renderers so that every report the suite
produces is validated, wherever it is produced; nothing is fetched from the network.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

SCHEMAS = Path(__file__).parent / "report" / "schemas"
validated = {"sarif": 0, "gitlab": 0}


@lru_cache(maxsize=None)
def _validator(name: str) -> Any:
    schema = json.loads((SCHEMAS / name).read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def validate_sarif(text: str) -> None:
    """Raise jsonschema.ValidationError unless `text` is valid SARIF 2.1.0."""
    _validator("sarif-schema-2.1.0.json").validate(json.loads(text))
    validated["sarif"] += 1


def validate_gitlab(text: str) -> None:
    """Raise unless `text` has the shape GitLab Code Quality requires."""
    _validator("gitlab-codequality.json").validate(json.loads(text))
    validated["gitlab"] += 1
