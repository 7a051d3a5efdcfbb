"""Login for people (dispatchers, couriers, admins): a bearer token."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response

from dispatch.api.deps import Caller, Ctx, bearer
from dispatch.api.schemas import LoginIn, PasswordChangeIn
from dispatch.services import auth
from dispatch.services.auth import Unauthorized

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", summary="Log in with email and password")
def login(body: LoginIn, ctx: Ctx) -> dict[str, Any]:
    token, who = auth.login(ctx, body.email, body.password)
    return {"token": token, "role": who.role, "coop_id": who.coop_id, "courier_id": who.courier_id,
            "expires_in_s": ctx.settings.token_ttl_s}


@router.post("/logout", status_code=204, summary="Log out: revoke this token (its sockets close)")
def logout(ctx: Ctx, who: Caller, authorization: Annotated[str | None, Header()] = None) -> Response:
    if who.role == "merchant" and who.user_id is None:
        raise Unauthorized("an API key is revoked by an admin, not logged out", field="Authorization")
    auth.logout(ctx, bearer(authorization))
    return Response(status_code=204)


@router.post("/password", summary="Change my password: every other token and socket of mine ends")
def change_password(body: PasswordChangeIn, ctx: Ctx, who: Caller) -> dict[str, Any]:
    token = auth.change_password(ctx, who, body.current_password, body.new_password)
    return {"token": token, "expires_in_s": ctx.settings.token_ttl_s}


@router.get("/me", summary="Who am I")
def me(who: Caller) -> dict[str, Any]:
    return {"role": who.role, "coop_id": who.coop_id, "user_id": who.user_id,
            "merchant_id": who.merchant_id, "courier_id": who.courier_id}
