"""How the dispatch decides, in plain French and English, from the objective's own weights.

Pure. The numbers come from :class:`routing.planning.problem.Weights` (the one documented place for
them), so the public transparency page can never drift from what the solver minimises.
"""

from __future__ import annotations

from typing import Literal

from dispatch.domain.money import LANGS, Lang
from routing.planning.problem import Weights

Policy = Literal["nearest", "solver"]


def _n(value: int, lang: Lang) -> str:
    sep = "\u202f" if lang == "fr" else ","
    return f"{value:,}".replace(",", sep)


def weights_to_dict(weights: Weights) -> dict[str, int]:
    """The objective's weights by name, in cost points per unit."""
    return {"lateness_per_s": weights.lateness_per_s, "travel_per_s": weights.travel_per_s,
            "churn_per_move": weights.churn_per_move,
            "unassigned_penalty": weights.unassigned_penalty,
            "fairness_per_s": weights.fairness_per_s, "delay_per_s": weights.delay_per_s,
            "floor_short_per_cent": weights.floor_short_per_cent,
            "floor_missed_per_hour": weights.floor_missed_per_hour, "bundle_detour_s": weights.bundle_detour_s,
            "delay_tail_s": weights.delay_tail_s, "delay_tail_per_s": weights.delay_tail_per_s,
            "commit_ahead_stops": weights.commit_ahead_stops, "commit_wait_s": weights.commit_wait_s,
            "fairness_grade_per_order": weights.fairness_grade_per_order}


def _fr(w: Weights, ratio: str) -> list[str]:
    return [
        "Le dispatch cherche le plan (quel coursier prend quelle course, dans quel ordre) dont "
        "le coût total est le plus bas. Le coût compte des points\u00a0:",
        f"chaque seconde de retard à la remise, après la fin du créneau promis\u00a0: "
        f"{_n(w.lateness_per_s, 'fr')} points\u00a0;",
        f"chaque seconde de trajet à vélo\u00a0: {_n(w.travel_per_s, 'fr')} point(s)\u00a0;",
        f"chaque seconde qu'une course arrive après le plus tôt possible (prête, chargée, puis "
        f"trajet direct), même sans retard\u00a0: {_n(w.delay_per_s, 'fr')} point(s), pour "
        f"livrer vite plutôt que d'enchaîner les courses sur un coursier pendant que d'autres "
        f"attendent\u00a0;",
        *([f"au-delà de {_n(w.delay_tail_s // 60, 'fr')} minutes d'attente ainsi, chaque seconde "
           f"de plus\u00a0: {_n(w.delay_tail_per_s, 'fr')} points de plus, pour que les longues "
           f"attentes pèsent plus que les courtes\u00a0;"] if w.delay_tail_per_s else []),
        f"chaque course retirée à un coursier pour la donner à un autre\u00a0: "
        f"{_n(w.churn_per_move, 'fr')} points, pour que les tournées ne changent pas sous les "
        f"roues des coursiers pour un petit gain\u00a0;",
        f"chaque course laissée sans coursier\u00a0: {_n(w.unassigned_penalty, 'fr')} points, "
        f"ce qui n'arrive que si aucun coursier ne peut la prendre (charge, fin de service)\u00a0;",
        (f"chaque seconde de la tournée la plus longue\u00a0: {_n(w.fairness_per_s, 'fr')} "
         f"points, pour répartir le travail entre coursiers." if w.fairness_per_s else
         "la longueur de la tournée la plus longue n'est pas pondérée (poids 0)\u00a0; le "
         "travail est réparti par la règle du plancher ci-dessous\u00a0;"),
        f"chaque centime qui manquerait à un coursier pour atteindre, dans l'heure en cours, la "
        f"part du plancher horaire de son temps de service dans cette heure (ce que son relevé "
        f"vérifie, heure par heure), une fois payées les courses que le plan lui fait remettre "
        f"avant la fin de l'heure : {_n(w.floor_short_per_cent, 'fr')} points, soit ce que la "
        f"garantie de revenu de la coopérative devrait pour l'heure, et "
        f"{_n(w.floor_missed_per_hour, 'fr')} points une fois s'il lui manque quoi que ce soit "
        f"(l'heure serait signalée sous le plancher sur son relevé) ; le travail va d'abord "
        f"aux membres que la garantie paierait à attendre, quand cela coûte peu, et, quand il n'y "
        f"en a pas assez pour tous, à ceux qu'une course de plus amène au plancher ;",
        f"au-dessus du plancher aussi, chaque course donnée à un coursier : "
        f"{_n(w.fairness_grade_per_order, 'fr')} points de plus par plancher horaire qu'il a gagné "
        f"de plus que le coursier le moins payé depuis le début de son service (au plus un), pour "
        f"qu'entre coursiers qui arrivent presque en même temps au restaurant, le moins payé "
        f"prenne la course.",
        "Plusieurs arrêts de suite au même endroit sont un seul passage : deux commandes "
        "prises au même restaurant ne comptent qu'une fois le temps d'arrêt.",
        f"Autrement dit, une minute de retard pèse autant que {ratio} minutes de trajet.",
        f"Regrouper des courses : une course ne voyage avec d'autres que si elle arrive au "
        f"plus {_n(w.bundle_detour_s // 60, 'fr')} minutes plus tard que si son coursier la "
        f"livrait seule depuis le restaurant.",
        f"Quand une course est confiée : elle reste en attente tant qu'un meilleur "
        f"regroupement peut se former, et elle est confiée au coursier quand il doit partir la "
        f"chercher (au plus {_n(w.commit_ahead_stops, 'fr')} arrêt(s) avant elle, et le repas "
        f"prêt au plus {_n(w.commit_wait_s, 'fr')} secondes après son arrivée). Le "
        f"dispatcheur voit pour qui elle est prévue.",
    ]


