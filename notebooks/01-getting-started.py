# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Getting started with the coops4dev knowledge graph
#
# The coops4dev knowledge graph describes the international cooperative movement: the
# International Cooperative Alliance (ICA), its offices, sectoral organisations, committees and
# networks, the ICA-EU partnership (#coops4dev) and the Statement on the Cooperative Identity.
# Every statement sits in the **named graph of the source that states it**, so any answer can be
# traced back to a document.
#
# This notebook shows how to ask the graph questions from Python:
#
# 1. find the SPARQL endpoint;
# 2. run a query with SPARQLWrapper and read the answer into a pandas DataFrame;
# 3. ask the same through rdflib (a `SPARQLStore`, and a resource's linked-data page);
# 4. choose a result format (JSON, XML, CSV, TSV; Turtle and JSON-LD for graphs);
# 5. cite the dataset, and the source of a single statement.
#
# **The endpoint.** The notebook reads the environment variable `COOPKG_ENDPOINT`
# (e.g. `https://…/sparql` for a public deployment). Where it is unset,
# `coopkg.local.endpoint()` starts a local `coopkg serve` on a free port and stops it when the
# kernel ends. The notebook runs unchanged either way.

# %%
import io

import matplotlib.pyplot as plt
import pandas as pd
from coopkg.local import endpoint, server_root, stop
from coopkg.notebook import OKABE_ITO, example, example_query, select
from IPython.display import display
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, TSV, TURTLE, XML, SPARQLWrapper

ENDPOINT = endpoint()
SERVER = server_root(ENDPOINT)
print("SPARQL endpoint:", ENDPOINT)

# %% [markdown]
# ## A first query with SPARQLWrapper
#
# The repository's `queries/` folder holds the researchers' competency questions, each tested
# against its expected answer. `coopkg.notebook.example("08")` gives the text of query 08, the
# seven cooperative principles, so this notebook asks exactly the tested question.

# %%
principles_query = example_query("08")
print(principles_query.title, "—", principles_query.description)
print(principles_query.query)

# %%
sparql = SPARQLWrapper(ENDPOINT)
sparql.setQuery(principles_query.query)
sparql.setReturnFormat(JSON)
answer = sparql.queryAndConvert()
bindings = answer["results"]["bindings"]
principles = pd.DataFrame(
    [{name: term["value"] for name, term in row.items()} for row in bindings],
    columns=answer["head"]["vars"],
)
display(principles)
assert len(principles) == 7, "the Statement on the Cooperative Identity has seven principles"

# %% [markdown]
# Converting SPARQL JSON by hand is a few lines; the package does it once for every notebook.
# `coopkg.notebook.select(endpoint, query)` answers a DataFrame whose numbers are numbers and
# whose unbound values are `None` (`shorten=True` writes IRIs with the project's prefixes).

# %%
principles = select(ENDPOINT, example("08"), shorten=True)
principles["number"] = principles["number"].astype(int)
display(principles)
assert principles["number"].tolist() == [1, 2, 3, 4, 5, 6, 7]

# %% [markdown]
# ## Result formats
#
# A SELECT query can answer SPARQL JSON, SPARQL XML, CSV or TSV; the client asks by the
# `Accept` header (SPARQLWrapper's `setReturnFormat`). CSV reads straight into pandas, at the
# price of losing datatypes and languages (CSV carries only the text of each value).

# %%
sizes = []
for name, fmt in (("JSON", JSON), ("XML", XML), ("CSV", CSV), ("TSV", TSV)):
    sparql.setReturnFormat(fmt)
    body = sparql.query().response.read()
    sizes.append({"format": name, "bytes": len(body), "starts with": body[:40].decode()})
display(pd.DataFrame(sizes))

sparql.setReturnFormat(CSV)
from_csv = pd.read_csv(io.BytesIO(sparql.query().response.read()))
display(from_csv)
assert from_csv["number"].tolist() == list(range(1, 8))

# %% [markdown]
# CONSTRUCT and DESCRIBE answer a graph: Turtle by default, and N-Triples, JSON-LD, RDF/XML,
# N-Quads or TriG on request. Here, what the graph says about the ICA (query 33), parsed with
# rdflib from Turtle and from JSON-LD: both give the same statements.

# %%
describe = example("33")
graphs = {}
for name, fmt in (("turtle", TURTLE), ("json-ld", JSONLD)):
    sparql = SPARQLWrapper(ENDPOINT)
    sparql.setQuery(describe)
    sparql.setReturnFormat(fmt)
    graphs[name] = Graph().parse(data=sparql.query().response.read(), format=name)
display(pd.DataFrame([{"format": k, "statements": len(g)} for k, g in graphs.items()]))
assert len(graphs["turtle"]) == len(graphs["json-ld"]) > 0

# %% [markdown]
# ## The same through rdflib
#
# rdflib's `SPARQLStore` wraps the endpoint as a read-only rdflib store: `Graph.query` sends
# the query and answers rdflib terms (`URIRef`, `Literal` with its language).

