// Classifier suggestions on the report forms (issue 13). When the description changes, the
// hotline app's classifier is asked for a catalogue item; its name and confidence appear under
// the description with a button that fills the item field. Nothing is chosen without the
// button. Offline, or when the server says no, no hint is shown (the form works without it).
(function () {
  "use strict";
  var box = document.querySelector("[data-item-suggestion]");
  var form = box && box.closest("form");
  var field = form && form.querySelector("[name=description]");
  if (!field) return;
  var timer = null;
  var last = "";
  var serial = 0;

  function show(html, mine) {
    if (mine === serial) box.innerHTML = html;
  }

  function ask() {
    var text = field.value.trim();
    if (text === last) return;
    last = text;
    var mine = ++serial;
    if (text.length < 4 || navigator.onLine === false) {
      show("", mine);
      return;
    }
    var url = box.getAttribute("data-suggest-url") + "?description=" + encodeURIComponent(text);
    fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : ""; })
      .then(function (html) { show(html, mine); })
      .catch(function () { show("", mine); });
  }

  field.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(ask, 500);
  });
  field.addEventListener("change", ask);

  box.addEventListener("click", function (event) {
    var button = event.target.closest("[data-suggest-item]");
    if (!button) return;
    var code = button.getAttribute("data-suggest-item");
    var radios = form.querySelectorAll("input[type=radio][name=category]");
    for (var i = 0; i < radios.length; i++) {
      if (radios[i].value !== code) continue;
      radios[i].checked = true;
      radios[i].dispatchEvent(new Event("change", { bubbles: true }));
      var label = radios[i].closest("label");
      if (label) {
        label.hidden = false;
        label.scrollIntoView({ block: "nearest" });
      }
      button.disabled = true;
      button.textContent = button.getAttribute("data-done");
      return;
    }
  });
})();
