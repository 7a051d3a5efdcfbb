// French and English for every text: the browser's language first, switchable, remembered.
// Each entry is [English, French]; {name} placeholders are filled by t(key, vars).
const TEXTS = {
  "common.logout": ["Log out", "Se déconnecter"], "common.login": ["Log in", "Se connecter"],
  "common.email": ["Email", "E-mail"], "common.password": ["Password", "Mot de passe"],
  "common.close": ["Close", "Fermer"], "common.ok": ["OK", "OK"], "common.status": ["Status", "Statut"],
  "common.networkRetry": ["No network: try again in a moment.", "Pas de réseau : réessayez dans un instant."],
  "landing.title": ["Bicycle courier co-op dispatch", "Répartition pour coopérative de coursiers à vélo"],
  "landing.intro": ["Choose your view.", "Choisissez votre vue."],
  "landing.merchant": ["Merchant: order deliveries", "Commerçant : commander des livraisons"],
  "landing.courier": ["Courier app (install it on your phone)", "Application coursier (à installer sur le téléphone)"],
  "landing.dispatcher": ["Dispatcher: live map", "Répartiteur : carte en direct"],
  "landing.docs": ["HTTP API documentation", "Documentation de l'API HTTP"],
  "landing.osm": ["Map data © OpenStreetMap contributors.", "Données cartographiques © les contributeurs d'OpenStreetMap."],
  "status.pending": ["waiting for a courier", "en attente d'un coursier"], "status.assigned": ["assigned", "attribuée"],
  "status.picked_up": ["on its way", "en route"], "status.delivered": ["delivered", "livrée"],
  "status.failed": ["failed", "échouée"], "status.cancelled": ["cancelled", "annulée"],
  "split.courier": ["courier", "coursier"], "split.coop": ["co-op", "coopérative"], "split.merchant": ["your rebate", "votre ristourne"],
  "merchant.title": ["Deliveries", "Livraisons"], "merchant.login": ["Log in", "Connexion"], "merchant.apiKey": ["API key", "Clé d'API"],
  "merchant.orAccount": ["or with your account", "ou avec votre compte"], "merchant.new": ["New delivery", "Nouvelle livraison"],
  "merchant.pickup": ["Pickup", "Enlèvement"], "merchant.dropoffShort": ["Dropoff", "Livraison"],
  "merchant.dropoff": ["Dropoff address (type it and pick a suggestion, or click the map)", "Adresse de livraison (tapez-la et choisissez une suggestion, ou cliquez sur la carte)"],
  "merchant.noPoint": ["No point chosen on the map yet.", "Aucun point choisi sur la carte."],
  "merchant.point": ["Dropoff point:", "Point de livraison :"],
  "merchant.needPoint": ["Type the dropoff address, or click it on the map.", "Tapez l'adresse de livraison, ou cliquez-la sur la carte."],
  "merchant.didYouMean": ["Did you mean:", "Vouliez-vous dire :"],
  "import.title": ["Import orders from a file", "Importer des commandes depuis un fichier"],
  "import.help": ["CSV or XLSX, one order per row; each row is created once, even if you upload the file again.", "CSV ou XLSX, une commande par ligne ; chaque ligne n'est créée qu'une fois, même si vous renvoyez le fichier."],
  "import.template": ["Download the template", "Télécharger le modèle"], "import.file": ["File", "Fichier"],
  "import.go": ["Create these orders", "Créer ces commandes"], "import.line": ["Line", "Ligne"], "import.ref": ["Ref", "Réf."],
  "import.address": ["Address, or what is wrong", "Adresse, ou ce qui ne va pas"],
  "import.reading": ["Reading the file…", "Lecture du fichier…"],
  "import.previewed": ["{ok} to create, {existing} already created, {failed} with an error (nothing created yet).", "{ok} à créer, {existing} déjà créées, {failed} en erreur (rien n'est encore créé)."],
  "import.progress": ["Creating: {done} of {total}…", "Création : {done} sur {total}…"],
  "import.done": ["{created} created, {existing} already there, {failed} with an error.", "{created} créées, {existing} déjà là, {failed} en erreur."],
  "import.ok": ["to create", "à créer"], "import.exists": ["already created", "déjà créée"], "import.created": ["created", "créée"],
  "import.error": ["error", "erreur"],
  "merchant.recipient": ["Recipient", "Destinataire"], "merchant.phone": ["Phone", "Téléphone"],
  "merchant.ready": ["Ready at", "Prête à"], "merchant.windowStart": ["Deliver from", "Livrer à partir de"],
  "merchant.windowEnd": ["Deliver by", "Livrer avant"], "merchant.kg": ["Load (kg)", "Charge (kg)"],
  "merchant.litres": ["Load (litres)", "Volume (litres)"], "merchant.notes": ["Notes for the courier", "Note pour le coursier"],
  "merchant.quote": ["Get a quote", "Obtenir un devis"], "merchant.submit": ["Order the delivery", "Commander la livraison"],
  "merchant.today": ["Today's deliveries", "Livraisons du jour"], "merchant.created": ["Created", "Créée"],
  "merchant.dropoffShort": ["Dropoff", "Livraison"], "merchant.fee": ["Fee", "Prix"],
  "merchant.none": ["No delivery today yet.", "Pas encore de livraison aujourd'hui."],
  "merchant.notMerchant": ["This account is not a merchant's.", "Ce compte n'est pas celui d'un commerçant."],
  "merchant.quoteTitle": ["Quote:", "Devis :"], "merchant.validUntil": ["valid until", "valable jusqu'à"],
  "merchant.trackLink": ["tracking link", "lien de suivi"], "merchant.receipt": ["Receipt", "Reçu"],
  "merchant.cancel": ["Cancel", "Annuler"], "merchant.confirmCancel": ["Cancel this delivery?", "Annuler cette livraison ?"],
  "merchant.final": ["Final receipt.", "Reçu définitif."],
  "merchant.provisional": ["Provisional: the quoted price, final once delivered.", "Provisoire : le prix du devis, définitif à la livraison."],
  "merchant.ruleSet": ["Fee rules version", "Version des règles de prix"],
  "merchant.noReceipt": ["No receipt for this delivery yet.", "Pas encore de reçu pour cette livraison."],
  "merchant.noQuote": ["Quotes are not available on this server.", "Les devis ne sont pas disponibles sur ce serveur."],
  "courier.title": ["My route", "Ma tournée"], "courier.login": ["Courier log in", "Connexion coursier"],
  "courier.waiting": ["action(s) waiting to be sent", "action(s) en attente d'envoi"],
  "courier.refused": ["Refused by the server", "Refusé par le serveur"],
  "courier.startShift": ["Start shift", "Commencer le service"], "courier.endShift": ["End shift", "Finir le service"],
  "courier.eta": ["ETA", "Arrivée prévue"], "courier.navigate": ["Navigate", "Itinéraire"],
  "courier.arrived": ["Arrived", "Arrivé"], "courier.pickedUp": ["Picked up", "Colis pris"], "courier.picked_up": ["Picked up", "Colis pris"],
  "courier.delivered": ["Delivered", "Livré"], "courier.failed": ["Failed…", "Échec…"],
  "courier.failReason": ["Why? (required)", "Pourquoi ? (obligatoire)"], "courier.confirmFail": ["Report failed", "Signaler l'échec"],
  "courier.proof": ["Proof of delivery", "Preuve de livraison"], "courier.photo": ["Photo", "Photo"],
  "courier.signature": ["Signature", "Signature"], "courier.clear": ["Clear", "Effacer"],
  "courier.attachSignature": ["Attach signature", "Joindre la signature"], "courier.today": ["Today's stops", "Arrêts du jour"],
  "courier.noStops": ["No stop for now.", "Aucun arrêt pour l'instant."], "courier.onShiftSince": ["On shift since", "En service depuis"],
  "courier.offShift": ["Off shift: no position is shared.", "Hors service : aucune position n'est partagée."],
  "courier.pickup": ["Pickup", "Enlèvement"], "courier.dropoff": ["Dropoff", "Livraison"],
  "courier.onTheMap": ["Address unknown: the point on the map", "Adresse inconnue : le point sur la carte"],
  "courier.notSent": ["not sent yet", "pas encore envoyé"], "courier.attempts": ["attempts", "essais"],
  "courier.loginAgain": ["Your session expired: log in again to send them.", "Session expirée : reconnectez-vous pour les envoyer."],
  "courier.willSend": ["They are kept on this phone and sent as soon as the network is back.", "Elles sont gardées sur ce téléphone et envoyées dès le retour du réseau."],
  "courier.proofQueued": ["Proof queued.", "Preuve en file d'attente."],
  "courier.noPosition": ["No position: allow location or open the map first.", "Pas de position : autorisez la localisation ou ouvrez la carte."],
  "courier.online": ["online", "en ligne"], "courier.offline": ["offline", "hors ligne"],
  "courier.notCourier": ["This account is not a courier's.", "Ce compte n'est pas celui d'un coursier."],
  "dispatcher.title": ["Live map", "Carte en direct"], "dispatcher.login": ["Dispatcher log in", "Connexion répartiteur"],
  "dispatcher.selected": ["Selected delivery", "Livraison choisie"],
  "dispatcher.pick": ["Click a delivery on the map or in the list.", "Cliquez une livraison sur la carte ou dans la liste."],
  "dispatcher.courier": ["Courier", "Coursier"], "dispatcher.reason": ["Reason (required)", "Motif (obligatoire)"],
  "dispatcher.assign": ["Assign", "Attribuer"], "dispatcher.unassign": ["Back to the pool", "Remettre en attente"],
  "dispatcher.fOpen": ["Open", "En cours"], "dispatcher.fPending": ["Unassigned", "Non attribuées"],
  "dispatcher.fAlert": ["Late or at risk", "En retard ou à risque"], "dispatcher.fAll": ["All (this session)", "Toutes (cette session)"],
  "dispatcher.search": ["Search", "Rechercher"], "dispatcher.couriers": ["Couriers on shift", "Coursiers en service"],
  "dispatcher.noPlan": ["No plan yet", "Pas encore de plan"], "dispatcher.plan": ["Plan", "Plan"],
  "dispatcher.lateness": ["lateness", "retard"], "dispatcher.travel": ["riding", "trajet"],
  "dispatcher.unassignedN": ["unassigned", "non attribuées"], "dispatcher.leftOut": ["{name} left out of planning:", "{name} hors planification :"], "dispatcher.late": ["late", "en retard"],
  "dispatcher.risk": ["at risk", "à risque"], "dispatcher.by": ["by", "avant"], "dispatcher.seen": ["seen", "vu"],
  "dispatcher.window": ["window", "créneau"], "dispatcher.whyUnassigned": ["Not assigned:", "Non attribuée :"],
  "dispatcher.pinned": ["Assigned by hand (kept by the planner).", "Attribuée à la main (le planificateur la garde)."],
  "dispatcher.why": ["The planner chose {name}.", "Le planificateur a choisi {name}."],
  "dispatcher.alternative": ["The next best, {name}, would cost the equivalent of {cost} min more of a customer's wait.", "La meilleure autre option, {name}, coûterait l'équivalent de {cost} min d'attente en plus pour un client."],
  "dispatcher.alternativePlain": ["The next best would have been {name}.", "La meilleure autre option était {name}."],
  "dispatcher.noAlternative": ["No other courier could take it.", "Aucun autre coursier ne pouvait la prendre."],
  "dispatcher.needReason": ["Give a reason for the manual change.", "Donnez un motif pour le changement manuel."],
  "dispatcher.allowProof": ["Allow one more proof", "Autoriser une preuve de plus"],
  "dispatcher.needProofReason": ["Give a reason for allowing one more proof (it goes in the audit log).", "Donnez un motif pour autoriser une preuve de plus (il est inscrit au journal d'audit)."],
  "dispatcher.proofAllowed": ["The courier may attach one more proof (allowed at {at}).", "Le coursier peut joindre une preuve de plus (autorisé à {at})."],
  "dispatcher.action.allow_proof": ["One more proof allowed", "Preuve supplémentaire autorisée"],
  "dispatcher.action.proof": ["Proof attached", "Preuve jointe"],
  "dispatcher.notDispatcher": ["This account is not a dispatcher's.", "Ce compte n'est pas celui d'un répartiteur."],
  "vehicle.bike": ["bike", "vélo"], "vehicle.cargo_bike": ["cargo bike", "vélo cargo"], "vehicle.e_cargo": ["e-cargo bike", "vélo cargo électrique"],
  "track.title": ["Your delivery", "Votre livraison"], "track.eta": ["Expected", "Prévue"],
  "track.unknown": ["This tracking link is not valid.", "Ce lien de suivi n'est pas valide."],
  "track.from": ["From {name}", "De la part de {name}"], "track.window": ["promised", "promis"],
  "track.onItsWay": ["{name} is on the way with your parcel.", "{name} est en route avec votre colis."],
  "track.courier": ["Your courier: {name}", "Votre coursier : {name}"],
  // issue 16, what users see: notes, contacts, receipts by status, manual decisions, keyboard
  "courier.notes": ["Note:", "Note :"], "courier.contact.merchant": ["Shop", "Commerce"],
  "courier.contact.recipient": ["Recipient", "Destinataire"],
  "merchant.notesShort": ["Note:", "Note :"], "merchant.timezone": ["Times are in the co-op's time zone ({tz}).", "Heures dans le fuseau de la coopérative ({tz})."],
  "receipt.delivered": ["Final receipt: delivered, this is what is charged.", "Reçu définitif : livrée, c'est le montant facturé."],
  "receipt.cancelled": ["Cancelled: nothing is charged. The lines are the quote it was ordered with.", "Annulée : rien n'est facturé. Les lignes sont le devis de la commande."],
  "receipt.failed": ["Failed: not delivered, nothing is charged. The lines are the quote it was ordered with.", "Échouée : non livrée, rien n'est facturé. Les lignes sont le devis de la commande."],
  "receipt.notCharged": ["nothing to pay", "rien à payer"],
  "dispatcher.manual": ["{by} assigned it by hand to {name} at {at}: “{reason}”.", "{by} l'a attribuée à la main à {name} à {at} : « {reason} »."],
  "dispatcher.manualKept": ["The planner keeps this choice.", "Le planificateur garde ce choix."],
  "dispatcher.someone": ["A dispatcher", "Un répartiteur"], "dispatcher.notes": ["Note for the courier:", "Note pour le coursier :"],
  "dispatcher.eta": ["ETA", "arrivée prévue"], "dispatcher.list": ["Deliveries", "Livraisons"], "dispatcher.show": ["Show", "Afficher"],
  "dispatcher.skip": ["Skip to the delivery list", "Aller à la liste des livraisons"],
  "dispatcher.detail.already on board": ["already on board", "déjà à bord"],
  "dispatcher.detail.pinned by the dispatcher": ["assigned by hand", "attribuée à la main"],
  "dispatcher.detail.current route is infeasible": ["its current route cannot be kept", "sa tournée actuelle n'est pas tenable"],
  "dispatcher.detail.not computed within the time limit": ["not computed in time", "pas calculé à temps"],
  "dispatcher.unassigned.no_courier_on_shift": ["no courier on shift", "aucun coursier en service"],
  "dispatcher.unassigned.too_heavy_for_every_vehicle": ["too heavy or bulky for every vehicle", "trop lourde ou volumineuse pour tous les véhicules"],
  "dispatcher.unassigned.no_courier_can_reach_in_window": ["no courier can make the promised window", "aucun coursier ne peut tenir le créneau promis"],
  "dispatcher.unassigned.no_courier_shift_long_enough": ["no courier's shift lasts long enough", "aucun service de coursier ne dure assez longtemps"],
  "dispatcher.unassigned.no_feasible_insertion_found": ["the planner found no place for it in any route", "le planificateur ne lui a trouvé de place dans aucune tournée"],
  "track.door": ["Your door", "Votre porte"],
  "dispatcher.state.free": ["free", "libre"], "dispatcher.state.to_pickup": ["riding to pickup", "vers l'enlèvement"],
  "dispatcher.state.carrying": ["carrying", "en livraison"], "dispatcher.state.quiet": ["gone quiet", "silencieux"],
  "dispatcher.load": ["Load", "Charge"], "dispatcher.stopsLeft": ["{n} stops left", "{n} arrêts restants"],
  "dispatcher.alertN": ["⚠ {n} order(s) unassigned too long or at risk", "⚠ {n} commande(s) sans coursier depuis trop longtemps ou en retard probable"],
  "dispatcher.timeline": ["Timeline", "Historique"], "dispatcher.counts": ["Counts per status", "Nombre par statut"],
};

