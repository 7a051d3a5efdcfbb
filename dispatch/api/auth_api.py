"""Login for people (dispatchers, couriers, admins): a bearer token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from dispatch.api.deps import Caller, Ctx
from dispatch.api.schemas import LoginIn
from dispatch.services import auth

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", summary="Log in with email and password")
def login(body: LoginIn, ctx: Ctx) -> dict[str, Any]:
    token, who = auth.login(ctx, body.email, body.password)
    return {"token": token, "role": who.role, "coop_id": who.coop_id, "courier_id": who.courier_id,
            "expires_in_s": ctx.settings.token_ttl_s}


@router.get("/me", summary="Who am I")
def me(who: Caller) -> dict[str, Any]:
    return {"role": who.role, "coop_id": who.coop_id, "user_id": who.user_id,
            "merchant_id": who.merchant_id, "courier_id": who.courier_id}
