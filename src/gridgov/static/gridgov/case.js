/* The case page's small map: the case's point over its grid's outline. */
(function () {
  "use strict";
  var el = document.getElementById("case-map");
  var dataEl = document.getElementById("case-map-data");
  if (!el || !dataEl || !window.L) return;
  var data = JSON.parse(dataEl.textContent);
  var map = L.map(el, {
    zoomSnap: 0.25, zoomControl: false, attributionControl: !!data.tileUrl, scrollWheelZoom: false
  });
  L.control.zoom({ zoomInTitle: data.zoomIn || "+", zoomOutTitle: data.zoomOut || "-" }).addTo(map);
  if (data.tileUrl) L.tileLayer(data.tileUrl, { attribution: data.tileAttribution || "" }).addTo(map);
  // Set the view before adding vector layers: Leaflet clips paths against the current view.
  var outline = data.boundary ? L.geoJSON(data.boundary, {
    style: { color: "#1d4f91", weight: 2, fillColor: "#dcefe1", fillOpacity: 0.4 },
    interactive: false
  }) : null;
  var hasPoint = data.lat != null && data.lon != null;
  if (outline) {
    var bounds = outline.getBounds();
    if (hasPoint) bounds.extend(L.latLng(data.lat, data.lon));
    map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
    outline.addTo(map);
  } else if (hasPoint) {
    map.setView([data.lat, data.lon], 16);
  } else {
    map.setView([34.8, 113.3], 11);
  }
  if (hasPoint) {
    L.circleMarker([data.lat, data.lon], {
      radius: 8, color: "#fff", weight: 2, fillColor: "#d0021b", fillOpacity: 1
    }).addTo(map).bindTooltip(textElement(data.title));
  }
  el.setAttribute("data-ready", "1");

  /* Leaflet renders a string tooltip as HTML: a case title is text typed by anyone (an
     anonymous resident too), so it goes in as a text node. */
  function textElement(text) {
    var span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span;
  }
})();