const LANGS = ["en", "fr"];
const listeners = [];
let lang = pick();

function pick() {
  const stored = localStorage.getItem("cd.lang");
  if (LANGS.includes(stored)) return stored;
  return (navigator.language || "en").toLowerCase().startsWith("fr") ? "fr" : "en";
}

export function currentLang() { return lang; }

export function t(key, vars = {}) {
  const entry = TEXTS[key];
  let text = entry ? entry[LANGS.indexOf(lang)] : key;
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{${k}}`, v);
  return text;
}

export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) node.placeholder = t(node.dataset.i18nPlaceholder);
  for (const node of root.querySelectorAll("[data-i18n-label]")) node.setAttribute("aria-label", t(node.dataset.i18nLabel));
}

export function setLang(next) {
  if (!LANGS.includes(next)) return;
  lang = next;
  localStorage.setItem("cd.lang", next);
  applyI18n();
  listeners.forEach((fn) => fn(next));
}

export function onLangChange(fn) { listeners.push(fn); }

export function initI18n(select) {
  applyI18n();
  if (select) {
    select.value = lang;
    select.addEventListener("change", () => setLang(select.value));
  }
}

// A view with many texts of its own (admin) keeps them in its folder and adds them here.
export function addTexts(more) { Object.assign(TEXTS, more); }
