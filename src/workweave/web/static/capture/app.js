// workweave capture: shadowing (observers) and self-report (participants), offline first.
//
// Every tap becomes an action {uuid, session, seq, type, t, payload} with the device's time.
// The screen is a fold of the session's actions (fold.js); each action is written to IndexedDB
// (db.js) and then synced in order (sync.js). Nothing here needs the network except the first
// load of a study's configuration and the sync itself.
//
// Taps go through one queue, in order: a tap is decided against the state left by every tap
// before it, stored, and shown only once IndexedDB has committed it (durable before visible).
// A repeat of the same button within GUARD_MS (by the events' own time stamps) is dropped, and a
// tap on the category already in the foreground changes nothing (see docs/web.md).

import { openDb } from "./db.js";
import { appendable, fold, orderKey } from "./fold.js";
import { Syncer } from "./sync.js";

const COLOURS = {
  clinical: "#0072B2", managerial: "#E69F00", professional: "#009E73",
  personal: "#CC79A7", other: "#7F7F7F",
};
const TEXT = {
  clinical: "#FFFFFF", managerial: "#000000", professional: "#FFFFFF",
  personal: "#000000", other: "#FFFFFF",
};
const DOMAINS = ["clinical", "managerial", "professional", "personal", "other"];
const SCALES = [60, 40, 30, 20, 15, 10]; // px per minute: the largest that fits, down to 10
const LANE_H = 30;
const DIMENSIONS_SHOWN = ["with_whom", "how", "where", "initiated_by", "mintzberg_role"];
const GUARD_MS = 300; // a second tap on the same button this soon is a fumble, not an intent

const boot = JSON.parse(document.getElementById("boot").textContent);
const root = document.getElementById("app");
const selfReport = boot.mode === "self-report";

const app = {
  db: null, config: null, syncer: null, csrf: "",
  session: null, actions: [], last: null, state: null,
  selected: null, arm: null, noteT: null, confirmEnd: false,
  cats: new Map(), ui: {}, bars: new Map(), marks: new Map(), ticks: 0,
  syncState: { phase: "idle", waiting: null, others: 0, refused: 0, message: "" },
  queue: Promise.resolve(), queued: 0, lastTap: null,
};
window.__workweave = app;

// -- small helpers ---------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "style") el.style.cssText = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map((v) => v.toString(16).padStart(2, "0")).join("");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function clock(ms) {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((v) => String(v).padStart(2, "0")).join(":");
}

function duration(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return (hh ? `${hh}:` : "") + `${String(mm).padStart(hh ? 2 : 1, "0")}:${String(ss).padStart(2, "0")}`;
}

function enc(s) {
  return encodeURIComponent(s);
}

function category(code) {
  return app.cats.get(code) || { code, label: code, domain: "other" };
}

// -- start-up ----------------------------------------------------------------------------------

async function registerWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    await navigator.serviceWorker.ready;
    // keep this page in the cache too, so that it opens with no network
    const r = await fetch(location.pathname, { credentials: "same-origin", cache: "no-store" });
    if (r.ok && !r.redirected) {
      const cache = await caches.open("workweave-pages");
      await cache.put(location.pathname, r);
    }
    document.body.dataset.offlineReady = "1";
  } catch (e) {
    console.warn("workweave: offline support unavailable", e);
  }
}

async function loadConfig() {
  const key = `config:${boot.study}:${boot.user}`;
  try {
    const r = await fetch(boot.config, { credentials: "same-origin", cache: "no-store" });
    if (r.ok) {
      const cfg = await r.json();
      await app.db.put(key, cfg);
      return cfg;
    }
  } catch (e) {
    /* offline: use the copy kept from the last time */
  }
  return (await app.db.get(key)) || null;
}

async function refreshToken() {
  try {
    const r = await fetch("/api/session", { credentials: "same-origin", cache: "no-store" });
    if (r.ok) {
      const body = await r.json();
      app.csrf = body.csrf;
      if (app.syncer) app.syncer.csrf = body.csrf;
    }
  } catch (e) {
    /* offline */
  }
}

async function main() {
  app.db = await openDb({
    onBlocked: () => root.replaceChildren(h("p", { class: "flash warn" },
      "workweave is open in another tab with an older version: close that tab to go on.")),
    onVersionChange: () => showBanner("workweave was updated in another tab: reload this page."),
  });
  const tokenInput = document.querySelector('input[name="csrf_token"]');
  app.csrf = tokenInput ? tokenInput.value : "";
  registerWorker();
  app.config = await loadConfig();
  if (!app.config) {
    root.replaceChildren(
      h("div", { class: "cap-empty" },
        h("h1", {}, "Connect once to load this study"),
        h("p", {}, "The capture app keeps the study's template on this device after the first load. Connect to the network and reload."))
    );
    return;
  }
  for (const c of app.config.template.categories) app.cats.set(c.code, c);
  app.syncer = new Syncer({
    db: app.db, study: boot.study, csrf: app.csrf,
    onState: (s) => { app.syncState = s; renderSync(); },
    onRefused: onRefused,
    session: () => (app.session ? app.session.uuid : null),
  });
  refreshToken();
  const sessions = await app.db.sessions(boot.study);
  const open = sessions.find((s) => s.status === "open" && s.user === boot.user);
  if (open) await enterSession(open);
  else await renderStart();
  app.syncer.soon(0);
  document.addEventListener("visibilitychange", () => app.syncer.soon(0));
  window.addEventListener("pagehide", () => app.syncer.run());
  setInterval(tick, 1000);
  document.body.dataset.ready = "1";
}

