// Winnow review workspace. Plain JavaScript modules, no build step, no
// third-party code. Everything the server sends is put into the page with
// textContent or attributes, never as HTML.
//
// The queue is a virtualised grid of tiles (one per distinct content):
// only the rows in view exist in the page, and only their thumbnails are
// requested. Tiles are fetched from /api/v1/review/tiles a page at a time.


const $ = (id) => document.getElementById(id);
const PAGE = 200;
const GAP = 6;
const FILTERS = ["lane", "state", "category", "case", "exhibit", "path", "kind", "gps", "make", "model", "serial", "device",
  "from", "to", "min_size", "max_size", "series", "group", "sort", "desc"];
const DEFAULTS = { lane: "new", state: "todo", sort: "priority" };

const state = {
  user: null,
  csrf: "",
  config: null,
  settings: null,
  exposure: { today: 0, since_break: 0, break_due: false },
  snoozeUntil: 0,
  view: "login",
  query: {}, // the filters in force
  total: 0, // tiles in the view (grows as pages arrive when not counted yet)
  counted: false,
  pages: new Map(), // page number -> tiles, or a promise while loading
  generation: 0, // bumped by every new view, so late pages are dropped
  cur: 0, // focused tile index
  anchor: 0, // where a range selection starts
  sel: new Map(), // member id -> {sha256, group_id}
  revealed: new Set(), // member ids shown unblurred now
  counted_reveals: new Set(), // member ids whose reveal was counted
  held: [], // group ids the user holds, oldest first
  undo: [], // [{group, members: [sha256]}], newest last
  form: { group: 0 }, // the group the decision form's text was written for
  lastText: null, // the text of the last decision, for "=" (carry over)
  panelItem: 0,
  panelTimer: 0,
  heartbeat: 0,
  modal: null, // {id, resolve} while a dialog holds the keyboard
};

// api calls the JSON API with the session cookie; state-changing requests
// carry the CSRF token.
async function api(method, path, body) {
  const opt = { method, headers: {}, credentials: "same-origin" };
  if (method !== "GET") opt.headers["X-CSRF-Token"] = state.csrf;
  if (body !== undefined) {
    opt.headers["Content-Type"] = "application/json";
    opt.body = JSON.stringify(body);
  }
  const r = await fetch(path, opt);
  if (r.status === 204) return null;
  const j = await r.json().catch(() => ({}));
  if (!r.ok) {
    const e = new Error((j.error && j.error.message) || r.statusText);
    e.status = r.status;
    e.code = j.error && j.error.code;
    throw e;
  }
  return j;
}

function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

function say(msg) {
  $("status").textContent = msg;
}

function show(view) {
  state.view = view;
  $("login").hidden = view !== "login";
  $("workspace").hidden = view !== "workspace";
  for (const id of ["logout", "settings-open", "help-open"]) $(id).hidden = view === "login";
}

// --- wellness --------------------------------------------------------------

function applySettings() {
  const s = state.settings;
  const root = document.documentElement.style;
  root.setProperty("--blur", s.blur + "px");
  root.setProperty("--gray", s.grayscale ? "1" : "0");
}

function renderExposure(e) {
  state.exposure = e;
  $("exposure").textContent = `revealed today ${e.today} · since break ${e.since_break}`;
}

// exposureCall asks the server about exposure; only the answer to the
// latest call is shown (two reveals in quick succession answer out of
// order).
let exposureSeq = 0;
async function exposureCall(method, path, body) {
  const seq = ++exposureSeq;
  const e = await api(method, path, body);
  if (seq === exposureSeq) renderExposure(e);
  return e;
}

// breakDue reports whether the next reveal would cross the break limit
// (or the time limit has passed), unless the user said "later".
function breakDue() {
  const s = state.settings, e = state.exposure;
  const byCount = s.break_every > 0 && e.since_break + 1 > s.break_every;
  return (byCount || e.break_due) && e.since_break >= state.snoozeUntil;
}

// mayReveal shows the break reminder before a reveal that would cross the
// limit; the reveal happens only once the reminder is answered.
async function mayReveal() {
  if (!breakDue()) return true;
  const s = state.settings;
  $("break-text").textContent =
    `You revealed ${state.exposure.since_break} items since your last break` +
    (s.break_every ? ` (a reminder every ${s.break_every} items` + (s.break_minutes ? ` or ${s.break_minutes} minutes).` : ").") : ".");
  const answer = await openModal("break", "break-taken");
  if (answer === "taken") {
    await exposureCall("POST", "/api/v1/me/exposure/break");
    state.snoozeUntil = 0;
  } else {
    state.snoozeUntil = state.exposure.since_break + 10;
  }
  return true;
}

// countReveal counts a member's first reveal in this session (one reveal
// counts once, however often the tile is toggled).
async function countReveal(memberId, itemId) {
  if (state.counted_reveals.has(memberId)) return;
  state.counted_reveals.add(memberId);
  try {
    await exposureCall("POST", "/api/v1/me/exposure", { revealed: 1, item_id: itemId });
  } catch (e) {
    /* counting must not block work */
  }
}

async function setRevealed(t, on) {
  if (!t) return;
  if (on && !state.revealed.has(t.member_id)) {
    if (!state.counted_reveals.has(t.member_id) && !(await mayReveal())) return;
    state.revealed.add(t.member_id);
    await countReveal(t.member_id, t.item.item_id);
  } else if (!on) {
    state.revealed.delete(t.member_id);
  }
  renderGrid();
  if (state.panelItem === t.item.item_id) renderPanelMedia(t);
}

// --- dialogs ---------------------------------------------------------------

// openModal shows a dialog that holds the keyboard until it is answered;
// it resolves with the answer ("ok", "taken", "later", "cancel"...).
function openModal(id, focus) {
  return new Promise((resolve) => {
    state.modal = { id, resolve };
    $(id).hidden = false;
    $(focus).focus();
  });
}

