/* One person's check-ins of a month on a small map (attendance page): the person's grids in
   green, each check-in as a dot, red when it lies outside those grids. The view is set before
   any layer is added, so vector layers are drawn against a projected map. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("checkin-map-config").textContent);
  var el = document.getElementById("checkin-map");
  var map = L.map(el, { attributionControl: !!cfg.tileUrl });
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  var grids = L.geoJSON(cfg.grids, { style: { color: "#2a7d2e", weight: 2, fillOpacity: 0.06 } });
  var bounds = L.latLngBounds([]);
  if (grids.getBounds().isValid()) bounds.extend(grids.getBounds());
  cfg.points.forEach(function (p) { bounds.extend(L.latLng(p.lat, p.lon)); });
  if (bounds.isValid()) map.fitBounds(bounds, { animate: false, padding: [12, 12], maxZoom: 17 });
  else map.setView([35, 113], 5);
  grids.addTo(map);
  cfg.points.forEach(function (p) {
    L.circleMarker([p.lat, p.lon], {
      radius: 6, weight: 2, color: p.outside ? "#b00020" : "#1f5fbf", fillOpacity: 0.7
    }).addTo(map).bindTooltip(p.label);
  });
  el.setAttribute("data-ready", "1");
})();