// -- the start screen ----------------------------------------------------------------------------

async function renderStart(message) {
  app.session = null;
  const sessions = (await app.db.sessions(boot.study)).filter((s) => s.user === boot.user);
  const people = app.config.participants;
  const title = selfReport ? "Log my work" : "Who are you shadowing?";
  const choose = selfReport
    ? h("div", { class: "cap-start-self" },
        people.length && people[0].consent
          ? h("button", { class: "cap-big primary", id: "start-self", onclick: onTap("start", () => startSession(people[0].code)) }, "Start logging my day")
          : h("p", { class: "flash warn" }, "Your consent is not recorded yet, so logging cannot start. Please contact the research team."))
    : h("div", { class: "cap-people" },
        h("button", {
          class: "cap-mode", id: "calibration-toggle", type: "button",
          "aria-pressed": app.calibration ? "true" : "false",
          title: "A training session beside another observer, compared afterwards on the calibration page",
          onclick: onTap("calibration", () => {
            app.calibration = !app.calibration;
            const b = document.getElementById("calibration-toggle");
            if (b) b.setAttribute("aria-pressed", app.calibration ? "true" : "false");
          }),
        }, "Calibration session (training with a co-observer)"),
        people.length ? null : h("p", { class: "muted" }, "No participants in this study yet."),
        people.map((p) =>
          h("button", {
            class: "cap-person", disabled: !p.consent, dataset: { participant: p.code },
            onclick: onTap(`start:${p.code}`, () => startSession(p.code)),
            title: p.consent ? `Start shadowing ${p.code}` : "No consent recorded: observation cannot start",
          },
          h("strong", {}, p.code),
          h("span", {}, `${p.profession} · ${p.site}`),
          p.consent ? null : h("span", { class: "badge warn" }, "no consent recorded"))));
  root.replaceChildren(
    h("div", { class: "cap-start" },
      h("div", { class: "cap-start-head" },
        h("h1", {}, title),
        syncBadge()),
      message ? h("p", { class: "flash error", role: "alert", id: "start-message" }, message) : null,
      choose,
      sessions.length
        ? h("section", { class: "cap-history" },
            h("h2", {}, "On this device"),
            h("ul", { class: "plain" }, sessions.slice(0, 20).map((s) =>
              h("li", {},
                `${new Date(s.started).toLocaleString()} · ${s.participant} · `,
                s.status === "refused" ? h("span", { class: "badge warn" }, `refused: ${s.refusal || ""}`)
                  : s.status === "open" ? h("span", { class: "badge" }, "open")
                  : h("span", { class: "muted" }, "ended")))))
        : null,
      h("p", { class: "muted small cap-back" }, h("a", { href: boot.home }, selfReport ? "My sessions and diary" : "Back to the study")))
  );
  if (app.syncer) app.syncer.recount();
  renderSync();
}

async function startSession(code) {
  if (app.session) return; // a second start, queued behind the first
  const now = Date.now();
  const s = {
    uuid: uuid(), study: boot.study, user: boot.user, mode: boot.mode, participant: code,
    started: now, ended: null, nextSeq: 1, status: "open",
  };
  const calibration = !selfReport && Boolean(app.calibration);
  const payload = { participant: code, mode: boot.mode };
  if (calibration) payload.calibration = true;
  const a = {
    uuid: uuid(), session: s.uuid, study: boot.study, seq: 0, type: "session_start", t: now,
    payload, pending: 1,
  };
  // Online, the server checks consent before anything is recorded; offline, the session
  // starts and the server checks when the device syncs.
  try {
    const body = JSON.stringify({
      uuid: a.uuid, session: s.uuid, participant: code, t: now, seq: 0, mode: boot.mode, clock: Date.now(),
      calibration,
    });
    const post = () => fetch(`/api/studies/${enc(boot.study)}/capture/start`, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": app.csrf }, body,
    });
    let r = await post();
    if (r.status === 403 || r.status === 401) {
      await refreshToken();
      r = await post();
    }
    if (r.status === 409) {
      const detail = (await r.json()).detail;
      await renderStart(detail);
      return;
    }
    if (r.ok) a.pending = 0;
  } catch (e) {
    /* offline */
  }
  await app.db.putAction(a, s);
  await enterSession(s);
}

async function enterSession(s) {
  app.session = s;
  app.actions = (await app.db.actionsOf(s.uuid)).sort(orderKey);
  app.last = app.actions[app.actions.length - 1] || null;
  app.state = fold(app.actions);
  const fg = app.state.foreground();
  app.selected = fg ? fg.key : null;
  app.arm = null;
  app.confirmEnd = false;
  app.bars = new Map();
  app.marks = new Map();
  app.ticks = 0;
  app.ppm = null;
  buildRecorder();
  if (app.syncer) app.syncer.recount();
  app.tlFollow = true;
  measureTimeline();
  app.tlFollow = true;
  update();
  scrollTimelineToEnd();
}