function closeModal(answer) {
  const m = state.modal;
  if (!m) return;
  state.modal = null;
  $(m.id).hidden = true;
  m.resolve(answer);
  $("grid").focus();
}

$("break-taken").addEventListener("click", () => closeModal("taken"));
$("break-later").addEventListener("click", () => closeModal("later"));
$("confirm-ok").addEventListener("click", () => closeModal("ok"));
$("confirm-cancel").addEventListener("click", () => closeModal("cancel"));
$("help-close").addEventListener("click", () => closeModal("close"));
$("settings-close").addEventListener("click", () => closeModal("close"));
$("overturn-cancel").addEventListener("click", () => closeModal("cancel"));
$("help-open").addEventListener("click", () => openModal("help", "help-close"));

// --- login -----------------------------------------------------------------

// boot asks for everything the first screen needs at once: the
// configuration, the user's settings and exposure, and the first page.
function boot() {
  readURL();
  const gen = ++state.generation;
  state.pages = new Map();
  const first = loadPage(0, gen);
  const rest = Promise.all([api("GET", "/api/v1/review/config"), api("GET", "/api/v1/me/settings"), api("GET", "/api/v1/me/exposure")]);
  first.catch(() => {});
  rest.catch(() => {});
  return { gen, first, rest };
}

async function start() {
  const session = api("GET", "/api/v1/session");
  const b = boot(); // in parallel with the session check: one round trip
  let s;
  try {
    s = await session;
  } catch (e) {
    show("login");
    $("login-name").focus();
    return;
  }
  await loggedIn(s, b);
}

async function loggedIn(s, b = boot()) {
  state.user = s.user;
  state.csrf = s.csrf_token || "";
  $("who").textContent = `${s.user.name} (${s.user.role})`;
  const { gen, first } = b;
  const [config, settings, exposure] = await b.rest;
  state.config = config;
  state.settings = settings;
  applySettings();
  renderExposure(exposure);
  renderHelp();
  renderCategories();
  const adj = canAdjudicate();
  if (adj) $("f-lane").append(el("option", { value: "adjudication", text: "adjudication" }));
  $("tile-size").value = localStorage.getItem("winnow-tile") || 160;
  applyTileSize();
  show("workspace");
  renderLanes();
  await openView(gen, first);
  $("grid").focus();
}

function canAdjudicate() {
  return ["admin", "adjudicator"].includes(state.user.role);
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("login-error").textContent = "";
  try {
    const s = await api("POST", "/api/v1/login", { name: $("login-name").value, password: $("login-password").value });
    $("login-password").value = "";
    await loggedIn(s);
  } catch (e) {
    $("login-error").textContent = e.message;
  }
});

$("logout").addEventListener("click", async () => {
  await releaseAll();
  await api("POST", "/api/v1/logout").catch(() => {});
  state.user = null;
  state.csrf = "";
  show("login");
});

// --- the view: filters and the URL --------------------------------------------

function readURL() {
  const p = new URLSearchParams(location.search);
  state.query = {};
  for (const k of FILTERS) {
    const v = p.has(k) ? p.get(k) : DEFAULTS[k] || "";
    if (v) state.query[k] = v;
  }
  for (const k of FILTERS) {
    const f = $("f-" + k);
    if (f.type === "checkbox") f.checked = state.query[k] === "1";
    else f.value = state.query[k] || "";
  }
}

function readFilters() {
  const q = {};
  for (const k of FILTERS) {
    const f = $("f-" + k);
    const v = f.type === "checkbox" ? (f.checked ? "1" : "") : f.value.trim();
    if (v) q[k] = v;
  }
  return q;
}

// writeURL puts the view in the address bar, so a colleague can open it.
function writeURL() {
  const p = new URLSearchParams();
  for (const k of FILTERS) {
    const v = state.query[k];
    if (v !== undefined && v !== (DEFAULTS[k] || "")) p.set(k, v);
  }
  if (state.query.lane === undefined) p.set("lane", "");
  if (state.query.state === undefined) p.set("state", "");
  const qs = p.toString();
  history.replaceState(null, "", "/ui/" + (qs ? "?" + qs : ""));
}

$("filters").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  state.query = readFilters();
  writeURL();
  renderLanes();
  await openView();
  $("grid").focus();
});
$("f-clear").addEventListener("click", async () => {
  history.replaceState(null, "", "/ui/");
  readURL();
  await openView();
});

function tileQuery(offset, limit, count, after) {
  const p = new URLSearchParams(state.query);
  if (after) p.set("after", after);
  else p.set("offset", offset);
  p.set("limit", limit);
  if (count) p.set("count", "1");
  return "/api/v1/review/tiles?" + p.toString();
}

// renderLanes shows the lanes; the view's count says how many wait.
function renderLanes() {
  const nav = $("lanes");
  nav.replaceChildren();
  for (const l of canAdjudicate() ? ["new", "variant", "adjudication"] : ["new", "variant"]) {
    const b = el("button", { type: "button", text: l, "data-lane": l });
    b.setAttribute("aria-current", String(l === state.query.lane));
    b.addEventListener("click", () => openLane(l));
    nav.append(b);
  }
}

async function openLane(lane) {
  $("f-lane").value = lane;
  $("f-state").value = "todo";
  state.query = readFilters();
  writeURL();
  renderLanes();
  await openView();
}

// openView starts the view afresh: the first page first (the screen shows
// as soon as it arrives), the count after it.
async function openView(gen = ++state.generation, firstPage = null) {
  if (!firstPage) state.pages = new Map();
  state.total = 0;
  state.counted = false;
  state.cur = 0;
  state.anchor = 0;
  state.sel.clear();
  $("grid").scrollTop = 0;
  $("view-title").textContent = viewTitle();
  say("");
  const first = await (firstPage || loadPage(0, gen));
  if (gen !== state.generation) return;
  if (first.length < PAGE) {
    state.total = first.length;
    state.counted = true;
  } else {
    state.total = Math.max(state.total, PAGE * 2);
    api("GET", tileQuery(0, 1, true)).then((r) => {
      if (gen !== state.generation) return;
      state.total = r.total;
      state.counted = true;
      renderGrid();
    }).catch((e) => say(e.message));
  }
  renderGrid();
  focusTile(0);
}

