"""The language a company answers Faults in: French companies answer in French.

Why: real French QuickBooks companies translate a Fault's ``Message`` and ``Detail``
("Nom en double", "Ce nom existe déjà. : Id=425"; reference/quickbooks-online.md,
"Learned since") while codes and the ``Id=NNN`` suffix stay the same. A connector that
keys on English text works against an English emulator and breaks in production; a
French emulator by default makes such code fail its tests.

Only the 6240 wording is known from real bodies. The other Messages below are
translations made here (a guess, listed in the package README); Details other than
6240/5010 keep the emulator's explanation (English), since they name fields and values.
"""

from __future__ import annotations

from collections.abc import Mapping

ENGLISH = "en"
FRENCH = "fr"
LANGUAGES = (ENGLISH, FRENCH)

#: Message of each code in a French company (6240 from real bodies; the rest are guesses).
FRENCH_MESSAGES: dict[str, str] = {
    "2010": "La demande contient une propriété non valide ou non prise en charge",
    "2020": "Paramètre obligatoire manquant : indiquez la valeur requise par l'API",
    "2040": "Chaîne non valide. La chaîne contient peut-être des caractères non pris en"
            " charge ou interdits",
    "2050": "La longueur de la chaîne est inférieure ou supérieure à celle prise en charge"
            " par la spécification",
    "2500": "ID de référence non valide",
    "4000": "Erreur d'analyse de la requête",
    "4001": "Requête non valide",
    "500": "Opération non prise en charge",
    "5010": "Erreur d'objet périmé",
    "610": "Objet introuvable",
    "6000": "Une erreur de validation métier s'est produite lors du traitement de votre"
            " demande",
    "6140": "Erreur de numéro de document en double",
    "6240": "Nom en double",
    "6520": "Quantité d'article en stock manquante",
}


def default_language(country: str) -> str:
    """The language a company of ``country`` answers in (French for France)."""
    return FRENCH if country.upper() == "FR" else ENGLISH


def localize(code: str, message: str, detail: str,
             translations: Mapping[str, tuple[str, str]], language: str) -> tuple[str, str]:
    """Return ``(Message, Detail)`` of a Fault in ``language``.

    A fault's own translation wins (6240, 5010); otherwise the Message comes from the
    table of its code and the Detail is kept.
    """
    if language == ENGLISH:
        return message, detail
    if language in translations:
        return translations[language]
    if language == FRENCH:
        return FRENCH_MESSAGES.get(code, message), detail
    return message, detail