# %%
store = SPARQLStore(ENDPOINT, returnFormat="json")
remote = Graph(store=store)
ICA = URIRef("https://w3id.org/coops4dev/id/organisation/ica")
labels = remote.query(
    "SELECT ?label WHERE { ?ica <http://www.w3.org/2004/02/skos/core#prefLabel> ?label }",
    initBindings={"ica": ICA},
)
label_table = pd.DataFrame([{"label": str(r.label), "language": r.label.language} for r in labels])
display(label_table)
assert Literal("International Cooperative Alliance", lang="en") in {r.label for r in labels}

# %% [markdown]
# ### Dereferencing an IRI
#
# Each resource of the graph has a readable IRI, `https://w3id.org/coops4dev/id/<kind>/<slug>`,
# which dereferences: the server answers `/id/<kind>/<slug>` with the resource's statements (as
# Turtle for rdflib, as a page for a browser), the statements that point to it, and the labels
# of what it links to. `Graph().parse` of that URL is all a linked-data client needs.

# %%
page = f"{SERVER}/id/organisation/ica"
ica_page = Graph().parse(page)
print(f"{page}: {len(ica_page)} statements")
assert (
    ICA,
    URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
    Literal("International Cooperative Alliance", lang="en"),
) in ica_page

# %% [markdown]
# ## How many statements each source makes
#
# Every source is a named graph. Counting the statements of each graph shows at a glance which
# documents the knowledge graph rests on (notebook 5 looks at this statement by statement).

# %%
per_source = select(
    ENDPOINT,
    """
    PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT ?source ?title (COUNT(*) AS ?statements)
    WHERE { GRAPH ?source { ?s ?p ?o } ?source dcterms:title ?title }
    GROUP BY ?source ?title ORDER BY DESC(?statements)
    """,
)
display(per_source)
assert (per_source["statements"] > 0).all()

fig, ax = plt.subplots(figsize=(9, 7))
ordered = per_source.sort_values("statements")
ax.barh(ordered["title"].str.slice(0, 60), ordered["statements"], color=OKABE_ITO[4])
ax.set_title("Statements in the coops4dev knowledge graph, by source (named graph)")
ax.set_xlabel("number of statements")
ax.set_ylabel("source (dcterms:title)")
ax.tick_params(axis="y", labelsize=8)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Citing
#
# **The dataset.** Its description is itself in the graph (`data/dataset.trig`): title,
# publisher and licence (CC BY 4.0, which asks for attribution).

# %%
dataset = select(
    ENDPOINT,
    """
    PREFIX dcterms: <http://purl.org/dc/terms/>
    PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
    SELECT ?dataset ?title ?publisher ?license WHERE {
      ?dataset a <http://rdfs.org/ns/void#Dataset> ; dcterms:title ?title ;
               dcterms:license ?license ; dcterms:publisher/skos:prefLabel ?publisher .
      FILTER (LANG(?title) = "en" && LANG(?publisher) = "en")
    }
    """,
).iloc[0]
print(
    f"{dataset['publisher']}. {dataset['title']}. {dataset['dataset']}. "
    f"Licence: {dataset['license']}. SPARQL endpoint: {ENDPOINT}."
)
assert dataset["license"] == "https://creativecommons.org/licenses/by/4.0/"

# %% [markdown]
# **A statement.** To cite what the graph says, cite the source that says it: the named graph
# that holds the statement, with its title and address. Here, the ICA's founding year
# (query 38 asks the same for any statement).

# %%
founding = select(
    ENDPOINT,
    """
    PREFIX dcterms: <http://purl.org/dc/terms/>
    PREFIX schema: <https://schema.org/>
    SELECT ?year ?source ?title ?url WHERE {
      GRAPH ?source { <https://w3id.org/coops4dev/id/organisation/ica> schema:foundingDate ?year }
      ?source dcterms:title ?title .
      OPTIONAL { ?source schema:url ?url }
    }
    """,
    shorten=True,
)
display(founding)
assert founding["year"].tolist() == ["1895"]

# %% [markdown]
# ## Summary
#
# - The endpoint comes from `COOPKG_ENDPOINT`, or a local server started by
#   `coopkg.local.endpoint()`.
# - SPARQLWrapper, rdflib's `SPARQLStore` and plain HTTP all ask the same endpoint; the
#   competency questions of `queries/` are at hand through `coopkg.notebook.example`.
# - SELECT answers JSON, XML, CSV or TSV; graphs come as Turtle, JSON-LD and more.
# - Every statement has a source: `GRAPH ?source { … }` finds it, and `dcterms:title` names it.
#
# The next notebooks use these tools: the Alliance's structure (2), the cooperative identity in
# three languages (3), the ICA-EU partnership (4) and provenance and figures (5).

# %%
stop()  # stops the local server, if this notebook started one
