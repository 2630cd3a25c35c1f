/* The registry's map of buildings and facilities: the grids as outlines, and the buildings
   (by use) and facilities (by class code) of the current view as switchable layers, fetched
   as GeoJSON for the view's box; a click shows the object's details. */
(function () {
  "use strict";
  var el = document.getElementById("registry-map");
  if (!el) return;
  var cfg = JSON.parse(document.getElementById("registry-map-config").textContent);
  var T = cfg.text;
  var status = document.getElementById("registry-map-status");
  var esc = GridgovMap.escapeHtml;
  var map = GridgovMap.createMap(el, cfg);
  var USE_COLOURS = { residential: "#2f6fd0", commercial: "#f07d00", public: "#2e9e5b", industrial: "#8a4fbf", warehouse: "#7a6a58" };
  var PALETTE = ["#d0021b", "#00838f", "#c2185b", "#5d4037", "#689f38", "#512da8", "#f9a825", "#455a64"];
  var groups = {};   // layer key -> L.layerGroup
  var hidden = {};   // layer keys the user switched off
  var control = L.control.layers(null, null, { collapsed: false }).addTo(map);
  var seq = 0;
  var classColours = {};

  function colourOf(key, kind) {
    if (kind === "building") return USE_COLOURS[key] || "#2f6fd0";
    // Facility classes get the palette's colours in the order they are first seen, so a class
    // keeps its colour while the map moves.
    if (!(key in classColours)) classColours[key] = PALETTE[Object.keys(classColours).length % PALETTE.length];
    return classColours[key];
  }

  function row(label, value) {
    return value === "" || value == null ? "" : "<tr><th scope=\"row\">" + esc(label) + "</th><td>" + esc(value) + "</td></tr>";
  }

  function details(p) {
    if (p.kind === "building") {
      return "<strong>" + esc(T.building) + " " + esc(p.number) + "</strong><table class=\"small\">" +
        row(T.address, p.address) + row(T.use, p.use) + row(T.floors, p.floors) +
        row(T.households, p.households) + row(T.grid, p.grid) + "</table>";
    }
    return "<strong>" + esc(p.name) + "</strong><table class=\"small\">" +
      row(T.code, p.code) + row(T.classCode, p.classCode) + row(T.owner, p.owner) +
      row(T.maintainer, p.maintainer) + row(T.grid, p.grid) + "</table>";
  }

  function layerName(p) {
    return p.kind === "building" ? T.building + " · " + (cfg.uses[p.layer] || p.layer) : T.facility + " · " + p.name + " (" + p.layer + ")";
  }

  function draw(doc) {
    Object.keys(groups).forEach(function (k) { control.removeLayer(groups[k]); map.removeLayer(groups[k]); });
    groups = {};
    var counts = { building: 0, facility: 0 }, names = {};
    doc.features.map(function (f) { return f.properties; })
      .filter(function (p) { return p.kind === "facility"; })
      .map(function (p) { return p.layer; }).sort()
      .forEach(function (code) { colourOf(code, "facility"); });
    doc.features.forEach(function (f) {
      var p = f.properties, key = p.kind + ":" + p.layer;
      if (!groups[key]) { groups[key] = L.layerGroup(); names[key] = layerName(p); groups[key].count = 0; }
      var c = f.geometry.coordinates, colour = colourOf(p.layer, p.kind);
      var marker = p.kind === "building"
        ? L.circleMarker([c[1], c[0]], { radius: 5, color: "#fff", weight: 1, fillColor: colour, fillOpacity: 0.9 })
        : L.circleMarker([c[1], c[0]], { radius: 6, color: colour, weight: 3, fillColor: "#fff", fillOpacity: 1 });
      marker.bindPopup(details(p));
      marker.featureKind = p.kind;
      groups[key].addLayer(marker);
      groups[key].count += 1;
      counts[p.kind] += 1;
    });
    Object.keys(groups).sort().forEach(function (key) {
      var colour = colourOf(key.split(":")[1], key.split(":")[0]);
      var label = "<span class=\"legend-dot\" style=\"display:inline-block;width:.7em;height:.7em;border-radius:50%;background:" + colour + "\"></span> " + esc(names[key]) + " <span class=\"muted\">" + groups[key].count + "</span>";
      control.addOverlay(groups[key], label);
      groups[key].layerKey = key;
      if (!hidden[key]) groups[key].addTo(map);
    });
    var text = T.shown.replace("%(b)s", counts.building).replace("%(f)s", counts.facility);
    status.textContent = doc.truncated ? text + " " + T.truncated : text;
    el.setAttribute("data-buildings", String(counts.building));
    el.setAttribute("data-facilities", String(counts.facility));
    el.setAttribute("data-ready", "1");
  }

  map.on("overlayremove", function (e) { if (e.layer.layerKey) hidden[e.layer.layerKey] = true; });
  map.on("overlayadd", function (e) { if (e.layer.layerKey) delete hidden[e.layer.layerKey]; });

  function load() {
    var b = map.getBounds(), mine = ++seq;
    var box = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); }).join(",");
    fetch(cfg.features + "?bbox=" + box, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error("features " + r.status); return r.json(); })
      .then(function (doc) { if (mine === seq) draw(doc); })
      .catch(function () { if (mine === seq) status.textContent = T.failed; });
  }

  var timer = null;
  function later() { clearTimeout(timer); timer = setTimeout(load, 250); }

  function start() {
    map.on("moveend", later);
    load();
  }

  GridgovMap.fetchGrids(cfg.grids).then(function (data) {
    var layer = new GridgovMap.GridLayer(map, data, {});
    var b = layer.bounds();
    if (b.isValid()) map.fitBounds(b, { padding: [10, 10], animate: false });
    start();
  }).catch(function () {
    map.setView([34.8, 113.3], 13);
    start();
  });
})();
