// The classifier's suggestion on the case page of a case without an item (issue 13): the
// hotline app answers with the item and its confidence; the button fills the item field of the
// classify and accept forms and opens the form, and the operator still submits it. Nothing is
// chosen without the button; without an answer no hint is shown.
(function () {
  "use strict";
  // The action forms are prefixed by their verb: accept-item, classify-item.
  var ITEM_FIELDS = ".action-forms select[name$='-item'], .action-forms select[name=item]";
  var box = document.querySelector("[data-case-suggestion]");
  // Only where one of the user's actions sets the item (classify, accept).
  if (!box || !document.querySelector(ITEM_FIELDS)) return;
  fetch(box.getAttribute("data-suggest-url"), {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  })
    .then(function (response) { return response.ok ? response.text() : ""; })
    .then(function (html) { box.innerHTML = html; })
    .catch(function () { box.innerHTML = ""; });

  box.addEventListener("click", function (event) {
    var button = event.target.closest("[data-fill-item]");
    if (!button) return;
    var value = button.getAttribute("data-fill-item");
    var filled = null;
    var selects = document.querySelectorAll(ITEM_FIELDS);
    for (var i = 0; i < selects.length; i++) {
      var select = selects[i];
      if (!select.querySelector('option[value="' + value + '"]')) continue;
      select.value = value;
      select.dispatchEvent(new Event("change", { bubbles: true }));
      var details = select.closest("details");
      // The classify form first: it is the verb for a case that only lacks its item.
      if (!filled || (details && details.getAttribute("data-action") === "classify")) {
        filled = details;
      }
    }
    if (!filled) return;
    filled.open = true;
    filled.scrollIntoView({ block: "nearest" });
    button.disabled = true;
    button.textContent = button.getAttribute("data-done");
  });
})();
