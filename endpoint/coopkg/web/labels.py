"""Choosing what a page shows a reader for each IRI: the resource's label in the reader's language
from the graph (marked when it is the project's own translation, and when it falls back to
English), the labels of the standard properties the graph uses (which the graph does not define),
and a readable last resort for anything unlabelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from ..vocab import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SCHEMA, SKOS, VOID

__all__ = ["INVERSES", "PROPERTY_ORDER", "STANDARD_LABELS", "Label", "pick_label", "readable_iri"]

_SKOSXL = "http://www.w3.org/2008/05/skos-xl#"

# Labels of the standard vocabularies' properties, in the three languages of the graph.
STANDARD_LABELS: dict[str, dict[str, str]] = {
    RDF + "type": {"en": "type", "fr": "type", "es": "tipo"},
    RDFS + "label": {"en": "label", "fr": "étiquette", "es": "etiqueta"},
    RDFS + "comment": {"en": "comment", "fr": "commentaire", "es": "comentario"},
    RDFS + "seeAlso": {"en": "see also", "fr": "voir aussi", "es": "véase también"},
    RDFS + "isDefinedBy": {"en": "defined by", "fr": "défini par", "es": "definido por"},
    SKOS + "prefLabel": {"en": "name", "fr": "nom", "es": "nombre"},
    SKOS + "altLabel": {"en": "also known as", "fr": "autre nom", "es": "también llamado"},
    SKOS + "definition": {"en": "definition", "fr": "définition", "es": "definición"},
    SKOS + "notation": {"en": "number", "fr": "numéro", "es": "número"},
    SKOS + "inScheme": {"en": "in scheme", "fr": "dans le schéma", "es": "en el esquema"},
    SKOS + "member": {"en": "member", "fr": "membre", "es": "miembro"},
    SKOS + "topConceptOf": {
        "en": "top concept of",
        "fr": "concept de tête de",
        "es": "concepto principal de",
    },  # fmt: skip
    SKOS + "hasTopConcept": {
        "en": "top concept",
        "fr": "concept de tête",
        "es": "concepto principal",
    },  # fmt: skip
    SKOS + "broader": {"en": "broader", "fr": "plus général", "es": "más general"},
    SKOS + "narrower": {"en": "narrower", "fr": "plus spécifique", "es": "más específico"},
    SKOS + "related": {"en": "related", "fr": "associé", "es": "relacionado"},
    SKOS + "closeMatch": {
        "en": "close match",
        "fr": "correspondance proche",
        "es": "correspondencia cercana",
    },  # fmt: skip
    SKOS + "exactMatch": {
        "en": "exact match",
        "fr": "correspondance exacte",
        "es": "correspondencia exacta",
    },  # fmt: skip
    SKOS + "relatedMatch": {
        "en": "related match",
        "fr": "correspondance associée",
        "es": "correspondencia relacionada",
    },  # fmt: skip
    SKOS + "editorialNote": {
        "en": "editorial note",
        "fr": "note éditoriale",
        "es": "nota editorial",
    },  # fmt: skip
    SKOS + "historyNote": {"en": "history", "fr": "historique", "es": "historia"},
    SKOS + "scopeNote": {"en": "scope note", "fr": "note d'application", "es": "nota de alcance"},
    SKOS + "changeNote": {
        "en": "change note",
        "fr": "note de modification",
        "es": "nota de cambio",
    },  # fmt: skip
    _SKOSXL + "prefLabel": {
        "en": "name (with its source)",
        "fr": "nom (avec sa source)",
        "es": "nombre (con su fuente)",
    },  # fmt: skip
    _SKOSXL + "altLabel": {
        "en": "other name (with its source)",
        "fr": "autre nom (avec sa source)",
        "es": "otro nombre (con su fuente)",
    },  # fmt: skip
    _SKOSXL + "literalForm": {"en": "wording", "fr": "libellé", "es": "texto"},
    DCTERMS + "title": {"en": "title", "fr": "titre", "es": "título"},
    DCTERMS + "description": {"en": "description", "fr": "description", "es": "descripción"},
    DCTERMS + "source": {"en": "sources", "fr": "sources", "es": "fuentes"},
    DCTERMS + "date": {"en": "date", "fr": "date", "es": "fecha"},
    DCTERMS + "issued": {"en": "issued", "fr": "publié", "es": "publicado"},
    DCTERMS + "modified": {"en": "modified", "fr": "modifié", "es": "modificado"},
    DCTERMS + "publisher": {"en": "publisher", "fr": "éditeur", "es": "editor"},
    DCTERMS + "language": {"en": "language", "fr": "langue", "es": "idioma"},
    DCTERMS + "license": {"en": "licence", "fr": "licence", "es": "licencia"},
    DCTERMS + "identifier": {"en": "identifier", "fr": "identifiant", "es": "identificador"},
    DCTERMS + "conformsTo": {"en": "conforms to", "fr": "conforme à", "es": "conforme a"},
    DCTERMS + "isPartOf": {"en": "part of", "fr": "fait partie de", "es": "parte de"},
    DCTERMS + "hasPart": {"en": "has part", "fr": "comprend", "es": "comprende"},
    DCTERMS + "temporal": {"en": "period", "fr": "période", "es": "período"},
    ORG + "unitOf": {"en": "unit of", "fr": "unité de", "es": "unidad de"},
    ORG + "hasUnit": {"en": "has unit", "fr": "a pour unité", "es": "tiene como unidad"},
    ORG + "subOrganizationOf": {"en": "part of", "fr": "fait partie de", "es": "parte de"},
    ORG + "hasSubOrganization": {"en": "has part", "fr": "comprend", "es": "comprende"},
    ORG + "linkedTo": {"en": "linked to", "fr": "lié à", "es": "vinculado a"},
    ORG + "hasSite": {"en": "site", "fr": "site", "es": "sede"},
    ORG + "hasPrimarySite": {"en": "main site", "fr": "site principal", "es": "sede principal"},
    ORG + "siteOf": {"en": "site of", "fr": "site de", "es": "sede de"},
    ORG + "siteAddress": {"en": "address", "fr": "adresse", "es": "dirección"},
    ORG + "purpose": {"en": "purpose", "fr": "objet", "es": "objeto"},
    ORG + "classification": {
        "en": "classification",
        "fr": "classification",
        "es": "clasificación",
    },  # fmt: skip
    ORG + "memberOf": {"en": "member of", "fr": "membre de", "es": "miembro de"},
    ORG + "resultingOrganization": {
        "en": "resulting organisation",
        "fr": "organisation résultante",
        "es": "organización resultante",
    },  # fmt: skip
    ORG + "originalOrganization": {
        "en": "original organisation",
        "fr": "organisation d'origine",
        "es": "organización original",
    },  # fmt: skip
    ORG + "changedBy": {"en": "changed by", "fr": "modifiée par", "es": "modificada por"},
    ORG + "resultedFrom": {"en": "resulted from", "fr": "issue de", "es": "resultado de"},
    SCHEMA + "name": {"en": "name", "fr": "nom", "es": "nombre"},
    SCHEMA + "url": {"en": "website", "fr": "site web", "es": "sitio web"},
    SCHEMA + "sameAs": {"en": "same as", "fr": "identique à", "es": "igual a"},
    SCHEMA + "foundingDate": {"en": "founded", "fr": "fondée en", "es": "fundada en"},
    SCHEMA + "foundingLocation": {"en": "founded in", "fr": "fondée à", "es": "fundada en"},
    SCHEMA + "startDate": {"en": "start", "fr": "début", "es": "inicio"},
    SCHEMA + "endDate": {"en": "end", "fr": "fin", "es": "fin"},
    SCHEMA + "containedInPlace": {"en": "in", "fr": "situé dans", "es": "situado en"},
    SCHEMA + "addressCountry": {"en": "country", "fr": "pays", "es": "país"},
    SCHEMA + "location": {"en": "place", "fr": "lieu", "es": "lugar"},
    SCHEMA + "description": {"en": "description", "fr": "description", "es": "descripción"},
    PROV + "wasDerivedFrom": {"en": "derived from", "fr": "dérivé de", "es": "derivado de"},
    PROV + "wasAttributedTo": {"en": "attributed to", "fr": "attribué à", "es": "atribuido a"},
    OWL + "sameAs": {"en": "same as", "fr": "identique à", "es": "igual a"},
    FOAF + "homepage": {"en": "home page", "fr": "page d'accueil", "es": "página de inicio"},
    FOAF + "primaryTopic": {"en": "about", "fr": "sujet", "es": "tema"},
    VOID + "inDataset": {
        "en": "in dataset",
        "fr": "dans le jeu de données",
        "es": "en el conjunto de datos",
    },  # fmt: skip
    DCAT + "keyword": {"en": "keyword", "fr": "mot-clé", "es": "palabra clave"},
    RDF + "subject": {
        "en": "statement's subject",
        "fr": "sujet de l'énoncé",
        "es": "sujeto del enunciado",
    },  # fmt: skip
    RDF + "predicate": {
        "en": "statement's predicate",
        "fr": "prédicat de l'énoncé",
        "es": "predicado del enunciado",
    },  # fmt: skip
    RDF + "object": {
        "en": "statement's object",
        "fr": "objet de l'énoncé",
        "es": "objeto del enunciado",
    },  # fmt: skip
}

# A relation read backwards, where the vocabulary names its inverse.
INVERSES: dict[str, str] = {
    ORG + "unitOf": ORG + "hasUnit",
    ORG + "hasUnit": ORG + "unitOf",
    ORG + "subOrganizationOf": ORG + "hasSubOrganization",
    ORG + "hasSubOrganization": ORG + "subOrganizationOf",
    ORG + "hasSite": ORG + "siteOf",
    ORG + "hasPrimarySite": ORG + "siteOf",
    ORG + "siteOf": ORG + "hasSite",
    SKOS + "broader": SKOS + "narrower",
    SKOS + "narrower": SKOS + "broader",
    SKOS + "topConceptOf": SKOS + "hasTopConcept",
    SKOS + "hasTopConcept": SKOS + "topConceptOf",
    SKOS + "inScheme": SKOS + "member",
    DCTERMS + "isPartOf": DCTERMS + "hasPart",
    DCTERMS + "hasPart": DCTERMS + "isPartOf",
    ORG + "resultingOrganization": ORG + "resultedFrom",
}

# Properties shown first, in this order; the rest follow by label.
PROPERTY_ORDER = (
    RDF + "type",
    SKOS + "prefLabel",
    _SKOSXL + "prefLabel",
    SKOS + "altLabel",
    _SKOSXL + "altLabel",
    SKOS + "notation",
    SKOS + "definition",
    DCTERMS + "title",
    DCTERMS + "description",
    SCHEMA + "foundingDate",
    SCHEMA + "foundingLocation",
    ORG + "unitOf",
    ORG + "subOrganizationOf",
    ORG + "hasPrimarySite",
    ORG + "hasSite",
    SCHEMA + "url",
)


@dataclass(frozen=True)
class Label:
    text: str
    language: str | None  # the label's language tag ('' or None: no tag)
    fallback: bool  # not in the reader's language
    editorial: bool  # a label the project supplied (a translation), not a source's


def readable_iri(iri: str) -> str:
    """A last resort for an unlabelled IRI: its last segment."""
    tail = iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    return tail or iri


def pick_label(
    literals: list[ox.Literal], language: str, editorial_languages: frozenset[str] = frozenset()
) -> Label | None:
    """The label to show in `language`: a preferred label in it, else any label in it, else
    English, else any. `editorial_languages` are the languages whose labels the project wrote."""
    if not literals:
        return None
    ranked = sorted(literals, key=lambda lit: _rank(lit, language))
    best = ranked[0]
    lang = (best.language or "").lower()
    return Label(
        best.value,
        best.language,
        fallback=bool(lang) and lang.split("-")[0] != language,
        editorial=lang.split("-")[0] in editorial_languages,
    )


def _rank(literal: ox.Literal, language: str) -> tuple[int, str]:
    lang = (literal.language or "").lower().split("-")[0]
    if lang == language:
        score = 0
    elif not lang:
        score = 1
    elif lang == "en":
        score = 2
    else:
        score = 3
    return score, literal.value
