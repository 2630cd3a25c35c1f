/* The chosen matter's extra questions (cases/attribute_fields.html): only its group is shown
   and enabled, so only its answers are sent (a disabled fieldset's inputs are not submitted). */
(function () {
  "use strict";
  document.querySelectorAll("form").forEach(function (form) {
    var groups = form.querySelectorAll("[data-attributes-for]");
    if (!groups.length) {
      return;
    }
    function sync() {
      var chosen = form.querySelector('input[name="category"]:checked');
      var code = chosen ? chosen.value : "";
      groups.forEach(function (group) {
        var on = group.getAttribute("data-attributes-for") === code;
        group.hidden = !on;
        group.disabled = !on;
      });
    }
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "category") {
        sync();
      }
    });
    sync();
  });
})();
