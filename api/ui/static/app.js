// Winnow review UI. Plain JavaScript module, no build step, no third-party
// code. Everything the server sends is put into the page with textContent
// or attributes, never as HTML.

const $ = (id) => document.getElementById(id);

const state = {
  user: null,
  csrf: "",
  config: null,
  settings: null,
  lane: "new",
  groups: [],
  sel: 0,
  group: null, // {group, members}
  tile: 0,
  marked: new Set(),
  claimed: false,
  heartbeat: 0,
  revealed: new Set(),
  holdKey: false,
  view: "login",
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
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const k of kids) if (k != null) e.append(k);
  return e;
}

function show(view) {
  state.view = view;
  $("login").hidden = view !== "login";
  $("queue-view").hidden = view !== "queue";
  $("group-view").hidden = view !== "group";
  for (const id of ["logout", "settings-open"]) $(id).hidden = view === "login";
}

// --- wellness --------------------------------------------------------------

function applySettings() {
  const s = state.settings;
  document.documentElement.style.setProperty("--blur", s.blur + "px");
  document.documentElement.style.setProperty("--gray", s.grayscale ? "1" : "0");
}

function renderExposure(e) {
  $("exposure").textContent = `revealed today ${e.today} · since break ${e.since_break}`;
  if (e.break_due) {
    const s = state.settings;
    $("break-text").textContent =
      `You revealed ${e.since_break} items since your last break` +
      (s.break_minutes ? ` (reminders every ${s.break_every} items or ${s.break_minutes} minutes).` : ".");
    $("break").hidden = false;
  }
}

async function revealCount(itemId) {
  try {
    renderExposure(await api("POST", "/api/v1/me/exposure", { revealed: 1, item_id: itemId }));
  } catch (e) {
    /* counting must not block work */
  }
}

function setRevealed(node, itemId, on) {
  if (!node) return;
  const was = node.classList.contains("revealed");
  node.classList.toggle("revealed", on);
  if (on && !was) revealCount(itemId);
}

// --- login -----------------------------------------------------------------

async function start() {
  try {
    const s = await api("GET", "/api/v1/session");
    await loggedIn(s);
  } catch (e) {
    show("login");
    $("login-name").focus();
  }
}

async function loggedIn(s) {
  if (document.activeElement) document.activeElement.blur();
  state.user = s.user;
  state.csrf = s.csrf_token || "";
  $("who").textContent = `${s.user.name} (${s.user.role})`;
  state.config = await api("GET", "/api/v1/review/config");
  state.settings = await api("GET", "/api/v1/me/settings");
  applySettings();
  renderExposure(await api("GET", "/api/v1/me/exposure"));
  renderHelp();
  await openQueue(state.lane);
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
  await leaveGroup();
  await api("POST", "/api/v1/logout").catch(() => {});
  state.user = null;
  state.csrf = "";
  show("login");
});

// --- queue -----------------------------------------------------------------

async function renderLanes() {
  const { lanes } = await api("GET", "/api/v1/review/lanes");
  const nav = $("lanes");
  nav.replaceChildren();
  for (const l of lanes) {
    const b = el("button", { type: "button", text: `${l.lane} (${l.groups})`, "data-lane": l.lane });
    b.setAttribute("aria-current", String(l.lane === state.lane));
    b.addEventListener("click", () => openQueue(l.lane));
    nav.append(b);
  }
}

async function openQueue(lane) {
  await leaveGroup();
  state.lane = lane;
  const q = await api("GET", "/api/v1/review/queue?lane=" + encodeURIComponent(lane));
  state.groups = q.groups;
  state.sel = Math.min(state.sel, Math.max(0, q.groups.length - 1));
  await renderLanes();
  $("queue-title").textContent = `Lane ${lane}: ${q.total} group(s) by priority`;
  renderQueue();
  show("queue");
}

function renderQueue() {
  const ol = $("queue");
  ol.replaceChildren();
  $("queue-empty").hidden = state.groups.length > 0;
  state.groups.forEach((g, i) => {
    const img = el("img", { class: "thumb veil", alt: "", src: g.thumbnail, loading: "lazy" });
    const why = el("details", {}, el("summary", { text: `score ${g.priority.total}` }));
    for (const c of g.priority.components) {
      why.append(el("div", { text: `${c.name}: ${c.points} (weight ${c.weight} × ${c.value}) — ${c.why}` }));
    }
    const info = el(
      "div",
      {},
      el("strong", { text: `Group ${g.id}` }),
      el("div", { text: `${g.members} distinct, ${g.pending} waiting for you, ${g.adjudication} in adjudication, ${g.confirmed} confirmed` }),
      g.claimed_by ? el("div", { class: "error", text: `claimed by ${g.claimed_by}` }) : null,
    );
    const li = el("li", { class: "group-row" + (i === state.sel ? " selected" : ""), "data-group": g.id }, img, info, why);
    li.addEventListener("click", () => {
      state.sel = i;
      renderQueue();
    });
    li.addEventListener("dblclick", () => openGroup(g.id, false));
    ol.append(li);
  });
  const s = ol.querySelector(".selected");
  if (s) s.scrollIntoView({ block: "nearest" });
}

