/* The case page's small map: the case's point over its grid's outline. */
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  var dataEl = document.getElementById("case-map-data");
  if (!el || !dataEl || !window.L) return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!data.tileUrl, scrollWheelZoom: false });
  if (data.tileUrl) L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "" }).addTo(map);
  var outline = data.boundary ? L.geoJSON(data.boundary, {
    style: { color: "#1d4f91", weight: 2, fillColor: "#dcefe1", fillOpacity: 0.4 },
    interactive: false
  }).addTo(map) : null;
  if (data.lat != null && data.lon != null) {
    L.circleMarker([data.lat, data.lon], {
      radius: 8, color: "#fff", weight: 2, fillColor: "#d0021b", fillOpacity: 1
    }).addTo(map).bindTooltip(data.title);
    map.setView([data.lat, data.lon], 16);
    if (outline) map.fitBounds(outline.getBounds().extend([data.lat, data.lon]), { padding: [20, 20], maxZoom: 17 });
  } else if (outline) {
    map.fitBounds(outline.getBounds(), { padding: [10, 10] });
  } else {
    map.setView([34.8, 113.3], 11);
  }
  el.setAttribute("data-ready", "1");
})();