function onRefused(rejected, batch) {
  const starts = new Map(batch.filter((a) => a.type === "session_start").map((a) => [a.uuid, a]));
  for (const r of rejected) {
    const start = starts.get(r.uuid);
    if (!start) continue;
    app.db.sessions(boot.study).then((all) => {
      const s = all.find((x) => x.uuid === start.session);
      if (!s) return;
      s.status = "refused";
      s.refusal = r.reason;
      app.db.putSession(s);
      if (app.session && app.session.uuid === s.uuid) {
        app.session.status = "refused";
        showBanner(`The server refused this session: ${r.reason}`);
      }
    });
  }
}

// -- recording ----------------------------------------------------------------------------------

// A click handler for a control: a tap that repeats the tap just before it on the same control
// (`key`) within GUARD_MS, measured by the events' own time stamps, is dropped (a double tap);
// otherwise `job(t, e)` runs in the tap queue with t, the device's time of the tap. Only `click`
// is handled (a touch, a pen and a mouse each give one), so nothing fires twice for one tap.
function onTap(key, job) {
  return (e) => {
    const ts = e && typeof e.timeStamp === "number" && e.timeStamp > 0 ? e.timeStamp : performance.now();
    const prev = app.lastTap;
    if (prev && prev.key === key && ts >= prev.ts && ts - prev.ts < GUARD_MS) return;
    app.lastTap = { key, ts };
    const t = Date.now();
    enqueue(() => job(t, e));
  };
}

// Run a tap's work after every earlier tap's work, in order, one at a time.
function enqueue(job) {
  app.queued++;
  document.body.dataset.queued = String(app.queued);
  const run = app.queue
    .then(job)
    .catch((err) => {
      console.error(err);
      showBanner(`This tap was not recorded: ${err}`);
    })
    .finally(() => {
      app.queued--;
      document.body.dataset.queued = String(app.queued);
    });
  app.queue = run;
  return run;
}

// Store an action on the device and only then show it. Returns the action, or null when it
// could not be stored (the screen then stays as it was, with a warning).
async function record(type, payload, t = Date.now()) {
  const s = app.session;
  if (!s || s.status === "ended") return null;
  const seq = s.nextSeq;
  const a = { uuid: uuid(), session: s.uuid, study: boot.study, seq, type, t, payload, pending: 1 };
  s.nextSeq = seq + 1;
  try {
    await app.db.putAction(a, { ...s });
  } catch (err) {
    s.nextSeq = seq;
    showBanner(`Could not save on this device, so this tap was not recorded: ${err}`);
    return null;
  }
  app.actions.push(a);
  if (appendable(app.last, a)) {
    app.state.apply(a);
  } else {
    app.state = fold(app.actions);
  }
  app.last = a;
  update();
  app.syncer.soon();
  await app.syncer.recount(); // the badge counts it before the next tap is taken
  return a;
}

async function tapCategory(code, t) {
  const fg = app.state.foreground();
  if (app.arm !== "parallel" && fg && fg.category === code) {
    // already in the foreground: nothing to record (a second task needs "+ In parallel")
    alreadyRecording(code);
    return;
  }
  const key = uuid();
  let ends = [];
  let suspends = [];
  if (app.arm === "interrupt") {
    if (fg) suspends = [fg.key];
  } else if (app.arm !== "parallel") {
    ends = app.state.active().map((x) => x.key);
  }
  const before = { arm: app.arm, selected: app.selected };
  app.arm = null;
  app.selected = key;
  if (!(await record("task_start", { task: key, category: code, ends, suspends }, t))) {
    Object.assign(app, before);
    return;
  }
  showNow();
}

function alreadyRecording(code) {
  const c = category(code);
  const b = c._button;
  if (b) {
    b.classList.remove("pulse");
    void b.offsetWidth; // restart the animation
    b.classList.add("pulse");
  }
  say(`Already recording ${c.label}. For a second one at the same time, use + In parallel.`);
}

// A short message for everyone, read out by screen readers (the status line under the modes).
function say(text) {
  const el = app.ui.status;
  if (!el) return;
  el.textContent = text;
  el.hidden = false;
  clearTimeout(app.sayTimer);
  app.sayTimer = setTimeout(() => {
    el.textContent = "";
    el.hidden = true;
  }, 4000);
}

function showNow() {
  const right = app.ui.right;
  if (right && right.scrollTop > 0 && getComputedStyle(right).position === "sticky") right.scrollTop = 0;
}

function endTask(key, t) {
  return record("task_end", { task: key }, t);
}

async function resumeTask(key, t) {
  // the interruption, and whatever followed it, ends; tasks that were already running
  // alongside before the interruption carry on
  const task = app.state.tasks.get(key);
  const since = task && task.susp.length ? task.susp[task.susp.length - 1][0] : 0;
  const ends = app.state.active().filter((x) => x.key !== key && x.start >= since).map((x) => x.key);
  const before = app.selected;
  app.selected = key;
  if (!(await record("resume", { task: key, ends }, t))) app.selected = before;
}

