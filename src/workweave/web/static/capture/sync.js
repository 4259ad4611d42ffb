// Sending the device's actions to the server, in order, until none are waiting.
//
// POST /api/sync is idempotent (an action's UUID is its key), so a batch that was stored but
// whose answer was lost is simply sent again. Each batch carries the device clock, from which
// the server measures the device's clock skew.

const BATCH = 500;
const KEEPALIVE_MS = 5 * 60 * 1000;  // well inside the server's idle limit (30 min by default)

export class Syncer {
  constructor({ db, study, csrf, onState, onRefused, session }) {
    this.db = db;
    this.study = study;
    this.session = session || (() => null); // the session on screen: the badge counts its actions
    this.csrf = csrf;
    this.onState = onState || (() => {});
    this.onRefused = onRefused || (() => {});
    this.running = false;
    this.again = false;
    this.timer = null;
    this.backoff = 2000;
    this.batchSize = BATCH;
    this.phase = "idle";
    this.message = "";
    this.contact = Date.now();  // the last time the server answered us as signed in
    window.addEventListener("online", () => this.soon(50));
    setInterval(() => this.soon(0), 20000);
  }

  soon(delay = 250) {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, delay);
  }

  async report(phase, message = "") {
    this.phase = phase;
    this.message = message;
    const counts = await this.db.countPending(this.study, this.session());
    this.onState({ phase: this.phase, message: this.message, ...counts });
  }

  // Count again (after an action was stored, or another session was opened), keeping the phase.
  recount() {
    return this.report(this.phase, this.message);
  }

  async refreshToken() {
    const r = await fetch("/api/session", { credentials: "same-origin", cache: "no-store" });
    if (!r.ok) return false;
    const body = await r.json();
    this.csrf = body.csrf;
    return !!body.user;
  }

  async post(actions) {
    return fetch("/api/sync", {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": this.csrf },
      body: JSON.stringify({
        study: this.study,
        clock: Date.now(),
        actions: actions.map(({ uuid, session, seq, type, t, payload }) => ({
          uuid, session, seq, type, t, payload,
        })),
      }),
    });
  }

  async run() {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      for (;;) {
        const batch = await this.db.pending(this.study, this.batchSize);
        if (!batch.length) {
          // nothing to send (a long task, a meeting): every few minutes tell the server the
          // capture page is still open, so a quiet stretch does not end the sign-in
          if (Date.now() - this.contact > KEEPALIVE_MS && navigator.onLine !== false) {
            if (await this.refreshToken().catch(() => false)) this.contact = Date.now();
          }
          await this.report("synced");
          break;
        }
        if (navigator.onLine === false) {
          // the device knows it has no network: keep everything, send when it comes back
          // (the "online" event); no request is even tried
          await this.report("offline", "Offline.");
          break;
        }
        await this.report("syncing");
        let res = await this.post(batch);
        if (res.ok) this.contact = Date.now();
        if (res.status === 403 || res.status === 401) {
          // an expired token or session: fetch a fresh token once and try again
          const signedIn = await this.refreshToken();
          if (!signedIn) {
            await this.report("signin", "Sign in again to sync. Everything is kept on this device.");
            break;
          }
          res = await this.post(batch);
        }
        if (!res.ok) {
          let detail = `the server answered ${res.status}`;
          try {
            detail = (await res.json()).detail || detail;
          } catch (e) {
            /* not JSON */
          }
          if (res.status >= 400 && res.status < 500 && ![401, 403, 408, 429].includes(res.status)) {
            // the server refuses the request as it is: sending it again would not help.
            // Split the batch until the action it refuses is found; refuse that one alone
            // (shown to the observer like any other refusal) and go on with the rest.
            if (batch.length > 1) {
              this.batchSize = Math.max(1, Math.floor(batch.length / 2));
              continue;
            }
            const refused = batch.map((a) => ({ uuid: a.uuid, reason: detail }));
            await this.db.mark(
              refused.map((r) => r.uuid),
              2,
              Object.fromEntries(refused.map((r) => [r.uuid, r.reason])),
            );
            this.onRefused(refused, batch);
            continue;
          }
          await this.report("error", detail);
          this.retryLater();
          break;
        }
        const body = await res.json();
        await this.db.mark([...body.stored, ...body.duplicates], 0);
        if (body.rejected.length) {
          const reasons = Object.fromEntries(body.rejected.map((r) => [r.uuid, r.reason]));
          await this.db.mark(Object.keys(reasons), 2, reasons);
          this.onRefused(body.rejected, batch);
        }
        this.backoff = 2000;
        this.batchSize = BATCH;
      }
    } catch (e) {
      // no network (or the server is down): keep everything and try again later
      await this.report("offline", navigator.onLine ? "The server cannot be reached." : "Offline.");
      this.retryLater();
    } finally {
      this.running = false;
      if (this.again) {
        this.again = false;
        this.soon(0);
      }
    }
  }

  // Sync now and wait until nothing is waiting, or until it cannot go on (offline, error).
  async flush() {
    for (let i = 0; i < 5; i++) {
      while (this.running) await new Promise((r) => setTimeout(r, 25));
      await this.run();
      const { waiting } = await this.db.countPending(this.study);
      if (!waiting || ["offline", "error", "signin"].includes(this.phase)) return;
    }
  }

  retryLater() {
    this.soon(this.backoff);
    this.backoff = Math.min(this.backoff * 2, 30000);
  }
}
