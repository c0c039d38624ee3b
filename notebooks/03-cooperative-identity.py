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
# # The cooperative identity in three languages
#
# **Question.** How does the Statement on the Cooperative Identity (ICA, Manchester, 1995)
# read in English, French and Spanish — its definition of a cooperative, its ten values and
# its seven principles — and where does each wording come from? Which wordings are the ICA's
# own, and which come from a third party?
#
# **Data.** The coops4dev knowledge graph through its SPARQL endpoint. The principles and
# values are SKOS concepts; the common Spanish titles of the principles are third-party
# alternative labels (SKOS-XL), because the ICA's own Spanish titles are unconfirmed.
#
# **Sources.** Each wording is shown with the named graph that states it, and that source's
# publisher decides its kind: a page published by the ICA is *the ICA's own*; the project's
# fact sheet and editorial work are *the project's*; anything else is *third party*.

# %%
import textwrap

import matplotlib.pyplot as plt
import pandas as pd
from coopkg.local import endpoint, stop
from coopkg.notebook import OKABE_ITO, example, select
from IPython.display import display
from matplotlib.patches import Patch

ENDPOINT = endpoint()
PREFIXES = """
PREFIX agent:   <https://w3id.org/coops4dev/id/agent/>
PREFIX coop:    <https://w3id.org/coops4dev/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX orgn:    <https://w3id.org/coops4dev/id/organisation/>
PREFIX schema:  <https://schema.org/>
PREFIX skos:    <http://www.w3.org/2004/02/skos/core#>
PREFIX skosxl:  <http://www.w3.org/2008/05/skos-xl#>
PREFIX src:     <https://w3id.org/coops4dev/id/source/>
"""
# The kind of a source, from its publisher (a SPARQL expression over ?source).
KIND_OF_SOURCE = """
  OPTIONAL { ?source dcterms:publisher ?publisher }
  BIND (COALESCE(IF(?publisher = orgn:ica, "the ICA's own",
                 IF(?publisher = agent:coops4dev-project, "the project's", "third party")),
                 "third party") AS ?kind)
"""
KINDS = {"the ICA's own": OKABE_ITO[4], "the project's": OKABE_ITO[1], "third party": OKABE_ITO[0]}

# %% [markdown]
# ## The Statement
#
# Query 14: the Statement, its guardian and its adoption.

# %%
statement = select(ENDPOINT, example("14"), shorten=True)
display(statement)
assert statement["adopted"].tolist() == ["1995"]

# %% [markdown]
# ## The definition
#
# Query 13 gives the definition in each language with the source that states it and its
# address. Where the project edited a source's text (the restored opening words of the French
# and Spanish definitions, the articles dropped from French value names), the graph records the
# edit as a `coop:EditorialChange` with the source's own form; they are listed after the table.

# %%
definition = select(ENDPOINT, example("13"), shorten=True)
with pd.option_context("display.max_colwidth", None):
    display(definition)
assert sorted(definition["language"]) == ["en", "es", "fr"]

edits = select(
    ENDPOINT,
    PREFIXES
    + """
    PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
    SELECT ?subject ?predicate ?note WHERE {
      ?change a coop:EditorialChange ; rdf:subject ?subject ; rdf:predicate ?predicate ;
              skos:editorialNote ?note .
      FILTER (LANG(?note) = "en")
    } ORDER BY ?subject ?predicate
    """,
    shorten=True,
)
with pd.option_context("display.max_colwidth", None):
    display(edits)

# %% [markdown]
# ## The ten values, by kind
#
# Query 12: six cooperative values and four ethical values, named in three languages.

# %%
values = select(ENDPOINT, example("12"), shorten=True)
display(values)
assert values.groupby("kind").size().to_dict() == {"cooperative value": 6, "ethical value": 4}

