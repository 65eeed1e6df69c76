// TraceGraph web explorer and data-quality dashboard. Plain browser JavaScript, no build step:
// every answer comes from the GraphQL API (/graphql) with the visitor's API key, kept for the
// browser session only (sessionStorage). Graphs are drawn with the vendored Cytoscape.js + dagre.
"use strict";

const KEY = "tracegraph.apiKey";
const PAGE = 25;
const MAX_START = 1000;  // the API's limit on start ids (ApiSettings.max_start_ids)
const MAX_PAGE = 1000;  // the API's largest list (ApiSettings.max_page_size)
const COLORS = { Supplier: "#7a5af8", Lot: "#0b6bcb", Serial: "#0e9384", Container: "#dc6803",
  Shipment: "#c11574", Customer: "#344054", Group: "#98a2b3" };
window.tg = { graphs: {} };  // drawn graphs by name, for people debugging in the console and for tests

// ---------------------------------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
const main = () => document.getElementById("main");
// The page's heading is also its title: browser tabs, history and a screen reader tell pages apart by it.
function show(...nodes) {
  const shown = nodes.flat().filter((n) => n !== null && n !== undefined);
  const heading = shown.find((n) => n.tagName === "H1");
  document.title = heading ? `${heading.textContent} · TraceGraph` : "TraceGraph";
  main().replaceChildren(...shown);
}
const recordHref = (kind, id) => `/#/record/${encodeURIComponent(kind)}/${encodeURIComponent(id)}`;
const recordLink = (kind, id) => el("a", { href: recordHref(kind, id) }, id);
const camel = (name) => name.replace(/_([a-z])/g, (_, c) => c.toUpperCase());
const fmt = (n) => Number(n).toLocaleString("en");
const pct = (x) => `${(100 * x).toFixed(2)}%`;
// Said once by a screen reader (the page's one polite live region): what an action changed off the focus.
const announce = (text) => { document.getElementById("announce").textContent = text; };

class Stop extends Error {}  // the login form is showing; abandon the page being drawn

