// The knowledge-base page: while a publication builds, watch its status and reload when it ends.
// Only text is written into the page (textContent), never markup.
"use strict";

(function () {
  const status = document.getElementById("publication-status");
  if (!status || status.dataset.status !== "building") return;
  const id = status.dataset.publicationId;

  async function check() {
    try {
      const response = await fetch("/api/v1/knowledge/publications/" + encodeURIComponent(id), {
        credentials: "same-origin",
        headers: { "Accept": "application/json" },
      });
      if (response.ok) {
        const publication = await response.json();
        if (publication.status !== "building") {
          status.textContent = publication.status;
          window.location.replace("/console/knowledge");
          return;
        }
      }
    } catch (error) {
      // Network hiccup: try again on the next tick.
    }
    setTimeout(check, 2000);
  }
  setTimeout(check, 2000);
})();
