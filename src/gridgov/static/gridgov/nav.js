/* The top bar's menus (web/includes/nav.html) are <details>: they open and close without
   JavaScript, by mouse or keyboard. This adds what <details> lacks for a menu bar: one menu
   open at a time, Escape and a click elsewhere close it, aria-expanded on each summary, and on
   narrow screens a menu button that folds the whole bar, the current page's menu opened. */
(function () {
  "use strict";
  var nav = document.querySelector("[data-mainnav]");
  if (!nav) return;
  var menus = Array.prototype.slice.call(nav.querySelectorAll(".nav-group > details"));
  var toggle = nav.querySelector(".mainnav-toggle");
  var narrow = window.matchMedia("(max-width: 640px)");

  function sync(menu) {
    menu.querySelector("summary").setAttribute("aria-expanded", menu.open ? "true" : "false");
  }
  function closeOthers(keep) {
    menus.forEach(function (m) { if (m !== keep && m.open) m.open = false; });
  }
  menus.forEach(function (menu) {
    sync(menu);
    menu.addEventListener("toggle", function () {
      sync(menu);
      if (menu.open && !narrow.matches) closeOthers(menu);
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    menus.forEach(function (menu) {
      if (!menu.open) return;
      var inside = menu.contains(document.activeElement);
      menu.open = false;
      if (inside) menu.querySelector("summary").focus();
    });
  });
  document.addEventListener("click", function (event) {
    if (narrow.matches) return;
    menus.forEach(function (menu) { if (menu.open && !menu.contains(event.target)) menu.open = false; });
  });
  nav.addEventListener("focusout", function (event) {
    // Tabbing out of a desktop menu closes it, as a menu bar does.
    if (narrow.matches || !event.relatedTarget) return;
    menus.forEach(function (menu) {
      if (menu.open && !menu.contains(event.relatedTarget)) menu.open = false;
    });
  });

  if (!toggle) return;
  toggle.hidden = false;
  nav.classList.add("collapsible");
  toggle.addEventListener("click", function () {
    var open = toggle.getAttribute("aria-expanded") !== "true";
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
    if (open) {
      menus.forEach(function (menu) {
        if (menu.parentNode.classList.contains("current")) menu.open = true;
      });
    }
  });
})();