async function gql(query, variables) {
  const key = sessionStorage.getItem(KEY);
  if (!key) { showLogin(); throw new Stop(); }
  let response;
  try {
    response = await fetch("/graphql", { method: "POST", body: JSON.stringify({ query, variables }),
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` } });
  } catch {  // the browser's own words ("Failed to fetch") do not say what happened
    throw new Error("The TraceGraph server did not answer: it may be stopped or out of reach. Try again once it is back.");
  }
  if (response.status === 401) {
    sessionStorage.removeItem(KEY);
    showLogin("That API key was not accepted (unknown, revoked or expired).");
    throw new Stop();
  }
  const body = await response.json();
  if (body.errors && body.errors.length) {
    const e = body.errors[0];
    throw new Error(`${e.message}${e.extensions && e.extensions.code ? ` (${e.extensions.code})` : ""}`);
  }
  return body.data;
}

// Run a drawing step; its error replaces the page, or only ``into`` (a section) when given.
async function guarded(draw, into) {
  try { await draw(); } catch (exc) {
    if (exc instanceof Stop) return;
    const message = el("p", { class: "error", role: "alert" }, exc.message);  // read out as it appears
    if (into) into.replaceChildren(message); else show(message);
  }
}

// ------------------------------------------------------------------------------------------ login
function showLogin(problem) {
  document.getElementById("logout").hidden = true;
  document.getElementById("who").textContent = "";
  const input = el("input", { id: "apikey", type: "password", autocomplete: "off", placeholder: "tgk_…" });
  show(el("form", { class: "card login", id: "login", onsubmit: async (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    await guarded(async () => { await whoAmI(); route(); });
  } },
  el("h1", {}, "Sign in"),
  el("p", { class: "muted" }, "Paste your TraceGraph API key. It is kept for this browser session only."),
  problem ? el("p", { class: "error", role: "alert" }, problem) : null,
  el("label", { for: "apikey" }, "API key"), input,
  el("button", { class: "primary", type: "submit" }, "Sign in")));
  input.focus();
}

async function whoAmI() {
  const { me } = await gql("{ me { name role } }");
  document.getElementById("who").textContent = `${me.name || "signed in"} · ${me.role.toLowerCase()}`;
  document.getElementById("logout").hidden = false;
}

// ---------------------------------------------------------------------------------------- routing
function route() {
  hideTip();
  if (location.pathname === "/quality") return guarded(showQuality);
  return guarded(showHash);
}

function showHash() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  let parts;
  try { parts = path.split("/").map(decodeURIComponent); } catch {  // a broken %-escape, e.g. a truncated link
    throw new Error(`Bad link: “${location.hash}” is not a valid address. Check the link, or search for the record above.`);
  }
  if (parts[0] === "record" && parts.length >= 3) return showRecord(parts[1], parts.slice(2).join("/"));
  if (parts[0] === "search") return doSearch(parts.slice(1).join("/"));
  if (parts[0] === "recall") return showRecall(recallLots(new URLSearchParams(query || "")));
  return showHome();
}

// A recall link names each lot in its own `lot` parameter, as it is (an id may hold spaces or commas);
// `lots` is free text as a person types it in the form, split on spaces, commas and semicolons.
const splitLots = (text) => text.split(/[\s,;]+/).filter(Boolean);
const recallLots = (params) => [...params.getAll("lot"), ...splitLots(params.get("lots") || "")];
const recallHash = (lots) => `/recall?${lots.map((lot) => `lot=${encodeURIComponent(lot)}`).join("&")}`;

function showHome() {
  show(el("h1", {}, "Trace explorer"),
    el("p", {}, "Type or scan a lot, serial, container, supplier or customer id in the search box above."),
    el("p", {}, el("a", { href: "/#/recall" }, "Scope a recall"), " from one or more lots, or read the ",
      el("a", { href: "/quality" }, "data-quality dashboard"), "."));
}

// The most specific record a scanned identifier names comes first (a GS1 code names the product too).
const SPECIFIC = ["Serial", "Container", "Lot", "Product"];
const KIND_OF_PART = { serial: "Serial", sscc: "Container", lot: "Lot", gtin: "Product" };

async function doSearch(text) {
  const { search } = await gql("query($t: String!) { search(text: $t) { kind id } }", { t: text });
  let hits = search;
  let reading = null;
  let missing = null;  // the most specific part of a scanned code, when no record has it
  if (!hits.length) {  // not an id: perhaps a scanned UDI (GS1, Digital Link, EPC URN, HIBC)
    const { identify } = await gql(`query($t: String!) { identify(text: $t) {
      format parts { name value } records { __typename id } } }`, { t: text });
    reading = identify;
    const found = identify.records.map((r) => ({ kind: r.__typename, id: r.id }));
    const best = SPECIFIC.map((kind) => found.filter((h) => h.kind === kind)).find((same) => same.length);
    hits = best && best.length === 1 ? best : found;
    // a unit whose serial is not in the graph must not open its product's page as if it were the unit
    const named = SPECIFIC.map((kind) => identify.parts.find((p) => KIND_OF_PART[p.name] === kind)).find(Boolean);
    if (named && !found.some((h) => h.kind === KIND_OF_PART[named.name])) missing = named;
  }
  if (hits.length === 1 && !missing) { location.replace(recordHref(hits[0].kind, hits[0].id)); return; }
  show(el("h1", {}, `Search: ${text}`),
    reading && reading.format !== "plain" ? el("p", { class: "muted", id: "reading" }, `Read as ${reading.format}: `,
      reading.parts.map((part) => `${part.name} ${part.value}`).join(", ")) : null,
    missing ? el("p", { class: "error", id: "not-found" }, `No ${KIND_OF_PART[missing.name].toLowerCase()} has the id “${missing.value}”`,
      hits.length ? "; the code also names:" : ".") : null,
    hits.length ? el("ul", {}, hits.map((h) => el("li", {}, `${h.kind} `, recordLink(h.kind, h.id))))
      : el("p", {}, `No lot, serial, container, supplier, customer or other record has the id “${text}”.`));
}

// ----------------------------------------------------------------------------------- record page
const START_FIELD = { Lot: "lots", Serial: "serials", Container: "containers", Supplier: "suppliers" };
const HOLDABLE = ["Lot", "Serial", "Container"];  // kinds a recall puts on hold (their GraphQL recallHolds)

// A record on recall hold says so first: which recall, why, and whether that recall is still open.
function holdBanner(holds) {
  if (!holds.length) return null;
  return el("div", { class: "hold-banner", id: "holds", role: "alert" }, el("strong", {}, "On recall hold"),
    el("ul", {}, holds.map((h) => el("li", { "data-recall": h.recall_id },
      `${h.recall_id} (class ${h.classification}, recall ${h.status}): ${h.reason}`,
      h.why !== h.reason ? ` — hold: ${h.why}` : "", ` · placed ${h.placed_at} by ${h.placed_by}`))));
}

async function showRecord(kind, id) {
  const { recordView: view } = await gql("query($k: RecordKind!, $id: ID!) { recordView(kind: $k, id: $id) }",
    { k: kind, id });
  const props = el("table", { class: "props" }, Object.entries(view.properties)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([name, v]) => el("tr", {}, el("td", {}, name), el("td", {}, typeof v === "object" ? JSON.stringify(v) : v))));
  const linked = el("div", { id: "linked-list" });
  // a relationship cut short lists all its records below the table, when the API has a list of them
  const more = (n) => [`… ${fmt(n.props["not shown"])} more`, n.list ? [" ", el("button", { type: "button",
    "aria-label": `List all ${relWords(n)} of ${kind} ${id}`,
    onclick: () => guarded(() => pageLinked(linked, kind, id, n), linked) }, "List all")] : null];
  const near = el("table", { id: "linked" }, el("tr", {}, el("th", {}, "relationship"), el("th", {}, "record"), el("th", {}, "details")),
    view.neighbours.map((n) => el("tr", { "data-rel": `${n.rel} ${n.direction}` }, el("td", {}, relLabel(n)),
      el("td", {}, n.kind === "More" ? more(n) : [`${n.kind} `, recordLink(n.kind, n.key)]),
      el("td", { class: "muted" }, n.kind === "More" ? "" : details(n.props)))));
  const page = [el("h1", { id: "record-title" }, `${kind} ${id}`), holdBanner(view.holds),
    el("div", { class: "split" }, el("section", {}, el("h2", {}, "Properties"), props),
      el("section", {}, el("h2", {}, "Linked records"), near, linked))];
  const field = START_FIELD[kind];
  if (kind === "Lot") page.push(el("p", {}, el("a", { href: `/#${recallHash([id])}` },
    "Recall scope from this lot")));
  const traceArea = el("section", { id: "trace" });
  if (field) {
    const directions = kind === "Supplier" ? ["forward"] : kind === "Serial" ? ["backward", "forward"] : ["forward", "backward"];
    const buttons = directions.map((d) => el("button", { type: "button", "data-direction": d, onclick: () => pick(d) },
      d === "forward" ? "Forward trace (where it went)" : "Backward trace (where it came from)"));
    const pick = (d) => {
      buttons.forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.direction === d)));
      guarded(() => drawTrace(traceArea, { [field]: [id] }, d, []), traceArea);
    };
    page.push(el("h2", {}, "Trace"), el("div", { class: "tabs" }, buttons), traceArea);
    show(...page);
    pick(directions[0]);
  } else if (kind === "Customer") {
    page.push(traceArea);
    show(...page);
    await guarded(() => customerTrace(traceArea, id), traceArea);
  } else {
    show(...page);
  }
}

