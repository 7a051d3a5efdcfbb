"""The co-op's administration over HTTP (``/api/v1/admin``): settings, maps, members and
their vehicles, merchants with their pickup addresses, keys and staff, fee rule sets (preview
and adoption with the assembly's vote), webhooks, the audit log and CSV exports.

Every operation needs an admin of the co-op it touches: ids of another co-op are 404s. The
one exception is creating a co-op, which needs the server operator's key (``OPERATOR_KEY``),
since no co-op's admin speaks for another."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, Security
from sqlalchemy import select

from dispatch.api.admin_models import (
    AdoptionIn,
    AuditRow,
    CoopCreated,
    CoopIn,
    CoopMapInfo,
    CoopSettings,
    CoopSettingsIn,
    InviteIn,
    KeyIn,
    KeyOut,
    Member,
    MerchantIn,
    MerchantOut,
    NewKey,
    OneTimeLink,
    Preview,
    RotateIn,
    SiteIn,
    StaffIn,
    VehicleIn,
    WebhookRow,
)
from dispatch.api.deps import OPERATOR_KEY, Credential, Ctx, role_guard
from dispatch.api.fields import Instant
from dispatch.api.responses import RuleSet
from dispatch.api.schemas import RuleSetDraft
from dispatch.db.models import Merchant as MerchantRow
from dispatch.db.models import WebhookEndpoint
from dispatch.services import audit, coop_books, coops, members, merchant_admin, rule_sets
from dispatch.services.auth import Principal, Unauthorized
from dispatch.services.maps import map_rows
from dispatch.services.views import iso

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])
Admin = Annotated[Principal, Depends(role_guard("admin"))]
Since = Annotated[Instant | None, Query(description="ISO datetime with its offset")]
From = Annotated[str | None, Query(alias="from", max_length=40, description="YYYY-MM-DD (local day)")]
To = Annotated[str | None, Query(alias="to", max_length=40, description="YYYY-MM-DD (included)")]


async def operator(ctx: Ctx, key: Annotated[Credential, Security(OPERATOR_KEY)]) -> None:
    """The server operator's key (a dependency: refused before the body is read)."""
    expected = ctx.settings.operator_key
    given = key.credentials.strip() if key else ""
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise Unauthorized("creating a co-op needs the server operator's key (OPERATOR_KEY)",
                           field="Authorization")


@router.post("/coops", status_code=201, operation_id="admin_coops_create", response_model=CoopCreated,
             summary="Create a co-op (server operator's key): its first admin gets a one-time link")
def create_coop(body: CoopIn, ctx: Ctx, _: Annotated[None, Depends(operator)]) -> dict[str, Any]:
    return coops.create_coop(ctx, coops.NewCoop(**body.model_dump()))


@router.get("/coop", operation_id="admin_coop_get", response_model=CoopSettings, summary="The co-op's settings")
def get_settings(ctx: Ctx, who: Admin) -> dict[str, Any]:
    return coops.coop_settings(ctx, who)


@router.patch("/coop", operation_id="admin_coop_update", response_model=CoopSettings,
              summary="Change the co-op's name, time zone, locale, service area or map")
