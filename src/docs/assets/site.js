// cpic docs: copy buttons and search. No network, no dependencies;
// everything from the index is put on the page as text, never as HTML.
(function () {
  'use strict';
  var root = document.body.getAttribute('data-root') || '';

  function setupCopy(button) {
    var code = document.getElementById(button.getAttribute('data-copy'));
    if (!code) { return; }
    button.hidden = false;
    function done(ok) {
      button.textContent = ok ? 'Copied' : 'Select and copy';
      window.setTimeout(function () { button.textContent = 'Copy'; }, 1600);
    }
    function fallback() {
      var ok = false;
      try {
        var range = document.createRange();
        range.selectNodeContents(code);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        ok = document.execCommand('copy');
      } catch (e) { ok = false; }
      done(ok);
    }
    button.addEventListener('click', function () {
      var text = code.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done(true); }, fallback);
      } else {
        fallback();
      }
    });
  }

  function setupSearch() {
    var input = document.getElementById('search-input');
    var list = document.getElementById('search-results');
    var index = window.CPIC_SEARCH || [];
    if (!input || !list) { return; }
    var haystacks = index.map(function (e) {
      return [e.t, e.n, e.k, e.o, e.w].join(' ').toLowerCase();
    });
    var active = -1;
    var hits = [];

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      input.removeAttribute('aria-activedescendant');
      active = -1;
    }
    function mark(i) {
      var items = list.children;
      for (var j = 0; j < items.length; j++) {
        items[j].setAttribute('aria-selected', j === i ? 'true' : 'false');
      }
      active = i;
      if (i >= 0 && items[i]) {
        input.setAttribute('aria-activedescendant', items[i].id);
        items[i].scrollIntoView({ block: 'nearest' });
      }
    }
    function score(entry, terms, query) {
      var title = entry.t.toLowerCase();
      // The whole query in the title beats scattered words; metrics come
      // before the links and teams that mention them.
      var s = title === query ? 20 : title.indexOf(query) >= 0 ? 8 : 0;
      if (entry.k === 'CPI' || entry.k === 'KPI') { s += 3; }
      terms.forEach(function (term) {
        if (title.indexOf(term) === 0) { s += 3; }
        else if (title.indexOf(term) > 0) { s += 2; }
        else if (entry.n.indexOf(term) >= 0) { s += 2; }
        else { s += 1; }
      });
      return s;
    }
    function update() {
      var query = input.value.toLowerCase().trim().replace(/\s+/g, ' ');
      var terms = query.split(' ').filter(Boolean);
      while (list.firstChild) { list.removeChild(list.firstChild); }
      if (!terms.length) { close(); return; }
      hits = [];
      for (var i = 0; i < index.length; i++) {
        var h = haystacks[i];
        if (terms.every(function (t) { return h.indexOf(t) >= 0; })) {
          hits.push({ entry: index[i], score: score(index[i], terms, query) });
        }
      }
      hits.sort(function (a, b) { return b.score - a.score || (a.entry.t < b.entry.t ? -1 : a.entry.t > b.entry.t ? 1 : 0); });
      hits = hits.slice(0, 12);
      if (!hits.length) {
        var none = document.createElement('li');
        none.className = 'sub';
        none.textContent = 'Nothing matches.';
        list.appendChild(none);
      }
      hits.forEach(function (hit, i) {
        var li = document.createElement('li');
        li.id = 'search-hit-' + i;
        li.setAttribute('role', 'option');
        var a = document.createElement('a');
        a.href = root + hit.entry.u;
        a.tabIndex = -1;
        a.textContent = hit.entry.t;
        var kind = document.createElement('span');
        kind.className = 'hit-kind';
        kind.textContent = hit.entry.k;
        a.appendChild(kind);
        var sub = document.createElement('span');
        sub.className = 'hit-sub';
        sub.textContent = [hit.entry.n, hit.entry.w, hit.entry.o].filter(Boolean).join(' · ');
        a.appendChild(sub);
        li.appendChild(a);
        list.appendChild(li);
      });
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      mark(hits.length ? 0 : -1);
    }
    input.addEventListener('input', update);
    input.addEventListener('keydown', function (e) {
      if (e.key === 'ArrowDown' && hits.length) { e.preventDefault(); mark(Math.min(active + 1, hits.length - 1)); }
      else if (e.key === 'ArrowUp' && hits.length) { e.preventDefault(); mark(Math.max(active - 1, 0)); }
      else if (e.key === 'Enter' && active >= 0 && hits[active]) { e.preventDefault(); window.location.href = root + hits[active].entry.u; }
      else if (e.key === 'Escape') { input.value = ''; close(); }
    });
    document.addEventListener('click', function (e) {
      if (!list.contains(e.target) && e.target !== input) { close(); }
    });
    document.addEventListener('keydown', function (e) {
      if (e.key === '/' && document.activeElement !== input && !(e.target instanceof HTMLInputElement)) {
        e.preventDefault();
        input.focus();
      }
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll('button[data-copy]'), setupCopy);
  setupSearch();
}());