const relLabel = (n) => (n.direction === "out" ? `${n.rel} →` : `← ${n.rel}`);
const relWords = (n) => `${n.direction === "out" ? "outgoing" : "incoming"} ${n.rel} links`;
const details = (props) => Object.entries(props).filter(([, v]) => v !== null && v !== undefined)
  .map(([k, v]) => `${k} ${v}`).join(", ");

// All of a record's neighbours by one relationship, from the connection its record view's ``More``
// entry names (``n.list``); a relationship's own fields (which step, when packed) are its details.
function pageLinked(area, kind, id, n) {
  const { field, kinds, relation_fields: fields } = n.list;
  const root = kind[0].toLowerCase() + kind.slice(1);  // the API's field for one record: lot, processStep, ...
  const end = n.direction === "out" ? "to" : "from";  // a relationship's far end
  const node = fields ? `${end} { ${recordFields(kinds)} } ${fields.map(camel).join(" ")}` : recordFields(kinds);
  return pageList(area, { id: `linked-${n.rel}-${n.direction}`,
    title: (conn) => `All ${fmt(conn.totalCount)} ${relWords(n)}`,
    head: fields ? ["record", "details"] : null,
    cells: fields ? (r) => el("td", { class: "muted" }, details(Object.fromEntries(fields.map((f) => [f, r.link[camel(f)]])))) : null,
    fetch: async (after) => {
      const conn = (await gql(`query($id: ID!, $after: String) { ${root}(id: $id) {
        ${field}(first: ${PAGE}, after: $after) { ${listFields(node)} } } }`, { id, after }))[root][field];
      return fields ? { ...conn, nodes: conn.nodes.map((link) => ({ ...link[end], link })) } : conn;
    } });
}

// The engine traces from lots, serials and containers, not from a customer: a customer's page lists
// its shipments and what left in them (retracted lines marked), and draws the backward trace from what
// the customer received by the engine's rule (`received`: loose items, and what a shipped container held
// when it left), never from everything that was ever in a shipped container.
async function customerTrace(area, id) {
  const shipments = el("section", { id: "customer-shipments-list" });
  const heading = el("h2", {}, "What reached this customer: the backward trace from the lots and serials it received");
  const traceArea = el("section", { id: "customer-trace" }, el("p", { class: "muted" }, "Tracing…"));
  area.replaceChildren(shipments, heading, traceArea);
  const listed = guarded(() => pageShipments(shipments, id), shipments);  // the trace does not wait for it
  const { customer } = await gql(`query($id: ID!) { customer(id: $id) { received(first: ${MAX_START}) { __typename id } } }`, { id });
  const start = { lots: [], serials: [] };
  for (const r of customer.received) start[START_FIELD[r.__typename]].push(r.id);
  if (customer.received.length === MAX_START) heading.append(` (the first ${fmt(MAX_START)} of them)`);
  if (customer.received.length) await drawTrace(traceArea, start, "backward", []);
  else traceArea.replaceChildren(el("p", { class: "muted" }, "No lot or serial has reached this customer."));
  await listed;
}

// A customer's shipments, a page at a time, each with the lines that left in it (a shipment with more
// lines than the API's largest list shows that many; its own page lists them all).
function pageShipments(area, id) {
  const line = (i) => [`${i.from.__typename} `, recordLink(i.from.__typename, i.from.id),
    i.retractedAt ? el("span", { class: "muted" }, ` (retracted ${i.retractedAt})`) : null];
  const lines = ({ totalCount, nodes }) => el("td", {}, nodes.map((i, n) => [n ? ", " : "", line(i)]),
    nodes.length < totalCount ? ` (the first ${fmt(nodes.length)} of ${fmt(totalCount)} lines: the shipment's page lists them all)` : null);
  const shipment = `${recordFields(["Shipment"])} shippedAt
    itemsConnection(first: ${MAX_PAGE}) { totalCount nodes { from { __typename id } retractedAt } }`;
  return pageList(area, { id: "customer-shipments",
    title: (conn) => `Shipments (${fmt(conn.totalCount)})`, head: ["shipment", "shipped at", "items shipped"],
    cells: (s) => [el("td", {}, s.shippedAt), lines(s.itemsConnection)],
    fetch: async (after) => (await gql(`query($id: ID!, $after: String) { customer(id: $id) {
      shipmentsConnection(first: ${PAGE}, after: $after) { ${listFields(shipment)} } } }`,
    { id, after })).customer.shipmentsConnection });
}

