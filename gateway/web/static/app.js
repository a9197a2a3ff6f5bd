// opencx-gateway UI: small progressive enhancements only; every page works without this file.
"use strict";

// Never submit a form twice (a double click on "Hand off" or "Send test").
document.addEventListener("submit", (event) => {
  const button = event.target.querySelector("button[type=submit]");
  if (button) setTimeout(() => { button.disabled = true; }, 0);
});

// Keep the Inbox list fresh: re-fetch this page and swap the list while nobody is typing.
(function refreshList() {
  const first = document.getElementById("sessions");
  if (!first) return;
  const seconds = Number(first.dataset.refresh || 0);
  if (!seconds) return;
  setInterval(async () => {
    if (document.hidden || document.activeElement?.matches("input, textarea")) return;
    try {
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (!response.ok || response.redirected) return;
      const doc = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = doc.getElementById("sessions");
      const current = document.getElementById("sessions");
      if (fresh && current) current.replaceWith(fresh);
    } catch (_) { /* offline for a moment: try again next tick */ }
  }, seconds * 1000);
})();
