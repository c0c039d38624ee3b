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
# # The Alliance's structure
#
# **Question.** Through which bodies does the International Cooperative Alliance (ICA) work,
# where do they sit, where has the Alliance itself had its headquarters, and which sector does
# each of its sectoral organisations serve?
#
# **Data.** The coops4dev knowledge graph, asked through its SPARQL endpoint. The model follows
# W3C ORG: the Global Office and the committees are `org:unitOf` the ICA; regional offices,
# sectoral organisations and networks are organisations in their own right,
# `org:subOrganizationOf` it; seats are `org:Site`s in cities and countries.
#
# **Sources.** Every table names the source of its statements: the named graph that holds
# them and its `dcterms:title`. Cite those sources, and the dataset (see notebook 1).

# %%
import math
import textwrap

import matplotlib.pyplot as plt
import networkx as nx
import pandas as pd
from coopkg.local import endpoint, stop
from coopkg.notebook import OKABE_ITO, example, select
from IPython.display import display
from matplotlib.lines import Line2D

ENDPOINT = endpoint()
PREFIXES = """
PREFIX coop:    <https://w3id.org/coops4dev/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX org:     <http://www.w3.org/ns/org#>
PREFIX orgn:    <https://w3id.org/coops4dev/id/organisation/>
PREFIX schema:  <https://schema.org/>
PREFIX skos:    <http://www.w3.org/2004/02/skos/core#>
"""

# %% [markdown]
# ## The bodies of the Alliance
#
# Competency question 02 lists every body attached to the ICA and how it is attached.

# %%
structure = select(ENDPOINT, example("02"), shorten=True)
structure["part"] = structure["part"].str.slice(2)  # "2 regional office" → "regional office"
display(structure)
counts = structure.groupby("part")["body"].nunique()
display(counts.to_frame("bodies"))
assert counts["global office"] == 1
assert counts["regional office"] == 4, "the ICA has four regional offices"
assert counts["global sectoral organisation"] == 8
assert counts["committee or network"] == 6

# %% [markdown]
# Who says so: each attachment with the sources that state it.

# %%
attachment_sources = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?body ?attachedBy (GROUP_CONCAT(DISTINCT ?title; separator=" | ") AS ?sources)
    WHERE {
      VALUES ?attachedBy { org:unitOf org:subOrganizationOf }
      GRAPH ?source { ?body ?attachedBy orgn:ica }
      ?source dcterms:title ?title .
    }
    GROUP BY ?body ?attachedBy ORDER BY ?body
    """,
    shorten=True,
)
display(attachment_sources)
assert set(structure["body"]) <= set(attachment_sources["body"])

# %% [markdown]
# ## The structure as a network
#
# The ICA in the centre; each body around it, coloured by kind. A solid line is `org:unitOf`
# (a unit of the ICA itself), a dashed line `org:subOrganizationOf` (an organisation in its own
# right). Sectoral organisations are labelled by their acronyms.

# %%
acronyms = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?body ?acronym WHERE {
      ?body a coop:SectoralOrganisation ; skos:altLabel ?acronym . FILTER (LANG(?acronym) = "en")
    }""",
    shorten=True,
)
label = dict(zip(acronyms["body"], acronyms["acronym"], strict=True))
kinds = ["global office", "regional office", "global sectoral organisation", "committee or network"]
colour = dict(zip(kinds, [OKABE_ITO[5], OKABE_ITO[4], OKABE_ITO[2], OKABE_ITO[0]], strict=True))

network = nx.Graph()
network.add_node("orgn:ica", label="International\nCooperative\nAlliance", colour=OKABE_ITO[7])
for row in structure.itertuples():
    name = label.get(row.body) or "\n".join(textwrap.wrap(row.name, 16))
    network.add_node(row.body, label=name, colour=colour[row.part])
    network.add_edge("orgn:ica", row.body, unit=row.attachedBy == "org:unitOf")

ring = [b for kind in kinds for b in structure.loc[structure["part"] == kind, "body"]]
position = {"orgn:ica": (0.0, 0.0)}
for index, body in enumerate(ring):  # one circle, kind after kind, starting at the top
    angle = math.pi / 2 - 2 * math.pi * index / len(ring)
    position[body] = (math.cos(angle), math.sin(angle))
fig, ax = plt.subplots(figsize=(13, 12))
for unit, style in ((True, "solid"), (False, "dashed")):
    edges = [(a, b) for a, b, d in network.edges(data=True) if d["unit"] is unit]
    nx.draw_networkx_edges(network, position, edgelist=edges, style=style, ax=ax, width=1.5)
nx.draw_networkx_nodes(
    network,
    position,
    node_color=[network.nodes[n]["colour"] for n in network],
    node_size=[6000 if n == "orgn:ica" else 1400 for n in network],
    ax=ax,
)
labels = nx.get_node_attributes(network, "label")
nx.draw_networkx_labels(
    network,
    position,
    labels={"orgn:ica": labels["orgn:ica"]},
    font_size=10,
    font_color="white",
    ax=ax,
)
outer = {n: (x * 1.25, y * 1.2) for n, (x, y) in position.items() if n != "orgn:ica"}
nx.draw_networkx_labels(network, outer, labels={n: labels[n] for n in outer}, font_size=10, ax=ax)
legend = [
    Line2D([], [], marker="o", linestyle="", markersize=12, color=colour[k], label=k) for k in kinds
]
legend += [
    Line2D([], [], color="black", label="org:unitOf (unit of the ICA)"),
    Line2D(
        [], [], color="black", linestyle="dashed", label="org:subOrganizationOf (own organisation)"
    ),
]
ax.legend(handles=legend, loc="lower left", fontsize=10, frameon=False)
ax.set_title(
    "The bodies of the International Cooperative Alliance (coops4dev knowledge graph)", fontsize=14
)
ax.set_xlim(-1.55, 1.55)
ax.set_ylim(-1.75, 1.35)
ax.axis("off")
plt.show()

