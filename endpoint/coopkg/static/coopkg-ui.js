// The coops4dev query page: YASGUI pointed at this server's /sparql, with the example queries as
// tabs. Its settings come from the JSON island the server renders (#coopkg-ui-config); nothing here
// talks to any host but this one.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("coopkg-ui-config").textContent);
  // YASGUI needs an absolute URL; resolving the server's relative path against the page keeps
  // the page working behind any host name or path prefix.
  var endpoint = new URL(config.endpoint, document.baseURI).href;
  var OFFERED_KEY = "coopkg-ui.examples-offered";

  // Offline completion. YASQE's own "class" and "property" completers ask the LOV web service;
  // their forks below ask this server instead, once per page, for the classes and properties the
  // graph uses. Prefixes come from the list bundled in YASQE (prefixCcApi stays null).
  var Yasqe = window.Yasgui.Yasqe;
  var termQueries = {
    "local-class": "SELECT DISTINCT ?term WHERE { [] a ?term } LIMIT 5000",
    "local-property": "SELECT DISTINCT ?term WHERE { [] ?term [] } LIMIT 5000",
  };
  var termLists = {};
  function localTerms(name) {
    if (!termLists[name]) {
      termLists[name] = fetch(endpoint, {
        method: "POST",
        headers: { Accept: "application/sparql-results+json" },
        body: new URLSearchParams({ query: termQueries[name] }),
      })
        .then(function (response) {
          return response.ok ? response.json() : { results: { bindings: [] } };
        })
        .then(function (data) {
          return data.results.bindings.map(function (binding) {
            return binding.term.value;
          });
        })
        .catch(function () {
          return [];
        });
    }
    return termLists[name];
  }
  [["class", "local-class"], ["property", "local-property"]].forEach(function (pair) {
    Yasqe.forkAutocompleter(pair[0], {
      name: pair[1],
      bulk: true,
      get: function () {
        return localTerms(pair[1]);
      },
    }, false);
  });
  var completers = Yasqe.defaults.autocompleters;
  completers.splice(0, completers.length, "variables", "prefixes", "local-class", "local-property");

  var yasgui = new window.Yasgui(document.getElementById("yasgui"), {
    persistenceId: "coopkg-ui",
    copyEndpointOnNewTab: false,
    requestConfig: { endpoint: endpoint, method: "POST" },
    endpointCatalogueOptions: {
      getData: function () {
        return [{ endpoint: endpoint }];
      },
      keys: [],
    },
    yasqe: { value: config.defaultQuery, prefixCcApi: null, createShortLink: undefined },
    yasr: { prefixes: config.prefixes },
  });
  window.coopkgYasgui = yasgui;

  function tabId(example) {
    return "example-" + example.slug;
  }

  function tabName(example) {
    var number = example.slug.split("-")[0];
    var title = example.title;
    if (title.length > 32) title = title.slice(0, 31).trimEnd() + "\u2026";
    return number + " \u00b7 " + title;
  }

  function openExample(example, setActive) {
    var id = tabId(example);
    if (yasgui.persistentConfig.getTab(id)) {
      if (setActive) yasgui.selectTabId(id);
      return yasgui.getTab(id);
    }
    return yasgui.addTab(setActive, {
      id: id,
      name: tabName(example),
      yasqe: { value: example.query },
      requestConfig: { endpoint: endpoint },
    });
  }

  // Each example is offered as a tab once (again when its text changes); a tab the reader closed
  // stays closed until they reopen it from the list of examples.
  function readOffered() {
    try {
      return JSON.parse(window.localStorage.getItem(OFFERED_KEY)) || {};
    } catch (error) {
      return {};
    }
  }
  var offered = readOffered();
  config.examples.forEach(function (example) {
    if (offered[example.slug] !== example.query) {
      openExample(example, false);
      offered[example.slug] = example.query;
    }
  });
  try {
    window.localStorage.setItem(OFFERED_KEY, JSON.stringify(offered));
  } catch (error) {
    // Storage full or disabled: the tabs are offered again next time, which is harmless.
  }

  // `?query=…` (the linked-data pages' "query this in SPARQL" links): a tab with that query,
  // opened and run once.
  var asked = new URLSearchParams(window.location.search).get("query");
  if (asked) {
    var askedTab = yasgui.addTab(true, {
      name: "From a page",
      yasqe: { value: asked },
      requestConfig: { endpoint: endpoint },
    });
    if (askedTab && askedTab.query) askedTab.query();
  }

  // The tab row scrolls sideways: bring the active tab into view.
  var activeTab = document.querySelector(".tabsList .tab.active");
  if (activeTab) activeTab.scrollIntoView({ block: "nearest", inline: "nearest" });

  var bySlug = {};
  config.examples.forEach(function (example) {
    bySlug[example.slug] = example;
  });
  document.querySelectorAll("button.example-open").forEach(function (button) {
    button.addEventListener("click", function () {
      var example = bySlug[button.getAttribute("data-slug")];
      if (!example) return;
      var tab = openExample(example, true);
      var tabLink = document.getElementById("tab-" + tabId(example));
      if (tabLink) tabLink.scrollIntoView({ block: "nearest", inline: "nearest" });
      var editor = document.getElementById("editor");
      editor.scrollIntoView({ block: "start" });
      if (tab && tab.getYasqe && tab.getYasqe()) tab.getYasqe().focus();
    });
  });
})();