function viewTitle() {
  const q = state.query;
  const parts = [q.lane ? `lane ${q.lane}` : "all lanes", q.state ? `state ${q.state}` : "any state"];
  for (const k of ["case", "exhibit", "device", "serial", "path", "group"]) if (q[k]) parts.push(`${k} ${q[k]}`);
  return parts.join(" · ") + ` · by ${q.sort || "priority"}`;
}

// loadPage fetches page n of the view (once).
function loadPage(n, gen = state.generation) {
  const have = state.pages.get(n);
  if (have) return Promise.resolve(have);
  // After the previous page's last tile when it is here (decisions made
  // since do not shift this page); by offset after a jump.
  const prev = state.pages.get(n - 1);
  const after = Array.isArray(prev) && prev.length === PAGE ? prev[PAGE - 1].cursor : "";
  const p = api("GET", tileQuery(n * PAGE, PAGE, false, after)).then((r) => {
    if (gen !== state.generation) return [];
    state.pages.set(n, r.tiles);
    if (!state.counted) state.total = Math.max(state.total, n * PAGE + r.tiles.length + (r.tiles.length === PAGE ? PAGE : 0));
    renderGrid();
    return r.tiles;
  }, (e) => {
    if (state.pages.get(n) === p) state.pages.delete(n);
    throw e;
  });
  state.pages.set(n, p);
  return p;
}

function tileAt(i) {
  const p = state.pages.get(Math.floor(i / PAGE));
  return Array.isArray(p) ? p[i % PAGE] : undefined;
}

// --- the grid ----------------------------------------------------------------

function applyTileSize() {
  const v = Number($("tile-size").value) || 160;
  document.documentElement.style.setProperty("--tile", v + "px");
  localStorage.setItem("winnow-tile", v);
  renderGrid();
}
$("tile-size").addEventListener("input", applyTileSize);

function geometry() {
  const g = $("grid");
  const side = Number($("tile-size").value) || 160;
  const cw = side + GAP;
  const cols = Math.max(1, Math.floor((g.clientWidth - GAP) / cw));
  return { g, side, cw, rh: side + GAP, cols };
}

let rendering = 0;
function renderGrid() {
  if (!rendering) rendering = requestAnimationFrame(drawGrid);
}
// Thumbnails load once the view has settled (no scrolling for 100 ms):
// tiles that only fly past while scrolling request nothing.
let lastScroll = 0, settleTimer = 0;
$("grid").addEventListener("scroll", () => {
  lastScroll = performance.now();
  renderGrid();
}, { passive: true });

// drawnTop is the scroll position drawGrid last laid the tiles out for.
let drawnTop = -1;
function loadImages() {
  // A move the scroll handler has not seen yet (a jump, then this timer
  // before the scroll event) counts as scrolling: the tiles in the page
  // are no longer the ones in view.
  if ($("grid").scrollTop !== drawnTop) {
    lastScroll = performance.now();
    renderGrid();
  }
  const wait = 100 - (performance.now() - lastScroll);
  clearTimeout(settleTimer);
  if (wait > 0) {
    settleTimer = setTimeout(loadImages, wait);
    return;
  }
  for (const img of $("grid-inner").querySelectorAll("img[data-src]")) {
    img.src = img.dataset.src;
    img.removeAttribute("data-src");
  }
}
window.addEventListener("resize", renderGrid);

// drawGrid puts exactly the rows in view into the page; rows out of view
// are removed with their images, so nothing off-screen is requested.
function drawGrid() {
  rendering = 0;
  drawnTop = $("grid").scrollTop;
  if (state.view !== "workspace") return;
  const { g, side, cw, rh, cols } = geometry();
  const rows = Math.ceil(state.total / cols);
  const inner = $("grid-inner");
  inner.style.height = rows * rh + "px";
  $("grid-empty").hidden = state.total > 0 || state.pages.size === 0 || !state.counted;
  $("count").textContent = `${state.counted ? state.total : state.total + "+"} item(s)`;
  $("selcount").textContent = state.sel.size ? `${state.sel.size} selected` : "";
  const r0 = Math.floor(g.scrollTop / rh);
  const r1 = Math.min(rows - 1, Math.floor((g.scrollTop + g.clientHeight - 1) / rh));
  const first = r0 * cols, last = Math.min(state.total - 1, (r1 + 1) * cols - 1);
  const keep = new Set();
  for (let i = first; i <= last; i++) keep.add(i);
  for (const node of [...inner.children]) {
    const i = Number(node.dataset.index);
    if (!keep.has(i) || node.dataset.side !== String(side)) node.remove();
  }
  const have = new Map([...inner.children].map((n) => [Number(n.dataset.index), n]));
  for (let i = first; i <= last; i++) {
    const t = tileAt(i);
    if (!t) loadPage(Math.floor(i / PAGE));
    const node = tileNode(i, t, have.get(i), side);
    node.style.top = Math.floor(i / cols) * rh + "px";
    node.style.left = (i % cols) * cw + GAP / 2 + "px";
    if (!node.parentNode) inner.append(node);
  }
  const f = tileAt(state.cur);
  $("grid").setAttribute("aria-activedescendant", f ? "tile-" + state.cur : "");
  if (f && !performance.getEntriesByName("winnow-first-screen").length) performance.mark("winnow-first-screen");
  loadImages();
}

function statusText(t) {
  if (t.decision) return `confirmed ${t.decision}`;
  if (t.my_vote) return `voted ${t.my_vote}`;
  if (t.status !== "pending") return t.status;
  return t.lane === "variant" && t.suggested ? `variant · suggested ${t.suggested}` : t.lane;
}

