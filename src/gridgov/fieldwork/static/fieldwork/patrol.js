/* The patrol page. Like the report outbox (gridgov/outbox.js): everything is first written to
   IndexedDB on the phone, with names the phone makes (the patrol's uid, each batch's batch_id),
   then sent in order; a network failure leaves it waiting, visibly, and a resend after a lost
   answer is recognised by the server by those names, so each batch is stored exactly once.

   Stores: "fixes" (positions not yet put in a batch) and "queue" (requests to send, in order:
   start, batches, end). Every `sealSeconds` (or `batchSize` fixes, or at the end) the buffered
   fixes become one batch in the queue, in a single IndexedDB transaction. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("patrol-config").textContent);
  var T = cfg.t;
  var DB_NAME = "gridgov-patrol";
  var STATE_KEY = "gridgov-patrol:" + cfg.user;
  var RETRY_MS = 20000;
  var R = 6371008.8;
  var box = document.getElementById("patrol-outbox");
  var toggle = document.getElementById("patrol-toggle");
  var statusEl = document.getElementById("patrol-status");
  var dbPromise = null;
  var state = loadState();
  var watchId = null, pollTimer = null, clockTimer = null, sealTimer = null, wakeLock = null;
  var notice = "";

  function loadState() {
    try { return JSON.parse(localStorage.getItem(STATE_KEY)) || null; } catch (e) { return null; }
  }
  function saveState() {
    if (state) localStorage.setItem(STATE_KEY, JSON.stringify(state));
    else localStorage.removeItem(STATE_KEY);
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  /* --- IndexedDB --------------------------------------------------------------------------- */
  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore("fixes", { keyPath: "seq", autoIncrement: true });
          req.result.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }
  function tx(stores, mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(stores, mode);
        var out = fn(t);
        t.oncomplete = function () { resolve(out && out.req ? out.req.result : out); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }
  function mine(rows) { return (rows || []).filter(function (r) { return r.user === cfg.user; }); }
  function queued() {
    return tx(["queue"], "readonly", function (t) { return { req: t.objectStore("queue").getAll() }; })
      .then(mine);
  }
  function buffered() {
    return tx(["fixes"], "readonly", function (t) { return { req: t.objectStore("fixes").getAll() }; })
      .then(mine);
  }
  function enqueue(kind, uid, body) {
    return tx(["queue"], "readwrite", function (t) {
      t.objectStore("queue").add({ user: cfg.user, kind: kind, uid: uid, body: body });
    });
  }

  /* Buffered fixes of this account become one batch, atomically (at most 5,000 per batch). */
  function seal() {
    return tx(["fixes", "queue"], "readwrite", function (t) {
      var fixes = t.objectStore("fixes");
      var req = fixes.getAll();
      req.onsuccess = function () {
        var rows = mine(req.result).slice(0, 5000);
        if (!rows.length) return;
        var byPatrol = {};
        rows.forEach(function (r) {
          (byPatrol[r.uid] = byPatrol[r.uid] || []).push({ t: r.t, lon: r.lon, lat: r.lat, accuracy: r.accuracy });
          fixes.delete(r.seq);
        });
        Object.keys(byPatrol).forEach(function (uid) {
          t.objectStore("queue").add({
            user: cfg.user, kind: "batch", uid: uid,
            body: { batch_id: newKey(), fixes: byPatrol[uid] }
          });
        });
      };
    });
  }

  /* --- sending ----------------------------------------------------------------------------- */
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function url(rec) {
    if (rec.kind === "start") return cfg.api + "/patrols";
    return cfg.api + "/patrols/" + rec.uid + (rec.kind === "batch" ? "/fixes" : "/end");
  }
  function post(rec) {
    return fetch(url(rec), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(rec.body)
    });
  }
  function drop(rec) {
    return tx(["queue"], "readwrite", function (t) { t.objectStore("queue").delete(rec.seq); });
  }

  var running = null, again = false;
  function flush() {
    if (running) { again = true; return running; }
    running = sendAll().then(function () {
      running = null;
      if (again) { again = false; return flush(); }
    }, function () { running = null; });
    return running;
  }
  function sendAll() {
    if (navigator.onLine === false) return render();
    return queued().then(function (rows) {
      rows.sort(function (a, b) { return a.seq - b.seq; });
      var chain = Promise.resolve(true);
      rows.forEach(function (rec) {
        chain = chain.then(function (goOn) {
          if (!goOn) return false;
          return post(rec).then(function (r) {
            if (r.ok) return drop(rec).then(function () { return true; });
            if (r.status === 401 || r.status === 403) {
              notice = esc(T.loginNeeded) + " <a href=\"/login/?next=" + encodeURIComponent(location.pathname) + "\">↻</a>";
              return false;
            }
            if (r.status >= 400 && r.status < 500) {
              // Refused for good (a bad batch): keeping it would block everything after it.
              return r.json().catch(function () { return {}; }).then(function (body) {
                notice = esc(T.refused.replace("%(detail)s", body.detail || r.status));
                return drop(rec).then(function () { return true; });
              });
            }
            return false;  // server trouble: keep it, try later
          }, function () { return false; });  // network down: keep it
        });
      });
      return chain;
    }).catch(function () { return null; }).then(render);
  }

  function render() {
    return Promise.all([queued(), buffered()]).then(function (res) {
      var q = res[0], b = res[1];
      var fixes = b.length;
      q.forEach(function (r) { if (r.kind === "batch") fixes += r.body.fixes.length; });
      var pending = q.length + (b.length ? 1 : 0);
      box.setAttribute("data-pending", String(pending));
      box.setAttribute("data-pending-fixes", String(fixes));
      if (!pending && !notice) { box.hidden = true; box.innerHTML = ""; return; }
      box.hidden = false;
      var html = "";
      if (pending) {
        html += "<strong>" + esc(T.waiting.replace("%(n)s", pending).replace("%(fixes)s", fixes)) + "</strong>";
        html += "<p class=\"small\">" + esc(T.waitingHelp) + "</p>";
        html += "<button type=\"button\" class=\"btn secondary\" data-patrol-retry>" + esc(T.retry) + "</button>";
      }
      if (notice) html += "<p class=\"small\" data-patrol-notice>" + notice + "</p>";
      box.innerHTML = html;
      var retry = box.querySelector("[data-patrol-retry]");
      if (retry) retry.addEventListener("click", function () { seal().then(flush); });
    });
  }

  /* --- map and figures --------------------------------------------------------------------- */
  var map = L.map(document.getElementById("patrol-map"), { zoomControl: true, attributionControl: !!cfg.tileUrl });
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  var gridLayer = L.geoJSON(cfg.grids, { style: { color: "#2a7d2e", weight: 2, fillOpacity: 0.08 } }).addTo(map);
  if (gridLayer.getBounds().isValid()) map.fitBounds(gridLayer.getBounds(), { padding: [10, 10], animate: false });
  else map.setView([35, 113], 5);
  var line = L.polyline([], { color: "#1f5fbf", weight: 4 }).addTo(map);
  var here = null;

  function dist(a, b) {
    var p1 = a[0] * Math.PI / 180, p2 = b[0] * Math.PI / 180;
    var dp = p2 - p1, dl = (b[1] - a[1]) * Math.PI / 180;
    var h = Math.sin(dp / 2) * Math.sin(dp / 2) + Math.cos(p1) * Math.cos(p2) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * R * Math.asin(Math.sqrt(Math.min(1, h)));
  }
  function drawState() {
    var pts = state ? state.points : [];
    line.setLatLngs(pts.map(function (p) { return [p[0], p[1]]; }));
    document.getElementById("patrol-fixes").textContent = state ? String(state.count) : "0";
    document.getElementById("patrol-distance").textContent =
      ((state ? state.metres : 0) / 1000).toFixed(2) + " " + T.km;
    tick();
  }
  function tick() {
    var s = state ? Math.max(0, Math.floor((Date.now() - Date.parse(state.started)) / 1000)) : 0;
    var hh = Math.floor(s / 3600), mm = Math.floor(s / 60) % 60, ss = s % 60;
    document.getElementById("patrol-time").textContent =
      hh + ":" + ("0" + mm).slice(-2) + ":" + ("0" + ss).slice(-2);
  }

  /* A fix: buffered for the server as it came; drawn and counted if it passes the same rules
     the server applies (accuracy, time, speed) against the last drawn fix. */
  function onPosition(pos) {
    if (!state) return;
    var c = pos.coords;
    var t = pos.timestamp || Date.now();
    if (state.lastT && t <= state.lastT) return;  // the same reading again
    state.lastT = t;
    state.count += 1;
    var fix = {
      user: cfg.user, uid: state.uid, t: new Date(t).toISOString(),
      lon: c.longitude, lat: c.latitude, accuracy: c.accuracy == null ? null : c.accuracy
    };
    var p = [c.latitude, c.longitude, t];
    var last = state.points[state.points.length - 1];
    if (c.accuracy == null || c.accuracy <= 100) {
      if (!last) state.points.push(p);
      else {
        var d = dist(last, p), dt = (t - last[2]) / 1000;
        if (dt > 0 && d <= 50 * dt) {
          if (!(dt > 300 && d > 300)) state.metres += d;
          state.points.push(p);
        }
      }
    }
    saveState();
    if (!here) here = L.circleMarker([p[0], p[1]], { radius: 6, color: "#fff", weight: 2, fillColor: "#1f5fbf", fillOpacity: 1 }).addTo(map);
    else here.setLatLng([p[0], p[1]]);
    drawState();
    tx(["fixes"], "readwrite", function (tr) { tr.objectStore("fixes").add(fix); })
      .then(function () { return buffered(); })
      .then(function (b) { if (b.length >= cfg.batchSize) return seal().then(flush); return render(); })
      .catch(function () {});
  }
  function onGeoError(err) {
    statusEl.textContent = T.noGeo.replace("%(detail)s", err.message || err.code);
  }

  function startWatching() {
    if (!navigator.geolocation) { onGeoError({ message: "geolocation" }); return; }
    var opts = { enableHighAccuracy: true, maximumAge: 0, timeout: 30000 };
    watchId = navigator.geolocation.watchPosition(onPosition, onGeoError, opts);
    // Some phones report rarely while standing still: ask now and then as well.
    pollTimer = setInterval(function () {
      navigator.geolocation.getCurrentPosition(onPosition, function () {}, opts);
    }, 10000);
    clockTimer = setInterval(tick, 1000);
    sealTimer = setInterval(function () { seal().then(flush); }, cfg.sealSeconds * 1000);
    keepAwake();
  }
  function stopWatching() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    [pollTimer, clockTimer, sealTimer].forEach(function (x) { if (x) clearInterval(x); });
    watchId = pollTimer = clockTimer = sealTimer = null;
    if (wakeLock) { wakeLock.release().catch(function () {}); wakeLock = null; }
  }

  /* Screen Wake Lock: the screen stays on while the patrol runs (the browser drops the lock
     when the page is hidden, so take it again when the page comes back). */
  function keepAwake() {
    if (!("wakeLock" in navigator)) { statusEl.textContent = T.wakeOff; return; }
    navigator.wakeLock.request("screen").then(function (lock) {
      wakeLock = lock;
      statusEl.textContent = T.wakeOn;
      statusEl.setAttribute("data-wake-lock", "on");
    }, function () { statusEl.textContent = T.wakeOff; });
  }
  document.addEventListener("visibilitychange", function () {
    if (state && document.visibilityState === "visible" && !wakeLock) keepAwake();
  });

  function showButton() {
    toggle.disabled = false;
    toggle.textContent = state ? T.end : T.start;
    toggle.classList.toggle("danger", !!state);
    toggle.setAttribute("data-running", state ? "1" : "0");
  }

  toggle.addEventListener("click", function () {
    toggle.disabled = true;
    if (!state) {
      var uid = newKey();
      state = { uid: uid, started: new Date().toISOString(), points: [], metres: 0, count: 0, lastT: 0 };
      saveState();
      enqueue("start", uid, { uid: uid, started_at: state.started }).then(function () {
        startWatching();
        drawState();
        showButton();
        return flush();
      });
      return;
    }
    var ending = state;
    stopWatching();
    state = null;
    saveState();
    seal().then(function () {
      return enqueue("end", ending.uid, { ended_at: new Date().toISOString() });
    }).then(function () {
      statusEl.textContent = T.ended;
      showButton();
      return flush();
    });
  });

  // A patrol running on the server but unknown to this phone (another phone, cleared storage):
  // continue it here.
  if (!state && cfg.open) {
    state = { uid: cfg.open, started: cfg.openStarted, points: [], metres: 0, count: 0, lastT: 0 };
    saveState();
  }
  if (state) startWatching();
  drawState();
  showButton();
  window.addEventListener("online", function () { seal().then(flush); });
  window.addEventListener("offline", function () { render(); });
  setInterval(function () { flush(); }, RETRY_MS);
  openDb().then(flush).catch(function () {});
  window.GridgovPatrol = { flush: flush, seal: seal, render: render };
})();
