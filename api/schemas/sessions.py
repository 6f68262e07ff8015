from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from api.schemas.common import StandardModel


class Login(StandardModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class SessionToken(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="seconds until the token expires")