function toggleDim(taskKey, dim, value, t) {
  const task = app.state.tasks.get(taskKey);
  if (!task) return null;
  const current = task.dims[dim.key] || [];
  let next;
  if (dim.multi) {
    next = current.includes(value) ? current.filter((v) => v !== value) : [...current, value];
  } else {
    next = current.length === 1 && current[0] === value ? [] : [value];
  }
  return record("dims", { task: task.key, dimension: dim.key, values: next }, t);
}

function pointEvent(kind, subtype, t) {
  return record("event", { key: uuid(), kind, subtype }, t);
}

// The note's text and time are taken when Save is tapped; the box is cleared once it is stored.
function onSaveNote(e) {
  const box = app.ui.note;
  const text = box.value.trim();
  if (!text) return;
  const at = app.noteT || Date.now();
  onTap("note", async () => {
    if (!(await record("note", { key: uuid(), text }, at))) return;
    if (box.value.trim() === text) {
      box.value = "";
      app.noteT = null;
      app.ui.noteStamp.textContent = "";
    }
  })(e);
}

async function undo(t) {
  const undone = app.state.undone;
  const target = [...app.actions]
    .sort(orderKey)
    .reverse()
    .find((a) => a.type !== "undo" && a.type !== "session_start" && !undone.has(a.uuid));
  if (!target) return;
  if (!(await record("undo", { target: target.uuid }, t))) return;
  if (app.selected && !app.state.tasks.has(app.selected)) {
    const fg = app.state.foreground();
    app.selected = fg ? fg.key : null;
    update();
  }
}

async function endSession(t) {
  if (!app.session || app.session.status === "ended") return;
  const a = await record("session_end", {}, t);
  if (!a) return;
  app.session.status = "ended";
  app.session.ended = a.t;
  await app.db.putSession({ ...app.session });
  // online, deliver the end at once, so that the session is complete on the server before
  // the device moves on (offline, it waits in IndexedDB like everything else)
  await Promise.race([app.syncer.flush(), new Promise((r) => setTimeout(r, 4000))]);
  await renderStart();
  const done = document.createElement("p");
  done.className = "flash ok";
  done.id = "ended-message";
  done.textContent = "Session ended. It is kept on this device until it has synced.";
  root.querySelector(".cap-start-head").after(done);
}

// -- the recording screen ----------------------------------------------------------------------

