"""1Pilot's typed auth: any token reads; a token with Write access creates and deletes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from pilothouse.core.auth import Principal, require

__all__ = ["Reader", "Writer"]

Reader = Annotated[Principal, Depends(require())]
Writer = Annotated[Principal, Depends(require(scopes={"write"}))]