def _en(w: Weights, ratio: str) -> list[str]:
    return [
        "The dispatch looks for the plan (which courier takes which delivery, in which order) "
        "with the lowest total cost. The cost counts points:",
        f"every second a delivery is handed over after the end of its promised window: "
        f"{_n(w.lateness_per_s, 'en')} points;",
        f"every second of riding: {_n(w.travel_per_s, 'en')} point(s);",
        f"every second a delivery arrives after the earliest it could (ready, loaded, then the "
        f"direct ride), even when not late: {_n(w.delay_per_s, 'en')} point(s), to deliver "
        f"soon rather than chain orders on one courier while others wait;",
        *([f"beyond {_n(w.delay_tail_s // 60, 'en')} minutes of such waiting, every further "
           f"second: {_n(w.delay_tail_per_s, 'en')} points more, so long waits weigh more than short "
           f"ones;"] if w.delay_tail_per_s else []),
        f"every delivery taken from one courier and given to another: "
        f"{_n(w.churn_per_move, 'en')} points, so routes do not change under couriers' wheels "
        f"for a small gain;",
        f"every delivery left without a courier: {_n(w.unassigned_penalty, 'en')} points, "
        f"which only happens when no courier can take it (load, end of shift);",
        (f"every second of the longest route: {_n(w.fairness_per_s, 'en')} points, to spread "
         f"work between couriers." if w.fairness_per_s else
         "the length of the longest route is not weighted (weight 0); work is spread by the "
         "floor rule below;"),
        f"every cent a courier would still be short of the floor's share of their time on shift "
        f"in the current clock hour (what their pay statement checks, hour by hour), once the "
        f"deliveries the plan has them drop before the hour ends are paid: "
        f"{_n(w.floor_short_per_cent, 'en')} points, what the co-op's pay guarantee would owe for "
        f"the hour, and {_n(w.floor_missed_per_hour, 'en')} points once if they are short at all "
        f"(their statement would flag the hour below the floor); so work goes first to members "
        f"the guarantee would otherwise pay to wait, when that costs little, and, when there is "
        f"not enough for everyone, to those one more delivery brings up to the floor;",
        f"above the floor too, every delivery given to a courier: "
        f"{_n(w.fairness_grade_per_order, 'en')} points more per hourly floor they earned beyond "
        f"the least-paid courier since their shift began (one floor at most), so that of couriers "
        f"reaching the kitchen about as soon, the one paid least takes it.",
        "Stops in a row at one place are one visit: two orders picked up at one kitchen count "
        "the stop's time once.",
        f"In other words, a minute late weighs as much as {ratio} minutes of riding.",
        f"Bundling: a delivery rides with others only when it arrives at most "
        f"{_n(w.bundle_detour_s // 60, 'en')} minutes later than if its courier rode it alone "
        f"from the kitchen.",
        f"When a delivery is given: it is held while a better bundle may form, and given to the "
        f"courier when they must set off for it (at most {_n(w.commit_ahead_stops, 'en')} "
        f"stop(s) before it, and the food ready at most {_n(w.commit_wait_s, 'en')} seconds after "
        f"they get there). The dispatcher sees whom it is planned for.",
    ]


_POLICY = {
    ("fr", "solver"): "Le plan est calculé par un solveur d'optimisation en un temps limité, "
                      "et recalculé quand quelque chose change.",
    ("en", "solver"): "The plan is computed by an optimisation solver within a short time "
                      "limit, and computed again when something changes.",
    ("fr", "nearest"): "Pour l'instant, chaque course va au coursier disponible le plus proche "
                       "(méthode simple)\u00a0; les coûts ci-dessus servent à mesurer le plan.",
    ("en", "nearest"): "At present each delivery goes to the nearest available courier (a "
                       "simple method); the costs above are used to measure the plan.",
}
_CLOSING = {
    "fr": ["Le prix d'une course ne compte dans le choix du coursier que par la règle du plancher "
           "ci-dessus : ce qu'elle lui paie compte pour son plancher de l'heure.",
           "Les dispatcheurs peuvent attribuer une course à la main\u00a0; le plan garde ce "
           "choix, et chaque changement manuel est enregistré avec son auteur et sa raison."],
    "en": ["A delivery's price plays a part in choosing its courier only through the floor rule "
           "above: what it pays them counts toward their floor for the hour.",
           "Dispatchers can assign a delivery by hand; the plan keeps that choice, and every "
           "manual change is recorded with who made it and why."],
}


def describe_dispatch(weights: Weights, policy: Policy, lang: Lang) -> list[str]:
    """Plain-language paragraphs on how the dispatch decides, for the transparency page.

    Parameters
    ----------
    weights : routing.planning.problem.Weights
        The objective's weights in force.
    policy : {"nearest", "solver"}
        The service's dispatch policy.
    lang : {"en", "fr"}

    Returns
    -------
    list of str
        The objective, one paragraph per weight, the policy and what the dispatch ignores.
    """
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    per_s = max(weights.travel_per_s, 1)
    ratio = _n(weights.lateness_per_s // per_s, lang)
    text = _fr(weights, ratio) if lang == "fr" else _en(weights, ratio)
    return [*text, _POLICY[(lang, policy)], *_CLOSING[lang]]
