// The console's behaviour: live regions refreshed from server-rendered fragments, confirmations.
// No data is turned into markup here: fragments come escaped from the server.
"use strict";

(function () {
  // <div data-live-topics="queue staff:abc" data-live-source="/console/…">: re-fetch the fragment
  // whenever the server announces a change on one of the topics.
  function attachLive(region) {
    const topics = region.dataset.liveTopics.split(/\s+/).filter(Boolean);
    const source = region.dataset.liveSource;
    const query = topics.map((t) => "topic=" + encodeURIComponent(t)).join("&");
    let pending = null;
    let inFlight = false;

    async function refresh() {
      if (inFlight) { schedule(); return; }
      inFlight = true;
      try {
        const response = await fetch(source, { credentials: "same-origin", headers: { "Accept": "text/html" } });
        if (response.ok) {
          region.innerHTML = await response.text();
          region.dispatchEvent(new CustomEvent("live:updated", { bubbles: true }));
        } else if (response.status === 401) {
          window.location.assign("/console/login?next=" + encodeURIComponent(window.location.pathname));
        }
      } finally {
        inFlight = false;
      }
    }

    function schedule() {
      if (pending) return;
      pending = setTimeout(() => { pending = null; refresh(); }, 150);
    }

    function connect() {
      const events = new EventSource("/api/v1/events?" + query);
      events.onmessage = (message) => {
        const data = JSON.parse(message.data);
        region.dataset.liveState = "connected";
        if (data.kind !== "ready") schedule();
        else refresh(); // catch up on anything missed while (re)connecting
      };
      events.onerror = () => { region.dataset.liveState = "reconnecting"; };
    }
    connect();
    // Waiting times and SLA breaches change with the clock alone, without any event.
    setInterval(schedule, 30000);
  }

  document.querySelectorAll("[data-live-topics]").forEach(attachLive);

  // <form data-confirm="Resolve this escalation?">
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
