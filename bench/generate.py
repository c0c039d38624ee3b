"""Generate a synthetic graph of N triples in the ontology's own terms, as N-Triples.

The shape follows what the real graph describes, scaled up: an apex alliance (a synthetic stand-in
for the ICA), regions and countries, a SKOS scheme of sectors, national federations that are
members of the alliance, many cooperatives that are members of a federation (some of the alliance
directly), labels in English and French, founding years, and membership figures as dated
observations, each with its `dcterms:source`.

It conforms to shapes/: every typed resource (sites, figures and the synthetic sources included)
has a preferred label in English and in French and a `dcterms:source` (a synthetic source, which
names itself, as the shipped sources do), concept schemes list their top concepts, and every
resource is written whole: the last triples up to N are extra `skos:altLabel`s of the alliance
rather than a cooperative cut short (tests/test_generate.py validates a small registry).

Every IRI lies under https://w3id.org/coops4dev/id/synthetic/ so that nobody mistakes it for
real data. The output is deterministic for a given (triples, seed): the same file, byte for byte.

    python bench/generate.py                    # 1M triples -> bench/out/synthetic-1000000.nt
    python bench/generate.py -n 100000 --check  # and time a load into pyoxigraph

Beside the graph, a small JSON file records what the benchmark needs to know (how many
cooperatives there are, the IRIs of the alliance and of a country, the generator's version).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

__all__ = ["GENERATOR_VERSION", "SYN", "VOCAB", "cooperative_iri", "generate", "graph_path"]

GENERATOR_VERSION = 3
OUT_DIR = Path(__file__).resolve().parent / "out"

SYN = "https://w3id.org/coops4dev/id/synthetic/"
COOP = "https://w3id.org/coops4dev/ontology#"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
SDO = "https://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LANG = "http://id.loc.gov/vocabulary/iso639-1/"

# The terms used, in one place; they follow the patterns of ontology/coop.ttl's top comment:
# organisations on W3C ORG (org:memberOf, org:classification -> a coop:Sector, org:hasPrimarySite
# -> an org:Site that is schema:containedInPlace a schema:City, in a schema:Country, in a
# coop:Region), SKOS labels, figures as coop:Figure observations with dcterms:source.
VOCAB = {
    "type": RDF + "type",
    "prefLabel": SKOS + "prefLabel",
    "altLabel": SKOS + "altLabel",
    "inScheme": SKOS + "inScheme",
    "topConceptOf": SKOS + "topConceptOf",
    "hasTopConcept": SKOS + "hasTopConcept",
    "ConceptScheme": SKOS + "ConceptScheme",
    "FormalOrganization": ORG + "FormalOrganization",
    "Site": ORG + "Site",
    "memberOf": ORG + "memberOf",
    "classification": ORG + "classification",
    "hasPrimarySite": ORG + "hasPrimarySite",
    "source": DCT + "source",
    "title": DCT + "title",
    "publisher": DCT + "publisher",
    "issued": DCT + "issued",
    "language": DCT + "language",
    "BibliographicResource": DCT + "BibliographicResource",
    "foundingDate": SDO + "foundingDate",
    "containedInPlace": SDO + "containedInPlace",
    "Country": SDO + "Country",
    "City": SDO + "City",
    "observationAbout": SDO + "observationAbout",
    "observationDate": SDO + "observationDate",
    "value": SDO + "value",
    "ApexOrganisation": COOP + "ApexOrganisation",
    "MemberOrganisation": COOP + "MemberOrganisation",
    "Sector": COOP + "Sector",
    "Region": COOP + "Region",
    "Measure": COOP + "Measure",
    "Figure": COOP + "Figure",
    "measure": COOP + "measure",
}

REGIONS = [
    ("africa", "Africa", "Afrique"),
    ("americas", "Americas", "Amériques"),
    ("asia-pacific", "Asia and Pacific", "Asie et Pacifique"),
    ("europe", "Europe", "Europe"),
]
# 60 country codes spread over the four regions (codes only; labels are synthetic).
COUNTRIES = [
    (code, REGIONS[i % 4][0])
    for i, code in enumerate(
        "ke ar in be gh br jp de ng ca kr fr tz co ph it ug mx id es rw cl vn pt et pe my nl sn uy "
        "th se ci bo np fi ma cr lk no za py bd dk eg ec au at cm gt nz ch zm hn fj ie mw do pk pl"
        "".split()
    )
]
SECTORS = [
    ("agriculture", "Agriculture", "Agriculture"),
    ("banking", "Banking and credit", "Banque et crédit"),
    ("consumer", "Consumer and retail", "Consommation et commerce"),
    ("fisheries", "Fisheries", "Pêche"),
    ("health", "Health", "Santé"),
    ("housing", "Housing", "Logement"),
    ("industry", "Industry and services", "Industrie et services"),
    ("insurance", "Insurance and mutuals", "Assurance et mutuelles"),
]
# (English, French) word pairs that make the cooperatives' names; the text-filter query searches
# for one place name, which therefore matches about 1 in len(PLACES) names.
PLACES = [
    ("Lakeside", "du Lac"),
    ("Hillcrest", "des Collines"),
    ("Riverbend", "de la Rivière"),
    ("Northfield", "du Champ Nord"),
    ("Seaview", "de la Mer"),
    ("Oakridge", "des Chênes"),
    ("Greenvale", "du Val Vert"),
    ("Stonebridge", "du Pont de Pierre"),
    ("Sunhaven", "du Soleil"),
    ("Westmoor", "de la Lande"),
    ("Redcliff", "de la Falaise"),
    ("Highland", "des Hautes Terres"),
    ("Meadowbrook", "des Prés"),
    ("Pinewood", "des Pins"),
    ("Harbourside", "du Port"),
    ("Valleyview", "de la Vallée"),
    ("Eastgate", "de la Porte Est"),
    ("Silverlake", "du Lac d'Argent"),
    ("Goldcoast", "de la Côte d'Or"),
    ("Maplewood", "des Érables"),
    ("Springdale", "des Sources"),
    ("Fairhaven", "du Bon Port"),
    ("Brookside", "du Ruisseau"),
    ("Cedarhill", "des Cèdres"),
    ("Ironbridge", "du Pont de Fer"),
    ("Windmere", "des Vents"),
    ("Rosebank", "des Roses"),
    ("Ashford", "des Frênes"),
    ("Clearwater", "de l'Eau Claire"),
    ("Moorland", "des Landes"),
    ("Bayshore", "de la Baie"),
    ("Kingsford", "du Gué Royal"),
    ("Elmstead", "des Ormes"),
    ("Foxhollow", "du Val aux Renards"),
    ("Larkspur", "des Alouettes"),
    ("Millbrook", "du Moulin"),
    ("Norwood", "du Bois Nord"),
    ("Palmgrove", "des Palmiers"),
    ("Quarryhill", "de la Carrière"),
    ("Sandford", "du Gué de Sable"),
]
KINDS = [
    ("Farmers", "agricole"),
    ("Workers", "de travailleurs"),
    ("Savings", "d'épargne"),
    ("Fishers", "de pêcheurs"),
    ("Housing", "d'habitation"),
    ("Health", "de santé"),
    ("Consumers", "de consommateurs"),
    ("Artisans", "d'artisans"),
    ("Dairy", "laitière"),
    ("Coffee Growers", "de caféiculteurs"),
    ("Weavers", "de tisserands"),
    ("Mutual", "mutualiste"),
]
QUALIFIERS = [
    ("United", "unie"),
    ("Solidarity", "solidaire"),
    ("People's", "populaire"),
    ("Community", "communautaire"),
    ("Progressive", "progressiste"),
    ("Union", "de l'union"),
    ("New", "nouvelle"),
    ("Rural", "rurale"),
    ("Women's", "des femmes"),
    ("Youth", "des jeunes"),
]
N_SOURCES = 24
CITIES_PER_COUNTRY = 5
FIGURE_YEARS = list(range(2012, 2025))


def cooperative_iri(index: int) -> str:
    return f"{SYN}cooperative/{index:07d}"


def graph_path(triples: int, seed: int, out_dir: Path = OUT_DIR) -> Path:
    suffix = "" if seed == 1 else f"-seed{seed}"
    return out_dir / f"synthetic-{triples}{suffix}.nt"


def _lit(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lang(text: str, lang: str) -> str:
    return f"{_lit(text)}@{lang}"


def _typed(text: str, datatype: str) -> str:
    return f'"{text}"^^<{XSD}{datatype}>'


class _Writer:
    """Collects N-Triples lines; a block of them (one cooperative with its site and figures) is
    kept only when it fits under the target, so that no resource is cut short."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.lines: list[str] = []
        self._block_start: int | None = None

    def add(self, s: str, p: str, o: str) -> None:
        """`o` is an IRI (no quotes) or an already formatted literal (starting with a quote)."""
        obj = o if o.startswith('"') else f"<{o}>"
        self.lines.append(f"<{s}> <{VOCAB.get(p, p)}> {obj} .\n")

    def add_type(self, s: str, cls: str) -> None:
        self.add(s, "type", VOCAB[cls])

    def begin(self) -> None:
        self._block_start = len(self.lines)

    def commit(self) -> bool:
        """Keep the block begun last if it fits; otherwise drop it and say so."""
        assert self._block_start is not None
        if len(self.lines) > self.target:
            del self.lines[self._block_start :]
            return False
        return True


