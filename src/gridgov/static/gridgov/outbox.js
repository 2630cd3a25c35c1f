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

  /* One run at a time; asked again during a run, it runs once more after it (a report saved
     meanwhile is then sent at once rather than at the next retry). */
  var running = null, rerun = null;
  function flush() {
    if (running) {
      if (!rerun) rerun = running.then(function () { rerun = null; return flush(); });
      return rerun;
    }
    running = sendAll().then(function () { running = null; }, function () { running = null; });
    return running;
  }

  function sendAll() {
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
                  if (inForm && inForm.key === rec.key) handOver();
                  return true;
                });
              });
            }
            if (r.status === 400) {
              return r.json().then(function (body) {
                return remove(rec.key).then(function () {
                  refused(rec, body.errors || {});
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
      } else if (el.type === "select-multiple") {
        // Each chosen option, as the browser would send them (none chosen: nothing).
        Array.prototype.forEach.call(el.options, function (o) {
          if (o.selected) fields.push([el.name, o.value]);
        });
      } else if (el.name !== "csrfmiddlewaretoken") {
        fields.push([el.name, el.value]);
      }
    });
    return { fields: fields, files: files, photos: photos };
  }

  /* Errors beside their fields, as the server draws them (web/includes/field.html): a list
     with the id `id_<name>_errors` that the field's controls name in aria-describedby. The
     position (hidden lon/lat) has its list in the position picker; the rest go above the form. */
  function describe(el, id, on) {
    var ids = (el.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
    if (on) ids.push(id);
    if (ids.length) el.setAttribute("aria-describedby", ids.join(" "));
    else el.removeAttribute("aria-describedby");
  }

  function fieldError(f, name, messages) {
    var position = name === "lon" || name === "lat";
    var input = f.querySelector("[name=" + name + "]");
    var wrap = input ? input.closest(".field") : null;
    if (!wrap) { formError(f, messages); return null; }
    var id = position ? "pos-errors" : "id_" + name + "_errors";
    wrap.classList.add("has-error");
    var list = document.getElementById(id);
    if (!list) {
      list = document.createElement("ul");
      list.className = "errorlist";
      list.id = id;
      list.setAttribute("data-client-errors", "");
      var help = wrap.querySelector(":scope > .help");
      if (help) wrap.insertBefore(list, help); else wrap.appendChild(list);
    }
    list.innerHTML = messages.map(function (m) { return "<li>" + esc(m) + "</li>"; }).join("");
    var controls = position ? wrap.querySelectorAll("[data-locate], #pos-map")
      : f.querySelectorAll("[name=" + name + "]:not([type=hidden])");
    controls.forEach(function (el) {
      describe(el, id, true);
      if (!position) el.setAttribute("aria-invalid", "true");
    });
    return controls[0] || null;
  }

  function formError(f, messages) {
    var list = f.querySelector(".errorlist.nonfield");
    if (!list) {
      list = document.createElement("ul");
      list.className = "errorlist nonfield";
      list.setAttribute("role", "alert");
      var after = f.querySelector("input[name=csrfmiddlewaretoken]");
      if (after) after.insertAdjacentElement("afterend", list); else f.prepend(list);
    }
    list.innerHTML += messages.map(function (m) { return "<li>" + esc(m) + "</li>"; }).join("");
  }

  /* The photo is gone from the form: say so beside the photo field. */
  function photoAgain(f) {
    var input = f.querySelector("input[type=file]");
    var wrap = input ? input.closest(".field") : null;
    if (!wrap || wrap.querySelector("[data-photo-again]")) return;
    var p = document.createElement("p");
    p.className = "help photo-again";
    p.id = (input.id || "photos") + "_again";
    p.setAttribute("data-photo-again", "");
    p.textContent = T.photoAgain || "";
    wrap.appendChild(p);
    describe(input, p.id, true);
  }

  function clearErrors(f) {
    f.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    f.querySelectorAll(".field .errorlist, .errorlist.nonfield, [data-photo-again]").forEach(function (el) {
      f.querySelectorAll("[aria-describedby~='" + el.id + "']").forEach(function (c) { describe(c, el.id, false); });
      el.remove();
    });
    f.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  /* The server's errors ({field: [{message}]}) beside their fields; the first one gets focus. */
  function showErrors(f, errors) {
    clearErrors(f);
    var first = null;
    var order = Array.prototype.map.call(f.elements, function (el) { return el.name; });
    Object.keys(errors).sort(function (a, b) { return order.indexOf(a) - order.indexOf(b); }).forEach(function (name) {
      var messages = (errors[name] || []).map(function (e) { return e.message; });
      if (!messages.length) return;
      var control = name === "__all__" ? (formError(f, messages), null) : fieldError(f, name, messages);
      if (!first && control) first = control;
    });
    if (first) first.focus();
    else { var top = f.querySelector(".errorlist"); if (top) top.scrollIntoView({ block: "center" }); }
  }

  function validate(f) {
    clearErrors(f);
    var desc = f.querySelector("[name=description]");
    var mode = f.querySelector("input[name=mode]:checked");
    var result = f.querySelector("[name=result]");
    var errors = {};
    if (desc && !desc.value.trim()) errors.description = [{ message: T.required || "" }];
    if (mode && mode.value === "on_spot" && result && !result.value.trim()) {
      errors.result = [{ message: T.resultRequired || "" }];
    }
    if (!Object.keys(errors).length) return true;
    showErrors(f, errors);
    return false;
  }

  /* A report stays in the form until the server has answered for it: sent, the form is
     cleared for the next one; refused, the worker's input stays, with the errors beside the
     fields. Without an answer (no network, server trouble, or none within WAIT_MS) it is kept
     on the phone, the form is cleared, and a later refusal puts it back into the form. */
  var WAIT_MS = 10000;
  var inForm = null;  // {key, timer}: the report the form still holds while it is being sent
  var dirty = false;  // the worker has typed into the form since it was last cleared
  var keyInput = form ? form.querySelector("input[name=idempotency_key]") : null;

  function submitButton(busy) {
    var button = form.querySelector("button[type=submit]");
    if (!button) return;
    button.disabled = busy;
    if (busy) button.setAttribute("aria-busy", "true"); else button.removeAttribute("aria-busy");
  }

  function hold(key) {
    inForm = { key: key, timer: setTimeout(handOver, WAIT_MS) };
    submitButton(true);
  }

  function release() {
    if (inForm) clearTimeout(inForm.timer);
    inForm = null;
    submitButton(false);
  }

  /* The report is sent or kept in the outbox: clear the form for the next one. */
  function handOver() {
    if (!inForm) return;
    release();
    form.reset();
    clearErrors(form);
    keyInput.value = newKey();
    var preview = document.getElementById("photo-preview");
    if (preview) preview.classList.remove("shown");
    form.removeAttribute("data-has-position");
    form.dispatchEvent(new Event("outbox:queued"));
    dirty = false;
    render().then(function () {
      var shown = box && !box.hidden ? box : sentBox;
      if (shown && !shown.hidden) shown.scrollIntoView({ block: "nearest" });
    });
  }

  /* Every saved value of each name back into its controls, as `snapshot` took them: a checkbox
     group or a multiple select gets all its chosen options (a name has several values then),
     a radio group its one, repeated text inputs their values in order. A checkbox or option
     the snapshot did not hold is cleared, even one the page ticks by default. */
  function setValues(rec) {
    var values = {};
    rec.fields.forEach(function (kv) {
      if (kv[0] === "idempotency_key" || kv[0] === "csrfmiddlewaretoken") return;
      (values[kv[0]] = values[kv[0]] || []).push(String(kv[1]));
    });
    var used = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || !(el.name in values) && !/^(checkbox|radio|select-multiple)$/.test(el.type)) return;
      var mine = values[el.name] || [];
      if (el.type === "radio" || el.type === "checkbox") {
        el.checked = mine.indexOf(el.value) >= 0;
      } else if (el.type === "select-multiple") {
        Array.prototype.forEach.call(el.options, function (o) { o.selected = mine.indexOf(o.value) >= 0; });
      } else if (el.type !== "file" && el.name !== "idempotency_key" && el.name !== "csrfmiddlewaretoken") {
        var n = used[el.name] || 0;
        if (n < mine.length) el.value = mine[n];
        used[el.name] = n + 1;
      }
    });
  }

  /* A refused report back into the form: its fields, its photos where the browser lets a page
     set them (else a note to choose them again), and the errors beside the fields. */
  function restore(rec, errors) {
    form.reset();
    setValues(rec);
    keyInput.value = newKey();
    var photo = form.querySelector("input[type=file]");
    var photosBack = false;
    if (photo && rec.files.length && !errors.photos) {
      try {
        var transfer = new DataTransfer();
        rec.files.forEach(function (f) { transfer.items.add(f[1]); });
        photo.files = transfer.files;
        photosBack = photo.files.length === rec.files.length;
      } catch (e) {
        photosBack = false;
      }
    }
    if (photo) photo.dispatchEvent(new Event("change"));
    form.dispatchEvent(new Event("outbox:restored"));
    dirty = true;
    showErrors(form, errors);
    if (rec.files.length && !photosBack) photoAgain(form);
  }

  /* The server refused a report (400): no case was made; the worker corrects it. */
  function refused(rec, errors) {
    var head = esc(T.failed || "") + ":" + esc(rec.summary);
    if (!form) {
      // Sent from another phone page: say what was wrong (the report form is not here).
      var msgs = [];
      Object.keys(errors).forEach(function (k) {
        (errors[k] || []).forEach(function (e) { msgs.push(e.message); });
      });
      showSent("<span class=\"errorlist\">" + head + " — " + esc(msgs.join(";")) + "</span>");
      return;
    }
    if (inForm && inForm.key === rec.key) {
      // Still in the form: keep every field; a refused photo is taken out to be chosen again.
      release();
      keyInput.value = newKey();
      var photo = form.querySelector("input[type=file]");
      if (errors.photos && photo && photo.files.length) {
        photo.value = "";
        photo.dispatchEvent(new Event("change"));
      }
      showErrors(form, errors);
      if (errors.photos) photoAgain(form);
      return;
    }
    if (!dirty && !inForm) {
      restore(rec, errors);
      showSent("<span class=\"errorlist\">" + head + " — " + esc(T.restored || "") + "</span>");
      return;
    }
    // The worker is writing another report: the refused one waits for a tap to come back.
    showSent("<span class=\"errorlist\">" + head + "</span> <button type=\"button\" class=\"btn secondary\" data-outbox-restore>" + esc(T.restore || "") + "</button>");
    var button = sentBox.querySelector("p:last-child [data-outbox-restore]");
    button.addEventListener("click", function () {
      button.closest("p").remove();
      release();
      restore(rec, errors);
    });
  }

  if (form) {
    if (keyInput && !keyInput.value) keyInput.value = newKey();
    form.addEventListener("input", function (ev) { if (ev.isTrusted) dirty = true; });
    form.addEventListener("change", function (ev) {
      if (ev.isTrusted) dirty = true;
      var note = ev.target.type === "file" && ev.isTrusted ? form.querySelector("[data-photo-again]") : null;
      if (note) { describe(ev.target, note.id, false); note.remove(); }
    });
    form.addEventListener("submit", function (ev) {
      if (!window.indexedDB || !window.fetch) return;  // plain POST, still idempotent
      ev.preventDefault();
      if (inForm) return;  // this report is being sent
      if (!validate(form)) return;
      var snap = snapshot(form);
      var desc = form.querySelector("[data-outbox-summary]") || form.querySelector("[name=description]");
      var rec = {
        key: keyInput.value || newKey(),
        user: T.user,
        url: form.action,
        created: new Date().toISOString(),
        // Forms without a description (visits, diary, check-in) name themselves (fieldwork).
        summary: (desc ? desc.value.trim() : form.getAttribute("data-outbox-summary") || "").slice(0, 40),
        fields: snap.fields,
        files: snap.files,
        photos: snap.photos
      };
      put(rec).then(function () {
        hold(rec.key);
        return render();
      }).then(function () {
        return flush();
      }).then(function () {
        // Not answered now (no network, server trouble): it waits in the outbox.
        if (inForm && inForm.key === rec.key) handOver();
      }).catch(function () {
        release();
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
