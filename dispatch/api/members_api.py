"""A person's side of co-op setup: opening a one-time link (public: the token is in the body,
never in a URL), changing one's own name, downloading one's own data, and a merchant's pickup
addresses for the order form."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Response

from dispatch.api.admin_models import Accepted, AcceptIn, LinkInfo, Member, MyData, NameIn, Site, TokenIn
from dispatch.api.deps import Caller, Ctx, Merchant
from dispatch.services import invitations, members, merchant_admin
from dispatch.services.my_data import my_data

router = APIRouter(prefix="/api/v1", tags=["members"])


@router.post("/invitations/lookup", operation_id="invitations_lookup", response_model=LinkInfo,
             summary="What a one-time link is for (public; the token travels in the body)")
def lookup(body: TokenIn, ctx: Ctx) -> dict[str, Any]:
    return invitations.describe_link(ctx, body.token)


@router.post("/invitations/accept", operation_id="invitations_accept", response_model=Accepted,
             summary="Set the password with a one-time link; answers a token (logged in)")
def accept(body: AcceptIn, ctx: Ctx) -> dict[str, Any]:
    return invitations.accept_link(ctx, body.token, body.password, body.name)


@router.patch("/me", operation_id="me_update", response_model=Member, summary="Change my name")
def rename(body: NameIn, ctx: Ctx, who: Caller) -> dict[str, Any]:
    return members.rename_me(ctx, who, body.name)


@router.get("/me/export", operation_id="me_export", response_model=MyData,
            summary="Download my data: profile, shifts and positions kept, deliveries, statement")
def export(ctx: Ctx, who: Caller) -> Response:
    body = json.dumps(my_data(ctx, who), ensure_ascii=False, indent=1)
    return Response(body, media_type="application/json",
                    headers={"Content-Disposition": 'attachment; filename="my-coopdispatch-data.json"'})


@router.get("/merchant/sites", operation_id="merchant_sites_list", response_model=list[Site],
            summary="My pickup addresses (the default first)")
def sites(ctx: Ctx, who: Merchant) -> list[dict[str, Any]]:
    return merchant_admin.my_sites(ctx, who)