// ------------------------------------------------------------------------------------------ traces
const TRACE_GRAPH = `query($s: TraceStartInput!, $d: TraceDirection!, $x: [String!]) {
  traceGraph(start: $s, direction: $d, expand: $x) }`;

// ``focus``: the layer whose row beside the graph gets the keyboard focus (its Expand button was pressed).
async function drawTrace(area, start, direction, expand, onDrawn, focus) {
  area.replaceChildren(el("p", { class: "muted" }, "Tracing…"));
  const { traceGraph: view } = await gql(TRACE_GRAPH, { s: start, d: direction.toUpperCase(), x: expand });
  const box = el("div", { class: "graph", id: `graph-${direction}` });
  const tables = el("div", { class: "group-table" });
  const counts = el("table", { class: "counts", id: `counts-${direction}` },
    el("tr", {}, el("th", {}, "kind"), el("th", { class: "num" }, "count")),
    Object.keys(view.counts).filter((g) => view.counts[g]).map((g) => el("tr", { "data-group": g },
      el("td", {}, el("a", { href: "#", onclick: (ev) => { ev.preventDefault();
        guarded(() => pageGroup(tables, start, direction, g, view.group_kinds[g]), tables); } }, g.replace("_", " "))),
      el("td", { class: "num" }, fmt(view.counts[g])))));
  const held = view.on_hold ? el("p", { class: "hold-count", id: `on-hold-${direction}` },
    `${fmt(view.on_hold)} reached records are on recall hold (red octagons).`) : null;
  const heading = el("h2", { tabindex: "-1" }, `${direction === "forward" ? "Forward" : "Backward"} trace: counts per kind`);
  const expandLayer = (layer, byKey) => guarded(() => drawTrace(area, start, direction, [...expand, layer], onDrawn,
    byKey ? layer : null), area);
  const listMore = (group) => guarded(() => pageLayer(tables, start, direction, group), tables);
  // a group stands for a layer's records not drawn: a collapsed layer expands, a capped one's rest is listed
  const onGroup = (group, byKey) => (group.more ? listMore(group) : expandLayer(group.layer, byKey));
  area.replaceChildren(el("div", { class: "trace" }, box,
    el("aside", {}, heading, counts, held, groupRows(view, direction, onGroup), tables)));
  const cy = drawGraph(box, view, direction, onGroup);
  if (expand.length) announce(expansionNote(view, expand[expand.length - 1]));
  if (focus) (area.querySelector(`#groups-${direction} tr[data-layer="${focus}"] button`) || heading).focus();
  if (onDrawn) onDrawn(cy);
  return cy;
}

// The graph's groups as rows with a button each, so a keyboard or screen-reader user can do what a
// click on a group node does.
function groupRows(view, direction, onGroup) {
  const groups = view.nodes.filter((n) => n.kind === "Group");
  if (!groups.length) return null;
  return el("table", { class: "groups", id: `groups-${direction}` },
    el("caption", {}, "Not drawn in the graph"),
    groups.map((g) => el("tr", { "data-layer": g.layer }, el("td", {}, nodeLabel(g)),
      el("td", {}, el("button", { type: "button", onclick: () => onGroup(g, true),
        "aria-label": `${g.more ? "List" : "Expand"} the ${g.key}` }, g.more ? "List" : "Expand")))));
}

// What an expansion drew, and where the rest are.
function expansionNote(view, layer) {
  const { title, count } = view.layers.find((l) => l.name === layer);
  const rest = view.nodes.find((n) => n.id === `group:${layer}`);
  const drawn = count - (rest ? rest.count : 0);
  return `Drew ${fmt(drawn)} of ${fmt(count)} ${title.toLowerCase()}`
    + (rest ? `; the ${rest.key} are listed beside the graph.` : ".");
}

// Record fields a list shows for records of ``kinds``: the kind and id, and recall holds for the kinds a recall holds.
const recordFields = (kinds) => `__typename id ${kinds.filter((k) => HOLDABLE.includes(k))
  .map((k) => `... on ${k} { recallHolds { recallId } }`).join(" ")}`;
// What a list asks of a page of a connection; ``node``: of each node (recordFields, or more).
const listFields = (node) => `totalCount pageInfo { hasNextPage endCursor } nodes { ${node} }`;

