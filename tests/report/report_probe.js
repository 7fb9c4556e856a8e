// Injected by report_in_browser.py into a copy of a report (never into the report itself): it
// records JavaScript errors from the first moment, then, once the page has loaded, reads back
// what the page shows — every chart's data and whether its canvas drew the data's colours, the
// table's figures, the confusion matrices, the configs — into a "probe-result" element, which
// the test reads from Chromium's --dump-dom.
'use strict';
window.__probeErrors = [];
window.addEventListener('error', e => window.__probeErrors.push(String(e.message)));
window.addEventListener('unhandledrejection', e => window.__probeErrors.push(String(e.reason)));
window.addEventListener('load', () => setTimeout(function probe() {
  const result = {errors: window.__probeErrors, rendered: document.body.dataset.rendered === 'true',
                  charts: [], rows: [], confusion: [], configs: [], gains: []};
  function rgb(colour) {
    const hex = /^#([0-9a-f]{6})$/i.exec(colour);
    return hex ? [0, 2, 4].map(i => parseInt(hex[1].substr(i, 2), 16)) : null;
  }
  const charts = typeof Chart === 'undefined' ? [] : Object.values(Chart.instances);
  charts.forEach(function (chart) {
    const canvas = chart.canvas;
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = [];
    chart.data.datasets.forEach(function (d) {
      [].concat(d.backgroundColor || [], d.borderColor || []).forEach(function (c) {
        const v = rgb(c);
        if (v) colours.push(v);
      });
    });
    let painted = 0, dataColoured = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3] === 0) continue;
      ++painted;
      if (colours.some(c => Math.abs(c[0] - pixels[i]) + Math.abs(c[1] - pixels[i + 1]) +
                            Math.abs(c[2] - pixels[i + 2]) <= 12 && pixels[i + 3] > 200))
        ++dataColoured;
    }
    result.charts.push({
      id: canvas.id, type: chart.config.type, width: canvas.width, height: canvas.height,
      painted: painted, dataColoured: dataColoured, labels: chart.data.labels || [],
      datasets: chart.data.datasets.map(d => ({
        label: d.label, data: d.data, run: d.distillRun || null, model: d.distillModel || null,
        field: d.distillField || null, models: d.distillModels || null})),
    });
  });
  document.querySelectorAll('table#models tr[data-model]').forEach(function (row) {
    const cells = {};
    row.querySelectorAll('td[data-field]').forEach(function (td) {
      cells[td.dataset.field] = td.hasAttribute('data-value') ? td.dataset.value : td.textContent;
    });
    result.rows.push({run: row.dataset.run, model: row.dataset.model, cells: cells});
  });
  document.querySelectorAll('details[data-model]').forEach(function (details) {
    const matrix = [];
    details.querySelectorAll('td[data-true]').forEach(function (td) {
      const t = Number(td.dataset.true), p = Number(td.dataset.predicted);
      (matrix[t] = matrix[t] || [])[p] = Number(td.dataset.value);
    });
    result.confusion.push({run: details.dataset.run, model: details.dataset.model, matrix: matrix});
  });
  document.querySelectorAll('pre.config').forEach(
      pre => result.configs.push({run: pre.dataset.run, text: pre.textContent}));
  document.querySelectorAll('p.gain').forEach(
      p => result.gains.push({run: p.dataset.run, value: Number(p.dataset.value)}));
  const out = document.createElement('pre');
  out.id = 'probe-result';
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
}, 100));
