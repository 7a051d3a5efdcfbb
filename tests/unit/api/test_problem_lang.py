"""Problem details in French: the catalogue, the fallback, and the language a header asks for."""

from __future__ import annotations

import pytest

from dispatch.api.problem_lang import localise, preferred_lang


@pytest.mark.parametrize(("header", "lang"), [
    ("fr-FR,fr;q=0.9,en;q=0.8", "fr"), ("fr", "fr"), ("en-GB,fr;q=0.5", "en"),
    ("de-DE", "en"), (None, "en"), ("fr;q=0.2,en;q=0.9", "en"), ("fr;q=bad", "en"),
])
def test_french_is_chosen_only_when_the_header_ranks_it_first(header, lang):
    """q-values decide; anything unknown or absent stays English."""
    assert preferred_lang(header) == lang


@pytest.mark.parametrize(("detail", "french"), [
    ("recipient.phone: String should have at most 40 characters", "Téléphone du destinataire : au plus 40 caractères"),
    ("load.kg: Input should be greater than or equal to 0", "Charge (kg) : doit être supérieur ou égal à 0"),
    ("dropoff_window.end cannot be met: the ride alone takes 12 min after the ready time",
     "La fin du créneau ne peut pas être tenue : le trajet seul prend 12 min après l'heure de préparation"),
    ("cannot cancel a delivery that is picked_up", "Action impossible (annuler) : la livraison est en route"),
    ("too many requests: retry in 3 s", "Trop de demandes : réessayez dans 3 s"),
    ("notes: Value error, text holds control characters",
     "Note pour le coursier : les caractères de contrôle ne sont pas acceptés"),
    ("dropoff.address 'Rue X 9' matches no address or place of the co-op's map",
     "Adresse de livraison « Rue X 9 » : aucune adresse ni aucun lieu de la carte de la coopérative ne correspond"),
    ("3:4: pickup.address 'Rue X' needs a house number that the co-op's map knows on that street; did you mean: A | B",
     "3:4: adresse d'enlèvement « Rue X » : il faut un numéro que la carte de la coopérative connaît dans cette rue"
     " ; vouliez-vous dire : A | B"),
    ("2:4: give both pickup_lat and pickup_lon",
     "2:4: indiquez à la fois latitude d'enlèvement et longitude d'enlèvement"),
    ("7:2: a message nobody wrote yet", "7:2: valeur refusée"),
])
def test_known_messages_read_french_with_their_values(detail, french):
    """The catalogue keeps numbers and names, and translates fields, statuses and actions."""
    body = {"type": "/problems/invalid-input", "title": "Invalid input", "status": 422, "detail": detail}
    assert localise(body, "fr")["detail"] == french


def test_an_unknown_message_still_reads_french_naming_its_field():
    """A message the catalogue does not know gives its kind's French sentence, never English."""
    body = {"type": "/problems/conflict", "title": "Conflict", "status": 409, "field": "courier_id",
            "detail": "a brand new message", "errors": [{"field": "x", "message": "something odd"}]}
    out = localise(body, "fr")
    assert out["title"] == "Conflit" and "brand new" not in out["detail"]
    assert out["detail"].endswith("Champ : coursier.") and out["errors"][0]["message"] == "valeur refusée"
    assert localise(body, "en") == body
