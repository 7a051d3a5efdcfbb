"""Problem details in the reader's language: ``Accept-Language`` honoured by every problem+json.

One mechanism for every error of every view and API client: an ASGI middleware (outermost, so
the edge's own problems, 413 and 429, pass through it too) rewrites an
``application/problem+json`` answer when the request prefers French. The title comes from the
problem's type (``/problems/<slug>``), else its status; the detail and each ``errors[]``
message from a catalogue of the service's messages (patterns with their values kept) and of
pydantic's validation messages. A message the catalogue does not know yet still reads French:
a sentence of its kind naming the field, never the English text. English stays the default
and the original wording. ``Content-Language`` says which was sent.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Lang = Literal["en", "fr"]
MEDIA_TYPE = b"application/problem+json"

TITLES_FR = {
    "validation": "Requête invalide", "invalid-input": "Donnée refusée",
    "outside-area": "Hors de la zone desservie", "floor-not-met": "Le prix ne paie pas le minimum du coursier",
    "idempotency-conflict": "Idempotency-Key réutilisée", "webhook-target-refused": "Adresse de webhook refusée",
    "illegal-transition": "Action impossible dans cet état", "stale-version": "Version périmée",
    "conflict": "Conflit", "unauthorized": "Non identifié", "forbidden": "Interdit",
    "not-found": "Introuvable", "method-not-allowed": "Méthode non permise",
    "payload-too-large": "Envoi trop volumineux", "unsupported-media-type": "Type de contenu non pris en charge",
    "rate-limited": "Trop de demandes", "bad-request": "Requête incorrecte", "internal": "Erreur interne",
    "unavailable": "Service indisponible",
}
SLUG_BY_STATUS = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
                  405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
                  415: "unsupported-media-type", 422: "invalid-input", 429: "rate-limited",
                  500: "internal", 503: "unavailable"}
# What to say when the catalogue does not know a message: its kind, in French.
GENERIC_FR = {
    400: "La requête ne peut pas être lue.", 401: "Identifiez-vous (clé d'API ou connexion).",
    403: "Votre rôle ne permet pas de faire cela.", 404: "Cet objet est introuvable.",
    405: "Cette adresse ne prend pas cette méthode.", 409: "L'état actuel ne permet pas cette action : rechargez.",
    413: "L'envoi est trop volumineux.", 415: "Envoyez du JSON.", 422: "Cette valeur est refusée.",
    429: "Trop de demandes : réessayez dans un instant.",
    500: "Une erreur interne s'est produite ; elle a été enregistrée.",
    503: "Le service est indisponible un instant : réessayez.",
}
FIELDS_FR = {
    "recipient": "destinataire", "recipient.name": "nom du destinataire",
    "recipient.phone": "téléphone du destinataire",
    "dropoff": "lieu de livraison", "pickup": "lieu d'enlèvement", "ready_at": "heure de préparation",
    "dropoff_window.start": "début du créneau", "dropoff_window.end": "fin du créneau",
    "load.kg": "charge (kg)", "load.litres": "volume (litres)", "notes": "note pour le coursier",
    "quote_id": "devis", "reason": "motif", "courier_id": "coursier", "version": "version",
    "email": "e-mail", "password": "mot de passe", "Authorization": "identification",
    "body": "corps de la requête", "happened_at": "heure de l'action", "shift": "service",
    "status": "statut", "dropoff.address": "adresse de livraison", "pickup.address": "adresse d'enlèvement",
    # the columns of an imported file (dispatch/services/import_files.py)
    "order_ref": "référence de commande", "recipient_name": "nom du destinataire",
    "recipient_phone": "téléphone du destinataire", "dropoff_address": "adresse de livraison",
    "dropoff_lat": "latitude de livraison", "dropoff_lon": "longitude de livraison",
    "pickup_address": "adresse d'enlèvement", "pickup_lat": "latitude d'enlèvement",
    "pickup_lon": "longitude d'enlèvement", "load_kg": "charge (kg)", "load_litres": "volume (litres)",
    "window_end": "fin du créneau", "file": "fichier", "content_base64": "contenu du fichier",
    "filename": "nom du fichier", "import_id": "import",
}
STATUS_FR = {"pending": "en attente", "assigned": "attribuée", "picked_up": "en route",
             "delivered": "livrée", "failed": "échouée", "cancelled": "annulée"}
ACTION_FR = {"assign": "attribuer", "unassign": "remettre en attente", "pick_up": "prendre",
             "deliver": "livrer", "fail": "déclarer en échec", "cancel": "annuler", "arrive": "arriver à"}

# (pattern on the English message, French template); named groups are kept as they are, or
# translated when the group name says how (status, action, field).
CATALOGUE: list[tuple[str, str]] = [
    # validation (pydantic's messages)
    (r"Field required", "champ obligatoire"),
    (r"Extra inputs are not permitted", "champ inconnu"),
    (r"String should have at most (?P<n>\d+) characters?", "au plus {n} caractères"),
    (r"String should have at least (?P<n>\d+) characters?", "au moins {n} caractère(s)"),
    (r"String should match pattern .*", "format invalide"),
    (r"Input should be greater than or equal to (?P<n>\S+)", "doit être supérieur ou égal à {n}"),
    (r"Input should be greater than (?P<n>\S+)", "doit être supérieur à {n}"),
    (r"Input should be less than or equal to (?P<n>\S+)", "doit être inférieur ou égal à {n}"),
    (r"Input should be less than (?P<n>\S+)", "doit être inférieur à {n}"),
    (r"Input should be a valid (number|decimal).*", "doit être un nombre"),
    (r"Input should be a valid integer.*", "doit être un nombre entier"),
    (r"Input should be a finite number", "doit être un nombre fini"),
    (r"Input should be a valid string.*", "doit être un texte"),
    (r"Input should be a valid boolean.*", "doit être vrai ou faux"),
    (r"Input should be a valid (datetime|date).*", "doit être une date ISO 8601 (AAAA-MM-JJThh:mm+zone)"),
    (r"Input should have timezone info", "doit indiquer le fuseau horaire (Z ou +hh:mm)"),
    (r"Input should be a valid (dictionary|object).*", "doit être un objet JSON"),
    (r"Input should be a valid list.*", "doit être une liste"),
    (r"Input should be (?P<choices>'.*)", "doit être l'une des valeurs {choices}"),
    (r"JSON decode error.*|Expecting value.*|Invalid JSON.*", "JSON illisible"),
    (r"Value error, (?P<inner>.+)", "{inner}"),
    # the service's own messages
    (r"(?P<line>\d+):(?P<col>\d+): (?P<inner>.+)", "{line}:{col}: {inner}"),  # an imported file's cell
    (r"(?P<line>\d+):(?P<col>\d+): .*", "{line}:{col}: valeur refusée"),
    (r"(?P<inner>.+?); did you mean: (?P<c>.+)", "{inner} ; vouliez-vous dire : {c}"),
    (r"(?P<field>[\w.\[\]]+): (?P<inner>.+)", "{field} : {inner}"),
    # addresses (dispatch/services/places.py) and imported files (dispatch/services/imports.py)
    (r"(?P<field>\w+\.address) (?P<q>['\"])(?P<v>.*)(?P=q) matches no address or place of the co-op's map",
     "{field} « {v} » : aucune adresse ni aucun lieu de la carte de la coopérative ne correspond"),
    (r"(?P<field>\w+\.address) (?P<q>['\"])(?P<v>.*)(?P=q) needs a house number that the co-op's map knows.*",
     "{field} « {v} » : il faut un numéro que la carte de la coopérative connaît dans cette rue"),
    (r"(?P<field>\w+\.address) (?P<q>['\"])(?P<v>.*)(?P=q) matches several places equally well.*",
     "{field} « {v} » : plusieurs lieux correspondent autant ; ajoutez le code postal ou la ville"),
    (r"(?P<field>\w+) (?P<q>['\"])(?P<v>.*)(?P=q) is not a number", "{field} « {v} » n'est pas un nombre"),
    (r"(?P<field>\w+) (?P<q>['\"])(?P<v>.*)(?P=q) is not between (?P<lo>\S+) and (?P<hi>\S+)",
     "{field} « {v} » n'est pas entre {lo} et {hi}"),
    (r"(?P<field>\w+) (?P<q>['\"])(?P<v>.*)(?P=q) is not an ISO 8601 date and time",
     "{field} « {v} » n'est pas une date et heure ISO 8601 (AAAA-MM-JJThh:mm+zone)"),
    (r"(?P<field>\w+) (?P<q>['\"])(?P<v>.*)(?P=q) needs a time zone.*",
     "{field} « {v} » : indiquez le fuseau horaire, par ex. +02:00"),
    (r"give dropoff_address, or dropoff_lat and dropoff_lon",
     "indiquez l'adresse de livraison, ou sa latitude et sa longitude"),
    (r"give both (?P<field>\w+_lat) and (?P<field2>\w+_lon)", "indiquez à la fois {field} et {field2}"),
    (r"order_ref (?P<q>['\"])(?P<v>.*)(?P=q) was imported before with other values.*",
     "la référence de commande « {v} » a déjà été importée avec d'autres valeurs : donnez-lui une nouvelle référence"),
    (r"unknown column (?P<q>['\"])(?P<v>.*)(?P=q); the columns are (?P<cols>.+)",
     "colonne inconnue « {v} » ; les colonnes sont {cols}"),
    (r"at most (?P<n>\d+) rows per file", "au plus {n} lignes par fichier"),
    (r"not a readable (?P<kind>CSV|XLSX) file.*", "fichier {kind} illisible"),
    (r"content_base64 is not base64", "le contenu du fichier n'est pas en base64"),
    (r"no import \S+", "import introuvable"),
    (r"wrong email or password", "e-mail ou mot de passe incorrect"),
    (r"unknown or revoked token: log in again", "session inconnue ou révoquée : reconnectez-vous"),
    (r"expired token: log in again", "session expirée : reconnectez-vous"),
    (r"unknown or revoked API key", "clé d'API inconnue ou révoquée"),
    (r"malformed API key", "clé d'API mal formée"),
    (r"send Authorization: Bearer <API key or token>", "identifiez-vous (clé d'API ou connexion)"),
    (r"the Authorization header must be 'Bearer <credential>'",
     "l'en-tête Authorization doit être « Bearer <identifiant> »"),
    (r"only the co-op's dispatchers may do this", "seuls les répartiteurs de la coopérative peuvent faire cela"),
    (r"this needs one of the roles: (?P<roles>.+)", "il faut l'un de ces rôles : {roles}"),
    (r"couriers cannot cancel deliveries; report them failed",
     "un coursier n'annule pas une livraison : il signale l'échec"),
    (r"a shift is already open: end it first", "un service est déjà ouvert : terminez-le d'abord"),
    (r"no shift is open", "aucun service n'est ouvert"),
    (r"deliveries are still on board: drop them \(or report them failed\) first",
     "des livraisons sont encore à bord : livrez-les (ou signalez l'échec) d'abord"),
    (r"positions are only taken during a shift", "les positions ne sont prises que pendant le service"),
    (r"the delivery is already on board a bike: it stays with its courier",
     "la livraison est déjà à bord d'un vélo : elle reste à son coursier"),
    (r"courier (?P<name>.+) is not on shift", "{name} n'est pas en service"),
    (r"no courier \S+", "coursier introuvable"),
    (r"a manual assignment needs a reason", "une attribution manuelle demande un motif"),
    (r"unassigning needs a reason", "remettre en attente demande un motif"),
    (r"(?P<action>\w+) needs a reason", "{action} : un motif est obligatoire"),
    (r"cannot (?P<action>\w+) a delivery that is (?P<status>\w+)",
     "action impossible ({action}) : la livraison est {status}"),
    (r"the delivery is at version (?P<a>\d+), the request was made against version (?P<b>\d+)",
     "la livraison a changé (version {a}, la demande portait sur la version {b}) : rechargez-la"),
    (r"the delivery was changed by someone else at the same time: read it again",
     "la livraison a été modifiée par quelqu'un d'autre au même moment : rechargez-la"),
    (r"dropoff_window\.end is before the ready time",
     "la fin du créneau est avant l'heure où la commande est prête"),
    (r"dropoff_window\.start is after its end", "le début du créneau est après sa fin"),
    (r"dropoff_window\.end is too far in the future", "la fin du créneau est trop loin dans le futur"),
    (r"dropoff_window\.end cannot be met: the ride alone takes (?P<min>\d+) min after the ready time",
     "la fin du créneau ne peut pas être tenue : le trajet seul prend {min} min après l'heure de préparation"),
    (r"ready_at must be within the next (?P<n>\d+) days",
     "l'heure de préparation doit être dans les {n} prochains jours"),
    (r"recipient\.name is empty", "le nom du destinataire est vide"),
    (r"recipient\.phone is not a phone number.*",
     "le téléphone du destinataire n'est pas un numéro (chiffres, espaces, +, -, parenthèses)"),
    (r"load\.kg (?P<kg>[\d.]+) exceeds the largest vehicle \((?P<max>[\d.]+) kg\)",
     "une charge de {kg} kg dépasse le plus grand véhicule ({max} kg)"),
    (r"load\.litres (?P<l>[\d.]+) exceeds the largest vehicle.*",
     "un volume de {l} litres dépasse le plus grand véhicule"),
    (r"quote \S+ expired at .*", "le devis a expiré : demandez-en un nouveau"),
    (r"quote \S+ was for another trip.*",
     "le devis portait sur un autre trajet (enlèvement, livraison ou charge différents)"),
    (r"no quote \S+ for this merchant", "devis inconnu pour ce commerçant"),
    (r"point \((?P<lat>[-\d.]+), (?P<lon>[-\d.]+)\) is (?P<m>\d+) m from the nearest usable street.*",
     "le point ({lat}, {lon}) est à {m} m de la rue praticable la plus proche"),
    (r"no delivery with this tracking link", "aucune livraison pour ce lien de suivi"),
    (r"no delivery \S+", "livraison introuvable"),
    (r"no (stop|dropoff) \S+ on your route", "cet arrêt n'est pas sur votre tournée"),
    (r"this account is not a courier", "ce compte n'est pas celui d'un coursier"),
    (r"this account has no merchant", "ce compte n'est pas celui d'un commerçant"),
    (r"happened_at is not a plausible time for this report", "l'heure de ce signalement n'est pas plausible"),
    (r"the Idempotency-Key header is required", "l'en-tête Idempotency-Key est obligatoire"),
    (r"action '(?P<a>\w+)' does not apply to a (?P<kind>\w+) stop", "cette action ne convient pas à cet arrêt"),
    (r"planned_end_at must be within the next (?P<n>\d+) hours",
     "la fin prévue du service doit être dans les {n} prochaines heures"),
    (r"too many requests: retry in (?P<s>\d+) s", "trop de demandes : réessayez dans {s} s"),
    (r"the body exceeds (?P<n>\d+) bytes", "le corps de la requête dépasse {n} octets"),
    (r"an internal error occurred; it has been logged",
     "une erreur interne s'est produite ; elle a été enregistrée"),
    (r".*control characters.*", "les caractères de contrôle ne sont pas acceptés"),
]
_COMPILED = [(re.compile(pattern, re.DOTALL), template) for pattern, template in CATALOGUE]


def preferred_lang(accept_language: str | None) -> Lang:
    """French when the header ranks some ``fr`` above every ``en`` (q-values), else English."""
    best: dict[str, float] = {}
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _, value = p.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("fr", "en"):
            best[primary] = max(best.get(primary, 0.0), q)
    return "fr" if best.get("fr", 0.0) > best.get("en", 0.0) else "en"


def french(text: str, depth: int = 0) -> str | None:
    """The catalogue's French for ``text``, or None when no pattern knows it."""
    for pattern, template in _COMPILED:
        m = pattern.fullmatch(text.strip())
        if m is None:
            continue
        values = {}
        for name, value in m.groupdict().items():
            value = value or ""
            if name == "inner":
                inner = french(value, depth + 1) if depth < 3 else None
                if inner is None:
                    break  # an unknown inner message: try the next pattern
                value = inner
            elif name.startswith("field"):
                value = FIELDS_FR.get(value, value)
            elif name == "status":
                value = STATUS_FR.get(value, value)
            elif name == "action":
                value = ACTION_FR.get(value, value)
            values[name] = value
        else:
            out = template.format(**values)
            return out[:1].upper() + out[1:] if depth == 0 else out
    return None