function pathOf(ref) {
  return ref.path + (ref.inner_path ? " ! " + ref.inner_path : "");
}

// tileNode makes (or updates) the tile of index i.
function tileNode(i, t, node, side) {
  const key = t ? `${t.member_id}|${t.status}|${t.my_vote}|${t.decision}` : "empty";
  const cls = ["tile"];
  if (!t) cls.push("placeholder");
  else {
    if (i === state.cur) cls.push("focus");
    if (state.sel.has(t.member_id)) cls.push("selected");
    if (t.my_vote || t.decision || t.status !== "pending") cls.push("done");
    if (state.revealed.has(t.member_id)) cls.push("revealed");
    const prev = tileAt(i - 1);
    if (!prev || prev.group_id !== t.group_id) cls.push("groupstart");
  }
  if (node && node.dataset.key === key) {
    node.className = cls.join(" ");
    node.setAttribute("aria-selected", String(cls.includes("selected")));
    return node;
  }
  if (node) node.remove();
  node = el("div", { class: cls.join(" "), id: "tile-" + i, role: "option", "data-index": i, "aria-selected": String(cls.includes("selected")) });
  node.dataset.key = key;
  node.dataset.side = String(side);
  if (!t) {
    node.append(el("div", { class: "pic" }), el("div", { class: "meta", text: "loading…" }));
    return node;
  }
  node.dataset.member = t.member_id;
  node.dataset.group = t.group_id;
  node.dataset.sha256 = t.sha256;
  node.setAttribute("aria-label", `${t.item.case}/${t.item.exhibit}/${pathOf(t.item)} — ${statusText(t)}`);
  const img = el("img", { class: "pic veil", alt: "", decoding: "async", draggable: false, "data-src": t.thumbnail });
  img.addEventListener("error", () => img.removeAttribute("src"), { once: true });
  const badge = `${t.kind === "video" ? "▶ video · " : ""}${t.lane}${t.items > 1 ? " ×" + t.items : ""} · g${t.group_id}`;
  node.append(img, el("span", { class: "badge", text: badge }));
  if (t.decision || t.my_vote) node.append(el("span", { class: "cat", text: t.decision || t.my_vote }));
  node.append(
    el("div", { class: "meta", text: `${t.item.case}/${t.item.exhibit}`, title: `${t.item.case}/${t.item.exhibit}` }),
    el("div", { class: "meta", text: pathOf(t.item), title: pathOf(t.item) }),
  );
  node.addEventListener("mousedown", (ev) => clickTile(i, ev));
  if (state.settings.reveal_mode === "hold") {
    img.addEventListener("mousedown", () => setRevealed(tileAt(i), true));
    img.addEventListener("mouseup", () => setRevealed(tileAt(i), false));
    img.addEventListener("mouseleave", () => setRevealed(tileAt(i), false));
  } else {
    img.addEventListener("dblclick", () => setRevealed(tileAt(i), !state.revealed.has(t.member_id)));
  }
  return node;
}

function clickTile(i, ev) {
  const t = tileAt(i);
  if (!t) return;
  if (ev.shiftKey) selectRange(state.anchor, i);
  else if (ev.ctrlKey || ev.metaKey) toggleSel(t);
  else {
    state.sel.clear();
    state.anchor = i;
  }
  focusTile(i);
}

// focusTile moves the focus, scrolls it into view, resets the decision
// form when the focus enters another group, and updates the item panel.
function focusTile(i) {
  if (state.total === 0) {
    renderGrid();
    showPanel(null);
    return;
  }
  state.cur = Math.max(0, Math.min(state.total - 1, i));
  const { g, rh, cols } = geometry();
  const top = Math.floor(state.cur / cols) * rh;
  if (top < g.scrollTop) g.scrollTop = top;
  else if (top + rh > g.scrollTop + g.clientHeight) g.scrollTop = top + rh - g.clientHeight;
  const t = tileAt(state.cur);
  if (t) {
    formFor(t);
    clearTimeout(state.panelTimer);
    state.panelTimer = setTimeout(() => showPanel(t), 120);
    updateExport(t);
  } else {
    loadPage(Math.floor(state.cur / PAGE)).then(() => tileAt(state.cur) && focusTile(state.cur));
  }
  renderGrid();
}

function toggleSel(t) {
  if (state.sel.has(t.member_id)) state.sel.delete(t.member_id);
  else state.sel.set(t.member_id, { sha256: t.sha256, group_id: t.group_id, index: -1 });
}

function selectRange(a, b) {
  const [lo, hi] = a < b ? [a, b] : [b, a];
  for (let i = lo; i <= hi; i++) {
    const t = tileAt(i);
    if (t) state.sel.set(t.member_id, { sha256: t.sha256, group_id: t.group_id });
  }
}

// selectGroup selects every tile of the focused tile's group in this view
// (asking the server, so tiles not loaded yet count too).
async function selectGroup() {
  const t = tileAt(state.cur);
  if (!t) return;
  const q = new URLSearchParams(state.query);
  q.set("group", t.group_id);
  q.set("limit", "1000");
  q.set("offset", "0");
  const r = await api("GET", "/api/v1/review/tiles?" + q.toString());
  for (const x of r.tiles) state.sel.set(x.member_id, { sha256: x.sha256, group_id: x.group_id });
  say(`selected ${r.tiles.length} item(s) of group ${t.group_id}`);
  renderGrid();
}

// selectScreen selects the tiles in view.
function selectScreen() {
  for (const n of $("grid-inner").children) {
    const t = tileAt(Number(n.dataset.index));
    if (t) state.sel.set(t.member_id, { sha256: t.sha256, group_id: t.group_id });
  }
  renderGrid();
}

function moveFocus(d, extend) {
  const to = Math.max(0, Math.min(state.total - 1, state.cur + d));
  if (extend) {
    state.sel.clear();
    selectRange(state.anchor, to);
  } else state.anchor = to;
  focusTile(to);
}

