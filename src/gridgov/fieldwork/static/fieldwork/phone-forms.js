/* Phone forms for visits, diary, surveys and check-in, beside the shared outbox (gridgov/outbox.js,
   loaded after this file): the position from the phone into the hidden lon/lat, the phone's
   clock time into `at` when the form is submitted (an entry sent later keeps the time it was
   made), and a one-line summary the outbox lists while the entry waits to be sent. */
(function () {
  "use strict";
  var form = document.querySelector("form[data-outbox]");
  if (!form) return;
  var lon = form.querySelector("input[name=lon]");
  var lat = form.querySelector("input[name=lat]");
  var statusEl = form.querySelector("[data-pos-status]");
  var positionBox = form.querySelector("[data-position]");
  var T = positionBox ? positionBox.dataset : {};

  function locate() {
    if (!lon || !lat) return;
    if (!("geolocation" in navigator)) {
      if (statusEl) statusEl.textContent = T.noGeolocation || "";
      return;
    }
    if (statusEl) statusEl.textContent = T.locating || "";
    navigator.geolocation.getCurrentPosition(function (pos) {
      lon.value = pos.coords.longitude.toFixed(6);
      lat.value = pos.coords.latitude.toFixed(6);
      var acc = Math.round(pos.coords.accuracy || 0);
      if (statusEl) statusEl.textContent = (T.located || "") + " " + lat.value + ", " + lon.value + (acc ? " ±" + acc + "m" : "");
      form.setAttribute("data-has-position", "1");
    }, function () {
      if (statusEl) statusEl.textContent = T.locateFailed || "";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  function summary() {
    var parts = [];
    if (form.getAttribute("data-outbox-title")) parts.push(form.getAttribute("data-outbox-title"));
    form.querySelectorAll("[data-outbox-summary-source]").forEach(function (box) {
      var checked = box.querySelector("input:checked");
      var select = box.querySelector("select");
      var text = box.querySelector("textarea, input[type=text]");
      if (checked) {
        var label = checked.closest("label");
        parts.push(label ? label.textContent.trim() : checked.value);
      } else if (select && select.selectedIndex >= 0 && select.value) {
        parts.push(select.options[select.selectedIndex].textContent.trim());
      } else if (text) {
        parts.push(text.value.trim());
      }
    });
    return parts.join(" · ");
  }

  // Registered before outbox.js's own submit listener, so it runs first.
  form.addEventListener("submit", function () {
    var at = form.querySelector("input[name=at]");
    if (at) at.value = new Date().toISOString();
    form.setAttribute("data-outbox-summary", summary());
  });

  var button = form.querySelector("[data-locate]");
  if (button) button.addEventListener("click", locate);
  if (form.hasAttribute("data-auto-locate")) {
    locate();
    form.addEventListener("outbox:queued", locate);
  }

  // The photo field (web/includes/photo_field.html): the chosen files' names and a preview.
  var photo = form.querySelector("input[type=file]");
  var names = form.querySelector("[data-file-names]");
  var preview = form.querySelector(".photo-preview");
  var noPhoto = names ? names.textContent : "";
  var separator = (names && names.getAttribute("data-separator")) || ", ";
  function showPhotos() {
    var files = photo && photo.files ? Array.prototype.slice.call(photo.files) : [];
    if (names) names.textContent = files.length ? files.map(function (f) { return f.name; }).join(separator) : noPhoto;
    if (!preview) return;
    if (files.length) {
      preview.src = URL.createObjectURL(files[0]);
      preview.classList.add("shown");
    } else {
      preview.classList.remove("shown");
      preview.removeAttribute("src");
    }
  }
  if (photo) {
    photo.addEventListener("change", showPhotos);
    form.addEventListener("outbox:queued", showPhotos);
  }
})();
