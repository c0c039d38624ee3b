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
# # The ICA-EU partnership (#coops4dev)
#
# **Question.** Who entered the partnership between the International Cooperative Alliance and
# the European Union, when did it start and end, what did it work on, who prepared it and who
# drives its actions? And what followed it?
#
# **Data.** The coops4dev knowledge graph through its SPARQL endpoint: the partnership is a
# `coop:Partnership` with its parties (`coop:party`), the unit acting for each
# (`coop:actingUnit`), its agreement, dates, work streams, and the organisations that prepared
# it and drive it. The Commission's directorate-general changed its name during the
# partnership; its names are dated SKOS-XL labels.
#
# **Sources.** Each date is shown with the source that states it (its named graph and title).

# %%
import matplotlib.pyplot as plt
import pandas as pd
from coopkg.local import endpoint, stop
from coopkg.notebook import OKABE_ITO, example, select
from IPython.display import display

ENDPOINT = endpoint()
PREFIXES = """
PREFIX coop:    <https://w3id.org/coops4dev/ontology#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX partnership: <https://w3id.org/coops4dev/id/partnership/>
PREFIX schema:  <https://schema.org/>
PREFIX skos:    <http://www.w3.org/2004/02/skos/core#>
"""


def when(date: str) -> pd.Timestamp:
    """A date of any precision the graph uses (2016, 2016-03, 2016-03-18) as its first day."""
    return pd.Timestamp(date + "-01-01"[len(date) - 4 :] if len(date) < 10 else date)


# %% [markdown]
# ## The parties
#
# Query 15: both partnerships have the ICA and the European Commission as parties. In 2016 a
# source names the unit acting for each (the ICA's Global Office; the DG, under the name it had
# then).

# %%
parties = select(ENDPOINT, example("15"), shorten=True)
display(parties)
first = parties[parties["partnership"] == "partnership:ica-eu-2016"]
assert set(first["partyName"]) == {"International Cooperative Alliance", "European Commission"}
assert set(parties["partnership"]) == {
    "partnership:ica-eu-2016",
    "partnership:ica-eu-2024-2028",
}

# %% [markdown]
# The agreement and the programme (query 37), each row with its source.

# %%
agreement = select(ENDPOINT, example("37"), shorten=True)
display(agreement)
assert set(agreement["signedOn"]) == {"2016-03-18"}

# %% [markdown]
# ## A timeline
#
# Query 16 gives the milestones of the 2016 partnership; query 21 the names of the
# directorate-general over time. The second partnership (2024–2028) follows. The sources of
# every dated statement come after.

# %%
milestones = select(ENDPOINT, example("16"), shorten=True)
display(milestones)
dates = dict(zip(milestones["milestone"], milestones["date"], strict=True))
assert dates["partnership starts"] == "2016-03"
assert dates["agreement signed in Brussels"] == "2016-03-18"
assert dates["contractual end"] == "2020-08-31"
assert "2021-09-30" in set(milestones["date"]), "the closing event (30 September 2021)"

dg_names = select(ENDPOINT, example("21"), shorten=True)
display(dg_names)
renamed = dg_names.dropna(subset=["from"]).set_index("name")["from"].to_dict()
assert renamed == {
    "DG International Cooperation and Development": "2015",
    "DG International Partnerships": "2021-01-16",
}

second = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?start ?end ?title WHERE {
      GRAPH ?source { partnership:ica-eu-2024-2028 schema:startDate ?start ;
                                                   schema:endDate ?end }
      ?source dcterms:title ?title .
    }""",
)
display(second)
assert second[["start", "end"]].values.tolist() == [["2024", "2028"]]

# %%
dated_sources = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?resource ?property ?date ?title WHERE {
      VALUES ?property { schema:startDate schema:endDate coop:signedOn }
      GRAPH ?source { ?resource ?property ?date }
      ?source dcterms:title ?title .
      FILTER (STRSTARTS(STR(?resource), "https://w3id.org/coops4dev/id/partnership/")
           || STRSTARTS(STR(?resource), "https://w3id.org/coops4dev/id/agreement/")
           || STRSTARTS(STR(?resource), "https://w3id.org/coops4dev/id/event/coops4dev"))
    } ORDER BY STR(?date)
    """,
    shorten=True,
)
display(dated_sources)

