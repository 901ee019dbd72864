// The analytics page's charts, drawn with the vendored Chart.js from the JSON the server put in
// <script type="application/json" id="analytics-data">. Data only ever becomes chart labels
// (drawn on a canvas) or textContent: never markup.
"use strict";

(function () {
  const source = document.getElementById("analytics-data");
  if (!source || typeof window.Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const colours = {
    accent: "#2458d6", up: "#3a7d44", down: "#c62828", high: "#e07b00", muted: "#9aa5b5",
  };
  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  // `zeroIsData`: a 0 % share is a finding; a count of 0 everywhere is an empty chart.
  function draw(id, config, zeroIsData) {
    const canvas = document.getElementById(id);
    if (!canvas) return;
    const values = config.data.datasets.flatMap((d) => d.data).filter((v) => v !== null && v !== undefined);
    if (!(zeroIsData ? values.length > 0 : values.some((v) => v > 0))) {
      // Nothing to draw: say so in place of an empty chart.
      const note = document.createElement("p");
      note.className = "muted";
      note.textContent = "No data in this period.";
      canvas.replaceWith(note);
      return;
    }
    new window.Chart(canvas, config);
  }

  draw("chart-reasons", {
    type: "bar",
    data: {
      labels: data.reasons.labels,
      datasets: [{ label: "Handoffs", data: data.reasons.counts, backgroundColor: colours.accent }],
    },
    options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  draw("chart-deflection", {
    type: "doughnut",
    data: {
      labels: data.deflection.labels,
      datasets: [{ data: data.deflection.counts, backgroundColor: [colours.up, colours.high] }],
    },
    options: common,
  });

  draw("chart-csat", {
    type: "bar",
    data: {
      labels: data.csat.labels,
      datasets: [{ label: "Ratings", data: data.csat.counts, backgroundColor: colours.accent }],
    },
    options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  draw("chart-sla", {
    type: "bar",
    data: {
      labels: data.sla.labels,
      datasets: [{ label: "% within first-response target", data: data.sla.within, backgroundColor: colours.up }],
    },
    options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, max: 100 } } },
  }, true);

  draw("chart-votes", {
    type: "bar",
    data: {
      labels: data.votes.labels,
      datasets: [
        { label: "👍", data: data.votes.up, backgroundColor: colours.up },
        { label: "👎", data: data.votes.down, backgroundColor: colours.down },
      ],
    },
    options: {
      ...common,
      indexAxis: "y",
      scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
    },
  });
})();
