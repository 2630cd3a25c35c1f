/* gridgov maps: decode the compact grid document (web/mapdata.py) and draw it with Leaflet on a
   plain background, or over a configured tile layer. Shared by the command centre, the worker's
   grid map and the resident's grid picker. */
(function () {
  "use strict";

  // Open-case colour scale for filled grids; a warning colour (four-colour warnings, seed 000)
  // replaces it when one is given for the grid.
  var COUNT_COLOURS = [
    [0, "#dcefe1"],
    [1, "#fde9b5"],
    [2, "#f9c46b"],
    [4, "#f08c3b"],
    [7, "#d9483b"]
  ];
  var WARNING_COLOURS = { blue: "#2f6fd0", yellow: "#f2c200", orange: "#f07d00", red: "#d0021b" };

  function countColour(n, thresholds) {
    var colour = COUNT_COLOURS[0][1];
    for (var i = 0; i < COUNT_COLOURS.length; i++) {
      var t = thresholds ? thresholds[i] : COUNT_COLOURS[i][0];
      if (n >= t) colour = COUNT_COLOURS[i][1];
    }
    return colour;
  }

  /* The colour steps for a level: the unit-grid steps (0, 1, 2, 4, 7) stretched when the
     level's grids hold many more cases (a town sums its villages). */
  function thresholdsFor(max) {
    var f = Math.max(1, max / 7);
    var t = [0, 1, Math.ceil(2 * f), Math.ceil(4 * f), Math.ceil(7 * f)];
    for (var i = 2; i < t.length; i++) if (t[i] <= t[i - 1]) t[i] = t[i - 1] + 1;
    return t;
  }

  function decodeRing(enc, scale) {
    var pts = [];
    var x = 0, y = 0;
    for (var i = 0; i < enc.length; i += 2) {
      x += enc[i];
      y += enc[i + 1];
      pts.push([y / scale, x / scale]);
    }
    return pts;
  }

  /* The document as a list of grid records with Leaflet lat/lng rings and a depth index. */
  function decode(doc) {
    var n = doc.code.length, scale = doc.scale, grids = new Array(n);
    for (var i = 0; i < n; i++) {
      var polys = doc.outline[i] || [];
      var latlngs = polys.map(function (rings) {
        return rings.map(function (r) { return decodeRing(r, scale); });
      });
      grids[i] = {
        index: i,
        code: doc.code[i],
        name: doc.name[i],
        level: doc.level[i],
        parent: doc.parent[i],
        households: doc.households[i],
        population: doc.population[i],
        label: [doc.label[i][1] / scale, doc.label[i][0] / scale],
        latlngs: latlngs,
        open: 0,
        overdue: 0,
        warning: null,
        children: 0
      };
    }
    for (var j = 0; j < n; j++) {
      if (grids[j].parent >= 0) grids[grids[j].parent].children += 1;
    }
    return { levels: doc.levels, grids: grids, revision: doc.revision };
  }

  function createMap(el, config) {
    var map = L.map(el, {
      preferCanvas: false,
      zoomSnap: 0.25,
      zoomControl: false,
      attributionControl: !!(config && config.tileUrl)
    });
    L.control.zoom({
      zoomInTitle: (config && config.zoomIn) || "+",
      zoomOutTitle: (config && config.zoomOut) || "-"
    }).addTo(map);
    if (config && config.tileUrl) {
      L.tileLayer(config.tileUrl, { attribution: config.tileAttribution || "", maxZoom: 19 }).addTo(map);
    }
    return map;
  }

  /* A drawn set of grids with one "active" level: filled, coloured and clickable; levels above
     it are outlines on top, deeper levels faint outlines beneath. */
  function GridLayer(map, data, options) {
    this.map = map;
    this.data = data;
    this.options = options || {};
    this.auto = this.options.activeLevel == null;
    this.activeLevel = this.auto ? data.levels.length - 1 : this.options.activeLevel;
    this.levelWidths = averageWidths(data);
    this.layers = new Array(data.grids.length);
    this.byCode = {};
    this.group = L.featureGroup();
    this.labels = L.layerGroup();
    var order = data.grids.slice().sort(function (a, b) { return b.level - a.level; });
    var self = this;
    order.forEach(function (g) {
      self.byCode[g.code] = g;
      if (!g.latlngs.length) return;
      var layer = L.polygon(g.latlngs.length === 1 ? g.latlngs[0] : g.latlngs, {
        className: "grid-shape grid-level-" + g.level,
        bubblingMouseEvents: false
      });
      layer.gridRecord = g;
      layer.on("click", function (ev) {
        if (g.level !== self.activeLevel) return;
        if (self.options.onClick) self.options.onClick(g, ev);
      });
      self.layers[g.index] = layer;
      self.group.addLayer(layer);
    });
    this.restyle();
    // Leaflet clips paths against the current view: give the map one before adding them.
    if (!map._loaded) {
      var b = this.group.getBounds();
      if (b.isValid()) map.fitBounds(b, { padding: [8, 8], animate: false });
      else map.setView([34.8, 113.3], 12);
    }
    this.group.addTo(map);
    this.labels.addTo(map);
    map.on("zoomend", function () { if (self.auto) self.pickLevel(); });
    map.on("zoomend moveend", function () { self.updateLabels(); });
    if (this.auto) this.pickLevel();
    this.el = map.getContainer();
    this.el.setAttribute("data-grid-count", String(this.group.getLayers().length));
  }

  GridLayer.prototype.bounds = function () {
    return this.group.getBounds();
  };

  GridLayer.prototype.styleFor = function (g) {
    var depthGap = g.level - this.activeLevel;
    if (depthGap === 0) {
      var fill = g.warning && WARNING_COLOURS[g.warning] ? WARNING_COLOURS[g.warning] : countColour(g.open, this.thresholds);
      return {
        color: g.overdue > 0 ? "#a61b0f" : "#5a6b7b",
        weight: g.overdue > 0 ? 2 : 0.8,
        fill: true,
        fillColor: fill,
        fillOpacity: 0.6,
        opacity: 0.9
      };
    }
    if (depthGap < 0) {
      return { color: "#1d4f91", weight: Math.min(3.5, 0.6 - 0.9 * depthGap), fill: false, opacity: 0.85 };
    }
    return { color: "#7b8794", weight: 0.6, fill: false, opacity: 0.6, dashArray: "2 3" };
  };

  GridLayer.prototype.restyle = function () {
    var self = this, max = 0;
    this.data.grids.forEach(function (g) {
      if (g.level === self.activeLevel && g.open > max) max = g.open;
    });
    this.thresholds = thresholdsFor(max);
    if (this.onThresholds) this.onThresholds(this.thresholds);
    this.layers.forEach(function (layer) {
      if (layer) layer.setStyle(self.styleFor(layer.gridRecord));
    });
    this.updateLabels();
  };

  GridLayer.prototype.setActiveLevel = function (level) {
    if (level === this.activeLevel) return;
    this.activeLevel = level;
    this.restyle();
    if (this.onLevel) this.onLevel(level);
  };

  /* Automatic level: the deepest level whose grids are on average wide enough on screen to
     click (about 28 px) at the current zoom. */
  GridLayer.prototype.pickLevel = function () {
    var map = this.map;
    if (!map._loaded) return;
    var center = map.getCenter();
    var a = map.latLngToContainerPoint(center);
    var b = map.latLngToContainerPoint([center.lat, center.lng + 0.01]);
    var pxPerDegree = Math.abs(b.x - a.x) / 0.01;
    var chosen = 0;
    for (var i = 0; i < this.levelWidths.length; i++) {
      if (this.levelWidths[i] && this.levelWidths[i] * pxPerDegree >= 28) chosen = i;
    }
    this.setActiveLevel(chosen);
  };

  /* counts: {code: [open, overdue]} for grids holding cases; summed up the tree. */
  GridLayer.prototype.setCounts = function (counts, warnings) {
    var grids = this.data.grids, i;
    for (i = 0; i < grids.length; i++) { grids[i].open = 0; grids[i].overdue = 0; grids[i].warning = null; }
    Object.keys(counts || {}).forEach(function (code) {
      var g = this.byCode[code];
      var c = counts[code];
      while (g) {
        g.open += c[0];
        g.overdue += c[1];
        g = g.parent >= 0 ? grids[g.parent] : null;
      }
    }, this);
    Object.keys(warnings || {}).forEach(function (code) {
      if (this.byCode[code]) this.byCode[code].warning = warnings[code];
    }, this);
    this.restyle();
  };

  /* Labels for grids of the active level that are wide enough on screen to carry a name,
     placed greedily (largest first) so that no two labels overlap. */
  GridLayer.prototype.updateLabels = function () {
    var map = this.map;
    if (!map._loaded) return;
    this.labels.clearLayers();
    var view = map.getBounds(), self = this, candidates = [];
    this.layers.forEach(function (layer) {
      if (!layer) return;
      var g = layer.gridRecord;
      if (g.level !== self.activeLevel) return;
      var b = layer.getBounds();
      if (!view.intersects(b)) return;
      var sw = map.latLngToContainerPoint(b.getSouthWest());
      var ne = map.latLngToContainerPoint(b.getNorthEast());
      var w = Math.abs(ne.x - sw.x), h = Math.abs(sw.y - ne.y);
      if (w < 48 || h < 18) return;
      candidates.push({ g: g, size: w * h, w: w });
    });
    candidates.sort(function (a, b) { return b.size - a.size; });
    var placed = [];
    for (var i = 0; i < candidates.length && placed.length < 200; i++) {
      var g = candidates[i].g;
      var text = g.name + (g.open ? " · " + g.open : "");
      var p = map.latLngToContainerPoint(g.label);
      var half = text.length * 6.5 + 4;
      if (half * 2 > candidates[i].w * 1.6) continue;
      var box = [p.x - half, p.y - 9, p.x + half, p.y + 9];
      var clash = placed.some(function (o) {
        return box[0] < o[2] && box[2] > o[0] && box[1] < o[3] && box[3] > o[1];
      });
      if (clash) continue;
      placed.push(box);
      this.labels.addLayer(L.marker(g.label, {
        interactive: false,
        keyboard: false,
        icon: L.divIcon({ className: "grid-label", html: escapeHtml(text), iconSize: [half * 2, 18], iconAnchor: [half, 9] })
      }));
    }
  };

  function averageWidths(data) {
    var sums = [], counts = [];
    data.grids.forEach(function (g) {
      if (!g.latlngs.length) return;
      var ring = g.latlngs[0][0] || g.latlngs[0];
      var min = Infinity, max = -Infinity;
      for (var i = 0; i < ring.length; i++) {
        if (ring[i][1] < min) min = ring[i][1];
        if (ring[i][1] > max) max = ring[i][1];
      }
      sums[g.level] = (sums[g.level] || 0) + (max - min);
      counts[g.level] = (counts[g.level] || 0) + 1;
    });
    return data.levels.map(function (_n, i) { return counts[i] ? sums[i] / counts[i] : 0; });
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function fetchGrids(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("grids " + r.status);
        return r.json();
      })
      .then(decode);
  }

  /* A radio group switching the active level: automatic by zoom, or one level. */
  function levelSwitch(container, layer, label, autoLabel) {
    if (!container) return;
    container.innerHTML = "";
    var legend = document.createElement("span");
    legend.className = "muted";
    legend.textContent = label;
    container.appendChild(legend);
    var inputs = [];
    function add(value, text) {
      var l = document.createElement("label");
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "map-level";
      input.value = value;
      input.addEventListener("change", function () {
        if (value === "auto") {
          layer.auto = true;
          layer.pickLevel();
        } else {
          layer.auto = false;
          layer.setActiveLevel(parseInt(value, 10));
        }
      });
      l.appendChild(input);
      l.appendChild(document.createTextNode(text));
      container.appendChild(l);
      inputs.push(input);
    }
    add("auto", autoLabel || "auto");
    layer.data.levels.forEach(function (name, i) { add(String(i), name); });
    function sync() {
      inputs.forEach(function (input) {
        input.checked = layer.auto ? input.value === "auto" : input.value === String(layer.activeLevel);
      });
      container.setAttribute("data-active-level", String(layer.activeLevel));
    }
    layer.onLevel = sync;
    sync();
  }

  window.GridgovMap = {
    decode: decode,
    createMap: createMap,
    fetchGrids: fetchGrids,
    GridLayer: GridLayer,
    levelSwitch: levelSwitch,
    countColour: countColour,
    thresholdsFor: thresholdsFor,
    escapeHtml: escapeHtml,
    COUNT_COLOURS: COUNT_COLOURS,
    WARNING_COLOURS: WARNING_COLOURS
  };
})();