def localise_message(text: str, lang: Lang) -> str:
    """One message (an imported row's ``line:column: message``) in ``lang``: the catalogue's
    French, else the kind of message in French; English as it is."""
    if lang != "fr":
        return text
    return french(text) or "Valeur refusée."


def _slug(body: dict[str, Any]) -> str:
    type_ = str(body.get("type") or "")
    slug = type_.rstrip("/").rsplit("/", 1)[-1]
    if slug in TITLES_FR:
        return slug
    return SLUG_BY_STATUS.get(int(body.get("status") or 500), "internal")


def localise(body: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """``body`` (a problem) with its title, detail and ``errors[].message`` in ``lang``."""
    if lang != "fr":
        return body
    status = int(body.get("status") or 500)
    field = body.get("field")
    out = dict(body)
    out["title"] = TITLES_FR[_slug(body)]
    detail = french(str(body.get("detail") or ""))
    if detail is None:
        generic = GENERIC_FR.get(status, GENERIC_FR[500 if status >= 500 else 400])
        detail = f"{generic} Champ : {FIELDS_FR.get(field, field)}." if field else generic
    out["detail"] = detail
    if isinstance(body.get("errors"), list):
        out["errors"] = [e | {"message": french(str(e.get("message", ""))) or "valeur refusée"}
                         if isinstance(e, dict) else e for e in body["errors"]]
    return out


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return str(value.decode("latin-1"))
    return None


class ProblemLanguage:
    """Rewrites problem+json answers into the request's preferred language (see the module)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or preferred_lang(_header(scope, b"accept-language")) == "en":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def wrapped(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if ctype.split(b";")[0].strip() == MEDIA_TYPE:
                    start = message  # held until the whole (small) body is here
                    return
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                await _send_localised(send, start, b"".join(chunks))
                return
            await send(message)

        await self.app(scope, receive, wrapped)


async def _send_localised(send: Send, start: Message, raw: bytes) -> None:
    try:
        body = json.loads(raw)
        raw = json.dumps(localise(body, "fr"), ensure_ascii=False).encode()
        language = b"fr"
    except (ValueError, TypeError, KeyError, AttributeError):  # not a JSON object after all: pass it on as is
        language = b"en"
    headers = [(k, v) for k, v in start.get("headers", []) if k not in (b"content-length", b"content-language")]
    headers += [(b"content-length", str(len(raw)).encode()), (b"content-language", language),
                (b"vary", b"Accept-Language")]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": raw})