function buildRecorder() {
  const tpl = app.config.template;
  const ui = (app.ui = {});
  ui.clock = h("span", { class: "cap-clock", "aria-label": "Session time" }, "0:00");
  ui.sync = syncBadge();
  ui.undo = h("button", { class: "cap-tool", id: "undo", onclick: onTap("undo", undo), title: "Undo the last action" }, "↶ Undo");
  ui.end = h("button", { class: "cap-tool danger", id: "end-session", onclick: () => { app.confirmEnd = true; update(); } },
    selfReport ? "End my day" : "End session");
  ui.confirm = h("div", { class: "cap-confirm", hidden: true, role: "alertdialog", "aria-label": "End the session?" },
    h("span", {}, selfReport ? "End your day's log now?" : "End this session now? Running tasks end now."),
    h("button", { class: "danger", id: "confirm-end", onclick: onTap("end-session", endSession) }, "Yes, end"),
    h("button", { onclick: () => { app.confirmEnd = false; update(); } }, "Cancel"));
  ui.banner = h("p", { class: "flash error", hidden: true, role: "alert", id: "banner" });

  // categories, grouped by domain
  const groups = DOMAINS.map((d) => {
    const cats = tpl.categories.filter((c) => (c.domain || "other") === d);
    if (!cats.length) return null;
    return h("section", { class: `cap-domain d-${d}`, style: `--dc: ${COLOURS[d]}` },
      h("h2", {}, d),
      h("div", { class: "cap-cats" }, cats.map((c) => {
        const b = h("button", {
          class: "cap-cat", dataset: { category: c.code, domain: d }, "aria-pressed": "false",
          onclick: onTap(`cat:${c.code}`, (t) => tapCategory(c.code, t)), title: c.examples || c.label,
        },
        h("span", { class: "cap-cat-label" }, c.label),
        h("span", { class: "cap-cat-state" }));
        c._button = b;
        return b;
      })));
  });

  const arm = (mode) => onTap(`arm:${mode}`, () => {
    app.arm = app.arm === mode ? null : mode;
    update();
  });
  ui.parallel = h("button", { class: "cap-mode", id: "arm-parallel", "aria-pressed": "false",
    onclick: arm("parallel") }, "+ In parallel");
  ui.interrupt = selfReport ? null : h("button", { class: "cap-mode", id: "arm-interrupt", "aria-pressed": "false",
    onclick: arm("interrupt") }, "⚡ Interrupt");
  ui.armHint = h("p", { class: "cap-hint", id: "arm-hint" });
  ui.status = h("p", { class: "cap-status", id: "cap-status", role: "status", "aria-live": "polite", hidden: true });
  ui.cards = h("div", { class: "cap-cards", id: "running" });
  ui.dims = h("div", { class: "cap-dims", id: "dims" });

  const events = selfReport ? null : h("section", { class: "cap-events" },
    tpl.point_events.map((pe) =>
      h("div", { class: "cap-event-group" },
        h("h3", {}, pe.label),
        h("div", { class: "cap-chips" }, (pe.subtypes.length ? pe.subtypes : [null]).map((st) =>
          h("button", { class: `chip event ${pe.key}`, dataset: { event: pe.key, subtype: st || "" },
            onclick: onTap(`event:${pe.key}:${st || ""}`, (t) => pointEvent(pe.key, st, t)) }, st || pe.label))))));

  ui.note = h("textarea", { id: "note", rows: 2, placeholder: "Field note (time is stamped when you start typing)", "aria-label": "Field note" });
  ui.note.addEventListener("input", () => {
    if (!app.noteT && ui.note.value.trim()) {
      app.noteT = Date.now();
      ui.noteStamp.textContent = `note at ${clock(app.noteT)}`;
    } else if (!ui.note.value.trim()) {
      app.noteT = null;
      ui.noteStamp.textContent = "";
    }
  });
  ui.noteStamp = h("span", { class: "cap-stamp" });
  const noteBox = h("section", { class: "cap-note" }, ui.note,
    h("div", { class: "row" }, ui.noteStamp, h("button", { id: "save-note", onclick: onSaveNote }, "Save note")));

  ui.tl = h("div", { class: "cap-tl", id: "timeline", role: "img", "aria-label": "Timeline of this session" });
  ui.tlAxis = h("div", { class: "cap-tl-axis" });
  ui.tl.append(ui.tlAxis);
  ui.tlScroll = h("div", { class: "cap-tl-scroll" }, ui.tl);
  ui.tlScroll.addEventListener("scroll", measureTimeline, { passive: true });
  if (!app.resizeHooked) {
    app.resizeHooked = true;
    window.addEventListener("resize", () => { measureTimeline(); if (app.state) renderTimeline(Date.now()); });
  }
  ui.log = h("ol", { class: "cap-log", id: "log", reversed: true });

  const who = selfReport ? "My work" : `Shadowing ${app.session.participant}`;
  root.replaceChildren(
    h("div", { class: "cap-bar" },
      h("div", { class: "cap-who" }, h("strong", {}, who), ui.clock),
      ui.sync,
      h("div", { class: "cap-tools" }, ui.undo, ui.end)),
    ui.confirm,
    ui.banner,
    h("div", { class: "cap-main" },
      h("div", { class: "cap-left" },
        groups,
        h("section", { class: "cap-timeline" },
          h("h2", { class: "sr-only" }, "Timeline"),
          ui.tlScroll,
          h("div", { class: "cap-legend" }, DOMAINS.map((d) =>
            h("span", { class: "key" }, h("span", { class: "swatch", style: `background:${COLOURS[d]}` }), d)),
            h("span", { class: "key" }, h("span", { class: "swatch hatch" }), "suspended"),
            h("span", { class: "key" }, h("span", { class: "tl-key interruption" }), "interruption"),
            h("span", { class: "key" }, h("span", { class: "tl-key demand" }), "demand"),
            h("span", { class: "key" }, h("span", { class: "tl-key note" }), "note"))),
        h("details", { class: "cap-logbox", open: true }, h("summary", {}, "What was recorded"), ui.log)),
      (ui.right = h("div", { class: "cap-right" },
        // pinned: what is running now and the modes stay in view whatever else is scrolled
        (ui.now = h("section", { class: "cap-now", id: "now", "aria-label": "Now" },
          h("div", { class: "cap-modes" }, ui.parallel, ui.interrupt),
          ui.armHint,
          ui.status,
          ui.cards)),
        ui.dims,
        events,
        noteBox)))
  );
  watchPinned();
}

// The pinned bar's and panel's heights, as CSS variables: the panel sits under the bar, and
// whatever the page scrolls into view lands below both.
function watchPinned() {
  if (!("ResizeObserver" in window)) return;
  if (app.pinObserver) app.pinObserver.disconnect();
  const rootStyle = document.documentElement.style;
  app.pinObserver = new ResizeObserver(() => {
    const bar = root.querySelector(".cap-bar");
    if (bar) rootStyle.setProperty("--cap-bar-h", `${Math.ceil(bar.getBoundingClientRect().height)}px`);
    const now = app.ui.now;
    const pinnedOnPage = now && getComputedStyle(now).position === "sticky" && getComputedStyle(app.ui.right).display === "contents";
    rootStyle.setProperty("--cap-now-h", pinnedOnPage ? `${Math.ceil(now.getBoundingClientRect().height)}px` : "0px");
  });
  app.pinObserver.observe(root.querySelector(".cap-bar"));
  app.pinObserver.observe(app.ui.now);
}