def _skeleton(w: _Writer) -> dict:
    """The alliance, sectors, measures, regions, countries, cities and sources: a few hundred
    triples."""
    alliance = f"{SYN}organisation/alliance"
    first_source = f"{SYN}source/report-00"
    w.add_type(alliance, "FormalOrganization")
    w.add_type(alliance, "ApexOrganisation")
    w.add(alliance, "prefLabel", _lang("Synthetic Cooperative Alliance", "en"))
    w.add(alliance, "prefLabel", _lang("Alliance coopérative synthétique", "fr"))
    w.add(alliance, "altLabel", _lang("SCA", "en"))
    w.add(alliance, "source", first_source)

    sources = []
    for k in range(N_SOURCES):
        iri = f"{SYN}source/report-{k:02d}"
        sources.append(iri)
        w.add_type(iri, "BibliographicResource")
        w.add(iri, "title", _lang(f"Synthetic annual report {k}", "en"))
        w.add(iri, "prefLabel", _lang(f"Synthetic annual report {k}", "en"))
        w.add(iri, "prefLabel", _lang(f"Rapport annuel synthétique {k}", "fr"))
        w.add(iri, "source", iri)  # a source names itself, as the shipped ones do
        w.add(iri, "publisher", alliance)
        w.add(iri, "issued", _typed(str(FIGURE_YEARS[k % len(FIGURE_YEARS)]), "gYear"))
        w.add(iri, "language", LANG + "en")

    def scheme(slug: str, en: str, fr: str) -> str:
        iri = f"{SYN}scheme/{slug}"
        w.add_type(iri, "ConceptScheme")
        w.add(iri, "prefLabel", _lang(en, "en"))
        w.add(iri, "prefLabel", _lang(fr, "fr"))
        w.add(iri, "source", first_source)
        return iri

    def concept(iri: str, cls: str, in_scheme: str, en: str, fr: str) -> None:
        w.add_type(iri, cls)
        w.add(iri, "inScheme", in_scheme)
        w.add(iri, "topConceptOf", in_scheme)
        w.add(in_scheme, "hasTopConcept", iri)
        w.add(iri, "prefLabel", _lang(en, "en"))
        w.add(iri, "prefLabel", _lang(fr, "fr"))
        w.add(iri, "source", first_source)

    sector_scheme = scheme("sectors", "Synthetic sectors", "Secteurs synthétiques")
    sectors = []
    for slug, en, fr in SECTORS:
        sectors.append(f"{SYN}sector/{slug}")
        concept(sectors[-1], "Sector", sector_scheme, en, fr)
    measure = f"{SYN}measure/cooperative-members"
    concept(
        measure,
        "Measure",
        scheme("measures", "Synthetic measures", "Mesures synthétiques"),
        "number of cooperative members",
        "nombre de membres de coopératives",
    )

    for slug, en, fr in REGIONS:
        iri = f"{SYN}region/{slug}"
        w.add_type(iri, "Region")
        w.add(iri, "prefLabel", _lang(en, "en"))
        w.add(iri, "prefLabel", _lang(fr, "fr"))
        w.add(iri, "source", first_source)
    countries, cities = [], {}
    for code, region in COUNTRIES:
        iri = f"{SYN}country/{code}"
        countries.append(iri)
        w.add_type(iri, "Country")
        w.add(iri, "prefLabel", _lang(f"Country {code.upper()}", "en"))
        w.add(iri, "prefLabel", _lang(f"Pays {code.upper()}", "fr"))
        w.add(iri, "containedInPlace", f"{SYN}region/{region}")
        w.add(iri, "source", first_source)
        cities[iri] = []
        for k in range(CITIES_PER_COUNTRY):
            city = f"{SYN}city/{code}-{k}"
            cities[iri].append(city)
            w.add_type(city, "City")
            w.add(city, "prefLabel", _lang(f"City {k} of {code.upper()}", "en"))
            w.add(city, "prefLabel", _lang(f"Ville {k} de {code.upper()}", "fr"))
            w.add(city, "containedInPlace", iri)
            w.add(city, "source", first_source)
    return {
        "alliance": alliance,
        "sectors": sectors,
        "measure": measure,
        "countries": countries,
        "cities": cities,
        "sources": sources,
    }