// A list, a page at a time in ``area``: ``list.fetch(after)`` answers one page of a connection, which
// starts after the cursor ``list.after`` (past ``list.skip`` nodes; by default at its start); ``cursors``
// end the pages read before this one (none: its first page). ``list.first``, when given, is that first page
// already read with the page's own query (drawing it asks nothing and announces nothing). A node is a record
// (__typename and id) whose row ``list.cells(node)`` goes on after the record's cell, unless ``list.row(node)``
// draws the whole row; ``list.head`` names all the columns; ``list.intro`` goes under the heading. ``focus``
// ("next" or "previous"): the pager button just pressed, which keeps the keyboard focus (the heading has it
// once that button is disabled).
async function pageList(area, list, cursors = [], focus = null) {
  const conn = !cursors.length && list.first ? list.first
    : await list.fetch(cursors.length ? cursors[cursors.length - 1] : list.after ?? null);
  const first = (list.skip || 0) + cursors.length * PAGE + 1;
  const range = `${fmt(first)}–${fmt(first + conn.nodes.length - 1)} of ${fmt(conn.totalCount)}`;
  const page = (read, pressed) => guarded(() => pageList(area, list, read, pressed), area);
  const heading = el("h2", { tabindex: "-1" }, list.title(conn));
  area.replaceChildren(heading, list.intro || null,
    el("table", { id: list.id }, list.head ? el("tr", {}, list.head.map((h) => el("th", {}, h))) : null,
      conn.nodes.map(list.row || ((n) => {
        const on = (n.recallHolds || []).map((h) => h.recallId);
        return el("tr", { class: on.length ? "held" : null, "data-id": n.id },
          el("td", {}, recordLink(n.__typename, n.id), on.length ? [" ", el("span", { class: "hold" }, `on hold: ${on.join(", ")}`)] : null),
          list.cells ? list.cells(n) : null);
      }))),
    el("div", { class: "pager" },
      el("button", { type: "button", "data-page": "previous", disabled: cursors.length === 0,
        onclick: () => page(cursors.slice(0, -1), "previous") }, "‹ Previous"),
      el("span", { class: "muted" }, range),
      el("button", { type: "button", "data-page": "next", disabled: !conn.pageInfo.hasNextPage,
        onclick: () => page([...cursors, conn.pageInfo.endCursor], "next") }, "Next ›")));
  if (focus) (area.querySelector(`.pager button[data-page="${focus}"]:enabled`) || heading).focus();
  if (focus || conn !== list.first) announce(`${list.title(conn)}: ${range}`);
}

// A trace group's records (e.g. all its serials, of kind Serial), from the counts table.
function pageGroup(area, start, direction, group, kind) {
  const root = direction === "forward" ? "forwardTrace" : "backwardTrace";
  const field = camel(group);  // a group the API named in traceGraph's counts, never user text
  return pageList(area, { id: `table-${group}`,
    title: (conn) => `${group.replace("_", " ")} (${fmt(conn.totalCount)})`,
    fetch: async (after) => (await gql(`query($s: TraceStartInput!, $after: String) { ${root}(start: $s) {
      ${field}(first: ${PAGE}, after: $after) { ${listFields(recordFields([kind]))} } } }`, { s: start, after }))[root][field] });
}

// The records a capped group stands for: its layer's, after the last one drawn.
function pageLayer(area, start, direction, group) {
  return pageList(area, { id: `more-${group.layer}`, skip: group.drawn, after: group.after,
    title: (conn) => `The ${group.key}, not drawn (${fmt(conn.totalCount)} in all)`,
    fetch: async (after) => (await gql(`query($s: TraceStartInput!, $d: TraceDirection!, $l: String!, $after: String) {
      traceLayer(start: $s, direction: $d, layer: $l, first: ${PAGE}, after: $after) { ${listFields(recordFields([group.member_kind]))} } }`,
    { s: start, d: direction.toUpperCase(), l: group.layer, after })).traceLayer });
}

function edgeText(d) {
  const lines = [`${d.rel}${d.count > 1 ? ` ×${fmt(d.count)} (first shown)` : ""}`, `${d.from} → ${d.to}`];
  const p = d.props || {};
  if (d.rel === "PACKED_IN") lines.push(`packed from ${p.packed_at || "an unknown time"} until ${p.unpacked_at || "now (still packed)"}`);
  for (const [k, v] of Object.entries(d.props || {})) lines.push(`${k}: ${v}`);
  return lines.join("\n");
}

function showTip(event, text) {
  const tip = document.getElementById("tip");
  tip.textContent = text;
  tip.hidden = false;
  const e = event.originalEvent || {};
  tip.style.left = `${(e.clientX || 0) + 12}px`;
  tip.style.top = `${(e.clientY || 0) + 12}px`;
}
function hideTip() { const tip = document.getElementById("tip"); if (tip) tip.hidden = true; }

const COLUMN_GAP = 170;  // px between layers
const ROW_GAP = 14;  // px between nodes of one layer

// Columns by kind and role, left to right in the view's layer order (empty layers take no column);
// the dagre layout only decides the order of the nodes within a column, to keep crossings few.
function placeColumns(cy, layers) {
  const column = Object.fromEntries(layers.filter((l) => l.count).map((l, i) => [l.name, i]));
  const byColumn = new Map();
  cy.nodes().forEach((n) => {
    const c = column[n.data("layer")];
    byColumn.set(c, [...(byColumn.get(c) || []), n]);
  });
  for (const [c, nodes] of byColumn) {
    nodes.sort((a, b) => a.position("y") - b.position("y"));
    const heights = nodes.map((n) => n.outerHeight() + ROW_GAP);
    let y = -heights.reduce((a, b) => a + b, 0) / 2;
    nodes.forEach((n, i) => { n.position({ x: c * COLUMN_GAP, y: y + heights[i] / 2 }); y += heights[i]; });
  }
}

function nodeLabel(n) {
  return n.kind === "Group" && n.held ? `${n.key} (${fmt(n.held)} on hold)` : n.key;
}

