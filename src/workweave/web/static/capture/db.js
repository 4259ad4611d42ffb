// The device's own record: every action is written to IndexedDB before it is sent anywhere.
//
// Stores:
//   actions   {uuid, session, study, seq, type, t, payload, pending}
//             pending: 1 = waiting to be synced, 0 = stored by the server, 2 = refused
//   sessions  {uuid, study, user, mode, participant, started, ended, nextSeq, status, refusal}
//   kv        {k, v}  cached study configuration and other small things
//
// A tap is shown as recorded only once the transaction that stores it has committed
// (putAction resolves on `oncomplete`, with strict durability where the browser offers it),
// so that a reload, a crash or a closed tab after the confirmation loses nothing.

const DB_NAME = "workweave-capture";
const DB_VERSION = 2; // 2: index of waiting actions by session
const WRITE = { durability: "strict" };

function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export async function openDb({ onBlocked, onVersionChange } = {}) {
  const r = indexedDB.open(DB_NAME, DB_VERSION);
  r.onupgradeneeded = (e) => {
    const db = r.result;
    let actions;
    if (e.oldVersion < 1) {
      actions = db.createObjectStore("actions", { keyPath: "uuid" });
      actions.createIndex("session", ["session", "seq"]);
      actions.createIndex("pending", ["study", "pending"]);
      const sessions = db.createObjectStore("sessions", { keyPath: "uuid" });
      sessions.createIndex("study", "study");
      db.createObjectStore("kv", { keyPath: "k" });
    } else {
      actions = r.transaction.objectStore("actions");
    }
    if (e.oldVersion < 2) actions.createIndex("sessionPending", ["session", "pending"]);
  };
  // another tab still holds an older version open: it is asked to let go (below)
  if (onBlocked) r.onblocked = onBlocked;
  const db = await req(r);
  db.onversionchange = () => {
    db.close();
    if (onVersionChange) onVersionChange();
  };
  return new Db(db);
}

function writeTx(db, stores) {
  try {
    return db.transaction(stores, "readwrite", WRITE);
  } catch (e) {
    return db.transaction(stores, "readwrite"); // a browser without the durability option
  }
}

export class Db {
  constructor(db) {
    this.db = db;
  }

  // Write an action and its session's next sequence number in one transaction; resolves once
  // the transaction has committed.
  putAction(action, session) {
    const tx = writeTx(this.db, ["actions", "sessions"]);
    tx.objectStore("actions").put(action);
    if (session) tx.objectStore("sessions").put(session);
    return done(tx);
  }

  putSession(session) {
    const tx = writeTx(this.db, "sessions");
    tx.objectStore("sessions").put(session);
    return done(tx);
  }

  async sessions(study) {
    const tx = this.db.transaction("sessions");
    const all = await req(tx.objectStore("sessions").index("study").getAll(study));
    return all.sort((a, b) => b.started - a.started);
  }

  async actionsOf(session) {
    const tx = this.db.transaction("actions");
    const range = IDBKeyRange.bound([session, -Infinity], [session, Infinity]);
    return req(tx.objectStore("actions").index("session").getAll(range));
  }

  // Actions waiting to be synced for a study, in order: by session, then sequence.
  async pending(study, limit = 500) {
    const tx = this.db.transaction("actions");
    const all = await req(tx.objectStore("actions").index("pending").getAll([study, 1]));
    all.sort((a, b) => (a.session < b.session ? -1 : a.session > b.session ? 1 : a.seq - b.seq));
    return all.slice(0, limit);
  }

  // Actions waiting on this device: for one session (`waiting`, when a session is given; else
  // for the whole study), for the study's other sessions (`others`), and refused ones.
  async countPending(study, session = null) {
    const tx = this.db.transaction("actions");
    const store = tx.objectStore("actions");
    const idx = store.index("pending");
    const [total, refused, own] = await Promise.all([
      req(idx.count([study, 1])),
      req(idx.count([study, 2])),
      session ? req(store.index("sessionPending").count([session, 1])) : Promise.resolve(null),
    ]);
    const waiting = own === null ? total : own;
    return { waiting, others: total - waiting, refused };
  }

  // Mark actions as stored (0) or refused (2, with the reason).
  async mark(uuids, pending, reasons = {}) {
    if (!uuids.length) return;
    const tx = this.db.transaction("actions", "readwrite");
    const store = tx.objectStore("actions");
    for (const uuid of uuids) {
      const r = store.get(uuid);
      r.onsuccess = () => {
        const a = r.result;
        if (a) {
          a.pending = pending;
          if (reasons[uuid]) a.reason = reasons[uuid];
          store.put(a);
        }
      };
    }
    return done(tx);
  }

  async get(k) {
    const tx = this.db.transaction("kv");
    const r = await req(tx.objectStore("kv").get(k));
    return r ? r.v : undefined;
  }

  put(k, v) {
    const tx = this.db.transaction("kv", "readwrite");
    tx.objectStore("kv").put({ k, v });
    return done(tx);
  }
}
