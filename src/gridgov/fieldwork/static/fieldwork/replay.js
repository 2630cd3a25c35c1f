/* Replays one worker's day on the monitoring page: the walked pieces, the stay points, and a
   marker that follows the fixes as the slider (or the play button) moves through the day. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("replay-config").textContent);
  var el = document.getElementById("replay-map");
  var slider = document.getElementById("replay-slider");
  var timeEl = document.getElementById("replay-time");
  var play = document.getElementById("replay-play");
  var map = L.map(el, { attributionControl: !!cfg.tileUrl });
  if (cfg.tileUrl) L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  var grids = L.geoJSON(cfg.grids, { style: { color: "#2a7d2e", weight: 2, fillOpacity: 0.06 } }).addTo(map);
  if (grids.getBounds().isValid()) map.fitBounds(grids.getBounds(), { animate: false });
  else map.setView([35, 113], 5);
  function hhmm(epoch) {
    var d = new Date(epoch * 1000);
    return d.toLocaleTimeString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false });
  }
  fetch(cfg.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { if (!r.ok) throw new Error("replay " + r.status); return r.json(); })
    .then(function (day) {
      var pts = day.points;
      day.runs.forEach(function (run) {
        L.polyline(pts.slice(run[0], run[1] + 1).map(function (p) { return [p[1], p[0]]; }),
          { color: "#1f5fbf", weight: 4 }).addTo(map);
      });
      day.stay_points.forEach(function (s) {
        L.circleMarker([s.lat, s.lon], { radius: 6, color: "#b35c00" }).addTo(map)
          .bindTooltip(s.arrived.slice(11, 16) + "–" + s.left.slice(11, 16));
      });
      document.getElementById("replay-summary").textContent =
        (day.mileage_m / 1000).toFixed(2) + " km · " + Math.round(day.duration_s / 60) + " min · " +
        day.stay_points.length + " ⦿";
      if (!pts.length) { el.setAttribute("data-ready", "1"); return; }
      var marker = L.circleMarker([pts[0][1], pts[0][0]], { radius: 7, color: "#fff", weight: 2, fillColor: "#d0021b", fillOpacity: 1 }).addTo(map);
      slider.max = String(pts.length - 1);
      function show(i) {
        var p = pts[i];
        marker.setLatLng([p[1], p[0]]);
        timeEl.textContent = hhmm(p[2]);
      }
      slider.addEventListener("input", function () { show(Number(slider.value)); });
      var timer = null;
      play.addEventListener("click", function () {
        if (timer) { clearInterval(timer); timer = null; return; }
        timer = setInterval(function () {
          var i = Number(slider.value) + Math.max(1, Math.floor(pts.length / 300));
          if (i >= pts.length) { clearInterval(timer); timer = null; i = pts.length - 1; }
          slider.value = String(i);
          show(i);
        }, 50);
      });
      var all = L.latLngBounds(pts.map(function (p) { return [p[1], p[0]]; }));
      map.fitBounds(all.extend(grids.getBounds()), { animate: false, padding: [10, 10] });
      show(0);
      el.setAttribute("data-ready", "1");
    });
})();
