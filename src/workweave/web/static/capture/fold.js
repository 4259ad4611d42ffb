// The capture state as a fold over the session's action log.
// It mirrors workweave/domain/capture.py, which is the reference: the server projects the same
// log into the canonical tables. Actions are folded in (seq, t, uuid) order; undone actions
// are left out. Both folds run the cases in tests/domain/capture/fold_cases/ (see its README for the
// fields they are compared on).

export function orderKey(a, b) {
  if (a.seq !== b.seq) return a.seq - b.seq;
  if (a.t !== b.t) return a.t - b.t;
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

function text(v) {
  return typeof v === "string" && v.trim() ? v.trim().slice(0, 200) : null;
}

function keys(v) {
  return Array.isArray(v) ? v.filter((x) => typeof x === "string") : [];
}

function values(v) {
  const out = [];
  if (Array.isArray(v)) {
    for (const x of v) {
      if (typeof x === "string" && x.trim() && !out.includes(x.trim())) out.push(x.trim());
    }
  }
  return out;
}

export class State {
  constructor() {
    this.start = null;
    this.end = null;
    this.tasks = new Map(); // key -> task
    this.open = new Map(); // key -> task not ended yet (running or suspended)
    this.points = new Map(); // key -> event or note
    this.links = [];
    this.undone = new Set();
    this.version = 0; // bumped on every change, for cheap re-render checks
  }

  isActive(t) {
    return t.end === null && !this.isSuspended(t) && !t.deleted;
  }

  isSuspended(t) {
    return t.susp.length > 0 && t.susp[t.susp.length - 1][1] === null;
  }

  active() {
    return [...this.open.values()].filter((t) => this.isActive(t));
  }

  running() {
    // tasks not yet ended (active or suspended), oldest first
    return [...this.open.values()].filter((t) => !t.deleted);
  }

  foreground() {
    const act = this.active();
    return act.length ? act[act.length - 1] : null;
  }

  endTask(key, t, by) {
    const task = this.tasks.get(key);
    if (task && task.end === null && !task.deleted) {
      task.end = Math.max(t, task.start);
      task.endedBy = by;
      this.open.delete(key);
    }
  }

  apply(a) {
    const p = a.payload || {};
    const t = a.t;
    this.version++;
    switch (a.type) {
      case "session_start":
        this.start = this.start === null ? t : Math.min(this.start, t);
        break;
      case "task_start": {
        const key = text(p.task);
        const category = text(p.category);
        if (!key || !category || this.tasks.has(key)) return;
        for (const k of keys(p.ends)) this.endTask(k, t, key);
        for (const k of keys(p.suspends)) {
          const task = this.tasks.get(k);
          if (task && this.isActive(task)) task.susp.push([t, null, key]);
        }
        const others = this.active();
        const task = {
          key, category, subcategory: text(p.subcategory), start: t, end: null,
          endedBy: null, dims: {}, susp: [], seq: this.tasks.size, deleted: false,
          how: keys(p.suspends).length ? "interrupt" : keys(p.ends).length ? "switch" : others.length ? "parallel" : "start",
        };
        this.tasks.set(key, task);
        this.open.set(key, task);
        for (const o of others) this.links.push([o.key, key]);
        break;
      }
      case "task_end": {
        const key = text(p.task);
        if (key) this.endTask(key, t, "user");
        break;
      }
      case "resume": {
        const key = text(p.task);
        for (const k of keys(p.ends)) if (k !== key) this.endTask(k, t, key || "user");
        const task = this.tasks.get(key || "");
        if (task && this.isSuspended(task) && task.end === null) {
          const s = task.susp[task.susp.length - 1];
          s[1] = Math.max(t, s[0]);
          // whatever is running when a task is taken up again runs in parallel with it
          for (const o of this.active()) if (o.key !== task.key) this.links.push([o.key, task.key]);
        }
        break;
      }
      case "dims": {
        const task = this.tasks.get(text(p.task) || "");
        const dim = text(p.dimension);
        if (!task || !dim) return;
        const vals = values(p.values);
        if (vals.length) task.dims[dim] = vals;
        else delete task.dims[dim];
        break;
      }
      case "event": {
        if (p.kind !== "interruption" && p.kind !== "demand") return;
        const key = text(p.key) || a.uuid;
        if (!this.points.has(key)) {
          this.points.set(key, { key, at: t, kind: p.kind, subtype: text(p.subtype), deleted: false });
        }
        break;
      }
      case "note": {
        if (typeof p.text !== "string" || !p.text.trim()) return;
        const key = text(p.key) || a.uuid;
        if (!this.points.has(key)) {
          this.points.set(key, { key, at: t, kind: "note", text: p.text.trim(), deleted: false });
        }
        break;
      }
      case "edit": {
        const target = text(p.target);
        const task = this.tasks.get(target || "");
        if (task) {
          if (p.field === "category" && text(p.value)) task.category = text(p.value);
          if (p.field === "deleted") task.deleted = !!p.value;
        }
        const pt = this.points.get(target || "");
        if (pt && p.field === "deleted") pt.deleted = !!p.value;
        break;
      }
      case "session_end":
        for (const task of this.open.values()) {
          if (task.end === null && !task.deleted) {
            task.end = Math.max(t, task.start);
            task.endedBy = "session";
          }
        }
        this.open.clear();
        this.end = this.end === null ? t : Math.max(this.end, t);
        break;
      default:
        break;
    }
  }
}

// Fold a whole log. Returns the state.
export function fold(actions) {
  const acts = [...actions].sort(orderKey);
  const byUuid = new Map(acts.map((a) => [a.uuid, a]));
  const state = new State();
  for (const a of acts) {
    if (a.type === "undo") {
      const victim = byUuid.get(a.payload && a.payload.target);
      if (victim && victim.type !== "undo" && victim.type !== "session_start") {
        state.undone.add(victim.uuid);
      }
    }
  }
  for (const a of acts) {
    if (a.type === "undo" || state.undone.has(a.uuid)) continue;
    state.apply(a);
  }
  return state;
}

// Can an action be appended to a state by applying it alone (no re-fold needed)?
// True when it sorts after every action folded so far and is not an undo.
export function appendable(lastAction, a) {
  return a.type !== "undo" && (!lastAction || orderKey(lastAction, a) < 0);
}