function drawGraph(box, view, name, onGroup) {
  const cy = cytoscape({
    container: box,
    elements: [
      ...view.nodes.map((n) => ({ data: { id: n.id, label: nodeLabel(n), kind: n.kind, key: n.key, layer: n.layer,
        holds: n.holds || [], held: n.held || 0, color: COLORS[n.kind] || "#667085", viewNode: n },
      classes: [n.kind === "Group" ? "group" : "", n.start ? "start" : "", (n.holds || []).length || n.held ? "held" : ""].join(" ") })),
      ...view.edges.map((e) => ({ data: { ...e } })),
    ],
    style: [
      { selector: "node", style: { "background-color": "data(color)", label: "data(label)", "font-size": 9,
        "text-valign": "bottom", "text-margin-y": 3, width: 16, height: 16, color: "#1d2733" } },
      { selector: "node.group", style: { shape: "round-rectangle", width: 120, height: 30, "text-valign": "center",
        "text-margin-y": 0, color: "#1d2733", "background-color": "#eaecf0", "font-size": 11, "font-weight": 600,
        "border-style": "dashed", "border-width": 2, "border-color": "#475467" } },
      { selector: "node.start", style: { "border-width": 3, "border-color": "#f79009", width: 22, height: 22 } },
      { selector: "node.held", style: { shape: "octagon", "border-width": 4, "border-style": "double", "border-color": "#b42318" } },
      { selector: "node.group.held", style: { shape: "round-rectangle", width: 170 } },
      { selector: "edge", style: { width: 1.2, "line-color": "#b8c1cc", "target-arrow-color": "#b8c1cc",
        "target-arrow-shape": "triangle", "curve-style": "bezier", "arrow-scale": 0.7 } },
      { selector: "edge:selected, edge.hover", style: { "line-color": "#0b6bcb", "target-arrow-color": "#0b6bcb", width: 2.5 } },
      { selector: "edge.chain", style: { "line-color": "#d92d20", "target-arrow-color": "#d92d20", width: 4, "z-index": 9 } },
      { selector: "node.chain", style: { "border-color": "#d92d20", "border-width": 4, "font-weight": 700, "z-index": 9 } },
      { selector: ".faded", style: { opacity: 0.25 } },
    ],
    minZoom: 0.05, maxZoom: 3,
  });
  cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 14, rankSep: 80, edgeSep: 4, animate: false, fit: false }).run();
  placeColumns(cy, view.layers);
  cy.fit(undefined, 30);
  cy.on("tap", "node", (ev) => {
    const d = ev.target.data();
    if (d.kind === "Group") onGroup(d.viewNode);
    else location.hash = recordHref(d.kind, d.key).slice(1);
  });
  cy.on("mouseover", "edge", (ev) => { ev.target.addClass("hover"); showTip(ev, edgeText(ev.target.data())); });
  cy.on("mouseover", "node.held", (ev) => { const d = ev.target.data();
    showTip(ev, d.kind === "Group" ? `${fmt(d.held)} on recall hold` : `On recall hold: ${d.holds.join(", ")}`); });
  cy.on("mouseout", "node.held", hideTip);
  cy.on("mouseout", "edge", (ev) => { ev.target.removeClass("hover"); hideTip(); });
  window.tg.graphs[name] = cy;
  return cy;
}

function highlightChain(cy, chain) {
  // a record hidden in a collapsed layer is shown by that layer's group
  const shown = (end) => {
    const id = `${end.__typename}:${end.id}`;
    if (cy.getElementById(id).nonempty()) return [id];
    return cy.nodes(".group").filter((group) => group.data("viewNode").member_kind === end.__typename)
      .map((group) => group.id());
  };
  cy.elements().removeClass("chain").addClass("faded");
  let marked = cy.collection();
  for (const link of chain) {
    const sources = shown(link.from);
    const targets = shown(link.to);
    marked = marked.union(cy.nodes().filter((n) => sources.includes(n.id()) || targets.includes(n.id())));
    marked = marked.union(cy.edges().filter((e) => e.data("rel") === link.rel
      && sources.includes(e.data("source")) && targets.includes(e.data("target"))));
  }
  marked.removeClass("faded").addClass("chain");
  cy.fit(marked, 40);  // zoom to the chain: a big scope is unreadable at full extent
}