function update() {
  const st = app.state;
  const ui = app.ui;
  if (!ui.cards) return;
  const now = Date.now();
  ui.clock.textContent = duration(now - (st.start || now));
  ui.confirm.hidden = !app.confirmEnd;
  ui.undo.disabled = !app.actions.some((a) => a.type !== "session_start" && a.type !== "undo" && !st.undone.has(a.uuid));

  // which categories are running: active ones and suspended ones look different (a filled
  // button with a dot; a dashed, hatched one with a pause sign), never by colour alone
  const activeCats = new Set(st.active().map((t) => t.category));
  const suspendedCats = new Set(st.running().filter((t) => st.isSuspended(t)).map((t) => t.category));
  const fg = st.foreground();
  for (const c of app.config.template.categories) {
    const b = c._button;
    if (!b) continue;
    const state = activeCats.has(c.code) ? "active" : suspendedCats.has(c.code) ? "suspended" : "";
    if ((b.dataset.state || "") === state && b.classList.contains("foreground") === (fg?.category === c.code)) continue;
    b.classList.toggle("running", !!state);
    b.classList.toggle("foreground", fg?.category === c.code);
    if (state) b.dataset.state = state;
    else delete b.dataset.state;
    b.setAttribute("aria-pressed", String(state === "active"));
    const mark = b.querySelector(".cap-cat-state");
    mark.textContent = state === "active" ? "● now" : state === "suspended" ? "‖ suspended" : "";
  }

  // modes
  ui.parallel.setAttribute("aria-pressed", String(app.arm === "parallel"));
  if (ui.interrupt) {
    ui.interrupt.setAttribute("aria-pressed", String(app.arm === "interrupt"));
    ui.interrupt.disabled = !st.foreground();
  }
  const they = selfReport ? "you" : "they";
  ui.armHint.textContent =
    app.arm === "parallel" ? "Tap what starts alongside the running task(s)."
      : app.arm === "interrupt" ? `Tap what interrupts ${category(st.foreground()?.category).label}.`
      : st.running().length ? `Tap what ${they} do next (the running task ends), or choose a mode first.`
      : `Tap what ${they} are doing.`;

  renderCards();
  renderDims();
  renderTimeline(now);
  renderLog();
}

// The running tasks, in the order they matter: the foreground task, the other active ones
// (latest first), then the suspended ones (latest suspended first).
function nowOrder(st) {
  const running = st.running();
  const active = running.filter((t) => !st.isSuspended(t)).sort((a, b) => b.start - a.start || b.seq - a.seq);
  const lastSusp = (t) => t.susp[t.susp.length - 1][0];
  const suspended = running.filter((t) => st.isSuspended(t)).sort((a, b) => lastSusp(b) - lastSusp(a) || b.seq - a.seq);
  return [...active, ...suspended];
}

function renderCards() {
  const st = app.state;
  const cards = nowOrder(st).map((t) => {
    const c = category(t.category);
    const suspended = st.isSuspended(t);
    const stop = (job) => (e) => {
      e.stopPropagation();
      job(e);
    };
    return h("div", {
      class: `cap-card${suspended ? " suspended" : ""}${t.key === app.selected ? " selected" : ""}`,
      dataset: { task: t.key, category: t.category, state: suspended ? "suspended" : "active" },
      style: `--dc:${COLOURS[c.domain] || COLOURS.other}`,
      onclick: onTap(`select:${t.key}`, () => { app.selected = t.key; update(); }),
    },
    h("div", { class: "cap-card-title" }, h("strong", {}, c.label), h("span", { class: "cap-card-time", dataset: { start: t.start } }, duration(Date.now() - t.start))),
    h("div", { class: "cap-card-actions" },
      suspended
        ? h("button", { class: "primary resume", onclick: stop(onTap(`resume:${t.key}`, (at) => resumeTask(t.key, at))) }, "▶ Resume")
        : null,
      h("button", { class: "end", onclick: stop(onTap(`end:${t.key}`, (at) => endTask(t.key, at))) }, "■ End")),
    h("div", { class: "cap-card-dims" }, Object.entries(t.dims).map(([k, v]) => h("span", { class: "chip static small" }, v.join(", ")))));
  });
  if (!cards.length) cards.push(h("p", { class: "muted cap-idle" }, "Nothing running."));
  app.ui.cards.replaceChildren(...cards);
}

function renderDims() {
  const task = app.state.tasks.get(app.selected);
  const box = app.ui.dims;
  if (!task || task.deleted) {
    box.replaceChildren(h("p", { class: "muted" }, "Select a task to describe it."));
    return;
  }
  const c = category(task.category);
  const dims = app.config.template.dimensions.filter(
    (d) => DIMENSIONS_SHOWN.includes(d.key) && (!d.domains || !d.domains.length || d.domains.includes(c.domain))
  );
  const chipsOf = (d) => {
    const chosen = task.dims[d.key] || [];
    return h("div", { class: "cap-dim", dataset: { dimension: d.key } },
      h("span", { class: "cap-dim-label" }, d.label, d.multi ? h("span", { class: "muted" }, " · any") : null),
      h("div", { class: "cap-chips" }, d.options.map((o) =>
        h("button", {
          class: `chip${chosen.includes(o) ? " on" : ""}`, "aria-pressed": String(chosen.includes(o)),
          dataset: { value: o }, onclick: onTap(`dim:${task.key}:${d.key}:${o}`, (t) => toggleDim(task.key, d, o, t)),
        }, o))));
  };
  const main = dims.filter((d) => ["with_whom", "how", "where"].includes(d.key));
  const more = dims.filter((d) => !["with_whom", "how", "where"].includes(d.key));
  const details = more.length
    ? h("details", { class: "cap-more", open: app.moreOpen || undefined,
        ontoggle: (e) => { app.moreOpen = e.target.open; } },
        h("summary", {}, `More: ${more.map((d) => d.label.toLowerCase()).join(", ")}`),
        more.map(chipsOf))
    : null;
  box.replaceChildren(
    h("h3", {}, `Describe: ${c.label}`, task.end !== null ? h("span", { class: "muted small" }, ` (ended ${clock(task.end)}: changes are kept as corrections)`) : null),
    ...main.map(chipsOf),
    details
  );
}