def generate(triples: int = 1_000_000, seed: int = 1, out: Path | None = None) -> dict:
    """Write exactly `triples` triples to `out` (default bench/out/synthetic-N.nt) and a
    `.json` file beside it; return that metadata."""
    out = out or graph_path(triples, seed)
    rng = random.Random(seed)
    w = _Writer(triples)
    sk = _skeleton(w)
    countries, cities, sectors = sk["countries"], sk["cities"], sk["sectors"]
    sources = sk["sources"]

    # One federation per country per 400 cooperatives (at least one per country), each a member
    # of the alliance. About 31 triples per cooperative, so a cooperative count follows.
    est_coops = max(60, triples // 31)
    feds_per_country = max(1, est_coops // (400 * len(countries)))
    federations: dict[str, list[str]] = {c: [] for c in countries}
    for ci, country in enumerate(countries):
        code = COUNTRIES[ci][0]
        for f in range(feds_per_country):
            iri = f"{SYN}federation/{code}-{f}"
            site = f"{SYN}site/federation-{code}-{f}"
            source = sources[(ci + f) % len(sources)]
            federations[country].append(iri)
            w.add_type(iri, "FormalOrganization")
            w.add_type(iri, "MemberOrganisation")
            en = f"National Cooperative Federation {code.upper()} {f}"
            fr = f"Fédération nationale des coopératives {code.upper()} {f}"
            w.add(iri, "prefLabel", _lang(en, "en"))
            w.add(iri, "prefLabel", _lang(fr, "fr"))
            w.add(iri, "memberOf", sk["alliance"])
            w.add(iri, "hasPrimarySite", site)
            w.add(iri, "source", source)
            w.add_type(site, "Site")
            w.add(site, "prefLabel", _lang(f"Office of {en}", "en"))
            w.add(site, "prefLabel", _lang(f"Siège de la {fr[0].lower()}{fr[1:]}", "fr"))
            w.add(site, "containedInPlace", cities[country][0])
            w.add(site, "source", source)
    if len(w.lines) > triples:
        raise ValueError(f"at least {len(w.lines)} triples (the alliance, places and federations)")

    coops = 0
    while True:
        w.begin()
        iri = cooperative_iri(coops)
        num = iri.rsplit("/", 1)[1]
        site = f"{SYN}site/{num}"
        country = countries[coops % len(countries)]  # round robin: every country the same share
        place_en, place_fr = PLACES[rng.randrange(len(PLACES))]
        kind_en, kind_fr = KINDS[rng.randrange(len(KINDS))]
        qual_en, qual_fr = QUALIFIERS[rng.randrange(len(QUALIFIERS))]
        name_en = f"{place_en} {qual_en} {kind_en} Cooperative {coops}"
        name_fr = f"Coopérative {kind_fr} {qual_fr} {place_fr} {coops}"
        w.add_type(iri, "FormalOrganization")
        w.add_type(iri, "MemberOrganisation")
        w.add(iri, "prefLabel", _lang(name_en, "en"))
        w.add(iri, "prefLabel", _lang(name_fr, "fr"))
        acronym = f"{place_en[:2].upper()}{kind_en[0]}{qual_en[0]}C-{coops}"
        w.add(iri, "altLabel", _lang(acronym, "en"))
        w.add(iri, "memberOf", rng.choice(federations[country]))
        if rng.random() < 0.1:
            w.add(iri, "memberOf", sk["alliance"])
        w.add(iri, "classification", sectors[rng.randrange(len(sectors))])
        w.add(iri, "hasPrimarySite", site)
        w.add(iri, "foundingDate", _typed(str(rng.randint(1844, 2023)), "gYear"))
        source = sources[rng.randrange(len(sources))]
        w.add(iri, "source", source)
        w.add_type(site, "Site")
        w.add(site, "prefLabel", _lang(f"Office of {name_en}", "en"))
        w.add(site, "prefLabel", _lang(f"Siège de la c{name_fr[1:]}", "fr"))
        w.add(site, "containedInPlace", cities[country][rng.randrange(CITIES_PER_COUNTRY)])
        w.add(site, "source", source)
        members = rng.randint(7, 5000) * (1 + 100 * (rng.random() < 0.02))
        for y in sorted(rng.sample(FIGURE_YEARS, rng.choice((1, 2, 2, 3)))):
            fig = f"{SYN}figure/{num}-{y}"
            w.add_type(fig, "Figure")
            en, fr = f"Members of cooperative {coops}", f"Membres de la coopérative {coops}"
            w.add(fig, "prefLabel", _lang(f"{en}, {y}: {members}", "en"))
            w.add(fig, "prefLabel", _lang(f"{fr}, {y} : {members}", "fr"))
            w.add(fig, "observationAbout", iri)
            w.add(fig, "measure", sk["measure"])
            w.add(fig, "value", _typed(str(members), "integer"))
            w.add(fig, "observationDate", _typed(f"{y}-12-31", "date"))
            w.add(fig, "source", sources[rng.randrange(len(sources))])
            members = max(7, int(members * rng.uniform(0.9, 1.2)))
        if not w.commit():
            break
        coops += 1
    # Fewer triples than a cooperative's are left: aliases of the alliance make up the count.
    for k in range(triples - len(w.lines)):
        w.add(sk["alliance"], "altLabel", _lang(f"SCA alias {k}", "en"))

    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        fh.writelines(w.lines)
    meta = {
        "generator_version": GENERATOR_VERSION,
        "triples": len(w.lines),
        "seed": seed,
        "file": out.name,
        "cooperatives": coops,
        "federations": feds_per_country * len(countries),
        "alliance": sk["alliance"],
        "measure": sk["measure"],
        "country": countries[0],
        "cooperative_iri_pattern": cooperative_iri(0).replace("0000000", "{index:07d}"),
    }
    out.with_suffix(".json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return meta


def ensure_graph(triples: int, seed: int = 1, out_dir: Path = OUT_DIR) -> tuple[Path, dict]:
    """The graph file for (triples, seed), generated unless an up-to-date one exists."""
    path = graph_path(triples, seed, out_dir)
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("generator_version") == GENERATOR_VERSION and meta.get("triples") == triples:
            return path, meta
    return path, generate(triples, seed, path)


def check_load(path: Path) -> float:
    """Seconds pyoxigraph takes to load the file in memory (and it must hold every triple)."""
    import pyoxigraph as ox

    start = time.perf_counter()
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_TRIPLES)
    seconds = time.perf_counter() - start
    lines = sum(1 for _ in open(path, "rb"))
    if len(store) != lines:
        raise SystemExit(f"{path}: {lines} lines but {len(store)} triples in the store")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--triples", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-o", "--out", type=Path, default=None, help="N-Triples file to write")
    parser.add_argument("--check", action="store_true", help="time a load into pyoxigraph")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    out = args.out or graph_path(args.triples, args.seed)
    meta = generate(args.triples, args.seed, out)
    print(
        f"{out}: {meta['triples']:,} triples, {meta['cooperatives']:,} cooperatives, "
        f"{meta['federations']} federations, {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )
    if args.check:
        print(f"pyoxigraph Store.load: {check_load(out):.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
