// Renders a distill report from the runs embedded in the page (#distill-runs: a list of
// {name, results, config_yaml}, each `results` a run's results.json). Every figure shown comes
// from those objects; tables are built with textContent only (no HTML from data).
'use strict';

(function () {
  const runs = JSON.parse(document.getElementById('distill-runs').textContent);
  const several = runs.length > 1;
  const palette = ['#1f5fbf', '#8a8f99', '#e07b00', '#2a9d4b', '#c0392b', '#7b4fc9', '#0e9aa7',
                   '#b5651d', '#d63384', '#556b2f', '#34495e', '#e6b400'];
  const runShapes = ['circle', 'rect', 'triangle', 'rectRot', 'star', 'crossRot'];
  Chart.defaults.animation = false;  // drawn at once: the page is a document, not a show
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  // The run's models in the order the run made them (results.json's model_order; files from
  // before it existed: the teacher first, then by key).
  function models(run) {
    const all = run.results.models || {};
    const order = run.results.model_order ||
        Object.keys(all).sort((a, b) => (b === 'teacher') - (a === 'teacher') || a.localeCompare(b));
    return order.filter(key => key in all).map(key => [key, all[key]]);
  }
  function modelName(run, title) { return several ? run.name + ': ' + title : title; }
  function colourOf(index) { return palette[index % palette.length]; }
  function humanBytes(bytes) {
    if (bytes >= 1048576) return (bytes / 1048576).toFixed(2) + ' MiB';
    if (bytes >= 1024) return (bytes / 1024).toFixed(1) + ' KiB';
    return bytes + ' B';
  }
  // Axis labels at 1, 2, 5 x 10^n bytes read best in decimal units.
  function decimalBytes(bytes) {
    if (bytes >= 1e6) return Number((bytes / 1e6).toPrecision(3)) + ' MB';
    if (bytes >= 1e3) return Number((bytes / 1e3).toPrecision(3)) + ' kB';
    return Number(bytes.toPrecision(3)) + ' B';
  }
  function fixed(value, digits) {
    return value === null || value === undefined ? '–' : Number(value).toFixed(digits);
  }
  // 1, 2 and 5 times a power of ten: the log axis's labelled ticks (the others stay unlabelled).
  function onLogGrid(value) {
    const mantissa = value / Math.pow(10, Math.floor(Math.log10(value) + 1e-9));
    return [1, 2, 5].some(m => Math.abs(mantissa - m) < 1e-6);
  }
  function isStudent(key) { return key !== 'teacher'; }
  function newChart(parent, id, config, tall) {
    const box = element('div', {class: tall ? 'chart tall' : 'chart'});
    const canvas = element('canvas', {id: id});
    box.appendChild(canvas);
    parent.appendChild(box);
    config.options = Object.assign({responsive: true, maintainAspectRatio: false}, config.options);
    return new Chart(canvas, config);
  }
  function figure(parent, caption) {
    const node = element('figure');
    node.appendChild(element('figcaption', {}, caption));
    parent.appendChild(node);
    return node;
  }

  // --- header -------------------------------------------------------------------------------
  const summaries = document.getElementById('run-summaries');
  runs.forEach(function (run) {
    const r = run.results;
    const data = r.data || {};
    const line = (several ? run.name + ' — ' : '') +
        'config: ' + r.config_source + ' · data: ' + data.source + ' (' + data.train_samples +
        ' training, ' + data.validation_samples + ' validation, ' + data.test_samples +
        ' test samples, ' + (data.class_names || []).length + ' classes) · seed ' + r.seed +
        ' · ' + r.threads + ' threads · ' + fixed(r.total_seconds, 1) + ' s';
    summaries.appendChild(element('p', {class: 'run-summary', 'data-run': run.name}, line));
  });

  // --- the side-by-side table ---------------------------------------------------------------
  const columns = [
    {title: 'model', field: 'title', value: m => m.title},
    {title: 'architecture', field: 'architecture', value: m => m.architecture},
    {title: 'objective', field: 'objective', value: m => m.objective},
    {title: 'parameters', field: 'parameters', value: m => m.parameters, number: true,
     show: v => v.toLocaleString('en-US')},
    {title: 'size', field: 'bytes', value: m => m.bytes, number: true, show: humanBytes},
    {title: 'accuracy', field: 'accuracy', value: m => m.test.accuracy, number: true,
     show: v => fixed(v, 4), css: 'accuracy'},
    {title: 'macro F1', field: 'macro_f1', value: m => m.test.macro_f1, number: true,
     show: v => fixed(v, 4)},
    {title: 'agreement', field: 'agreement_with_teacher', value: m => m.test.agreement_with_teacher,
     number: true, show: v => fixed(v, 4)},
    {title: 'NLL', field: 'mean_nll', value: m => m.test.mean_nll, number: true,
     show: v => fixed(v, 4)},
    {title: 'latency µs', field: 'latency_us_batch1_median',
     value: m => m.speed ? m.speed.latency_us_batch1_median : null, number: true,
     show: v => fixed(v, 1)},
    {title: 'per second', field: 'throughput_per_s',
     value: m => m.speed ? m.speed.throughput_per_s : null, number: true,
     show: v => fixed(v, 0)},
    {title: 'train s', field: 'training_seconds',
     value: m => m.training ? m.training.seconds : null, number: true, show: v => fixed(v, 1)},
  ];
  const table = element('table', {class: 'models', id: 'models'});
  const head = element('tr');
  if (several) head.appendChild(element('th', {}, 'run'));
  columns.forEach(c => head.appendChild(element('th', {}, c.title)));
  table.appendChild(head);
  runs.forEach(function (run) {
    let best = null;
    models(run).forEach(function ([key, m]) {
      if (isStudent(key) && (best === null || m.test.accuracy > best.test.accuracy)) best = m;
    });
    models(run).forEach(function ([key, m], index) {
      const row = element('tr', {'data-run': run.name, 'data-model': key});
      if (m === best) row.className = 'best';
      if (several) row.appendChild(element('td', {class: 'run'}, run.name));
      columns.forEach(function (c) {
        const value = c.value(m);
        const cell = element('td', {'data-field': c.field});
        if (c.number) {
          cell.className = 'number' + (c.css ? ' ' + c.css : '');
          cell.setAttribute('data-value', value === null || value === undefined ? '' : String(value));
          cell.textContent = value === null || value === undefined ? '–' : c.show(value);
        } else {
          if (c.field === 'architecture' || c.field === 'objective') {
            cell.className = 'description';
            cell.title = value || '';
          }
          if (c.field === 'title') {
            cell.className = 'model';
            const swatch = element('span', {class: 'swatch'});
            swatch.style.background = colourOf(index);
            cell.appendChild(swatch);
          }
          cell.appendChild(document.createTextNode(value || ''));
        }
        row.appendChild(cell);
      });
      table.appendChild(row);
    });
  });
  document.getElementById('model-table').appendChild(table);
  runs.forEach(function (run) {
    const gain = run.results.distillation_gain_points;
    if (gain !== undefined) {
      document.getElementById('model-table').appendChild(element('p', {class: 'gain',
          'data-run': run.name, 'data-value': String(gain)},
          (several ? run.name + ': ' : '') + 'distillation gain ' + (gain >= 0 ? '+' : '') +
          gain.toFixed(2) + ' points of test accuracy over the baseline student.'));
    }
  });

  // --- the compression frontier -------------------------------------------------------------
  function frontier(canvasId, xOf, xTitle, showX) {
    const datasets = [];
    runs.forEach(function (run, runIndex) {
      models(run).forEach(function ([key, m], index) {
        const x = xOf(m);
        if (x === null || x === undefined) return;
        datasets.push({
          label: modelName(run, m.title),
          data: [{x: x, y: m.test.accuracy}],
          backgroundColor: colourOf(index), borderColor: colourOf(index),
          pointStyle: runShapes[runIndex % runShapes.length], pointRadius: 7, pointHoverRadius: 9,
          distillRun: run.name, distillModel: key,
        });
      });
    });
    const canvas = document.getElementById(canvasId);
    return new Chart(canvas, {
      type: 'scatter',
      data: {datasets: datasets},
      options: {
        responsive: true, maintainAspectRatio: false,
        scales: {
          x: {type: 'logarithmic', title: {display: true, text: xTitle},
              ticks: {callback: v => onLogGrid(v) ? showX(v) : ''}},
          y: {title: {display: true, text: 'test accuracy'}},
        },
        plugins: {tooltip: {callbacks: {label: c => c.dataset.label + ': ' +
            showX(c.parsed.x) + ', accuracy ' + c.parsed.y.toFixed(4)}}},
      },
    });
  }
  frontier('frontier-latency', m => m.speed ? m.speed.latency_us_batch1_median : null,
           'latency at batch 1 (µs, log scale)', v => Number(Number(v).toPrecision(3)) + ' µs');
  frontier('frontier-bytes', m => m.bytes, 'size (bytes, log scale)', decimalBytes);

  // --- training curves, per-class accuracy, agreement, confusion, notes: per run -------------
  runs.forEach(function (run, runIndex) {
    const suffix = '-' + runIndex;
    const title = several ? ' — ' + run.name : '';
    const trained = models(run).filter(([, m]) => m.training && m.training.history &&
                                                  m.training.history.length > 0);
    const trainingGrid = element('div', {class: 'grid'});
    document.getElementById('training-charts').appendChild(trainingGrid);
    const curves = [['train_loss', 'training loss per epoch', 'loss'],
                    ['validation_accuracy', 'validation accuracy per epoch', 'accuracy']];
    curves.forEach(function ([field, caption, axis]) {
      const maxEpochs = Math.max(0, ...trained.map(([, m]) => m.training.history.length));
      const datasets = [];
      models(run).forEach(function ([key, m], index) {
        if (!trained.some(([k]) => k === key)) return;
        datasets.push({
          label: m.title,
          data: m.training.history.map(e => field === 'validation_accuracy' &&
                                            e[field] < 0 ? null : e[field]),
          borderColor: colourOf(index), backgroundColor: colourOf(index), tension: 0.15,
          spanGaps: true, distillRun: run.name, distillModel: key, distillField: field,
        });
      });
      newChart(figure(trainingGrid, caption + title), 'training-' + field + suffix, {
        type: 'line',
        data: {labels: Array.from({length: maxEpochs}, (_, i) => String(i + 1)), datasets: datasets},
        options: {scales: {x: {title: {display: true, text: 'epoch'}},
                           y: {title: {display: true, text: axis}}}},
      });
    });

    const classes = (run.results.data || {}).class_names || [];
    newChart(figure(document.getElementById('per-class-charts'), 'per-class accuracy' + title),
             'per-class' + suffix, {
      type: 'bar',
      data: {labels: classes, datasets: models(run).map(([key, m], index) => ({
        label: m.title, data: m.test.per_class_accuracy, backgroundColor: colourOf(index),
        distillRun: run.name, distillModel: key}))},
      options: {scales: {y: {min: 0, max: 1, title: {display: true, text: 'recall'}}}},
    }, classes.length > 20);

    const agreeing = models(run).filter(([, m]) => m.test.agreement_with_teacher !== null &&
                                                   m.test.agreement_with_teacher !== undefined);
    newChart(figure(document.getElementById('agreement-charts'),
                    'top-1 agreement with the teacher on the test split' + title),
             'agreement' + suffix, {
      type: 'bar',
      data: {labels: agreeing.map(([, m]) => m.title), datasets: [{
        label: 'agreement with the teacher', data: agreeing.map(([, m]) => m.test.agreement_with_teacher),
        backgroundColor: agreeing.map(([key]) => colourOf(models(run).findIndex(([k]) => k === key))),
        distillRun: run.name, distillField: 'agreement_with_teacher',
        distillModels: agreeing.map(([key]) => key)}]},
      options: {indexAxis: 'y', plugins: {legend: {display: false}},
                scales: {x: {min: 0, max: 1}}},
    });

    const confusionBox = document.getElementById('confusion-matrices');
    if (several) confusionBox.appendChild(element('h3', {}, run.name));
    models(run).forEach(function ([key, m], index) {
      const details = element('details', {'data-run': run.name, 'data-model': key});
      if (index === 0) details.open = true;
      details.appendChild(element('summary', {}, m.title + ' — test accuracy ' +
                                              fixed(m.test.accuracy, 4)));
      const matrix = element('table', {class: 'confusion'});
      const top = element('tr');
      top.appendChild(element('th', {}, 'true \\ predicted'));
      classes.forEach((name, c) => top.appendChild(element('th', {title: name}, String(c))));
      matrix.appendChild(top);
      (m.test.confusion || []).forEach(function (counts, truth) {
        const row = element('tr');
        row.appendChild(element('th', {class: 'row'}, truth + ' ' + (classes[truth] || '')));
        const total = counts.reduce((a, b) => a + b, 0);
        counts.forEach(function (count, predicted) {
          const cell = element('td', {'data-true': truth, 'data-predicted': predicted,
                                      'data-value': String(count)}, String(count));
          const share = total > 0 ? count / total : 0;
          const tint = truth === predicted ? '31, 95, 191' : '192, 57, 43';
          cell.style.background = 'rgba(' + tint + ', ' + share.toFixed(3) + ')';
          if (share > 0.55) cell.style.color = '#fff';
          row.appendChild(cell);
        });
        matrix.appendChild(row);
      });
      details.appendChild(matrix);
      confusionBox.appendChild(details);
    });

    const notesBox = document.getElementById('run-notes');
    if (several) notesBox.appendChild(element('h3', {}, run.name));
    const notes = run.results.notes || [];
    if (notes.length > 0) {
      const list = element('ul', {class: 'notes', 'data-run': run.name});
      notes.forEach(note => list.appendChild(element('li', {}, note)));
      notesBox.appendChild(list);
    } else {
      notesBox.appendChild(element('p', {}, 'No notes: every stage the config asked for ran.'));
    }
    const config = element('details', {open: ''});
    config.appendChild(element('summary', {}, 'effective config (' + run.results.config_source + ')'));
    config.appendChild(element('pre', {class: 'config', 'data-run': run.name},
                               run.config_yaml || '(no config.yaml in the run directory)'));
    notesBox.appendChild(config);
  });
  document.body.setAttribute('data-rendered', 'true');
})();