# %% [markdown]
# Drawn: the two partnerships as bars, the milestones as marked dates, and the names of the
# directorate-general as bands below.

# %%
fig, ax = plt.subplots(figsize=(14, 6.5))
ax.barh(
    2,
    when("2020-08-31") - when("2016-03"),
    left=when("2016-03"),
    height=0.5,
    color=OKABE_ITO[4],
    label="ICA-EU partnership (2016)",
)
ax.barh(
    2,
    when("2028-12-31") - when("2024"),
    left=when("2024"),
    height=0.5,
    color=OKABE_ITO[2],
    label="ICA-EU partnership 2024–2028",
)
for index, row in enumerate(milestones.itertuples()):
    x = when(row.date)
    level = 2.6 + 0.42 * (index % 4)
    ax.plot([x, x], [2.25, level], color="grey", linewidth=0.8)
    ax.plot(x, 2, marker="D", color=OKABE_ITO[5], markersize=8)
    text = row.milestone.split(" (")[0]
    ax.text(x, level + 0.05, f"{row.date}  {text}", fontsize=10, ha="left", va="bottom")
dg_colours = [OKABE_ITO[6], OKABE_ITO[0], OKABE_ITO[1]]
for index, (_, row) in enumerate(dg_names.dropna(subset=["from"]).iterrows()):
    start = when(row["from"])
    end = when(row["until"]) if isinstance(row["until"], str) else when("2028-12-31")
    ax.barh(1, end - start, left=start, height=0.5, color=dg_colours[index])
    ax.text(start + (end - start) / 2, 1, row["name"], ha="center", va="center", fontsize=10)
ax.set_yticks([1, 2], ["the Commission's DG", "partnerships"], fontsize=11)
ax.set_ylim(0.5, 4.6)
ax.set_xlim(when("2015"), when("2029"))
ax.set_xlabel("date")
ax.set_title(
    "The ICA-EU partnerships, their milestones and the directorate-general's names", fontsize=13
)
ax.legend(loc="upper right", fontsize=10)
fig.tight_layout()
plt.show()

# %% [markdown]
# ## The work streams
#
# Query 18: the eight work streams around which the 2016 partnership's actions are organised,
# in English as the partnership's page words them and in the project's French translation.

# %%
streams = select(ENDPOINT, example("18"), shorten=True)
display(streams)
assert len(streams) == 8
assert streams["frenchIsEditorial"].all(), "the French names are the project's translation"

# %% [markdown]
# ## Who prepared it, who drives it
#
# Query 17: Cooperatives Europe and the Cooperatives Europe Development Platform prepared the
# partnership; the ICA's Global Office and its four regional offices drive its actions.

# %%
roles = select(ENDPOINT, example("17"), shorten=True)
display(roles)
drivers = roles[roles["role"] == "drives the actions"]
preparers = roles[roles["role"] == "prepared the partnership"]
assert len(drivers) == 5 and drivers["region"].notna().sum() == 4
assert set(preparers["name"]) == {"Cooperatives Europe", "Cooperatives Europe Development Platform"}

role_sources = select(
    ENDPOINT,
    PREFIXES
    + """
    SELECT ?property ?organisation ?title WHERE {
      VALUES ?property { coop:preparedBy coop:drivenBy coop:workStream }
      GRAPH ?source { partnership:ica-eu-2016 ?property ?organisation }
      ?source dcterms:title ?title .
    } ORDER BY ?property ?organisation
    """,
    shorten=True,
)
display(role_sources)

# %% [markdown]
# ## Summary
#
# - The ICA (through its Global Office) and the European Commission (through the DG then
#   named International Cooperation and Development) entered the partnership in March 2016;
#   the Framework Partnership Agreement was signed in Brussels on 18 March 2016.
# - It ended contractually on 31 August 2020; the closing event was held on 30 September 2021.
#   The DG was renamed International Partnerships on 16 January 2021.
# - A second ICA-EU partnership runs from 2024 to 2028.
# - Eight work streams; prepared by Cooperatives Europe and its development platform; driven
#   by the Global Office and the four regional offices.

# %%
stop()