// --- decisions ---------------------------------------------------------------

function renderCategories() {
  const box = $("categories");
  box.replaceChildren();
  const { keys, labels, scheme } = state.config;
  for (const k of Object.keys(keys).sort()) {
    const code = keys[k];
    const b = el("button", { type: "button", "data-category": `${scheme}:${code}`, "aria-keyshortcuts": k }, el("kbd", { text: k }), `${code} ${labels[code] || ""}`);
    b.addEventListener("click", () => decide(code));
    box.append(b);
  }
}

const FLAGS = ["victim_lead", "offender_visible", "self_generated", "age_difficult"];

function readText() {
  const flags = {};
  for (const k of FLAGS) flags[k] = $("flag-" + k).checked;
  return {
    series: $("series").value.trim(),
    flags,
    tags: $("tags").value.split(",").map((t) => t.trim()).filter(Boolean),
    notes: $("notes").value,
  };
}

function hasText(t) {
  return t.series !== "" || t.tags.length > 0 || t.notes !== "" || FLAGS.some((k) => t.flags[k]);
}

function fillText(t) {
  $("series").value = t ? t.series : "";
  $("tags").value = t ? t.tags.join(", ") : "";
  $("notes").value = t ? t.notes : "";
  for (const k of FLAGS) $("flag-" + k).checked = !!(t && t.flags[k]);
}

// formFor keeps the decision form with the group it was written for: when
// the focus enters another group the form is cleared ("=" brings the last
// decision's text back on purpose).
function formFor(t) {
  if (state.form.group !== t.group_id) {
    fillText(null);
    state.form.group = t.group_id;
  }
  $("form-group").textContent = `form for group ${t.group_id}`;
  const sel = $("text-case");
  const cases = new Set([t.item.case]);
  if (state.query.case) cases.add(state.query.case);
  sel.replaceChildren(...[...cases].map((c) => el("option", { value: c, text: c })));
}

function targets() {
  if (state.sel.size) return [...state.sel.entries()].map(([id, s]) => ({ member_id: id, sha256: s.sha256, group_id: s.group_id }));
  const t = tileAt(state.cur);
  return t ? [t] : [];
}

// decide records the category (with the form's text) on the selection, or
// on the focused tile: one request per group, claiming it if free.
async function decide(code) {
  const adjudicate = state.query.lane === "adjudication";
  let ts = targets().filter((t) => {
    const x = findTile(t.member_id);
    return !x || adjudicate ? true : !x.my_vote && !x.decision && x.status === "pending";
  });
  if (!ts.length) {
    say("nothing here is waiting for your decision");
    return;
  }
  const text = readText();
  const cat = `${state.config.scheme}:${code}`;
  const groups = new Map();
  for (const t of ts) {
    if (!groups.has(t.group_id)) groups.set(t.group_id, []);
    groups.get(t.group_id).push(t.sha256);
  }
  if (ts.length > state.settings.confirm_over) {
    $("confirm-text").textContent = `Decide ${cat} (${state.config.labels[code] || ""}) on ${ts.length} item(s) in ${groups.size} group(s)` +
      (hasText(text) ? `, with series "${text.series}", tags "${text.tags.join(", ")}", notes for case ${$("text-case").value}` : ", without notes") + "?";
    if ((await openModal("confirm", "confirm-ok")) !== "ok") {
      say("cancelled");
      return;
    }
  }
  let n = 0, confirmed = 0, version = 0;
  const batch = [];
  state.undo.push(batch); // one key, one undo
  try {
    for (const [group, members] of groups) {
      const body = { category: code, members, claim: true, adjudicate };
      if (hasText(text)) Object.assign(body, text, { case: $("text-case").value });
      const r = await api("POST", `/api/v1/review/groups/${group}/decision`, body);
      batch.push({ group, members });
      hold();
      for (const o of r.outcomes) {
        const x = findTile(o.member_id);
        if (x) {
          x.my_vote = adjudicate ? x.my_vote : cat;
          x.status = o.status;
          if (o.status === "confirmed") x.decision = cat;
        }
        n++;
        if (o.status === "confirmed") confirmed++;
      }
      version = r.version || version;
    }
  } catch (e) {
    if (!batch.length && state.undo[state.undo.length - 1] === batch) state.undo.pop();
    say(e.message);
    renderGrid();
    return;
  }
  state.lastText = hasText(text) ? text : state.lastText;
  fillText(null);
  const last = Math.max(...ts.map((t) => indexOf(t.member_id)), state.cur);
  state.sel.clear();
  await advance(last);
  say(`decided ${cat} on ${n} item(s), ${confirmed} confirmed` + (version ? ` · promoted to ${state.config.local_set} v${version}` : "") + " · u undoes");
}

function findTile(memberId) {
  for (const p of state.pages.values()) {
    if (!Array.isArray(p)) continue;
    const t = p.find((x) => x.member_id === memberId);
    if (t) return t;
  }
  return undefined;
}

function indexOf(memberId) {
  for (const [n, p] of state.pages) {
    if (!Array.isArray(p)) continue;
    const k = p.findIndex((x) => x.member_id === memberId);
    if (k >= 0) return n * PAGE + k;
  }
  return -1;
}

// advance moves the focus to the next tile still waiting after index i.
async function advance(i) {
  for (let j = i + 1; j < state.total; j++) {
    let t = tileAt(j);
    if (!t) {
      await loadPage(Math.floor(j / PAGE));
      t = tileAt(j);
    }
    if (t && !t.my_vote && !t.decision && t.status === "pending") {
      state.anchor = j;
      focusTile(j);
      return;
    }
  }
  focusTile(Math.min(i, state.total - 1));
}