// -- the running timeline ---------------------------------------------------------------------

function lanesOf(st, now) {
  const laneEnd = [];
  const out = new Map();
  const tasks = [...st.tasks.values()].filter((t) => !t.deleted).sort((a, b) => a.start - b.start || a.seq - b.seq);
  for (const t of tasks) {
    const end = t.end === null ? Infinity : t.end;
    let lane = laneEnd.findIndex((e) => e <= t.start);
    if (lane < 0) {
      lane = laneEnd.length;
      laneEnd.push(end);
    } else laneEnd[lane] = end;
    out.set(t.key, lane);
  }
  return { lanes: out, count: Math.max(laneEnd.length, 1) };
}

function renderTimeline(now) {
  const st = app.state;
  const ui = app.ui;
  const t0 = st.start || now;
  const avail = app.tlWidth || 600;
  const minutes = (now - t0) / 60000;
  const ppm = SCALES.find((s) => minutes * s + 60 <= avail) || SCALES[SCALES.length - 1];
  if (ppm !== app.ppm) {
    // a new scale: everything is placed again (rare: only as the session grows)
    app.ppm = ppm;
    app.ticks = 0;
    ui.tlAxis.replaceChildren();
    for (const bar of app.bars.values()) bar.sig = "";
    for (const el of app.marks.values()) el.remove();
    app.marks.clear();
  }
  const x = (ms) => ((ms - t0) / 60000) * ppm;
  const { lanes, count } = lanesOf(st, now);
  const width = Math.max(x(now) + 40, avail);
  ui.tl.style.width = `${width}px`;
  ui.tl.style.height = `${34 + count * (LANE_H + 4)}px`;
  ui.tl.style.backgroundSize = `${ppm * 5}px 100%`;

  // axis ticks
  const step = [1, 2, 5, 10, 15, 30, 60].find((m) => m * ppm >= 80) || 60;
  const wantTicks = Math.floor((now - t0) / (step * 60000)) + 1;
  while (app.ticks < wantTicks) {
    const at = t0 + app.ticks * step * 60000;
    ui.tlAxis.append(h("span", { class: "tick", style: `left:${x(at)}px` }, clock(at).slice(0, 5)));
    app.ticks++;
  }

  const seen = new Set();
  for (const t of st.tasks.values()) {
    if (t.deleted) continue;
    seen.add(t.key);
    const end = t.end === null ? now : t.end;
    const lane = lanes.get(t.key);
    const c = category(t.category);
    const left = x(t.start);
    const w = Math.max(x(end) - left, 3);
    const sig = `${left}|${t.end === null ? "run" : w}|${lane}|${t.category}|${t.susp.length}|${t.susp.length ? t.susp[t.susp.length - 1][1] : ""}|${t.key === app.selected}`;
    let bar = app.bars.get(t.key);
    if (bar && bar.sig === sig && t.end !== null) continue;
    if (!bar) {
      const el = h("div", { class: "tl-bar", dataset: { key: t.key }, onclick: () => { app.selected = t.key; update(); } });
      bar = { el, sig: "" };
      app.bars.set(t.key, bar);
      ui.tl.append(el);
    }
    const el = bar.el;
    el.style.cssText = `left:${left}px;width:${w}px;top:${28 + lane * (LANE_H + 4)}px;background:${COLOURS[c.domain] || COLOURS.other};color:${TEXT[c.domain] || "#fff"}`;
    el.classList.toggle("running", t.end === null);
    el.classList.toggle("selected", t.key === app.selected);
    el.title = `${c.label} ${clock(t.start)}–${t.end === null ? "running" : clock(t.end)}`;
    if (bar.sig.split("|")[3] !== t.category || bar.sig.split("|")[4] !== String(t.susp.length) || bar.sig.split("|")[5] !== String(t.susp.length ? t.susp[t.susp.length - 1][1] : "")) {
      el.replaceChildren(
        h("span", { class: "tl-label" }, t.category),
        ...t.susp.map(([s0, s1]) => h("span", { class: "tl-gap", style: `left:${x(s0) - left}px;width:${Math.max(x(s1 === null ? now : s1) - x(s0), 2)}px`, dataset: { open: s1 === null ? "1" : "" } }))
      );
    } else if (t.end === null) {
      for (const gap of el.querySelectorAll(".tl-gap[data-open='1']")) {
        const s = t.susp[t.susp.length - 1];
        gap.style.width = `${Math.max(x(now) - x(s[0]), 2)}px`;
      }
    }
    bar.sig = sig;
  }
  for (const [key, bar] of app.bars) {
    if (!seen.has(key)) {
      bar.el.remove();
      app.bars.delete(key);
    }
  }
  // point events and notes
  const seenMarks = new Set();
  for (const p of st.points.values()) {
    if (p.deleted) continue;
    seenMarks.add(p.key);
    if (app.marks.has(p.key)) continue;
    const el = h("span", {
      class: `tl-mark ${p.kind}`, style: `left:${x(p.at)}px`, dataset: { key: p.key },
      title: `${clock(p.at)} ${p.kind === "note" ? p.text : `${p.kind}${p.subtype ? `: ${p.subtype}` : ""}`}`,
    });
    app.marks.set(p.key, el);
    ui.tl.append(el);
  }
  for (const [key, el] of app.marks) {
    if (!seenMarks.has(key)) {
      el.remove();
      app.marks.delete(key);
    }
  }
  if (app.tlFollow) scrollTimelineToEnd();
}