// --- group -----------------------------------------------------------------

async function openGroup(id, claim) {
  state.revealed.clear();
  state.marked.clear();
  state.tile = 0;
  $("decision-status").textContent = "";
  $("detail").hidden = true;
  await loadGroup(id);
  show("group");
  if (claim) await claimGroup();
}

async function loadGroup(id) {
  state.group = await api("GET", "/api/v1/review/groups/" + id);
  const g = state.group.group;
  state.claimed = g.claimed_by === state.user.name;
  renderGroup();
}

function renderGroup() {
  const { group: g, members } = state.group;
  $("group-title").textContent = `Group ${g.id} · ${g.members} distinct · lanes ${g.lanes.join(", ") || "none"}`;
  $("claim-status").textContent = state.claimed
    ? "claimed by you"
    : g.claimed_by
      ? `claimed by ${g.claimed_by}`
      : "not claimed (press c)";
  const p = $("priority");
  p.replaceChildren(el("span", { text: `priority ${g.priority.total}: ` }));
  for (const c of g.priority.components) p.append(el("span", { class: "hint", text: `${c.name} ${c.points} · ` }));
  const grid = $("grid");
  grid.replaceChildren();
  members.forEach((m, i) => {
    const item = m.items[0];
    let media;
    if (m.kind === "video") {
      media = el("video", { class: "veil", muted: true, preload: "none", controls: true });
      media.autoplay = false;
      media.src = `/api/v1/items/${item.item_id}/content`;
    } else {
      media = el("img", { class: "veil", alt: "", src: `/api/v1/items/${item.item_id}/thumbnail` });
    }
    const status = m.decision ? `${m.status}: ${m.decision.category}` : m.my_vote ? `voted ${m.my_vote.category}` : m.status;
    const tile = el(
      "div",
      {
        class: "tile" + (i === state.tile ? " selected" : "") + (state.marked.has(m.sha256) ? " marked" : "") + (m.status !== "pending" || m.my_vote ? " done" : ""),
        "data-member": m.id,
        "data-sha256": m.sha256,
      },
      el("span", { class: "badge", text: `${m.lane}${m.items.length > 1 ? " ×" + m.items.length : ""}` }),
      media,
      el("div", { class: "meta", text: `${item.case}/${item.exhibit}/${item.path}` }),
      el("div", { class: "meta", text: status + (m.suggested ? ` · suggested ${m.suggested}` : "") }),
    );
    if (state.revealed.has(m.id)) tile.classList.add("revealed");
    const hold = state.settings.reveal_mode === "hold";
    media.addEventListener(hold ? "mousedown" : "click", () => {
      state.tile = i;
      toggleReveal(hold ? true : undefined);
    });
    if (hold) {
      media.addEventListener("mouseup", () => toggleReveal(false));
      media.addEventListener("mouseleave", () => toggleReveal(false));
    }
    tile.addEventListener("dblclick", () => openDetail(item.item_id));
    grid.append(tile);
  });
  renderCategories();
}

function currentMember() {
  return state.group && state.group.members[state.tile];
}

function toggleReveal(on) {
  const m = currentMember();
  if (!m) return;
  const node = $("grid").children[state.tile];
  const want = on === undefined ? !node.classList.contains("revealed") : on;
  if (want) state.revealed.add(m.id);
  else state.revealed.delete(m.id);
  setRevealed(node, m.items[0].item_id, want);
}

function renderCategories() {
  const box = $("categories");
  box.replaceChildren();
  const { keys, labels, scheme } = state.config;
  for (const k of Object.keys(keys).sort()) {
    const code = keys[k];
    const b = el("button", { type: "button", "data-category": `${scheme}:${code}` }, el("kbd", { text: k }), `${code} ${labels[code] || ""}`);
    b.addEventListener("click", () => decide(code));
    box.append(b);
  }
}

async function claimGroup() {
  const g = state.group.group;
  try {
    await api("POST", `/api/v1/review/groups/${g.id}/claim`);
    await loadGroup(g.id);
    startHeartbeat();
  } catch (e) {
    $("claim-status").textContent = e.message;
  }
}

function startHeartbeat() {
  clearInterval(state.heartbeat);
  const every = Math.max(5, Math.floor(state.config.lease_seconds / 3)) * 1000;
  state.heartbeat = setInterval(async () => {
    if (!state.claimed || !state.group) return;
    try {
      await api("POST", `/api/v1/review/groups/${state.group.group.id}/heartbeat`);
    } catch (e) {
      state.claimed = false;
      $("claim-status").textContent = e.message;
    }
  }, every);
}