// hold keeps the groups of the last three decisions, so they can be
// undone; older groups are released (which ends their correction window).
function hold() {
  state.undo = state.undo.slice(-3);
  const keep = new Set(state.undo.flat().map((u) => u.group));
  for (const g of state.held) if (!keep.has(g)) api("POST", `/api/v1/review/groups/${g}/release`).catch(() => {});
  state.held = [...keep];
  if (!state.heartbeat) {
    const every = Math.max(5, Math.floor(state.config.lease_seconds / 3)) * 1000;
    state.heartbeat = setInterval(() => {
      for (const g of state.held) api("POST", `/api/v1/review/groups/${g}/heartbeat`).catch(() => {
        state.held = state.held.filter((x) => x !== g);
      });
    }, every);
  }
}

async function releaseAll() {
  const gs = state.held;
  state.held = [];
  state.undo = [];
  await Promise.all(gs.map((g) => api("POST", `/api/v1/review/groups/${g}/release`).catch(() => {})));
}

// undo takes back the last decision (every group it touched).
async function undo() {
  const batch = state.undo.pop();
  if (!batch || !batch.length) {
    say("nothing to undo (released groups cannot be undone)");
    return;
  }
  let n = 0, withdrawn = 0, version = 0, first = -1;
  try {
    for (const u of batch) {
      const r = await api("POST", `/api/v1/review/groups/${u.group}/undo`, { members: u.members });
      for (const o of r.outcomes) {
        const x = findTile(o.member_id);
        if (x) {
          x.my_vote = "";
          x.decision = "";
          x.status = o.status;
        }
        const i = indexOf(o.member_id);
        if (i >= 0 && (first < 0 || i < first)) first = i;
        n++;
      }
      withdrawn += r.withdrawn.length;
      version = r.version || version;
    }
  } catch (e) {
    say(e.message);
    renderGrid();
    return;
  }
  say(`undone on ${n} item(s)` + (withdrawn ? ` · ${withdrawn} withdrawn from the local set (v${version})` : ""));
  if (first >= 0) focusTile(first);
  else renderGrid();
}

// --- export ------------------------------------------------------------------

function updateExport(t) {
  const c = state.query.case || t.item.case;
  for (const [id, fmt] of [["export-vics", "vics"], ["export-csv", "csv"]]) {
    const a = $(id);
    a.href = `/api/v1/cases/${encodeURIComponent(c)}/review/export?format=${fmt}`;
    a.title = `Export the review decisions of case ${c}`;
    a.hidden = !["admin", "examiner", "adjudicator"].includes(state.user.role);
  }
}

// --- the item panel ----------------------------------------------------------

function row(t, k, v) {
  if (v === undefined || v === null || v === "") return;
  t.append(el("tr", {}, el("th", { text: k, scope: "row" }), el("td", { text: String(v) })));
}

function list(id, items, fmt) {
  const ul = $(id);
  ul.replaceChildren(...items.slice(0, 200).map((x) => el("li", {}, ...[].concat(fmt(x)))));
}

function renderPanelMedia(t) {
  const box = $("panel-media");
  box.replaceChildren();
  const revealed = state.revealed.has(t.member_id);
  // Before the reveal: the reduced thumbnail, veiled. After: a reduced
  // preview (never the original), grey while grayscale is on.
  const src = revealed && t.kind === "image" ? `/api/v1/items/${t.item.item_id}/preview` : t.thumbnail;
  const img = el("img", { class: "veil" + (revealed ? " revealed" : ""), alt: revealed ? "revealed preview" : "veiled thumbnail", src });
  box.append(img);
  $("panel-reveal").textContent = revealed ? "Hide (r)" : "Reveal (r)";
}

async function showPanel(t) {
  if (!t) {
    $("panel-body").hidden = true;
    $("panel-empty").hidden = false;
    return;
  }
  state.panelItem = t.item.item_id;
  let d;
  try {
    d = await api("GET", "/api/v1/review/items/" + t.item.item_id);
  } catch (e) {
    say(e.message);
    return;
  }
  if (state.panelItem !== t.item.item_id) return;
  $("panel-empty").hidden = true;
  $("panel-body").hidden = false;
  const it = d.item;
  $("panel-title").textContent = `${it.case}/${it.exhibit}/${pathOf(it)}`;
  renderPanelMedia(t);
  const m = d.member;
  $("overturn-open").hidden = !(canAdjudicate() && m && m.decision);
  $("overturn-open").dataset.member = m ? m.id : "";
  const tb = $("panel-exif");
  tb.replaceChildren();
  row(tb, "status", statusText(t) + (m && m.decision && m.decision.previous ? ` (overturned from ${m.decision.previous})` : ""));
  row(tb, "size", `${it.size} bytes · ${it.width}×${it.height} · ${it.mime}`);
  row(tb, "path", it.path);
  row(tb, "inner path", it.inner_path);
  // Paths are shown escaped by the service (%XX for control and bidi
  // characters, invalid UTF-8); the name as received, when it differed:
  row(tb, "name as received", it.raw_name);
  row(tb, "sha256", it.sha256);
  row(tb, "verdict", `${it.verdict} (${it.reason || ""})`);
  if (it.also_known_good) row(tb, "conflict", `also listed as known-good in ${it.also_known_good.join(", ")}`);
  if (it.video) {
    // A video's thumbnail is its contact sheet (up to 16 frames, grey); it never plays here.
    const v = it.video;
    row(tb, "video", `${v.duration || "?"} s · ${v.fps || "?"} fps · ${v.codec || ""} · ${v.frames_informative ?? "?"} of ${v.frames_hashed ?? "?"} frames informative`);
    if (v.sheet && v.sheet.frames) row(tb, "sheet frames at", v.sheet.frames.map((f) => `${f.timestamp.toFixed(1)} s`).join(", "));
  }
  const ex = it.exif || {};
  for (const k of ["Make", "Model", "SerialNumber", "InternalSerialNumber", "LensModel", "LensSerialNumber", "Software", "DateTimeOriginal", "CreateDate",
    "ModifyDate", "OffsetTimeOriginal", "Orientation", "Artist", "OwnerName", "ImageUniqueID"]) row(tb, k, ex[k]);
  if (m && m.decision) {
    for (const n of m.decision.notes || []) row(tb, `notes (${n.case})`, [n.series, (n.tags || []).join(", "), n.notes].filter(Boolean).join(" · "));
  }
  const gps = $("gps");
  gps.replaceChildren();
  if (d.gps) {
    const { worldMap } = await import("./map.js"); // the map's data loads with the first GPS position
    gps.append(el("h3", { text: "GPS" }), el("p", { text: `${d.gps.latitude.toFixed(6)}, ${d.gps.longitude.toFixed(6)}` + (d.gps.altitude !== undefined ? ` · ${d.gps.altitude} m` : "") }),
      worldMap(d.gps.latitude, d.gps.longitude), el("p", { class: "attribution", text: "Map: Natural Earth 1:110m land (public domain), drawn locally" }));
  }
  renderKnown(d, it);
  list("devices", d.devices.filter((x) => x.items > 0), (x) => {
    const b = el("button", { type: "button", class: "device-link", text: `filter: ${x.device}` });
    b.addEventListener("click", () => filterDevice(x.device));
    return [b, ` ${x.items} item(s) in ${x.exhibits.map((a) => `${a.case}/${a.exhibit} (${a.items})`).join(", ")}`];
  });
  if (!d.devices.length) $("devices").replaceChildren(el("li", { text: "no camera serial or phone model + software in EXIF" }));
  list("siblings", d.siblings, (r) => pathOf(r));
  list("series-members", d.series, (s) => `${s.status}: ${s.items[0].case}/${s.items[0].exhibit}/${pathOf(s.items[0])}`);
  list("elsewhere", d.elsewhere, (r) => `${r.relation}: ${r.case}/${r.exhibit}/${pathOf(r)}`);
}

