/* The phone's outbox: a report is first saved in IndexedDB with a client-generated idempotency
   key, then sent; when the network is down it waits (visibly) and is sent when the network is
   back. The server returns the first case for a repeated key, so a resend after a lost answer
   never creates a second case: each report arrives exactly once. */
(function () {
  "use strict";
  var DB_NAME = "gridgov-outbox";
  var STORE = "reports";
  var RETRY_MS = 20000;
  var textEl = document.getElementById("outbox-text");
  var T = textEl ? JSON.parse(textEl.textContent) : {};
  var box = document.getElementById("outbox");
  var sentBox = document.getElementById("sent-list");
  var form = document.querySelector("form[data-outbox]");
  var flushing = false;
  var dbPromise = null;

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        if (!window.indexedDB) { reject(new Error("no indexedDB")); return; }
        var req = indexedDB.open(DB_NAME, 1);
        req.onupgradeneeded = function () {
          req.result.createObjectStore(STORE, { keyPath: "key" });
        };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbPromise;
  }

  function tx(mode, fn) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var store = t.objectStore(STORE);
        var result = fn(store);
        t.oncomplete = function () { resolve(result && "result" in result ? result.result : undefined); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  var others = 0;
  /* This account's waiting reports, oldest first (others are counted, never sent). */
  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (rows) {
      rows = rows || [];
      var mine = rows.filter(function (r) { return r.user === T.user; });
      others = rows.length - mine.length;
      return mine.sort(function (a, b) { return a.created < b.created ? -1 : 1; });
    });
  }
  function put(rec) { return tx("readwrite", function (s) { s.put(rec); }); }
  function remove(key) { return tx("readwrite", function (s) { s.delete(key); }); }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  var notice = "";
  function render() {
    if (!box) return Promise.resolve();
    return all().then(function (rows) {
      box.setAttribute("data-pending", String(rows.length));
      if (!rows.length && !notice && !others) { box.hidden = true; box.innerHTML = ""; return; }
      box.hidden = false;
      var html = "";
      if (rows.length) {
        html += "<strong>" + esc((T.waiting || "%(n)s").replace("%(n)s", rows.length)) + "</strong>";
        html += "<p class=\"small\">" + esc(T.waitingHelp || "") + "</p><ul>";
        rows.forEach(function (r) {
          html += "<li data-outbox-item=\"" + esc(r.key) + "\">" + esc(r.summary) +
            (r.photos ? " · " + esc(T.photo || "") + " " + r.photos : "") +
            " <span class=\"muted small\">" + esc(r.created.slice(11, 16)) + "</span></li>";
        });
        html += "</ul>";
        html += "<button type=\"button\" class=\"btn secondary\" data-outbox-retry>" + esc(flushing ? (T.sending || "") : (T.retry || "")) + "</button>";
      }
      if (notice) html += "<p class=\"small\" data-outbox-notice>" + notice + "</p>";
      if (others) html += "<p class=\"small muted\">" + esc((T.otherAccount || "").replace("%(n)s", others)) + "</p>";
      box.innerHTML = html;
      var retry = box.querySelector("[data-outbox-retry]");
      if (retry) retry.addEventListener("click", function () { flush(); });
    });
  }

  function showSent(html) {
    if (!sentBox) return;
    sentBox.hidden = false;
    var p = document.createElement("p");
    p.innerHTML = html;
    sentBox.appendChild(p);
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function send(rec) {
    var fd = new FormData();
    rec.fields.forEach(function (kv) { fd.append(kv[0], kv[1]); });
    rec.files.forEach(function (f) { fd.append(f[0], f[1], f[2]); });
    fd.append("outbox_user", String(rec.user));
    return fetch(rec.url, {
      method: "POST",
      body: fd,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() }
    });
  }

  function flush() {
    if (flushing) return Promise.resolve();
    if (navigator.onLine === false) return render();
    flushing = true;
    notice = "";
    return all().then(function (rows) {
      var chain = Promise.resolve(true);
      rows.forEach(function (rec) {
        chain = chain.then(function (goOn) {
          if (!goOn) return false;
          return send(rec).then(function (r) {
            if (r.ok) {
              return r.json().then(function (body) {
                return remove(rec.key).then(function () {
                  showSent(esc(T.sent || "") + ":<a href=\"" + esc(body.url) + "\">" + esc(body.title) + "</a> <span class=\"muted small\">" + esc(body.number) + "</span>");
                  return true;
                });
              });
            }
            if (r.status === 400) {
              return r.json().then(function (body) {
                var msgs = [];
                Object.keys(body.errors || {}).forEach(function (k) {
                  (body.errors[k] || []).forEach(function (e) { msgs.push(e.message); });
                });
                return remove(rec.key).then(function () {
                  showSent("<span class=\"errorlist\">" + esc(T.failed || "") + ":" + esc(rec.summary) + " — " + esc(msgs.join(";")) + "</span>");
                  return true;
                });
              });
            }
            if (r.status === 409) {
              return false;  // logged in as someone else now: keep it for its own account
            }
            if (r.status === 401 || r.status === 403 || r.redirected) {
              notice = esc(T.loginNeeded || "") + " <a href=\"/login/?next=" + encodeURIComponent(location.pathname) + "\">" + esc(T.login || "") + "</a>";
              return false;
            }
            return false;  // server trouble: keep it and try again later
          }, function () {
            return false;  // network down: keep it
          });
        });
      });
      return chain;
    }).catch(function () { return null; }).then(function () {
      flushing = false;
      return render();
    });
  }

  function snapshot(f) {
    var fields = [], files = [], photos = 0;
    Array.prototype.forEach.call(f.elements, function (el) {
      if (!el.name || el.disabled) return;
      if (el.type === "file") {
        Array.prototype.forEach.call(el.files || [], function (file) {
          files.push([el.name, file, file.name || "photo.jpg"]);
          photos += 1;
        });
      } else if ((el.type === "radio" || el.type === "checkbox") && !el.checked) {
        return;
      } else if (el.name !== "csrfmiddlewaretoken") {
        fields.push([el.name, el.value]);
      }
    });
    return { fields: fields, files: files, photos: photos };
  }

  function fieldError(f, name, message) {
    var input = f.querySelector("[name=" + name + "]");
    if (!input) return;
    var wrap = input.closest(".field");
    if (!wrap) return;
    wrap.classList.add("has-error");
    var list = wrap.querySelector(".errorlist");
    if (!list) {
      list = document.createElement("ul");
      list.className = "errorlist";
      list.id = (input.id || name) + "_errors";
      input.insertAdjacentElement("afterend", list);
    }
    list.innerHTML = "<li>" + esc(message) + "</li>";
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", list.id);
    input.focus();
  }

  function clearErrors(f) {
    f.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    f.querySelectorAll(".field .errorlist").forEach(function (el) { el.remove(); });
    f.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  function validate(f) {
    clearErrors(f);
    var desc = f.querySelector("[name=description]");
    var mode = f.querySelector("input[name=mode]:checked");
    var result = f.querySelector("[name=result]");
    if (mode && mode.value === "on_spot" && result && !result.value.trim()) {
      fieldError(f, "result", T.resultRequired || "");
      return false;
    }
    if (desc && !desc.value.trim()) {
      fieldError(f, "description", T.required || "");
      return false;
    }
    return true;
  }

  if (form) {
    var keyInput = form.querySelector("input[name=idempotency_key]");
    if (keyInput && !keyInput.value) keyInput.value = newKey();
    form.addEventListener("submit", function (ev) {
      if (!window.indexedDB || !window.fetch) return;  // plain POST, still idempotent
      ev.preventDefault();
      if (!validate(form)) return;
      var snap = snapshot(form);
      var desc = form.querySelector("[name=description]");
      var rec = {
        key: keyInput.value || newKey(),
        user: T.user,
        url: form.action,
        created: new Date().toISOString(),
        summary: (desc ? desc.value.trim() : "").slice(0, 40),
        fields: snap.fields,
        files: snap.files,
        photos: snap.photos
      };
      put(rec).then(function () {
        form.reset();
        clearErrors(form);
        keyInput.value = newKey();
        var preview = document.getElementById("photo-preview");
        if (preview) preview.classList.remove("shown");
        form.removeAttribute("data-has-position");
        form.dispatchEvent(new Event("outbox:queued"));
        return render();
      }).then(function () {
        if (box) box.scrollIntoView({ block: "nearest" });
        return flush();
      }).catch(function () {
        notice = esc(T.noStorage || "");
        render();
      });
    });
  }

  window.addEventListener("online", function () { flush(); });
  window.addEventListener("offline", function () { render(); });
  setInterval(function () {
    all().then(function (rows) { if (rows.length) flush(); }).catch(function () {});
  }, RETRY_MS);
  openDb().then(function () { return flush(); }).catch(function () {});

  // The service worker keeps the report page and its scripts, so the page opens without network.
  if ("serviceWorker" in navigator && T.serviceWorker) {
    navigator.serviceWorker.register(T.serviceWorker, { scope: T.serviceWorker.replace(/[^/]*$/, "") })
      .catch(function () {});
  }

  window.GridgovOutbox = { flush: flush, all: all, render: render };
})();