async function leaveGroup() {
  clearInterval(state.heartbeat);
  if (state.claimed && state.group) {
    await api("POST", `/api/v1/review/groups/${state.group.group.id}/release`).catch(() => {});
  }
  state.claimed = false;
  state.group = null;
}

function flags() {
  const f = {};
  for (const k of ["victim_lead", "offender_visible", "self_generated", "age_difficult"]) f[k] = $("flag-" + k).checked;
  return f;
}

async function decide(code) {
  const g = state.group.group;
  if (!state.claimed) {
    $("decision-status").textContent = "claim the group first (c)";
    return;
  }
  const adjudicate = state.lane === "adjudication";
  const body = {
    category: code,
    series: $("series").value,
    flags: flags(),
    tags: $("tags").value.split(",").map((t) => t.trim()).filter(Boolean),
    notes: $("notes").value,
    adjudicate,
  };
  if (state.marked.size) body.members = [...state.marked];
  try {
    const r = await api("POST", `/api/v1/review/groups/${g.id}/decision`, body);
    const counts = {};
    for (const o of r.outcomes) counts[o.status] = (counts[o.status] || 0) + 1;
    $("decision-status").textContent =
      `decided ${state.config.scheme}:${code} on ${r.outcomes.length}: ` +
      Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ") +
      (r.version ? ` · promoted to ${r.local_set} v${r.version}` : "");
    state.marked.clear();
    await loadGroup(g.id);
  } catch (e) {
    $("decision-status").textContent = e.message;
  }
}

// --- item detail (victim identification) -------------------------------------

function row(t, k, v) {
  if (v === undefined || v === null || v === "") return;
  t.append(el("tr", {}, el("th", { text: k }), el("td", { text: String(v) })));
}

async function openDetail(itemId) {
  const d = await api("GET", "/api/v1/review/items/" + itemId);
  const box = $("detail");
  box.replaceChildren();
  const it = d.item;
  const media = it.kind === "video"
    ? el("video", { class: "veil", muted: true, preload: "none", controls: true, src: `/api/v1/items/${it.id}/content` })
    : el("img", { class: "full veil", alt: "", src: `/api/v1/items/${it.id}/content` });
  media.addEventListener("click", () => setRevealed(media, it.id, !media.classList.contains("revealed")));
  box.append(el("h3", { text: `Item ${it.id}: ${it.case}/${it.exhibit}/${it.path}` }), media);
  const t = el("table");
  row(t, "size", `${it.size} bytes, ${it.width}×${it.height}, ${it.mime}`);
  // Paths are shown escaped by the service (%XX for control and bidi
  // characters, invalid UTF-8); the name as received, when it differed:
  if (it.raw_name) row(t, "name as received", it.raw_name);
  row(t, "sha256", it.sha256);
  row(t, "md5", it.md5);
  row(t, "pdq", it.pdq);
  row(t, "verdict", `${it.verdict} (${it.verdict_reason || ""})`);
  if (it.also_known_good) row(t, "conflict", `also listed as known-good in ${it.also_known_good.join(", ")}`);
  for (const [k, v] of Object.entries(it.exif || {}).sort()) row(t, "EXIF " + k, v);
  if (d.gps) row(t, "GPS (numbers only, no map tiles)", `${d.gps.latitude}, ${d.gps.longitude}` + (d.gps.altitude !== undefined ? `, ${d.gps.altitude} m` : ""));
  box.append(t);
  const list = (title, refs) => {
    box.append(el("h4", { text: `${title} (${refs.length})` }));
    const ul = el("ul");
    for (const r of refs) ul.append(el("li", { text: `${r.relation ? r.relation + ": " : ""}${r.case}/${r.exhibit}/${r.path}${r.inner_path ? "!" + r.inner_path : ""}` }));
    box.append(ul);
  };
  list("Sibling files", d.siblings);
  list("Series members", d.series.map((m) => ({ ...m.items[0], relation: m.status })));
  list("Seen elsewhere", d.elsewhere);
  box.hidden = false;
}

// --- keyboard --------------------------------------------------------------

const helpKeys = [
  ["j / k", "next / previous group or image"],
  ["Enter", "open the selected group; in a group: reveal the selected image"],
  ["Space", "reveal the selected image (hold it in hold mode)"],
  ["c", "claim the group (and open it from the queue)"],
  ["r", "release the group"],
  ["x", "mark / unmark the selected image: a category then applies to the marked ones only"],
  ["0-5, A/B/C", "categorise the group (or the marked images) in the configured scheme; CAID uses capital letters"],
  ["v w s y", "flags: victim-ID lead, offender visible, self-generated, age difficult"],
  ["o", "open the item view (EXIF, paths, siblings, where else it was seen)"],
  ["1 2 3 (Shift+Alt)", "lanes: new, variant, adjudication"],
  ["Esc", "back to the queue / close"],
  ["?", "this help"],
];

