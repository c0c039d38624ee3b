"""The words of the site's own pages (home, browse, A–Z, search) in the three languages of the
graph. Everything else on those pages comes from the graph."""

from __future__ import annotations

__all__ = ["UI"]

UI: dict[str, dict[str, str]] = {
    "en": {
        "home": "Home", "skip": "Skip to the content", "languages": "Language",
        "figures": "The graph in figures", "triples": "statements (triples)",
        "entities": "resources with an identifier", "classes": "classes used",
        "properties": "properties used", "sources": "Sources",
        "sources_intro": "Every statement sits in the named graph of the source that states it.",
        "statements": "statements", "licence": "Licence", "use": "Use the graph",
        "query": "Query it in SPARQL", "query_hint": "the query editor, at /query; "
        "the endpoint is /sparql",
        "ontology": "The ontology", "browse": "Browse by type", "a_z": "A–Z index",
        "search": "Search", "search_label": "Search the labels", "search_button": "Search",
        "dumps": "Download the whole graph", "dumps_intro": "Turtle, N-Triples and JSON-LD "
        "hold every statement once; TriG and N-Quads keep each source's named graph.",
        "checksums": "SHA-256 checksums", "void": "Dataset description (VoID, DCAT)",
        "dataset_page": "The dataset's own page", "examples": "Example queries",
        "examples_intro": "Each opens in the query editor.",
        "class": "Type", "count": "Resources", "members": "Members", "all_types": "All types",
        "type_page": "About this type", "no_members": "No resource of the graph has this type.",
        "results": "Results", "no_results": "Nothing matches.", "identifier": "Identifier",
        "exact": "exact", "prefix": "begins with", "substring": "contains",
        "letters": "Letters", "not_found": "Not found",
        "search_hint": "Names and other names, in English, French and Spanish; accents and case "
        "do not matter.",
    },
    "fr": {
        "home": "Accueil", "skip": "Aller au contenu", "languages": "Langue",
        "figures": "Le graphe en chiffres", "triples": "énoncés (triplets)",
        "entities": "ressources identifiées", "classes": "classes utilisées",
        "properties": "propriétés utilisées", "sources": "Sources",
        "sources_intro": "Chaque énoncé est dans le graphe nommé de la source qui l'énonce.",
        "statements": "énoncés", "licence": "Licence", "use": "Utiliser le graphe",
        "query": "L'interroger en SPARQL", "query_hint": "l'éditeur de requêtes, à /query ; "
        "le point d'accès est /sparql",
        "ontology": "L'ontologie", "browse": "Parcourir par type", "a_z": "Index A–Z",
        "search": "Rechercher", "search_label": "Rechercher dans les noms",
        "search_button": "Rechercher",
        "dumps": "Télécharger tout le graphe", "dumps_intro": "Turtle, N-Triples et JSON-LD "
        "contiennent chaque énoncé une fois ; TriG et N-Quads gardent le graphe nommé de "
        "chaque source.",
        "checksums": "Sommes de contrôle SHA-256",
        "void": "Description du jeu de données (VoID, DCAT)",
        "dataset_page": "La page du jeu de données", "examples": "Exemples de requêtes",
        "examples_intro": "Chacune s'ouvre dans l'éditeur de requêtes.",
        "class": "Type", "count": "Ressources", "members": "Membres", "all_types": "Tous les types",
        "type_page": "À propos de ce type",
        "no_members": "Aucune ressource du graphe n'a ce type.",
        "results": "Résultats", "no_results": "Aucun résultat.", "identifier": "Identifiant",
        "exact": "exact", "prefix": "commence par", "substring": "contient",
        "letters": "Lettres", "not_found": "Introuvable",
        "search_hint": "Noms et autres noms, en anglais, français et espagnol ; accents et "
        "majuscules indifférents.",
    },
    "es": {
        "home": "Inicio", "skip": "Ir al contenido", "languages": "Idioma",
        "figures": "El grafo en cifras", "triples": "enunciados (tripletas)",
        "entities": "recursos con identificador", "classes": "clases usadas",
        "properties": "propiedades usadas", "sources": "Fuentes",
        "sources_intro": "Cada enunciado está en el grafo nombrado de la fuente que lo enuncia.",
        "statements": "enunciados", "licence": "Licencia", "use": "Usar el grafo",
        "query": "Consultarlo en SPARQL", "query_hint": "el editor de consultas, en /query; "
        "el punto de acceso es /sparql",
        "ontology": "La ontología", "browse": "Explorar por tipo", "a_z": "Índice A–Z",
        "search": "Buscar", "search_label": "Buscar en los nombres", "search_button": "Buscar",
        "dumps": "Descargar todo el grafo", "dumps_intro": "Turtle, N-Triples y JSON-LD "
        "contienen cada enunciado una vez; TriG y N-Quads conservan el grafo nombrado de cada "
        "fuente.",
        "checksums": "Sumas de comprobación SHA-256",
        "void": "Descripción del conjunto de datos (VoID, DCAT)",
        "dataset_page": "La página del conjunto de datos", "examples": "Consultas de ejemplo",
        "examples_intro": "Cada una se abre en el editor de consultas.",
        "class": "Tipo", "count": "Recursos", "members": "Miembros", "all_types": "Todos los tipos",
        "type_page": "Sobre este tipo", "no_members": "Ningún recurso del grafo tiene este tipo.",
        "results": "Resultados", "no_results": "Ningún resultado.", "identifier": "Identificador",
        "exact": "exacto", "prefix": "empieza por", "substring": "contiene",
        "letters": "Letras", "not_found": "No encontrado",
        "search_hint": "Nombres y otros nombres, en inglés, francés y español; sin importar "
        "acentos ni mayúsculas.",
    },
}  # fmt: skip