# %% [markdown]
# ## Where the bodies sit
#
# The present seat of each body (`org:hasPrimarySite`), its city and country, with the source
# that states it. The four regional offices are in query 05.

# %%
regional = select(ENDPOINT, example("05"), shorten=True)
display(regional)
assert sorted(regional["region"]) == ["Africa", "Americas", "Asia-Pacific", "Europe"]
assert dict(zip(regional["region"], regional["city"], strict=True)) == {
    "Africa": "Nairobi",
    "Americas": "San José",
    "Asia-Pacific": "New Delhi",
    "Europe": "Brussels",
}

seats = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?body ?name ?city ?country (GROUP_CONCAT(DISTINCT ?title; separator=" | ") AS ?sources)
    WHERE {
      ?body org:hasPrimarySite ?site ; skos:prefLabel ?name .
      GRAPH ?source { ?body org:hasPrimarySite ?site }
      ?source dcterms:title ?title .
      ?site schema:containedInPlace ?cityIri .
      ?cityIri skos:prefLabel ?city ; schema:containedInPlace/skos:prefLabel ?country .
      FILTER (LANG(?name) = "en" && LANG(?city) = "en" && LANG(?country) = "en")
    }
    GROUP BY ?body ?name ?city ?country ORDER BY ?country ?city ?name
    """,
    shorten=True,
)
display(seats)

by_city = seats.groupby(["country", "city"]).size().sort_values()
fig, ax = plt.subplots(figsize=(8, 4))
ax.barh(
    [f"{city}, {country}" for country, city in by_city.index], by_city.values, color=OKABE_ITO[4]
)
ax.set_title("Seats of the ICA and its offices, by city")
ax.set_xlabel("number of bodies with their seat there")
ax.set_ylabel("city, country")
ax.set_xticks(range(0, int(by_city.max()) + 1))
fig.tight_layout()
plt.show()
assert by_city[("Belgium", "Brussels")] == 3  # the ICA, its Global Office, Cooperatives Europe

# %% [markdown]
# ## The headquarters over time
#
# Query 22: the Alliance was founded in London in 1895, moved to Geneva in 1982 and to
# Brussels in 2013. The sources of each seat's dates follow the table.

# %%
headquarters = select(ENDPOINT, example("22"), shorten=True)
display(headquarters)
assert headquarters["city"].tolist() == ["London", "Geneva", "Brussels"]
assert headquarters["current"].tolist() == [False, False, True]

seat_sources = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?site ?property ?value ?title WHERE {
      orgn:ica org:hasSite ?site .
      VALUES ?property { schema:startDate schema:endDate }
      GRAPH ?source { ?site ?property ?value }
      ?source dcterms:title ?title .
    } ORDER BY ?site ?property
    """,
    shorten=True,
)
display(seat_sources)

THIS_YEAR = 2026  # the open end of the present seat, for the drawing only
fig, ax = plt.subplots(figsize=(10, 3))
for index, (_, row) in enumerate(headquarters.iterrows()):
    start = int(row["from"])
    until = None if pd.isna(row["until"]) else int(row["until"])
    end = until or THIS_YEAR
    ax.barh(0, end - start, left=start, color=OKABE_ITO[index], edgecolor="white")
    ax.text(
        start + (end - start) / 2,
        0,
        f"{row['city']}\n{start}–{until or 'today'}",
        ha="center",
        va="center",
        fontsize=11,
    )
ax.set_yticks([])
ax.set_xlabel("year")
ax.set_title("Headquarters of the International Cooperative Alliance, 1895 to today")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Which sector each sectoral organisation serves
#
# Query 06: eight global sectoral organisations, one for each sector, with the sector's French
# name from the ICA's French page.

# %%
sectors = select(ENDPOINT, example("06"), shorten=True)
display(sectors)
assert len(sectors) == 8 and sectors["sector"].is_unique

sector_sources = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?organisation (GROUP_CONCAT(DISTINCT ?title; separator=" | ") AS ?sources) WHERE {
      ?organisation a coop:SectoralOrganisation .
      GRAPH ?source { ?organisation org:classification ?sector }
      ?source dcterms:title ?title .
    } GROUP BY ?organisation ORDER BY ?organisation
    """,
    shorten=True,
)
display(sector_sources)
assert set(sector_sources["organisation"]) == set(sectors["organisation"])

# %% [markdown]
# ## Summary
#
# - The ICA works through one Global Office, **four regional offices** (Africa, Americas,
#   Asia-Pacific, Europe), eight global sectoral organisations, one per sector, and six
#   committees and networks.
# - Brussels holds three seats (the ICA, its Global Office, Cooperatives Europe); the regional
#   offices sit in Nairobi, San José and New Delhi.
# - The headquarters moved from London (1895–1982) to Geneva (1982–2013) and Brussels (2013).
# - Each table above names its sources; the least traceable of these statements (the
#   headquarters history, stated by the project's fact sheet alone) are in notebook 5.

# %%
stop()
