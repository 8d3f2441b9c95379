// The review page: builds the items from the embedded sheet, keeps the reviewer's marks in
// localStorage as they are made, and saves them as verdict JSONL (one line per judged item, the
// shape peft4j's VerdictFile reads). Text from the sheet only ever goes into textContent.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('review-data').textContent);
  var storeKey = 'peft4j-review:' + data.sheet;
  var state = load();

  function load() {
    try {
      var saved = JSON.parse(window.localStorage.getItem(storeKey));
      if (saved && saved.items) {
        return saved;
      }
    } catch (e) { /* no storage (private mode): marks live until the page closes */ }
    return { reviewer: '', items: {} };
  }

  function store() {
    try {
      window.localStorage.setItem(storeKey, JSON.stringify(state));
    } catch (e) { /* see load */ }
    progress();
  }

  function marks(id) {
    if (!state.items[id]) {
      state.items[id] = { preferred: null, acceptable: {}, flags: {}, comment: '' };
    }
    return state.items[id];
  }

  function judged(m) {
    if (!m) {
      return false;
    }
    var any = m.preferred !== null || (m.comment || '') !== '';
    Object.keys(m.acceptable).forEach(function (k) { any = any || m.acceptable[k] !== null; });
    Object.keys(m.flags).forEach(function (k) { any = any || m.flags[k].length > 0; });
    return any;
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) {
      e.textContent = text;
    }
    return e;
  }

  function choice(type, name, id, label, checked, onChange) {
    var wrap = el('label', { 'for': id });
    var input = el('input', { type: type, name: name, id: id });
    input.checked = checked;
    input.addEventListener('change', onChange);
    wrap.appendChild(input);
    wrap.appendChild(document.createTextNode(' ' + label));
    return wrap;
  }

  function renderItem(item, index) {
    var m = marks(item.id);
    var box = el('section', { 'class': 'item', id: 'item-' + item.id });
    box.appendChild(el('div', { 'class': 'prompt' }, (index + 1) + '. ' + item.prompt));
    if (item.reference !== null && item.reference !== undefined) {
      var ref = el('details', { 'class': 'reference' });
      ref.appendChild(el('summary', {}, 'Reference answer (from the data)'));
      ref.appendChild(el('div', {}, item.reference));
      box.appendChild(ref);
    }
    var grid = el('div', { 'class': 'outputs' });
    item.outputs.forEach(function (out) {
      var L = out.label;
      var card = el('div', { 'class': 'output', id: 'out-' + item.id + '-' + L, 'data-label': L });
      card.appendChild(el('h3', {}, 'Output ' + L));
      card.appendChild(el('div', { 'class': 'text' }, out.text));
      var row = el('div', { 'class': 'marks' });
      row.appendChild(choice('radio', 'pref-' + item.id, 'pref-' + item.id + '-' + L, 'preferred',
        m.preferred === L, function () { m.preferred = L; update(item, box); }));
      row.appendChild(document.createTextNode(' acceptable: '));
      [['yes', true], ['no', false]].forEach(function (yn) {
        row.appendChild(choice('radio', 'ok-' + item.id + '-' + L, 'ok-' + item.id + '-' + L + '-' + yn[0], yn[0],
          m.acceptable[L] === yn[1], function () { m.acceptable[L] = yn[1]; update(item, box); }));
      });
      card.appendChild(row);
      var flags = el('div', { 'class': 'marks flags' });
      data.flags.forEach(function (f) {
        var on = (m.flags[L] || []).indexOf(f.key) >= 0;
        flags.appendChild(choice('checkbox', 'flag-' + item.id + '-' + L, 'flag-' + item.id + '-' + L + '-' + f.key, f.label,
          on, function (ev) {
            var list = (m.flags[L] || []).filter(function (k) { return k !== f.key; });
            if (ev.target.checked) {
              list.push(f.key);
            }
            m.flags[L] = list;
            update(item, box);
          }));
      });
      card.appendChild(flags);
      grid.appendChild(card);
    });
    box.appendChild(grid);
    var tie = el('div', { 'class': 'marks tie' });
    tie.appendChild(choice('radio', 'pref-' + item.id, 'pref-' + item.id + '-tie', 'tie: no output is better',
      m.preferred === 'tie', function () { m.preferred = 'tie'; update(item, box); }));
    box.appendChild(tie);
    var comment = el('textarea', { id: 'comment-' + item.id, placeholder: 'comment (optional)' });
    comment.value = m.comment || '';
    comment.addEventListener('input', function () { m.comment = comment.value; update(item, box); });
    box.appendChild(comment);
    decorate(item, box);
    return box;
  }

  function decorate(item, box) {
    var m = state.items[item.id];
    box.classList.toggle('done', judged(m));
    Array.prototype.forEach.call(box.querySelectorAll('.output'), function (card) {
      card.classList.toggle('preferred', !!m && m.preferred === card.getAttribute('data-label'));
    });
  }

  function update(item, box) {
    store();
    decorate(item, box);
  }

  function progress() {
    var n = data.items.filter(function (it) { return judged(state.items[it.id]); }).length;
    document.getElementById('progress').textContent = n + ' of ' + data.items.length + ' prompts judged';
  }

  function verdictLines() {
    var lines = [];
    data.items.forEach(function (item) {
      var m = state.items[item.id];
      if (!judged(m)) {
        return;
      }
      var acceptable = {};
      var flags = {};
      item.outputs.forEach(function (out) {
        if (m.acceptable[out.label] === true || m.acceptable[out.label] === false) {
          acceptable[out.label] = m.acceptable[out.label];
        }
        flags[out.label] = (m.flags[out.label] || []).slice();
      });
      lines.push(JSON.stringify({ sheet: data.sheet, item: item.id, reviewer: state.reviewer, preferred: m.preferred,
        acceptable: acceptable, flags: flags, comment: m.comment || '' }));
    });
    return lines;
  }

  function save() {
    var lines = verdictLines();
    var blob = new Blob([lines.join('\n') + (lines.length ? '\n' : '')], { type: 'application/x-ndjson' });
    var a = el('a', { href: URL.createObjectURL(blob), download: 'verdicts.jsonl' });
    document.body.appendChild(a);
    a.click();
    a.remove();
    document.getElementById('status').textContent = 'saved ' + lines.length + ' verdicts as verdicts.jsonl';
  }

  document.getElementById('sheet-id').textContent = data.sheet;
  var reviewer = document.getElementById('reviewer');
  reviewer.value = state.reviewer;
  reviewer.addEventListener('input', function () { state.reviewer = reviewer.value; store(); });
  document.getElementById('save').addEventListener('click', save);
  document.getElementById('clear').addEventListener('click', function () {
    if (window.confirm('Clear every mark on this page?')) {
      state = { reviewer: state.reviewer, items: {} };
      store();
      window.location.reload();
    }
  });
  var main = document.getElementById('items');
  data.items.forEach(function (item, i) { main.appendChild(renderItem(item, i)); });
  progress();
}());
