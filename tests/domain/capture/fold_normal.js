// Running a shared fold case (fold_cases/*.json) through the browser's fold (fold.js) and
// putting its state in the normalised form that fold_normal.py gives for the Python fold
// (see fold_cases/README.md for the form). The fold module is passed in, so this file does
// not depend on where fold.js is served from.

function ms(text) {
  const n = Date.parse(text);
  if (Number.isNaN(n)) throw new Error(`${text}: not an ISO 8601 instant`);
  return n;
}

function iso(n) {
  return n === null ? null : new Date(n).toISOString().replace(".000Z", "Z");
}

// The case's action log as the capture client holds it, in delivery order (duplicates kept).
export function caseActions(c) {
  return c.actions.map((a) => ({
    uuid: a.uuid,
    session: a.session || c.header.uuid,
    seq: a.seq,
    type: a.type,
    t: ms(a.t),
    payload: a.payload || {},
  }));
}

function byAtThenKey(a, b) {
  if (a.at !== b.at) return a.at - b.at;
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

// The fields both folds produce, in one canonical form.
export function normalise(state) {
  const tasks = [...state.tasks.values()].filter((t) => !t.deleted);
  const live = new Set(tasks.map((t) => t.key));
  const partners = new Map(tasks.map((t) => [t.key, new Set()]));
  for (const [a, b] of state.links) {
    if (live.has(a) && live.has(b) && a !== b) {
      partners.get(a).add(b);
      partners.get(b).add(a);
    }
  }
  const points = [...state.points.values()].filter((p) => !p.deleted).sort(byAtThenKey);
  return {
    complete: state.end !== null,
    tasks: tasks.map((t) => ({
      key: t.key,
      category: t.category,
      subcategory: t.subcategory,
      start: iso(t.start),
      end: iso(t.end),
      ended_by: t.endedBy,
      dims: Object.fromEntries(
        Object.keys(t.dims).sort().map((d) => [d, [...new Set(t.dims[d])].sort()]),
      ),
      suspensions: t.susp.map(([s0, s1, by]) => [iso(s0), iso(s1), by]),
      parallel: [...partners.get(t.key)].sort(),
    })),
    events: points
      .filter((p) => p.kind !== "note")
      .map((p) => ({ key: p.key, kind: p.kind, subtype: p.subtype, at: iso(p.at) })),
    notes: points
      .filter((p) => p.kind === "note")
      .map((p) => ({ key: p.key, at: iso(p.at), text: p.text })),
  };
}

export function runCase(foldModule, c) {
  return normalise(foldModule.fold(caseActions(c)));
}
