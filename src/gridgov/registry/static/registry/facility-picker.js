/* Pick a public facility (部件) on the phone's report map: near enough, the facilities of the
   view are drawn; a tap on one puts its code in the form and its position as the report's, so
   the case goes to the facility's owner first (先属主后属地). */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  var cfgEl = document.getElementById("facility-picker-config");
  if (!form || !cfgEl || !window.GridgovReport || !window.GridgovReport.map) return;
  var cfg = JSON.parse(cfgEl.textContent);
  var map = window.GridgovReport.map;
  var input = form.querySelector("input[name=facility]");
  var label = form.querySelector("[data-facility-label]");
  var clearBtn = form.querySelector("[data-facility-clear]");
  // Above the grid shapes (which take taps to pick a position), below the position marker.
  map.createPane("facilities").style.zIndex = 640;
  var layer = L.layerGroup().addTo(map);
  var MIN_ZOOM = 15;
  var seq = 0;

  function show(name, code) {
    if (!label) return;
    label.textContent = code ? cfg.text.picked.replace("%(name)s", name).replace("%(code)s", code) : cfg.text.none;
    if (clearBtn) clearBtn.hidden = !code;
    form.setAttribute("data-facility", code || "");
  }

  function choose(p, latlng) {
    input.value = p.code;
    show(p.name, p.code);
    window.GridgovReport.setPosition(latlng.lng, latlng.lat, cfg.text.atFacility);
  }

  function clear() {
    if (input) input.value = "";
    show("", "");
  }

  function load() {
    if (navigator.onLine === false) return;  // offline: the report still goes, by position
    if (map.getZoom() < MIN_ZOOM) {
      layer.clearLayers();
      map.getContainer().setAttribute("data-facilities", "0");
      return;
    }
    var b = map.getBounds(), mine = ++seq;
    var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    fetch(cfg.url + "?kind=facility&bbox=" + box, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("facilities " + r.status); return r.json(); })
      .then(function (doc) {
        if (mine !== seq) return;
        layer.clearLayers();
        doc.features.forEach(function (f) {
          var p = f.properties, c = f.geometry.coordinates;
          var m = L.circleMarker([c[1], c[0]], { pane: "facilities", radius: 8, color: "#00838f", weight: 3, fillColor: "#fff", fillOpacity: 1, bubblingMouseEvents: false });
          m.bindTooltip(GridgovMap.escapeHtml(p.name));
          m.on("click", function (ev) { choose(p, ev.latlng); });
          m.facilityCode = p.code;
          layer.addLayer(m);
        });
        map.getContainer().setAttribute("data-facilities", String(doc.features.length));
      })
      .catch(function () {});
  }

  if (clearBtn) clearBtn.addEventListener("click", clear);
  map.on("moveend", load);
  form.addEventListener("outbox:queued", clear);
  form.addEventListener("reset", function () { setTimeout(function () { show("", input.value); }, 0); });
  show("", input.value);
  load();
  window.GridgovFacilityPicker = { layer: layer, choose: choose, clear: clear };
})();
