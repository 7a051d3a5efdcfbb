"""Login for people (dispatchers, couriers, admins): a bearer token."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from dispatch.api.deps import Caller, Ctx, bearer
from dispatch.api.problems import problem_responses
from dispatch.api.responses_people import Me, NewToken, Token
from dispatch.api.schemas import LoginIn, PasswordChangeIn
from dispatch.services import auth
from dispatch.services.auth import Unauthorized

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/login", summary="Log in with email and password", operation_id="auth_login", response_model=Token,
             responses=problem_responses("unauthorized", "rate-limited"))
def login(body: LoginIn, ctx: Ctx, request: Request) -> dict[str, Any]:
    # the peer address, or the client's when a configured proxy said so (FORWARDED_ALLOW_IPS)
    address = request.client.host if request.client else "unknown"
    token, who = auth.login(ctx, body.email, body.password, address)
    return {"token": token, "role": who.role, "coop_id": who.coop_id, "courier_id": who.courier_id,
            "expires_in_s": ctx.settings.token_ttl_s}


@router.post("/logout", status_code=204, summary="Log out: revoke this token (its sockets close)",
             operation_id="auth_logout")
def logout(ctx: Ctx, who: Caller, request: Request) -> Response:
    authorization = request.headers.get("authorization")  # the scheme, not a parameter: see deps
    if who.role == "merchant" and who.user_id is None:
        raise Unauthorized("an API key is revoked by an admin, not logged out", field="Authorization")
    auth.logout(ctx, bearer(authorization))
    return Response(status_code=204)


@router.post("/password", summary="Change my password: every other token and socket of mine ends",
             operation_id="auth_password_change", response_model=NewToken,
             responses=problem_responses("unauthorized"))
def change_password(body: PasswordChangeIn, ctx: Ctx, who: Caller) -> dict[str, Any]:
    token = auth.change_password(ctx, who, body.current_password, body.new_password)
    return {"token": token, "expires_in_s": ctx.settings.token_ttl_s}


@router.get("/me", summary="Who am I", operation_id="auth_me", response_model=Me)
def me(who: Caller) -> dict[str, Any]:
    return {"role": who.role, "coop_id": who.coop_id, "user_id": who.user_id,
            "merchant_id": who.merchant_id, "courier_id": who.courier_id}