def update_settings(body: CoopSettingsIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return coops.update_settings(ctx, who, body.model_dump(exclude_unset=True))


@router.get("/maps", operation_id="admin_maps_list", response_model=list[CoopMapInfo],
            summary="Maps imported on this server (a co-op may switch to one)")
def list_maps(ctx: Ctx, who: Admin) -> list[dict[str, Any]]:
    return [{"id": m.id, "name": m.name, "bbox": m.bbox, "outline": m.outline, "summary": m.summary,
             "imported_at": iso(m.imported_at)} for m in map_rows(ctx)]


@router.get("/members", operation_id="admin_members_list", response_model=list[Member],
            summary="The co-op's people, with couriers' vehicles")
def list_members(ctx: Ctx, who: Admin) -> list[dict[str, Any]]:
    return members.list_members(ctx, who)


@router.post("/members", status_code=201, operation_id="admin_members_invite", response_model=OneTimeLink,
             summary="Invite a courier, dispatcher or admin: a one-time link, shown once")
def invite(body: InviteIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return members.invite_member(ctx, who, body.email, body.name, body.role)


@router.post("/members/{user_id}/deactivate", operation_id="admin_members_deactivate", response_model=Member,
             summary="Deactivate: tokens stop now, an open shift ends, unpicked deliveries go back")
def deactivate(user_id: str, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return members.set_active(ctx, who, user_id, False)


@router.post("/members/{user_id}/reactivate", operation_id="admin_members_reactivate", response_model=Member,
             summary="Reactivate a member")
def reactivate(user_id: str, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return members.set_active(ctx, who, user_id, True)


@router.post("/members/{user_id}/password-reset", operation_id="admin_members_reset_password",
             response_model=OneTimeLink, summary="A one-time link to choose a new password")
def reset_password(user_id: str, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return members.reset_password(ctx, who, user_id)


@router.put("/couriers/{courier_id}/vehicle", operation_id="admin_couriers_set_vehicle", response_model=Member,
            summary="A courier's vehicle (from their next shift)")
def set_vehicle(courier_id: str, body: VehicleIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return members.set_vehicle(ctx, who, courier_id, body.kind, body.capacity_kg, body.capacity_litres,
                               body.speed_pct)


@router.get("/merchants", operation_id="admin_merchants_list", response_model=list[MerchantOut],
            summary="Merchants with pickup addresses, keys (never in clear) and staff")
def list_merchants(ctx: Ctx, who: Admin) -> list[dict[str, Any]]:
    return merchant_admin.list_merchants(ctx, who)


@router.post("/merchants", status_code=201, operation_id="admin_merchants_create", response_model=MerchantOut,
             summary="Register a merchant with one or more pickup addresses")
def create_merchant(body: MerchantIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return merchant_admin.create_merchant(ctx, who, body.name, [x.model_dump() for x in body.sites],
                                          body.is_member, body.contact_email, body.contact_phone)


@router.post("/merchants/{merchant_id}/sites", status_code=201, operation_id="admin_merchants_add_site",
             response_model=MerchantOut, summary="Add a pickup address")
def add_site(merchant_id: str, body: SiteIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return merchant_admin.add_site(ctx, who, merchant_id, body.model_dump())


@router.post("/merchants/{merchant_id}/keys", status_code=201, operation_id="admin_keys_issue",
             response_model=NewKey, summary="Issue an API key (shown in this answer only)")
def issue_key(merchant_id: str, body: KeyIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return merchant_admin.issue_key(ctx, who, merchant_id, body.label)


@router.post("/merchants/{merchant_id}/staff", status_code=201, operation_id="admin_merchants_invite_staff",
             response_model=OneTimeLink, summary="Invite a merchant's staff member (logs in to /merchant/)")
def invite_staff(merchant_id: str, body: StaffIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return members.invite_member(ctx, who, body.email, body.name, "merchant", merchant_id)


@router.post("/keys/{key_id}/rotate", status_code=201, operation_id="admin_keys_rotate", response_model=NewKey,
             summary="A new key; the old one keeps working for the overlap")
def rotate_key(key_id: str, body: RotateIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return merchant_admin.rotate_key(ctx, who, key_id, body.overlap_h)


@router.post("/keys/{key_id}/revoke", operation_id="admin_keys_revoke", response_model=KeyOut,
             summary="Revoke a key at once")
def revoke_key(key_id: str, ctx: Ctx, who: Admin) -> dict[str, Any]:
    return merchant_admin.revoke_key(ctx, who, key_id)


@router.post("/rule-sets/preview", operation_id="admin_rule_sets_preview", response_model=Preview,
             summary="What a draft rule set would charge and pay on sample trips")
def preview(ctx: Ctx, who: Admin, rules: RuleSetDraft) -> dict[str, Any]:
    return coop_books.preview_rules(ctx, who, rules.model_dump(mode="json", exclude_none=True))


@router.post("/rule-sets", status_code=201, operation_id="admin_rule_sets_adopt", response_model=RuleSet,
             summary="Adopt a rule set with the assembly's date and vote (never below the floor)")
def adopt(body: AdoptionIn, ctx: Ctx, who: Admin) -> dict[str, Any]:
    vote = f"{body.votes_for} for, {body.votes_against} against, {body.abstentions} abstention(s)"
    adopted_by = f"{body.body} of {body.assembly_date.isoformat()}, {vote}"
    return rule_sets.adopt_rule_set(ctx, who, {**body.rules, "adopted_by": adopted_by})


@router.get("/webhooks", operation_id="admin_webhooks_list", response_model=list[WebhookRow],
            summary="Every merchant's webhook endpoints (secrets never shown)")
def list_webhooks(ctx: Ctx, who: Admin) -> list[dict[str, Any]]:
    with ctx.sessions() as s:
        rows = s.execute(select(WebhookEndpoint, MerchantRow.name)
                         .join(MerchantRow, MerchantRow.id == WebhookEndpoint.merchant_id)
                         .where(WebhookEndpoint.coop_id == who.coop_id).order_by(WebhookEndpoint.created_at)).all()
        return [{"id": w.id, "merchant_id": w.merchant_id, "merchant": name, "url": w.url,
                 "event_types": w.event_types, "disabled_at": iso(w.disabled_at)} for w, name in rows]


@router.get("/audit", operation_id="admin_audit_list", response_model=list[AuditRow],
            summary="Who changed what and when, newest first, filtered")
def audit_log(ctx: Ctx, who: Admin, action: Annotated[str | None, Query(max_length=32)] = None,
              actor_id: Annotated[str | None, Query(max_length=32)] = None,
              delivery_id: Annotated[str | None, Query(max_length=32)] = None,
              since: Since = None, until: Since = None,
              limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[dict[str, Any]]:
    return audit.audit_rows(ctx, who, action=action, actor_id=actor_id, delivery_id=delivery_id,
                            since=since, until=until, limit=limit)


@router.get("/exports/deliveries.csv", operation_id="admin_exports_deliveries", response_class=Response,
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
            summary="The period's deliveries with their split, as CSV")
def export_deliveries(ctx: Ctx, who: Admin, start: From = None, end: To = None) -> Response:
    text = coop_books.deliveries_csv(ctx, who, start, end)
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="deliveries.csv"'})
