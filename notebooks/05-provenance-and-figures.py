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
# # Provenance and figures
#
# **Question.** What figures do the sources give about the Alliance and the cooperative
# movement, when and from whom? Where do sources disagree? And how much of the knowledge graph
# does each source support, statement by statement?
#
# **Data.** The coops4dev knowledge graph through its SPARQL endpoint. A figure
# ("307 member organisations from 103 countries") is a `coop:Figure`: a value stated by a
# source, with its date or `coop:undated true`. Figures that disagree stand side by side; none
# overwrites another. Every statement sits in the named graph of its source.
#
# **Sources.** Every figure below is shown with its source's title; the statement counts are
# per source (named graph).

# %%
import matplotlib.pyplot as plt
from coopkg.local import endpoint, stop
from coopkg.notebook import OKABE_ITO, example, select
from IPython.display import display

ENDPOINT = endpoint()
PREFIXES = """
PREFIX coop:    <https://w3id.org/coops4dev/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX orgn:    <https://w3id.org/coops4dev/id/organisation/>
PREFIX schema:  <https://schema.org/>
PREFIX skos:    <http://www.w3.org/2004/02/skos/core#>
PREFIX src:     <https://w3id.org/coops4dev/id/source/>
"""

# %% [markdown]
# ## Every figure, with its source and date
#
# Query 19. No cited source dates these figures: each is marked "undated".

# %%
figures = select(ENDPOINT, example("19"), shorten=True)
display(figures)
assert (figures["date"] == "undated").all()
assert figures["sourceTitle"].notna().all(), "every figure has a source"

# %% [markdown]
# ## Where sources disagree
#
# Query 20 lists the figures for which another source gives another value. The counts of
# member organisations and of their countries come in pairs, one pair per statement
# (`dcterms:relation` links the two figures of a statement).

# %%
disagreeing = select(ENDPOINT, example("20"), shorten=True)
display(disagreeing)

pairs = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?organisations ?countries ?source ?title WHERE {
      ?a coop:measure <https://w3id.org/coops4dev/id/measure/member-organisations> ;
         schema:observationAbout orgn:ica ; schema:value ?organisations ;
         dcterms:relation ?b .
      ?b coop:measure <https://w3id.org/coops4dev/id/measure/member-countries> ;
         schema:value ?countries .
      GRAPH ?source { ?a schema:value ?organisations . ?b schema:value ?countries }
      ?source dcterms:title ?title .
    } ORDER BY ?organisations
    """,
    shorten=True,
)
display(pairs)
assert sorted(zip(pairs["organisations"], pairs["countries"], strict=True)) == [
    (306, 105),
    (307, 103),
    (310, 107),
    (312, 109),
], "the ICA's member counts disagree: 307/103 (seed 004), 306/105, 310/107, 312/109"
assert set(disagreeing["value"]) == {103, 105, 107, 109, 306, 307, 310, 312}

# %% [markdown]
# Drawn: each statement is one point, member organisations against their countries, coloured
# and shaped by its source.

# %%
markers = ["o", "s", "^", "D"]
fig, ax = plt.subplots(figsize=(9, 6))
for index, (title, group) in enumerate(pairs.groupby("title")):
    ax.scatter(
        group["organisations"],
        group["countries"],
        s=140,
        label=title[:70],
        color=OKABE_ITO[[5, 4, 2, 0][index % 4]],
        marker=markers[index % 4],
        edgecolor="black",
        zorder=3,
    )
for row in pairs.itertuples():
    ax.annotate(
        f"{row.organisations} / {row.countries}",
        (row.organisations, row.countries),
        xytext=(8, -4),
        textcoords="offset points",
        fontsize=11,
    )
ax.set_title("The ICA's membership as the sources state it (each point: one statement)")
ax.set_xlabel("member organisations")
ax.set_ylabel("countries of the member organisations")
ax.set_xlim(304, 315)
ax.set_ylim(101, 111)
ax.grid(alpha=0.3)
ax.legend(title="source", loc="upper left", fontsize=9)
fig.tight_layout()
plt.show()

# %% [markdown]
# Query 41 finds every pair of statements from two sources that disagree, figures or
# single-valued properties (dates, founding places). Today the member counts are the only ones.

# %%
conflicts = select(ENDPOINT, example("41"), shorten=True)
display(conflicts)
assert set(conflicts["what"]) == {"measure:member-countries", "measure:member-organisations"}
assert len(conflicts) == 6

# %% [markdown]
# ## How much of the graph each source supports
#
# For each source: how many statements it makes, and how many of those no other source makes
# (the project's editorial graph aside, a statement two sources make is in both graphs).

# %%
support = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?source ?title (COUNT(*) AS ?statements) (SUM(?alone) AS ?onlyThisSource) WHERE {
      GRAPH ?source { ?s ?p ?o }
      ?source dcterms:title ?title .
      BIND (IF(EXISTS { GRAPH ?other { ?s ?p ?o } FILTER (?other != ?source) }, 0, 1) AS ?alone)
    }
    GROUP BY ?source ?title ORDER BY DESC(?statements)
    """,
    shorten=True,
)
support["shared"] = support["statements"] - support["onlyThisSource"]
display(support)
assert (support["onlyThisSource"] <= support["statements"]).all()
assert "src:project-editorial" in set(support["source"])

# The project's editorial graph (types, translations, structure) is ten times larger than any
# document: it is left out of the drawing, so that the documents can be compared on one scale.
documents = support[support["source"] != "src:project-editorial"]
ordered = documents.sort_values("statements")
fig, ax = plt.subplots(figsize=(10, 8))
names = ordered["title"].str.slice(0, 62)
ax.barh(names, ordered["onlyThisSource"], color=OKABE_ITO[5], label="stated by this source only")
ax.barh(
    names,
    ordered["shared"],
    left=ordered["onlyThisSource"],
    color=OKABE_ITO[1],
    label="also stated by another source",
)
ax.set_title("Statements of the knowledge graph, by source (the editorial graph aside)")
ax.set_xlabel("number of statements")
ax.set_ylabel("source (dcterms:title)")
ax.tick_params(axis="y", labelsize=8)
ax.legend(loc="lower right", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The least traceable statements
#
# Query 29: statements whose only sources are the project's fact sheet or the unnamed "other
# public sources" it refers to. These are the ones to verify first. Query 40 counts, by
# property, what the project's editorial work alone supports.

# %%
least = select(ENDPOINT, example("29"), shorten=True)
display(least.groupby("source").size().to_frame("statements"))
display(least.head(15))
assert set(least["source"]) <= {"src:other-public-sources", "src:coops4dev-fact-sheet"}

editorial = select(ENDPOINT, example("40"), shorten=True)
display(editorial)

# %% [markdown]
# ## Summary
#
# - Every figure has its source, and none is dated by its source.
# - The ICA's membership is where sources disagree: seed 004 says 307 member organisations
#   from 103 countries; other public sources, unnamed and undated, say 306 / 105, 310 / 107
#   and 312 / 109. The graph keeps all four; a scholar should cite the one they use, with its
#   source.
# - Most statements rest on the project's editorial work (types, translations, structure);
#   among the documents, the fact sheet and seed pages support the most, and query 29 lists
#   what rests on the fact sheet or unnamed sources alone.

# %%
stop()
