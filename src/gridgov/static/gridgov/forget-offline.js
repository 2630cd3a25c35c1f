/* On the log-in page (also where log-out lands): drop the phone pages kept for offline use, so
   the next person on a shared phone does not open the previous worker's page. Reports still
   waiting in the outbox stay: they are sent when their own account logs in again. */
(function () {
  "use strict";
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.getRegistrations().then(function (regs) {
      regs.forEach(function (r) { r.unregister(); });
    }).catch(function () {});
  }
  if (window.caches) {
    caches.keys().then(function (keys) {
      keys.forEach(function (k) { if (k.indexOf("gridgov-phone-") === 0) caches.delete(k); });
    }).catch(function () {});
  }
})();
