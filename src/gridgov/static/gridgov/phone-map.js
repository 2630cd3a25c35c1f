/* The worker's grid map: their grids and their open cases. */
(function () {
  "use strict";
  var el = document.getElementById("phone-map");
  if (!el) return;
  var cfg = JSON.parse(document.getElementById("phone-map-data").textContent);
  var map = GridgovMap.createMap(el, cfg);
  GridgovMap.fetchGrids(cfg.grids).then(function (data) {
    var layer = new GridgovMap.GridLayer(map, data, {});
    var b = layer.bounds();
    if (b.isValid()) map.fitBounds(b, { padding: [10, 10], animate: false });
    cfg.cases.forEach(function (c) {
      L.circleMarker([c.lat, c.lon], { radius: 7, color: "#fff", weight: 2, fillColor: "#d0021b", fillOpacity: 1 })
        .addTo(map)
        .bindPopup("<strong>" + GridgovMap.escapeHtml(c.title) + "</strong><br>" + GridgovMap.escapeHtml(c.state) +
          '<br><a href="' + c.url + '">›</a>');
    });
    el.setAttribute("data-ready", "1");
  });
})();