function renderHelp() {
  const dl = $("help-keys");
  dl.replaceChildren();
  for (const [k, v] of helpKeys) dl.append(el("dt", {}, el("kbd", { text: k })), el("dd", { text: v }));
}

function typing(ev) {
  const t = ev.target;
  return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT");
}

document.addEventListener("keydown", async (ev) => {
  if (state.view === "login" || typing(ev) || ev.ctrlKey || ev.metaKey) return;
  const k = ev.key;
  if (k === "?") {
    $("help").hidden = !$("help").hidden;
    return;
  }
  if (k === "Escape") {
    for (const id of ["help", "settings", "break"]) $(id).hidden = true;
    if (state.view === "group") await openQueue(state.lane);
    return;
  }
  if (ev.altKey && ev.shiftKey && ["1", "2", "3"].includes(ev.code.slice(-1))) {
    const lane = ["new", "variant", "adjudication"][Number(ev.code.slice(-1)) - 1];
    await openQueue(lane);
    return;
  }
  if (state.view === "queue") {
    const n = state.groups.length;
    if (k === "j" && n) state.sel = Math.min(n - 1, state.sel + 1);
    else if (k === "k" && n) state.sel = Math.max(0, state.sel - 1);
    else if ((k === "Enter" || k === "c") && n) {
      ev.preventDefault();
      await openGroup(state.groups[state.sel].id, k === "c");
      return;
    } else return;
    renderQueue();
    return;
  }
  if (state.view !== "group" || !state.group) return;
  const members = state.group.members;
  const cat = state.config.keys[k];
  if (cat !== undefined) {
    ev.preventDefault();
    await decide(cat);
    return;
  }
  switch (k) {
    case "j":
      state.tile = Math.min(members.length - 1, state.tile + 1);
      renderGroup();
      break;
    case "k":
      state.tile = Math.max(0, state.tile - 1);
      renderGroup();
      break;
    case " ":
    case "Enter":
      ev.preventDefault();
      if (state.settings.reveal_mode === "hold") {
        if (!state.holdKey) {
          state.holdKey = true;
          toggleReveal(true);
        }
      } else toggleReveal();
      break;
    case "c":
      await claimGroup();
      break;
    case "r":
      await leaveGroup();
      await openQueue(state.lane);
      break;
    case "x": {
      const m = members[state.tile];
      if (state.marked.has(m.sha256)) state.marked.delete(m.sha256);
      else state.marked.add(m.sha256);
      renderGroup();
      break;
    }
    case "o":
      await openDetail(members[state.tile].items[0].item_id);
      break;
    case "v":
    case "w":
    case "s":
    case "y": {
      const id = { v: "victim_lead", w: "offender_visible", s: "self_generated", y: "age_difficult" }[k];
      $("flag-" + id).checked = !$("flag-" + id).checked;
      break;
    }
  }
});

document.addEventListener("keyup", (ev) => {
  if ((ev.key === " " || ev.key === "Enter") && state.holdKey) {
    state.holdKey = false;
    toggleReveal(false);
  }
});

// --- dialogs ---------------------------------------------------------------

$("help-close").addEventListener("click", () => ($("help").hidden = true));
$("break-later").addEventListener("click", () => ($("break").hidden = true));
$("break-taken").addEventListener("click", async () => {
  $("break").hidden = true;
  renderExposure(await api("POST", "/api/v1/me/exposure/break"));
});
$("settings-open").addEventListener("click", () => {
  const s = state.settings;
  $("set-blur").value = s.blur;
  $("set-blur-out").textContent = s.blur;
  $("set-grayscale").checked = s.grayscale;
  $("set-reveal").value = s.reveal_mode;
  $("set-every").value = s.break_every;
  $("set-minutes").value = s.break_minutes;
  $("settings").hidden = false;
});
$("set-blur").addEventListener("input", () => ($("set-blur-out").textContent = $("set-blur").value));
$("settings-close").addEventListener("click", () => ($("settings").hidden = true));
$("settings-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  state.settings = await api("PUT", "/api/v1/me/settings", {
    blur: Number($("set-blur").value),
    grayscale: $("set-grayscale").checked,
    reveal_mode: $("set-reveal").value,
    break_every: Number($("set-every").value),
    break_minutes: Number($("set-minutes").value),
  });
  applySettings();
  $("settings").hidden = true;
  if (state.view === "group") renderGroup();
});

// Time-based break reminders: ask the server once a minute.
setInterval(async () => {
  if (state.user) renderExposure(await api("GET", "/api/v1/me/exposure").catch(() => ({ today: 0, since_break: 0 })));
}, 60000);

start();