value_sources = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?value (LANG(?label) AS ?language) ?label ?source ?title ?kind WHERE {
      VALUES ?class { coop:CooperativeValue coop:EthicalValue }
      ?value a ?class .
      GRAPH ?source { ?value skos:prefLabel ?label }
      FILTER (?source != src:project-editorial)
      ?source dcterms:title ?title .
    """
    + KIND_OF_SOURCE
    + "} ORDER BY ?value ?language ?source",
    shorten=True,
)
display(value_sources)
assert set(value_sources["value"]) == set(values["value"])

# %% [markdown]
# ## The seven principles side by side
#
# Query 11 puts the English and French titles (preferred labels) beside the common Spanish
# form (a third-party alternative label).

# %%
principles = select(ENDPOINT, example("11"), shorten=True)
principles["number"] = principles["number"].astype(int)
display(principles)
assert principles["number"].tolist() == list(range(1, 8)), (
    f"the Statement has seven principles, numbered 1 to 7; the graph has "
    f"{principles['number'].tolist()}"
)

# %% [markdown]
# Where each title comes from: every label of every principle, in the named graph that states
# it, with the kind of its source.

# %%
title_sources = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?number (LANG(?title) AS ?language) ?title ?labelKind ?source ?sourceTitle ?kind
    WHERE {
      ?principle a coop:Principle ; skos:notation ?number .
      {
        GRAPH ?source { ?principle skos:prefLabel ?title }
        BIND ("preferred label" AS ?labelKind)
      } UNION {
        ?principle skosxl:altLabel ?xl .
        GRAPH ?source { ?xl skosxl:literalForm ?title }
        BIND ("alternative label (SKOS-XL)" AS ?labelKind)
      }
      FILTER (?source != src:project-editorial)
      ?source dcterms:title ?sourceTitle .
    """
    + KIND_OF_SOURCE
    + "} ORDER BY xsd:integer(?number) ?language".replace(
        "xsd:integer", "<http://www.w3.org/2001/XMLSchema#integer>"
    ),
)
title_sources["number"] = title_sources["number"].astype(int)
display(title_sources)
assert title_sources["number"].nunique() == 7, "the Statement has seven principles"
spanish = title_sources[title_sources["language"] == "es"]
assert (spanish["kind"] == "third party").all(), "the Spanish titles are third-party forms"

# %% [markdown]
# The same, drawn: one row per principle, one column per language, each title coloured by the
# kind of the source that gives it.

# %%
languages = {"en": "English", "fr": "French", "es": "Spanish (common form)"}
fig, ax = plt.subplots(figsize=(15, 8.5))
for _, row in title_sources.iterrows():
    column = list(languages).index(row["language"])
    y = 7 - row["number"]
    ax.add_patch(plt.Rectangle((column, y), 0.96, 0.92, color=KINDS[row["kind"]]))
    ax.text(
        column + 0.48,
        y + 0.46,
        "\n".join(textwrap.wrap(row["title"], 34)),
        ha="center",
        va="center",
        fontsize=11,
    )
ax.set_xlim(0, 3)
ax.set_ylim(0, 7)
ax.set_xticks([i + 0.48 for i in range(3)], list(languages.values()), fontsize=12)
ax.set_yticks(
    [7 - n + 0.46 for n in range(1, 8)], [f"principle {n}" for n in range(1, 8)], fontsize=12
)
ax.set_xlabel("language of the title")
ax.set_ylabel("principle (skos:notation)")
ax.tick_params(length=0)
for side in ax.spines.values():
    side.set_visible(False)
ax.legend(
    handles=[Patch(color=c, label=k) for k, c in KINDS.items()],
    title="source",
    loc="upper center",
    bbox_to_anchor=(0.5, -0.08),
    ncol=3,
    fontsize=11,
    frameon=False,
)
ax.set_title(
    "The seven cooperative principles in three languages, by the kind of their source", fontsize=14
)
fig.tight_layout()
plt.show()

# %% [markdown]
# How many wordings of each language come from each kind of source, for the principles and
# the values together.

# %%
wordings = pd.concat([title_sources.assign(part="principles"), value_sources.assign(part="values")])
by_kind = wordings.groupby(["language", "kind"]).size().unstack(fill_value=0)
by_kind = by_kind.reindex(index=list(languages), columns=list(KINDS), fill_value=0)
display(by_kind)

fig, ax = plt.subplots(figsize=(8, 4.5))
by_kind.rename(index={"en": "English", "fr": "French", "es": "Spanish"}).plot.barh(
    stacked=True, color=[KINDS[k] for k in by_kind.columns], ax=ax
)
ax.set_title("Titles of the principles and names of the values: who gives them")
ax.set_xlabel("number of wordings (a wording two sources give counts twice)")
ax.set_ylabel("language")
ax.legend(title="source", fontsize=10, loc="center left", bbox_to_anchor=(1.01, 0.5))
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Summary
#
# - The Statement (1995) defines a cooperative in one sentence, stated here in English (the
#   fact sheet), French and Spanish (the ICA's pages in those languages).
# - Its **ten values** are six cooperative and four ethical values.
# - Its **seven principles** carry English titles from the fact sheet, French titles from the
#   ICA's French page (1–2) and a third-party page (3–7), and Spanish titles that are only
#   common third-party forms: a scholar quoting them in Spanish should check the ICA's own text.

# %%
stop()