// renderKnown shows the match that put a variant in its lane beside the
// known entry's details (never the known image's pixels).
function renderKnown(d, it) {
  const box = $("known");
  box.replaceChildren();
  if (!d.known.length) return;
  box.append(el("h3", { text: "Match" }));
  for (const k of d.known) {
    const mine = el("div", {}, el("strong", { text: "This item" }), el("div", { text: `${it.width}×${it.height}, ${it.size} bytes` }),
      el("div", { text: `pdq ${it.pdq || "—"}` }), el("div", { text: `sha256 ${it.sha256}` }));
    const known = el("div", {}, el("strong", { text: `Known: ${k.set} #${k.entry}${k.entry_id ? " (" + k.entry_id + ")" : ""}` }),
      el("div", { text: `${k.category || "no category"}${k.label ? " " + k.label : ""}${k.series ? " · series " + k.series : ""}` }),
      el("div", { text: `${k.algorithm} distance ${k.distance}${k.transform ? ` (${k.transform})` : ""}` +
        (k.view ? ` · this item's ${k.view} view` : "") + (k.borderline ? " · borderline, both hashes agree" : "") +
        (k.region ? ` · the known image's ${k.region} region: this item may be a crop of it` : "") +
        (k.query_percent !== undefined ? ` · ${k.query_percent}% of this video's frames, ${k.target_percent}% of the known one's` : "") +
        (k.timestamps ? ` · appears at ${k.timestamps.map((x) => x.toFixed(1) + " s").join(", ")}` : "") }),
      k.name ? el("div", { text: `name ${k.name}` }) : null, k.pdq ? el("div", { text: `pdq ${k.pdq}` }) : null,
      k.sha256 ? el("div", { text: `sha256 ${k.sha256}` }) : null);
    box.append(el("div", { class: "side" }, mine, known));
  }
}

async function filterDevice(device) {
  $("f-device").value = device;
  $("f-lane").value = "";
  $("f-state").value = "";
  state.query = readFilters();
  writeURL();
  await openView();
  $("grid").focus();
}

$("panel-reveal").addEventListener("click", () => {
  const t = tileAt(state.cur);
  if (t) setRevealed(t, !state.revealed.has(t.member_id));
});

$("overturn-open").addEventListener("click", async () => {
  const sel = $("overturn-category");
  const { keys, labels, scheme } = state.config;
  sel.replaceChildren(...Object.values(keys).sort().map((c) => el("option", { value: `${scheme}:${c}`, text: `${c} ${labels[c] || ""}` })));
  $("overturn-reason").value = "";
  const id = $("overturn-open").dataset.member;
  if ((await openModal("overturn", "overturn-category")) !== "ok") return;
  try {
    const r = await api("POST", `/api/v1/review/members/${id}/overturn`, { category: sel.value, reason: $("overturn-reason").value });
    say(`overturned ${r.previous} → ${r.category} · local set v${r.version}`);
    const t = tileAt(state.cur);
    if (t) {
      t.decision = r.category;
      showPanel(t);
      renderGrid();
    }
  } catch (e) {
    say(e.message);
  }
});
$("overturn-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  closeModal("ok");
});

// --- keyboard ----------------------------------------------------------------

function helpKeys() {
  const { keys, labels } = state.config;
  const cats = Object.keys(keys).sort();
  return [
    ["← → ↑ ↓ (h l k j)", "move; with Shift: select a range"],
    ["Space / x", "select or unselect the focused item"],
    ["g", "select every item of the focused item's group (series)"],
    ["p", "select every item on the screen"],
    ["Esc", "clear the selection / close"],
    [cats.join(" "), "categorise the selection (or the focused item): " + cats.map((k) => `${k} ${labels[keys[k]] || keys[k]}`).join(", ")],
    ["v w s y", "flags in the form: victim-ID lead, offender visible, self-generated, age difficult"],
    ["=", "fill the form with the last decision's series, flags, tags and notes"],
    ["u", "undo your last decision (until the group is released)"],
    ["r", state.settings.reveal_mode === "hold" ? "reveal while held" : "reveal / hide the focused item"],
    ["[ ]", "smaller / larger tiles"],
    ["/", "filter by path"],
    ["o", "to the item panel"],
    ["R", "release the groups you hold"],
    ["Alt+Shift+1 2 3", "lanes: new, variant, adjudication"],
    ["?", "this help"],
  ];
}