// ------------------------------------------------------------------------------------ recall scope
async function showRecall(lots) {
  const input = el("input", { id: "recall-lots", value: lots.join(", "), size: 50, placeholder: "e.g. RL-0000001, SL-0000002" });
  const form = el("form", { id: "recall-form", onsubmit: (ev) => { ev.preventDefault();
    location.hash = recallHash(splitLots(input.value)); } },
  el("label", { for: "recall-lots" }, "Trigger lots: "), input, " ", el("button", { class: "primary", type: "submit" }, "Scope recall"));
  if (!lots.length) { show(el("h1", {}, "Recall scope"), form); return; }
  const scoping = el("section", {}, el("p", { class: "muted" }, "Scoping…"));
  show(el("h1", {}, `Recall scope from ${lots.join(", ")}`), form, scoping);
  // The scope is computed (and audited) once for this page: its tables page in the browser, and an
  // explanation comes from the forward trace of the same lots, which is the scope's trace.
  let data = null;
  await guarded(async () => {
    data = await gql(`query($t: RecallTriggerInput!) { recallScope(trigger: $t) {
      trace { counts { lots serials containers shipments customers } }
      byCustomer { customerId lots serials shipments }
      allAffected { item { __typename id } status customerIds } } }`, { t: { lots } });
  }, scoping);
  if (!data) return;  // the error is below the form, which stays to correct the lots
  const scope = data.recallScope;
  const graphArea = el("section", { id: "recall-trace" });
  const chainBox = el("div", { id: "chain", "aria-live": "polite" });  // read out when an explanation appears
  let cy = null;
  const explain = async (kind, id, row) => {
    main().querySelectorAll("tr.selected").forEach((r) => r.classList.remove("selected"));
    row.classList.add("selected");
    const { forwardTrace: r } = await gql(`query($s: TraceStartInput!, $k: RecordKind!, $id: ID!) {
      forwardTrace(start: $s) { explain(kind: $k, id: $id) { rel from { __typename id } to { __typename id } } } }`,
    { s: { lots }, k: kind, id });
    chainBox.replaceChildren(el("h2", {}, `Why ${kind} ${id} is in scope`), el("ol", { class: "chain" },
      r.explain.map((l) => el("li", {}, `${l.from.__typename} ${l.from.id} —${l.rel}→ ${l.to.__typename} ${l.to.id}`))));
    if (cy) highlightChain(cy, r.explain);
  };
  const c = scope.trace.counts;
  const customers = el("table", { id: "recall-customers" },
    el("tr", {}, ["customer", "serials", "lots", "shipments", ""].map((h) => el("th", { class: h && h !== "customer" ? "num" : "" }, h))),
    scope.byCustomer.map((row) => {
      const tr = el("tr", { "data-customer": row.customerId });
      tr.append(el("td", {}, recordLink("Customer", row.customerId)), el("td", { class: "num" }, fmt(row.serials)),
        el("td", { class: "num" }, fmt(row.lots)), el("td", { class: "num" }, fmt(row.shipments)),
        el("td", {}, explainButton("Customer", row.customerId, () => guarded(() => explain("Customer", row.customerId, tr)))));
      return tr;
    }));
  show(el("h1", {}, `Recall scope from ${lots.join(", ")}`), form,
    el("div", { class: "cards", id: "recall-counts" }, ["lots", "serials", "containers", "shipments", "customers"].map((k) =>
      el("div", { class: "card", "data-count": k }, el("div", { class: "kpi" }, fmt(c[k])), el("div", { class: "muted" }, `affected ${k}`)))),
    graphArea,
    el("div", { class: "split" }, el("section", {}, el("h2", {}, `Affected customers (${fmt(scope.byCustomer.length)})`), customers),
      el("section", {}, chainBox, el("div", { id: "affected" }))));
  const affected = main().querySelector("#affected");
  guarded(() => pageAffected(affected, scope.allAffected, explain), affected);
  await guarded(() => drawTrace(graphArea, { lots }, "forward", [], (drawn) => { cy = drawn; }), graphArea);
}

// One per row: its accessible name says which record, so a screen reader's list of buttons is not 70 "Explain"s.
const explainButton = (kind, id, onclick) => el("button", { type: "button", onclick,
  "aria-label": `Explain why ${kind} ${id} is in scope` }, "Explain");

// The scope's affected items, read with the page, through the page's pageList: a page is a slice of
// them and its cursor the position after its last, so paging never computes the scope again.
function pageAffected(area, items, explain) {
  const slice = (after) => {
    const start = after ? Number(after) : 0;
    const nodes = items.slice(start, start + PAGE);
    return { totalCount: items.length, nodes,
      pageInfo: { hasNextPage: start + PAGE < items.length, endCursor: String(start + nodes.length) } };
  };
  return pageList(area, { id: "affected-items", first: slice(null), fetch: async (after) => slice(after),
    title: () => `Affected lots and serials (${fmt(items.length)})`, head: ["item", "status", "customers", ""],
    row: (w) => {
      const tr = el("tr", {});
      tr.append(el("td", {}, `${w.item.__typename} `, recordLink(w.item.__typename, w.item.id)), el("td", {}, w.status.toLowerCase()),
        el("td", {}, w.customerIds.join(", ")),
        el("td", {}, explainButton(w.item.__typename, w.item.id, () => guarded(() => explain(w.item.__typename, w.item.id, tr)))));
      return tr;
    } });
}