// Layout is read only outside of updates (on resize and scroll, and in the next frame), so
// that a tap never forces the page to be laid out twice.
function measureTimeline() {
  const s = app.ui.tlScroll;
  if (!s) return;
  app.tlWidth = s.clientWidth;
  app.tlFollow = s.scrollLeft + s.clientWidth >= s.scrollWidth - 30;
}

function scrollTimelineToEnd() {
  if (app.scrollPending) return;
  app.scrollPending = true;
  requestAnimationFrame(() => {
    app.scrollPending = false;
    const s = app.ui.tlScroll;
    if (s) s.scrollLeft = s.scrollWidth;
  });
}

function describe(a) {
  const p = a.payload || {};
  const label = (code) => category(code).label;
  switch (a.type) {
    case "session_start": return selfReport ? "Started logging" : `Started shadowing ${p.participant}`;
    case "task_start":
      return (p.suspends && p.suspends.length ? "Interrupted by " : p.ends && p.ends.length ? "Switched to " : "Started ") + label(p.category);
    case "task_end": return `Ended ${label(app.state.tasks.get(p.task)?.category)}`;
    case "resume": return `Resumed ${label(app.state.tasks.get(p.task)?.category)}`;
    case "dims": return `${p.dimension}: ${(p.values || []).join(", ") || "cleared"}`;
    case "event": return `${p.kind === "demand" ? "Demand" : "Interruption"}: ${p.subtype || ""}`;
    case "note": return `Note: ${p.text}`;
    case "undo": return "Undo";
    case "session_end": return "Session ended";
    default: return a.type;
  }
}

function renderLog() {
  const st = app.state;
  const recent = app.actions.slice(-30).reverse();
  app.ui.log.replaceChildren(...recent.map((a) =>
    h("li", { class: st.undone.has(a.uuid) ? "undone" : "", dataset: { type: a.type } },
      h("time", {}, clock(a.t)), " ", describe(a))));
}

// -- sync state --------------------------------------------------------------------------------

// The sync badge: in a session, how many of this session's actions wait on this device (those
// of other sessions are added as "+N other"); on the start screen, all of the study's. It is
// never empty: until the first count it says so.
function syncBadge() {
  const el = h("button", { class: "cap-sync", id: "sync-state", "aria-live": "polite", onclick: () => app.syncer && app.syncer.soon(0) });
  app.syncEl = el;
  renderSync();
  return el;
}

function renderSync() {
  const el = app.syncEl;
  if (!el) return;
  const s = app.syncState;
  const others = s.others ? ` · +${s.others} other` : "";
  let text;
  let kind;
  if (s.waiting === null || s.waiting === undefined) {
    text = "Checking the device…";
    kind = "waiting";
  } else if (s.refused) {
    text = `${s.refused} refused`;
    kind = "error";
  } else if (s.phase === "error" || s.phase === "signin") {
    text = (s.phase === "signin" ? "Sign in to sync" : "Sync error") + ` · ${s.waiting} waiting${others}`;
    kind = "error";
  } else if (s.waiting) {
    text = (s.phase === "offline" ? `Offline · ${s.waiting} waiting` : `${s.waiting} waiting`) + others;
    kind = "waiting";
  } else {
    text = (s.phase === "offline" ? "Offline · all sent" : "All sent") + others;
    kind = s.others ? "waiting" : "ok";
  }
  el.textContent = text;
  el.dataset.state = kind;
  el.dataset.waiting = String(s.waiting ?? "");
  el.title = s.message || "Tap to sync now";
}

function showBanner(text) {
  if (!app.ui.banner) return;
  app.ui.banner.textContent = text;
  app.ui.banner.hidden = false;
}

function tick() {
  if (!app.session || !app.state || !app.ui.clock) return;
  const now = Date.now();
  app.ui.clock.textContent = duration(now - (app.state.start || now));
  for (const el of app.ui.cards.querySelectorAll(".cap-card-time")) {
    el.textContent = duration(now - Number(el.dataset.start));
  }
  if (now % 5000 < 1000) renderTimeline(now);
}

main().catch((e) => {
  console.error(e);
  root.replaceChildren(h("p", { class: "flash error" }, `The capture app could not start: ${e}`));
});
