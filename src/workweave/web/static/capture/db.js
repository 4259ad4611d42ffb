// The device's own record: every action is written to IndexedDB before it is sent anywhere.
//
// Stores:
//   actions   {uuid, session, study, seq, type, t, payload, pending}
//             pending: 1 = waiting to be synced, 0 = stored by the server, 2 = refused
//   sessions  {uuid, study, user, mode, participant, started, ended, nextSeq, status, refusal}
//   kv        {k, v}  cached study configuration and other small things

const DB_NAME = "workweave-capture";
const DB_VERSION = 1;

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

export async function openDb() {
  const r = indexedDB.open(DB_NAME, DB_VERSION);
  r.onupgradeneeded = () => {
    const db = r.result;
    const actions = db.createObjectStore("actions", { keyPath: "uuid" });
    actions.createIndex("session", ["session", "seq"]);
    actions.createIndex("pending", ["study", "pending"]);
    const sessions = db.createObjectStore("sessions", { keyPath: "uuid" });
    sessions.createIndex("study", "study");
    db.createObjectStore("kv", { keyPath: "k" });
  };
  return new Db(await req(r));
}

export class Db {
  constructor(db) {
    this.db = db;
  }

  // Write an action and its session's next sequence number in one transaction.
  putAction(action, session) {
    const tx = this.db.transaction(["actions", "sessions"], "readwrite");
    tx.objectStore("actions").put(action);
    if (session) tx.objectStore("sessions").put(session);
    return done(tx);
  }

  putSession(session) {
    const tx = this.db.transaction("sessions", "readwrite");
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

  async countPending(study) {
    const tx = this.db.transaction("actions");
    const idx = tx.objectStore("actions").index("pending");
    const [waiting, refused] = await Promise.all([
      req(idx.count([study, 1])),
      req(idx.count([study, 2])),
    ]);
    return { waiting, refused };
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