// ----------------------------------------------------------------------------------- data quality
const FINDING = "detail records { kind id } source { file row field }";
async function showQuality() {
  show(el("h1", {}, "Data quality"), el("p", { class: "muted" }, "Checking the whole graph…"));
  const { quality: q } = await gql(`{ quality {
    traceCoverage { shippedSerials covered share target meetsTarget }
    checks { check description findings itemsConnection(first: ${PAGE}) { ${listFields(FINDING)} } }
    supplierCompliance { supplierId consumedLots failedLots shareFailed }
    completeness { kind field required records filled fillRate invalid rejected } } }`);
  const cov = q.traceCoverage;
  const total = q.checks.reduce((n, c) => n + c.findings, 0);
  const failing = q.supplierCompliance.filter((s) => s.failedLots > 0);
  // each KPI's words link to what is behind it, when there is something (a check without findings has no section)
  const kpi = (id, ok, value, words, section) => el("div", { class: "card", id },
    el("div", { class: `kpi ${ok ? "ok" : "bad"}` }, value),
    el("div", { class: "muted" }, section ? el("a", { href: `#${section}` }, words) : words));
  const cards = el("div", { class: "cards", id: "kpis" },
    kpi("kpi-coverage", cov.meetsTarget, pct(cov.share), `trace coverage: ${fmt(cov.covered)} of ${fmt(cov.shippedSerials)} `
      + `shipped serials reach supplier lots (target > ${pct(cov.target)})`,
    cov.covered < cov.shippedSerials && "check-unsourced_shipped_serial"),
    kpi("kpi-findings", !total, fmt(total), "findings to fix", total && "checks"),
    kpi("kpi-suppliers", !failing.length, fmt(failing.length), "suppliers with failed lots consumed",
      failing.length && "check-failed_lot_consumed"));
  const checks = el("table", { id: "checks" }, el("tr", {}, el("th", {}, "check"), el("th", { class: "num" }, "findings"), el("th", {}, "what it finds")),
    q.checks.map((c) => el("tr", { "data-check": c.check }, el("td", {}, el("a", { href: `#check-${c.check}` }, c.check)),
      el("td", { class: "num" }, fmt(c.findings)), el("td", { class: "muted" }, c.description))));
  const suppliers = el("table", { id: "suppliers" },
    el("tr", {}, ["supplier", "consumed lots", "with failed inspection", "share"].map((h, i) => el("th", { class: i ? "num" : "" }, h))),
    [...q.supplierCompliance].filter((s) => s.consumedLots > 0)
      .sort((a, b) => b.shareFailed - a.shareFailed || a.supplierId.localeCompare(b.supplierId))
      .map((s) => el("tr", {}, el("td", {}, recordLink("Supplier", s.supplierId)), el("td", { class: "num" }, fmt(s.consumedLots)),
        el("td", { class: "num" }, fmt(s.failedLots)), el("td", { class: "num" }, pct(s.shareFailed)))));
  const completeness = el("table", { id: "completeness" },
    el("tr", {}, ["kind", "field", "required", "filled", "records", "fill rate", "invalid", "rejected"].map((h, i) => el("th", { class: i > 2 ? "num" : "" }, h))),
    q.completeness.map((c) => el("tr", {}, el("td", {}, c.kind), el("td", {}, c.field), el("td", {}, c.required ? "yes" : ""),
      el("td", { class: "num" }, fmt(c.filled)), el("td", { class: "num" }, fmt(c.records)),
      el("td", { class: "num" }, el("span", { class: "bar", style: `width:${Math.round(40 * c.fillRate)}px` }), " ", pct(c.fillRate)),
      el("td", { class: `num ${c.invalid ? "error" : ""}` }, fmt(c.invalid)),
      el("td", { class: `num ${c.rejected ? "error" : ""}` }, fmt(c.rejected)))));
  const findings = q.checks.filter((c) => c.findings).map((c) => pageFindings(c));
  show(el("h1", {}, "Data quality"), cards, el("h2", {}, "Checks"), checks,
    el("div", { class: "split" }, el("section", {}, el("h2", {}, "Supplier compliance"), suppliers),
      el("section", {}, el("h2", {}, "Completeness against the data dictionary"), completeness)),
    el("h2", {}, "Findings"), findings);
  // a link to one check's findings (/quality#check-…) lands on them once they are drawn
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) target.scrollIntoView();
}

// One check's findings, a page at a time: the first page came with the dashboard's query, so drawing it
// assesses nothing again; each later page is the same check's findingsConnection, which lists its findings
// in the order and with the cursors of itemsConnection (from the report the server keeps until the store is written).
function pageFindings(c) {
  const section = el("section", { id: `check-${c.check}` });
  guarded(() => pageList(section, { id: `findings-${c.check}`, first: c.itemsConnection,
    title: (conn) => `${c.check} (${fmt(conn.totalCount)})`, intro: el("p", { class: "muted" }, c.description),
    head: ["finding", "records behind it"],
    row: (f) => el("tr", {}, el("td", {}, f.detail),
      // a record a load rejected is not in the graph: point at the source row to fix instead
      el("td", {}, f.source ? el("span", { class: "source-row" }, `${f.source.file} row ${f.source.row}, field ${f.source.field} (not loaded)`)
        : f.records.map((r, i) => [i ? ", " : "", `${r.kind} `, recordLink(r.kind, r.id)]))),
    fetch: async (after) => (await gql(`query($c: String!, $after: String) { quality {
      findingsConnection(check: $c, first: ${PAGE}, after: $after) { ${listFields(FINDING)} } } }`,
    { c: c.check, after })).quality.findingsConnection }, []), section);
  return section;
}

// ------------------------------------------------------------------------------------------- start
document.getElementById("search").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const text = document.getElementById("q").value.trim();
  if (!text) return;
  const target = `/#/search/${encodeURIComponent(text)}`;
  if (location.pathname !== "/") location.assign(target); else location.hash = target.slice(1);
});
document.getElementById("logout").addEventListener("click", () => { sessionStorage.removeItem(KEY); showLogin(); });
// On the quality page a hash is an anchor to one check's findings (the browser scrolls to it), not a route.
window.addEventListener("hashchange", () => { if (location.pathname !== "/quality") route(); });
if (sessionStorage.getItem(KEY)) guarded(async () => { await whoAmI(); route(); }); else showLogin();
