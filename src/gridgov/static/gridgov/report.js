/* Report forms (worker's phone and resident): position from geolocation or a tap on the map,
   photo preview, searchable category list, on-the-spot result field. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) return;
  var cfgEl = document.getElementById("report-config");
  var cfg = cfgEl ? JSON.parse(cfgEl.textContent) : {};
  var text = cfg.text || {};
  var lon = form.querySelector("input[name=lon]");
  var lat = form.querySelector("input[name=lat]");
  var statusEl = form.querySelector("[data-pos-status]");
  var mapEl = document.getElementById("pos-map");
  var map = null, marker = null, gridLayer = null;

  function fmt(v) { return Number(v).toFixed(5); }

  function setPosition(lo, la, how) {
    lon.value = fmt(lo);
    lat.value = fmt(la);
    if (statusEl) statusEl.textContent = how + " " + fmt(la) + ", " + fmt(lo);
    form.setAttribute("data-has-position", "1");
    if (map) {
      if (!marker) {
        marker = L.circleMarker([la, lo], {
          pane: "position", radius: 9, color: "#fff", weight: 3, fillColor: "#d0021b", fillOpacity: 1
        }).addTo(map);
      } else {
        marker.setLatLng([la, lo]);
      }
      map.panTo([la, lo]);
    }
  }

  function locate() {
    if (!("geolocation" in navigator)) {
      if (statusEl) statusEl.textContent = text.noGeolocation || "";
      return;
    }
    if (statusEl) statusEl.textContent = text.locating || "";
    navigator.geolocation.getCurrentPosition(function (pos) {
      var acc = Math.round(pos.coords.accuracy || 0);
      setPosition(pos.coords.longitude, pos.coords.latitude, (text.located || "") + (acc ? " ±" + acc + "m" : ""));
      if (map) map.setView([pos.coords.latitude, pos.coords.longitude], Math.max(map.getZoom() || 0, 16), { animate: false });
    }, function () {
      if (statusEl) statusEl.textContent = text.locateFailed || "";
    }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }

  var locateBtn = form.querySelector("[data-locate]");
  if (locateBtn) locateBtn.addEventListener("click", locate);

  if (mapEl && window.L && window.GridgovMap && cfg.grids) {
    map = GridgovMap.createMap(mapEl, cfg);
    map.createPane("position").style.zIndex = 650;
    map.setView([34.8, 113.3], 12);
    GridgovMap.fetchGrids(cfg.grids).then(function (data) {
      gridLayer = new GridgovMap.GridLayer(map, data, {
        onClick: function (g, ev) { pick(ev.latlng, g); }
      });
      var focus = cfg.focus && gridLayer.byCode[cfg.focus];
      if (focus && gridLayer.layers[focus.index]) {
        // The grid the resident came for (its board's QR code) stands out.
        gridLayer.layers[focus.index].setStyle({ color: "#c0392b", weight: 3 }).bringToFront();
      }
      var target = focus && gridLayer.layers[focus.index] ? gridLayer.layers[focus.index].getBounds() : gridLayer.bounds();
      if (!lon.value && target.isValid()) map.fitBounds(target, { padding: [10, 10], animate: false });
      mapEl.setAttribute("data-ready", "1");
    }).catch(function () { mapEl.setAttribute("data-ready", "0"); });
    map.on("click", function (ev) { pick(ev.latlng, null); });
  }

  function pick(latlng, grid) {
    setPosition(latlng.lng, latlng.lat, (text.picked || "") + (grid ? " · " + grid.name : ""));
    var gridInput = form.querySelector("input[name=grid]");
    if (gridInput && grid) gridInput.value = grid.code;
  }

  if (lon.value && lat.value) {
    setPosition(parseFloat(lon.value), parseFloat(lat.value), text.located || "");
  } else if (cfg.autoLocate) {
    locate();
  }

  var photo = form.querySelector("input[type=file]");
  var preview = document.getElementById("photo-preview");
  var names = form.querySelector("[data-file-names]");
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
  if (photo) photo.addEventListener("change", showPhotos);

  var search = form.querySelector("[data-category-search]");
  var list = form.querySelector("[data-category-list]");
  var none = form.querySelector("[data-category-none]");
  function filterCategories(q) {
    if (!list) return;
    var shown = 0;
    list.querySelectorAll("label[data-search]").forEach(function (label) {
      var hit = !q || label.getAttribute("data-search").toLowerCase().indexOf(q) >= 0;
      label.hidden = !hit;
      if (hit) shown += 1;
    });
    if (none) none.hidden = shown > 0;
  }
  /* The list follows the search box, also when the form is cleared or refilled by script. */
  function resetCategories() {
    if (search) search.value = "";
    filterCategories("");
    if (!list) return;
    var checked = list.querySelector("input:checked");
    var label = checked ? checked.closest("label") : null;
    list.scrollTop = label ? Math.max(0, label.offsetTop - list.offsetTop - 8) : 0;
  }
  if (search && list) {
    search.addEventListener("input", function () {
      filterCategories(search.value.trim().toLowerCase());
    });
    search.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") {
        ev.preventDefault();
        var first = list.querySelector("label[data-search]:not([hidden]) input");
        if (first) { first.checked = true; first.focus(); }
      }
    });
  }

  var resultBox = form.querySelector("[data-result-field]");
  function syncMode() {
    if (!resultBox) return;
    var mode = form.querySelector("input[name=mode]:checked");
    resultBox.hidden = !(mode && mode.value === "on_spot");
  }
  form.querySelectorAll("input[name=mode]").forEach(function (r) { r.addEventListener("change", syncMode); });
  syncMode();

  function clearPosition() {
    if (marker && map) { map.removeLayer(marker); marker = null; }
    if (statusEl) statusEl.textContent = text.notLocated || "";
    form.removeAttribute("data-has-position");
  }

  // form.reset() leaves hidden filters and the map as they were: follow the fields.
  form.addEventListener("reset", function () { setTimeout(resetCategories, 0); });

  form.addEventListener("outbox:queued", function () {
    showPhotos();
    clearPosition();
    resetCategories();
    syncMode();
    if (cfg.autoLocate) locate();
  });

  // A refused report put back into the form (outbox.js): show its position and its fields.
  form.addEventListener("outbox:restored", function () {
    if (lon.value && lat.value) {
      setPosition(parseFloat(lon.value), parseFloat(lat.value), text.located || "");
    } else {
      clearPosition();
    }
    resetCategories();
    syncMode();
  });

  window.GridgovReport = { setPosition: setPosition, locate: locate, map: map };
})();