function renderHelp() {
  const dl = $("help-keys");
  dl.replaceChildren();
  for (const [k, v] of helpKeys()) dl.append(el("dt", {}, el("kbd", { text: k })), el("dd", { text: v }));
}

function typing(ev) {
  const t = ev.target;
  return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
}

let holding = false;
document.addEventListener("keydown", async (ev) => {
  if (state.view !== "workspace") return;
  if (state.modal) {
    // A dialog holds the keyboard: nothing acts behind it.
    const id = state.modal.id;
    if (ev.key === "Escape") {
      ev.preventDefault();
      closeModal(id === "break" ? "later" : "cancel");
    } else if (ev.key === "Enter" && id === "confirm") {
      ev.preventDefault();
      closeModal("ok");
    } else if (ev.key !== "Tab" && !(ev.key === "Enter" && ev.target.tagName === "BUTTON") && !typing(ev)) {
      ev.preventDefault();
      ev.stopPropagation();
    }
    return;
  }
  if (typing(ev)) {
    if (ev.key === "Escape") {
      ev.target.blur();
      $("grid").focus();
    }
    return;
  }
  if (ev.ctrlKey && ev.key === "z") {
    ev.preventDefault();
    await undo();
    return;
  }
  if (ev.ctrlKey || ev.metaKey) return;
  const k = ev.key;
  if (ev.altKey && ev.shiftKey && ["1", "2", "3"].includes(ev.code.slice(-1))) {
    await openLane(["new", "variant", "adjudication"][Number(ev.code.slice(-1)) - 1]);
    return;
  }
  const cat = state.config.keys[k];
  if (cat !== undefined) {
    ev.preventDefault();
    await decide(cat);
    return;
  }
  const { cols } = geometry();
  switch (k) {
    case "ArrowRight": case "l": moveFocus(1, ev.shiftKey); break;
    case "ArrowLeft": case "h": moveFocus(-1, ev.shiftKey); break;
    case "ArrowDown": case "j": moveFocus(cols, ev.shiftKey); break;
    case "ArrowUp": case "k": moveFocus(-cols, ev.shiftKey); break;
    case "PageDown": moveFocus(cols * 4, ev.shiftKey); break;
    case "PageUp": moveFocus(-cols * 4, ev.shiftKey); break;
    case " ": case "x": {
      const t = tileAt(state.cur);
      if (t) toggleSel(t);
      state.anchor = state.cur;
      renderGrid();
      break;
    }
    case "g": await selectGroup(); break;
    case "p": selectScreen(); break;
    case "Escape": state.sel.clear(); renderGrid(); say(""); break;
    case "u": await undo(); break;
    case "r":
      if (state.settings.reveal_mode === "hold") {
        if (!holding) {
          holding = true;
          await setRevealed(tileAt(state.cur), true);
        }
      } else {
        const t = tileAt(state.cur);
        if (t) await setRevealed(t, !state.revealed.has(t.member_id));
      }
      break;
    case "R": await releaseAll(); say("released your groups"); break;
    case "[": $("tile-size").value = Number($("tile-size").value) - 16; applyTileSize(); break;
    case "]": $("tile-size").value = Number($("tile-size").value) + 16; applyTileSize(); break;
    case "/": ev.preventDefault(); $("f-path").focus(); break;
    case "o": $("panel").focus(); break;
    case "=": if (state.lastText) fillText(state.lastText); say(state.lastText ? "form filled from the last decision" : "no earlier text"); break;
    case "?": renderHelp(); openModal("help", "help-close"); break;
    case "v": case "w": case "s": case "y": {
      const id = { v: "victim_lead", w: "offender_visible", s: "self_generated", y: "age_difficult" }[k];
      $("flag-" + id).checked = !$("flag-" + id).checked;
      break;
    }
    default: return;
  }
  if (k.startsWith("Arrow") || k === " " || k.startsWith("Page")) ev.preventDefault();
});

document.addEventListener("keyup", (ev) => {
  if (ev.key === "r" && holding) {
    holding = false;
    setRevealed(tileAt(state.cur), false);
  }
});

// --- settings ----------------------------------------------------------------

$("settings-open").addEventListener("click", async () => {
  const s = state.settings;
  $("set-blur").value = s.blur;
  $("set-blur-out").textContent = s.blur;
  $("set-grayscale").checked = s.grayscale;
  $("set-reveal").value = s.reveal_mode;
  $("set-every").value = s.break_every;
  $("set-minutes").value = s.break_minutes;
  $("set-confirm").value = s.confirm_over;
  await openModal("settings", "set-blur");
});
$("set-blur").addEventListener("input", () => ($("set-blur-out").textContent = $("set-blur").value));
$("settings-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  try {
    state.settings = await api("PUT", "/api/v1/me/settings", {
      blur: Number($("set-blur").value),
      grayscale: $("set-grayscale").checked,
      reveal_mode: $("set-reveal").value,
      break_every: Number($("set-every").value),
      break_minutes: Number($("set-minutes").value),
      confirm_over: Number($("set-confirm").value),
    });
  } catch (e) {
    say(e.message);
  }
  applySettings();
  closeModal("saved");
  $("grid-inner").replaceChildren();
  renderGrid();
});

// Time-based break reminders: ask the server once a minute.
setInterval(async () => {
  if (state.user) await exposureCall("GET", "/api/v1/me/exposure").catch(() => {});
}, 60000);

// Give the held groups back when the page goes away.
window.addEventListener("pagehide", () => {
  for (const g of state.held) {
    fetch(`/api/v1/review/groups/${g}/release`, { method: "POST", keepalive: true, credentials: "same-origin", headers: { "X-CSRF-Token": state.csrf } });
  }
});

start();
