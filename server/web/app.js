/* The page's behaviour: one search box with suggestions, results as typing
 * pauses, what the server understood as removable chips, facet filters,
 * "near" a town, paging, cards with copy buttons, a professional's page
 * at /p/{id}. Plain JavaScript, no framework, no build step: the server
 * sends this file as it is. Data is always inserted as text (textContent,
 * Text nodes), never as HTML. */
'use strict';
(function () {
  /* Typing pauses this long before a search: the budget from the last
     keystroke to the first card is 150 ms (issue 15) and a search costs
     the server about a millisecond, so most of the budget is this wait.
     A faster typist's keystrokes are 100-200 ms apart; a request sent
     between two of them is cancelled by the next (AbortController).
     tools/bench-web at load average 2: 80 ms gave p95 171 ms from the
     last key to the first card, 50 ms 123 ms (docs/performance.md). */
  var DEBOUNCE_MS = 50;
  var LIMIT = 20;
  var CSV_LIMIT = 100; /* the API's largest page */
  var FACETS = 'profession,specialty,mode,dept,has_mss';
  var MULTI = ['profession', 'specialty', 'mode', 'dept'];
  var FACET_SHOWN = 6;
  /* Facets are counted over the whole match (up to 200 ms of the server's
     time on a large one): asked only once typing has paused this long
     after the results, so they never hold a server thread that the next
     keystroke's search needs. */
  var FACET_DELAY_MS = 300;

  var DEPTS = {
    '01': 'Ain', '02': 'Aisne', '03': 'Allier', '04': 'Alpes-de-Haute-Provence',
    '05': 'Hautes-Alpes', '06': 'Alpes-Maritimes', '07': 'Ardèche', '08': 'Ardennes',
    '09': 'Ariège', '10': 'Aube', '11': 'Aude', '12': 'Aveyron', '13': 'Bouches-du-Rhône',
    '14': 'Calvados', '15': 'Cantal', '16': 'Charente', '17': 'Charente-Maritime',
    '18': 'Cher', '19': 'Corrèze', '2A': 'Corse-du-Sud', '2B': 'Haute-Corse',
    '21': "Côte-d'Or", '22': "Côtes-d'Armor", '23': 'Creuse', '24': 'Dordogne',
    '25': 'Doubs', '26': 'Drôme', '27': 'Eure', '28': 'Eure-et-Loir', '29': 'Finistère',
    '30': 'Gard', '31': 'Haute-Garonne', '32': 'Gers', '33': 'Gironde', '34': 'Hérault',
    '35': 'Ille-et-Vilaine', '36': 'Indre', '37': 'Indre-et-Loire', '38': 'Isère',
    '39': 'Jura', '40': 'Landes', '41': 'Loir-et-Cher', '42': 'Loire', '43': 'Haute-Loire',
    '44': 'Loire-Atlantique', '45': 'Loiret', '46': 'Lot', '47': 'Lot-et-Garonne',
    '48': 'Lozère', '49': 'Maine-et-Loire', '50': 'Manche', '51': 'Marne',
    '52': 'Haute-Marne', '53': 'Mayenne', '54': 'Meurthe-et-Moselle', '55': 'Meuse',
    '56': 'Morbihan', '57': 'Moselle', '58': 'Nièvre', '59': 'Nord', '60': 'Oise',
    '61': 'Orne', '62': 'Pas-de-Calais', '63': 'Puy-de-Dôme', '64': 'Pyrénées-Atlantiques',
    '65': 'Hautes-Pyrénées', '66': 'Pyrénées-Orientales', '67': 'Bas-Rhin', '68': 'Haut-Rhin',
    '69': 'Rhône', '70': 'Haute-Saône', '71': 'Saône-et-Loire', '72': 'Sarthe',
    '73': 'Savoie', '74': 'Haute-Savoie', '75': 'Paris', '76': 'Seine-Maritime',
    '77': 'Seine-et-Marne', '78': 'Yvelines', '79': 'Deux-Sèvres', '80': 'Somme',
    '81': 'Tarn', '82': 'Tarn-et-Garonne', '83': 'Var', '84': 'Vaucluse', '85': 'Vendée',
    '86': 'Vienne', '87': 'Haute-Vienne', '88': 'Vosges', '89': 'Yonne',
    '90': 'Territoire de Belfort', '91': 'Essonne', '92': 'Hauts-de-Seine',
    '93': 'Seine-Saint-Denis', '94': 'Val-de-Marne', '95': "Val-d'Oise",
    '971': 'Guadeloupe', '972': 'Martinique', '973': 'Guyane', '974': 'La Réunion',
    '975': 'Saint-Pierre-et-Miquelon', '976': 'Mayotte', '977': 'Saint-Barthélemy',
    '978': 'Saint-Martin', '986': 'Wallis-et-Futuna', '987': 'Polynésie française',
    '988': 'Nouvelle-Calédonie'
  };
  var FACET_TITLES = {
    profession: 'Profession', specialty: 'Spécialité', mode: "Mode d'exercice",
    dept: 'Département', has_mss: 'Messagerie sécurisée'
  };
  /* Labels of codes seen in answers, for the chips of explicit filters. */
  var labels = {profession: {}, specialty: {}, mode: {L: 'Libéral', S: 'Salarié', B: 'Bénévole'}, dept: {}};

  function $(id) { return document.getElementById(id); }

  /* An element with attributes and children; strings become Text nodes. */
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'class') e.className = v;
        else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? '' : String(v));
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c !== null && c !== undefined && c !== false) e.append(c);
    }
    return e;
  }

  /* ---- State, URL ---- */

  function emptyState() {
    return {q: '', profession: [], specialty: [], mode: [], dept: [], has_mss: '',
            near: '', radius_km: '', offset: 0};
  }
  var state = emptyState();

  function stateFromURL() {
    var p = new URLSearchParams(location.search), s = emptyState();
    s.q = p.get('q') || '';
    MULTI.forEach(function (k) {
      p.getAll(k).forEach(function (v) {
        v.split(',').forEach(function (x) { if (x && s[k].indexOf(x) < 0) s[k].push(x); });
      });
    });
    s.has_mss = p.get('has_mss') === 'true' ? 'true' : '';
    s.near = p.get('near') || '';
    s.radius_km = p.get('radius_km') || '';
    s.offset = Math.max(0, parseInt(p.get('offset') || '0', 10) || 0);
    return s;
  }

  function copyState(s) {
    var c = Object.assign({}, s);
    MULTI.forEach(function (k) { c[k] = s[k].slice(); });
    return c;
  }

  function params(s, extra) {
    var p = new URLSearchParams();
    /* One space kept after the last word: the server reads a word the
       user has moved past as complete, the last one without as a prefix
       being typed (a town only when that is the likelier reading). */
    if (s.q.trim()) p.set('q', s.q.replace(/\s+/g, ' ').replace(/^ /, ''));
    MULTI.forEach(function (k) { s[k].forEach(function (v) { p.append(k, v); }); });
    if (s.has_mss) p.set('has_mss', s.has_mss);
    if (s.near) {
      p.set('near', s.near);
      if (s.radius_km) p.set('radius_km', s.radius_km);
    }
    if (s.offset) p.set('offset', String(s.offset));
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p;
  }

  function hasCriteria(s) {
    return !!(s.q.trim() || s.has_mss || s.near ||
              MULTI.some(function (k) { return s[k].length; }));
  }

  function searchURL(s) {
    var p = params(s).toString();
    return '/' + (p ? '?' + p : '');
  }

  function setURL(url, mode, view) {
    if (!mode || location.pathname + location.search === url) return;
    if (mode === 'push') history.pushState({view: view}, '', url);
    else history.replaceState({view: view}, '', url);
  }

  /* ---- Formatting ---- */

  function idOf(r) { return r.rpps || r.adeli || r.id; }

  function displayName(r) {
    var t = r.title === 'Docteur' ? 'Dr' : r.title === 'Professeur' ? 'Pr' : '';
    return [t, r.first_name, r.last_name].filter(Boolean).join(' ');
  }

  function profLine(r) {
    var parts = [];
    if (r.profession && r.profession.label) parts.push(r.profession.label);
    (r.specialties || []).forEach(function (s) { if (s.label) parts.push(s.label); });
    return parts.join(' · ');
  }

  function fmtPhone(p) {
    /* Non-breaking spaces: a number never wraps in the middle. */
    return /^\d{10}$/.test(p) ? p.replace(/(\d\d)(?=\d)/g, '$1\u00a0') : p;
  }

  function fmtKm(km) {
    return km.toLocaleString('fr-FR', {maximumFractionDigits: 1}) + ' km';
  }

  function fmtN(n) { return n.toLocaleString('fr-FR'); }

  function fold(s) {
    return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
      .replace(/œ/g, 'oe').replace(/æ/g, 'ae').replace(/[^a-z0-9]+/g, ' ').trim();
  }

  /* ---- Copying ---- */

  var toastTimer = 0;
  function toast(msg) {
    var t = $('toast');
    t.textContent = msg;
    t.classList.add('show');
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { t.classList.remove('show'); }, 2500);
  }

  /* The Clipboard API needs a secure context (https, or localhost): a
     practice server at http://192.168.x.y is not one, so fall back to a
     selected textarea and execCommand('copy'), which still works there. */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(function () { return true; },
                                                      function () { return legacyCopy(text); });
    }
    return Promise.resolve(legacyCopy(text));
  }

  function legacyCopy(text) {
    var ta = el('textarea', {class: 'offscreen', readonly: true, 'aria-hidden': 'true'});
    ta.value = text;
    document.body.append(ta);
    ta.select();
    var ok = false;
    try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
    ta.remove();
    return ok;
  }

  function copyButton(text, what, label) {
    label = label || 'Copier';
    var b = el('button', {type: 'button', class: 'copy', 'aria-label': 'Copier ' + what + ' ' + text},
               label);
    b.addEventListener('click', function () {
      copyText(text).then(function (ok) {
        b.textContent = ok ? 'Copié ✓' : 'Échec';
        b.classList.toggle('done', ok);
        toast(ok ? 'Copié : ' + text : 'La copie a échoué : sélectionnez le texte.');
        setTimeout(function () { b.textContent = label; b.classList.remove('done'); }, 2000);
      });
    });
    return b;
  }

  /* ---- Cards ---- */

  function mssList(r) {
    var list = r.mssante || [];
    if (!list.length) return el('p', {class: 'no-mss'}, 'Pas d’adresse MSSanté connue.');
    var ul = el('ul', {class: 'mss'});
    list.forEach(function (m) {
      var a = m.address;
      ul.append(el('li', null,
        el('span', {class: 'addr'}, a),
        copyButton(a, 'l’adresse'),
        el('a', {class: 'mailto', href: 'mailto:' + a, 'aria-label': 'Écrire à ' + a}, 'Écrire')));
    });
    return ul;
  }

  function activities(acts, full) {
    var ul = el('ul', {class: 'acts'});
    (acts || []).forEach(function (a) {
      var li = el('li');
      var ad = a.address || {};
      var org = a.structure && a.structure.name;
      if (org) li.append(el('span', {class: 'org'}, org), el('br'));
      if (full) {
        var how = [a.mode && a.mode.label, a.sector && a.sector.label].filter(Boolean).join(', ');
        if (how) li.append(how, el('br'));
      }
      (ad.lines || []).forEach(function (l) { li.append(l, el('br')); });
      var town = [ad.postcode, ad.city].filter(Boolean).join(' ');
      if (town) li.append(town);
      if (typeof a.distance_km === 'number') li.append(' ', el('span', {class: 'km'}, '(' + fmtKm(a.distance_km) + ')'));
      if (a.phone) li.append(el('br'), 'Tél. ', el('a', {href: 'tel:' + a.phone}, fmtPhone(a.phone)));
      if (full && a.email) li.append(el('br'), 'Courriel : ', el('a', {href: 'mailto:' + a.email}, a.email));
      ul.append(li);
    });
    return ul;
  }

  function card(r) {
    var id = idOf(r);
    return el('li', {class: 'card'},
      el('h3', null, el('a', {href: '/p/' + encodeURIComponent(id)}, displayName(r))),
      el('p', {class: 'prof'}, profLine(r)),
      mssList(r),
      activities(r.activities, false));
  }

  /* ---- Searching ---- */

  var timer = 0, facetTimer = 0, seq = 0, searchCtl = null, facetCtl = null, suggestCtl = null;
  var shown = null; /* params of the results on screen */

  function abort(c) { if (c) c.abort(); }

  function fetchJSON(url, ctl) {
    return fetch(url, {signal: ctl.signal, headers: {Accept: 'application/json'}})
      .then(function (r) {
        return r.json().then(function (d) { return {ok: r.ok, status: r.status, data: d}; });
      });
  }

  function schedule() {
    clearTimeout(timer);
    clearTimeout(facetTimer);
    timer = setTimeout(function () {
      suggest();
      runSearch('replace');
    }, DEBOUNCE_MS);
  }

  function runSearch(historyMode) {
    clearTimeout(timer);
    var s = copyState(state);
    setURL(searchURL(s), historyMode, 'search');
    var my = ++seq;
    abort(searchCtl);
    abort(facetCtl);
    clearTimeout(facetTimer);
    if (!hasCriteria(s)) {
      shown = null;
      $('cards').replaceChildren();
      $('status').textContent = '';
      $('pager').hidden = true;
      $('downloads').hidden = true;
      $('facets').replaceChildren();
      renderChips(s, null);
      return Promise.resolve();
    }
    var key = params(s).toString();
    var ctl = searchCtl = new AbortController();
    return fetchJSON('/v1/search?' + params(s, {limit: LIMIT}), ctl).then(function (r) {
      if (my !== seq) return;
      if (!r.ok) return showError(r.data);
      shown = key;
      renderResults(s, r.data);
      facetTimer = setTimeout(function () { loadFacets(s, my); }, FACET_DELAY_MS);
    }, function (e) {
      if (e.name !== 'AbortError' && my === seq) showError(null);
    });
  }

  function showError(data) {
    var msg = data && data.error && data.error.message;
    var st = $('status');
    st.textContent = msg ? 'La recherche n’a pas abouti : ' + msg + '.' : 'Le serveur ne répond pas.';
    st.classList.add('error');
  }

  function renderResults(s, d) {
    var frag = document.createDocumentFragment();
    d.results.forEach(function (r) { frag.append(card(r)); });
    $('cards').replaceChildren(frag);
    /* Which search the cards answer (tools/bench-web times their paint). */
    $('cards').setAttribute('data-q', params(s).get('q') || '');
    $('cards').setAttribute('data-for', params(s).toString());
    var st = $('status');
    st.classList.remove('error');
    var n = d.results.length;
    if (!d.total) st.textContent = 'Aucun professionnel trouvé.';
    else if (!n) st.textContent = 'Plus de résultats sur cette page.';
    else st.textContent = (d.total_exact ? '' : 'Au moins ') + fmtN(d.total) + ' professionnel' +
      (d.total > 1 ? 's' : '') + (d.total > n ? ' — ' + fmtN(d.offset + 1) + ' à ' + fmtN(d.offset + n) : '');
    var pager = $('pager');
    pager.hidden = d.total <= LIMIT && !d.offset;
    $('prev').disabled = d.offset <= 0;
    $('next').disabled = d.offset + n >= d.total || d.offset + LIMIT >= 10000;
    $('page-info').textContent = 'Page ' + fmtN(Math.floor(d.offset / LIMIT) + 1);
    $('downloads').hidden = !n;
    $('csv').href = '/v1/search?' + params(s, {limit: CSV_LIMIT, format: 'csv'});
    learnLabels(d.understood);
    renderChips(s, d.understood);
  }

  function loadFacets(s, my) {
    var ctl = facetCtl = new AbortController();
    fetchJSON('/v1/search?' + params(s, {limit: 1, offset: 0, facets: FACETS}), ctl).then(function (r) {
      if (my === seq && r.ok) renderFacets(s, r.data.facets || {});
    }, function () { /* cancelled, or the results said it already */ });
  }

  /* ---- Facets ---- */

  var expanded = {};

  function facetLabel(key, e) {
    if (key === 'dept') return e.code + (DEPTS[e.code] ? ' — ' + DEPTS[e.code] : '');
    return e.label || labels[key][e.code] || e.code;
  }

  function learnLabels(und) {
    if (!und) return;
    ['profession', 'specialty'].forEach(function (k) {
      (und[k] || []).forEach(function (x) { labels[k][x.code] = x.label; });
    });
  }

  function toggle(key, code, on) {
    var list = state[key], i = list.indexOf(code);
    if (on && i < 0) list.push(code);
    if (!on && i >= 0) list.splice(i, 1);
    state.offset = 0;
    runSearch('push');
  }

  function renderFacets(s, f) {
    var box = document.createDocumentFragment();
    MULTI.forEach(function (key) {
      var entries = (f[key] || []).slice();
      entries.forEach(function (e) { if (e.label) labels[key][e.code] = e.label; });
      s[key].forEach(function (code) {
        if (!entries.some(function (e) { return e.code === code; })) entries.unshift({code: code, count: 0});
      });
      if (!entries.length) return;
      var ul = el('ul');
      var limit = expanded[key] ? entries.length : FACET_SHOWN;
      entries.slice(0, limit).forEach(function (e) {
        var id = 'f-' + key + '-' + e.code;
        var box = el('input', {type: 'checkbox', id: id, checked: s[key].indexOf(e.code) >= 0});
        box.addEventListener('change', function () { toggle(key, e.code, box.checked); });
        ul.append(el('li', null, box,
          el('label', {for: id}, facetLabel(key, e), el('span', {class: 'count'}, '(' + fmtN(e.count) + ')'))));
      });
      var fs = el('fieldset', {class: 'facet'}, el('legend', null, FACET_TITLES[key]), ul);
      if (entries.length > FACET_SHOWN) {
        var more = el('button', {type: 'button', class: 'more', 'aria-expanded': String(!!expanded[key])},
                      expanded[key] ? 'Moins' : 'Tout afficher (' + entries.length + ')');
        more.addEventListener('click', function () {
          expanded[key] = !expanded[key];
          renderFacets(s, f);
          var again = $('facets').querySelector('[data-key="' + key + '"] .more');
          if (again) again.focus();
        });
        fs.append(more);
      }
      fs.setAttribute('data-key', key);
      box.append(fs);
    });
    var yes = (f.has_mss || []).filter(function (e) { return e.code === 'true'; })[0];
    if (yes || s.has_mss) {
      var cb = el('input', {type: 'checkbox', id: 'f-has_mss', checked: !!s.has_mss});
      cb.addEventListener('change', function () {
        state.has_mss = cb.checked ? 'true' : '';
        state.offset = 0;
        runSearch('push');
      });
      box.append(el('fieldset', {class: 'facet'}, el('legend', null, FACET_TITLES.has_mss),
        el('ul', null, el('li', null, cb, el('label', {for: 'f-has_mss'}, 'Avec une adresse MSSanté',
          el('span', {class: 'count'}, '(' + fmtN(yes ? yes.count : 0) + ')'))))));
    }
    $('facets').replaceChildren(box);
    /* Which search they count (the browser test waits for it). */
    $('facets').setAttribute('data-for', params(s).toString());
  }

  /* ---- Chips: what was understood, and the filters set ---- */

  /* Drops from q the words a chip came from ("saint etienne" from
     "kiné Saint-Étienne"), comparing folded words as the server does. */
  function removeWords(from) {
    var target = fold(from).split(' ').filter(Boolean);
    var raw = state.q.split(/\s+/).filter(Boolean), toks = [];
    raw.forEach(function (w, i) {
      fold(w).split(' ').filter(Boolean).forEach(function (t) { toks.push({t: t, i: i}); });
    });
    for (var a = 0; target.length && a + target.length <= toks.length; a++) {
      var hit = target.every(function (t, k) { return toks[a + k].t === t; });
      if (hit) {
        var drop = {};
        toks.slice(a, a + target.length).forEach(function (x) { drop[x.i] = true; });
        state.q = raw.filter(function (w, i) { return !drop[i]; }).join(' ');
        break;
      }
    }
    $('q').value = state.q;
  }

  function renderChips(s, und) {
    var items = [];
    function add(kind, label, remove, cls) { items.push({kind: kind, label: label, remove: remove, cls: cls}); }
    function fromQ(words) { return function () { removeWords(words); }; }
    if (und) {
      (und.profession || []).forEach(function (p) { add('Profession', p.label, fromQ(p.from)); });
      (und.specialty || []).forEach(function (p) { add('Spécialité', p.label, fromQ(p.from)); });
      if (und.title) add('Titre', und.title.label, fromQ(und.title.from));
      if (und.mode) add('Mode', und.mode.label, fromQ(und.mode.from));
      var pl = und.place;
      if (pl) {
        var c = (pl.communes || [])[0], what;
        if (pl.kind === 'dept') what = 'Département ' + pl.dept + (DEPTS[pl.dept] ? ' — ' + DEPTS[pl.dept] : '');
        else if (pl.kind === 'postcode') what = pl.postcode + (c ? ' ' + c.name : '');
        else what = c ? c.name + ' (' + c.dept + ')' : pl.from;
        add('Lieu', what, fromQ(pl.from));
      }
      (und.typos || []).forEach(function (t) { add('Corrigé', '« ' + t.from + ' » lu « ' + t.as + ' »', fromQ(t.from), 'typo'); });
      /* The word being typed kept as a name, the town it spells offered:
         "Blan (81) ?" searches the words with that one completed. */
      var alt = und.alternative, ac = alt && alt.place && (alt.place.communes || [])[0];
      if (ac) {
        items.push({kind: 'Lieu', label: ac.name + ' (' + ac.dept + ') ?', cls: 'alt',
                    aria: 'Chercher « ' + alt.place.from + ' » comme le lieu ' + ac.name + ' (' + ac.dept + ')',
                    remove: function () { state.q = alt.q; $('q').value = alt.q; }});
      }
    }
    MULTI.forEach(function (k) {
      s[k].forEach(function (code) {
        var label = k === 'dept' ? facetLabel('dept', {code: code}) : labels[k][code] || code;
        add(FACET_TITLES[k], label, function () {
          var i = state[k].indexOf(code);
          if (i >= 0) state[k].splice(i, 1);
        });
      });
    });
    if (s.has_mss) add('Filtre', 'Avec MSSanté', function () { state.has_mss = ''; });
    if (s.near) {
      add('Près de', s.near + ' (' + (s.radius_km || '10') + ' km)', function () {
        state.near = '';
        state.radius_km = '';
        $('near').value = '';
      });
    }
    var box = $('chips'), ul = box.querySelector('ul');
    ul.replaceChildren();
    items.forEach(function (it) {
      var b = el('button', {type: 'button', class: 'chip' + (it.cls ? ' ' + it.cls : ''),
                            'aria-label': it.aria || 'Retirer le critère ' + it.kind + ' : ' + it.label},
                 el('span', {class: 'kind'}, it.kind + ' :'), it.label,
                 it.aria ? '' : el('span', {class: 'x', 'aria-hidden': 'true'}, '×'));
      b.addEventListener('click', function () {
        it.remove();
        state.offset = 0;
        runSearch('push');
        $('q').focus();
      });
      ul.append(el('li', null, b));
    });
    box.hidden = !items.length;
  }

  /* ---- Suggestions (a combobox: arrows, Enter, Escape) ---- */

  var sugg = [], active = -1;

  function closeSuggest() {
    abort(suggestCtl);
    sugg = [];
    active = -1;
    var ul = $('suggestions');
    ul.replaceChildren();
    ul.hidden = true;
    var q = $('q');
    q.setAttribute('aria-expanded', 'false');
    q.removeAttribute('aria-activedescendant');
  }

  function suggest() {
    var text = $('q').value.trim().replace(/\s+/g, ' ');
    var words = text ? text.split(' ') : [];
    /* The API suggests for one or two words (a name as it is typed). */
    if (words.length < 1 || words.length > 2 || text.length < 2 || document.activeElement !== $('q')) {
      closeSuggest();
      return;
    }
    abort(suggestCtl);
    var ctl = suggestCtl = new AbortController();
    fetchJSON('/v1/suggest?' + new URLSearchParams({q: text, limit: '6'}), ctl).then(function (r) {
      if (ctl !== suggestCtl || $('q').value.trim().replace(/\s+/g, ' ') !== text) return;
      if (!r.ok) return closeSuggest();
      showSuggest(r.data.suggestions || []);
    }, function () { /* cancelled */ });
  }

  function showSuggest(list) {
    sugg = list;
    active = -1;
    var ul = $('suggestions');
    ul.replaceChildren.apply(ul, list.map(function (s, i) {
      var li = el('li', {role: 'option', id: 'sugg-' + i, 'aria-selected': 'false'},
                  s.text, s.profession ? el('span', {class: 'sub'}, s.profession) : null);
      li.addEventListener('mousedown', function (e) { e.preventDefault(); pick(i); });
      return li;
    }));
    ul.hidden = !list.length;
    $('q').setAttribute('aria-expanded', String(!!list.length));
    $('q').removeAttribute('aria-activedescendant');
  }

  function mark(i) {
    active = i;
    var items = $('suggestions').children;
    for (var k = 0; k < items.length; k++) items[k].setAttribute('aria-selected', String(k === i));
    if (i >= 0) {
      $('q').setAttribute('aria-activedescendant', 'sugg-' + i);
      items[i].scrollIntoView({block: 'nearest'});
    } else {
      $('q').removeAttribute('aria-activedescendant');
    }
  }

  function pick(i) {
    var s = sugg[i];
    closeSuggest();
    if (s) openRecord(s.id, 'push');
  }

  /* ---- A professional's page ---- */

  var recordCtl = null, lastSearchURL = '/';

  function openRecord(id, mode) {
    if (location.pathname.indexOf('/p/') !== 0) lastSearchURL = location.pathname + location.search;
    setURL('/p/' + encodeURIComponent(id), mode, 'record');
    showRecord(id);
  }

  function showRecord(id) {
    clearTimeout(timer);
    closeSuggest();
    $('search-view').hidden = true;
    $('record-view').hidden = false;
    var art = $('record');
    art.replaceChildren(el('p', null, 'Chargement…'));
    abort(recordCtl);
    var ctl = recordCtl = new AbortController();
    fetchJSON('/v1/practitioners/' + encodeURIComponent(id), ctl).then(function (r) {
      if (ctl !== recordCtl) return;
      if (!r.ok) {
        art.replaceChildren(el('h1', {tabindex: '-1'}, 'Fiche introuvable'),
          el('p', null, 'Aucun professionnel n’a l’identifiant « ' + id + ' ».'));
        document.title = 'Fiche introuvable — Annuaire santé';
        art.querySelector('h1').focus();
        return;
      }
      renderRecord(r.data);
    }, function (e) {
      if (e.name !== 'AbortError') art.replaceChildren(el('p', {class: 'error'}, 'Le serveur ne répond pas.'));
    });
  }

  function renderRecord(r) {
    var id = idOf(r), name = displayName(r);
    var link = location.origin + '/p/' + encodeURIComponent(id);
    var idKind = r.rpps ? 'RPPS' : r.adeli ? 'ADELI' : 'Identifiant';
    var parts = [
      el('h1', {tabindex: '-1', id: 'rec-name'}, name),
      el('p', {class: 'prof'}, profLine(r)),
      el('p', {class: 'ids'}, idKind + ' ' + id + (r.civility ? ' · ' + r.civility : '')),
      el('div', {class: 'actions'},
        copyButton(link, 'le lien de la fiche', 'Copier le lien'),
        el('a', {href: '/v1/practitioners/' + encodeURIComponent(id) + '?format=vcard', download: '',
                 id: 'vcard'}, 'Carte de visite (vCard)')),
      el('h2', null, 'Messagerie sécurisée (MSSanté)'),
      mssList(r),
      el('h2', null, (r.activities || []).length > 1 ? 'Lieux d’exercice' : 'Lieu d’exercice'),
      activities(r.activities, true)
    ];
    var dips = r.diplomas || [];
    if (dips.length) {
      var ul = el('ul', {class: 'dips'});
      dips.forEach(function (d) {
        var what = (d.diploma && d.diploma.label) || (d.type && d.type.label) || '';
        var extra = [d.type && d.type.label, d.discipline && d.discipline.label].filter(function (x) {
          return x && x !== what;
        });
        ul.append(el('li', null, what + (extra.length ? ' (' + extra.join(', ') + ')' : '')));
      });
      parts.push(el('h2', null, 'Diplômes'), ul);
    }
    var art = $('record');
    art.replaceChildren.apply(art, parts);
    document.title = name + ' — Annuaire santé';
    $('rec-name').focus();
  }

  /* ---- Views and history ---- */

  function syncControls() {
    $('q').value = state.q;
    $('near').value = state.near;
    $('radius').value = state.radius_km || '10';
  }

  function showSearch() {
    abort(recordCtl);
    $('record-view').hidden = true;
    $('search-view').hidden = false;
    document.title = 'Annuaire santé — trouver un correspondant';
  }

  function route() {
    var m = /^\/p\/([^/]+)$/.exec(location.pathname);
    if (m) {
      showRecord(decodeURIComponent(m[1]));
      return;
    }
    var wasHidden = $('search-view').hidden;
    showSearch();
    var s = stateFromURL();
    var same = params(s).toString() === params(state).toString();
    state = s;
    syncControls();
    if (!same || shown === null) runSearch(null);
    if (wasHidden) $('q').focus();
  }

  function navigate(url) {
    history.pushState({}, '', url);
    route();
  }

  /* ---- Footer: the extract's date, and a warning when it is old ---- */

  function stampDate(s) {
    var m = /^(\d{4})(\d\d)(\d\d)(\d\d)?(\d\d)?/.exec(s || '');
    if (!m) return null;
    return m[3] + '/' + m[2] + '/' + m[1] + (m[4] ? ' à ' + m[4] + 'h' + (m[5] || '00') : '');
  }

  function loadStatus() {
    fetch('/v1/status', {headers: {Accept: 'application/json'}}).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (st) {
      if (!st) return;
      var d = stampDate(st.oldest_extract) || (st.database && st.database.built_at) || '';
      $('extract').textContent = d ? 'Données : extrait de l’Annuaire Santé du ' + d + '.' : '';
      var w = $('stale');
      w.hidden = !st.stale;
      if (st.stale) {
        w.textContent = 'Attention : ces données ont plus de ' + st.stale_days + ' jour' +
          (st.stale_days > 1 ? 's' : '') + (d ? ' (extrait du ' + d + ')' : '') +
          ' ; l’annuaire n’a pas été mis à jour. Une adresse a pu changer depuis.';
      }
    }, function () { /* the footer stays empty */ });
  }

  /* ---- Wiring ---- */

  function init() {
    var q = $('q');
    q.addEventListener('input', function () {
      state.q = q.value;
      state.offset = 0;
      schedule();
    });
    q.addEventListener('keydown', function (e) {
      var open = !$('suggestions').hidden && sugg.length;
      if (e.key === 'ArrowDown' && open) {
        e.preventDefault();
        mark((active + 1) % sugg.length);
      } else if (e.key === 'ArrowUp' && open) {
        e.preventDefault();
        mark(active <= 0 ? sugg.length - 1 : active - 1);
      } else if (e.key === 'Enter' && open && active >= 0) {
        e.preventDefault();
        pick(active);
      } else if (e.key === 'Escape' && open) {
        e.preventDefault();
        closeSuggest();
      }
    });
    q.addEventListener('blur', function () { setTimeout(closeSuggest, 150); });
    $('search-form').addEventListener('submit', function (e) {
      e.preventDefault();
      closeSuggest();
      state.q = q.value;
      state.offset = 0;
      runSearch('push');
    });
    $('near-form').addEventListener('submit', function (e) {
      e.preventDefault();
      state.near = $('near').value.trim();
      state.radius_km = state.near ? $('radius').value : '';
      state.offset = 0;
      runSearch('push');
    });
    function page(delta) {
      state.offset = Math.max(0, state.offset + delta);
      runSearch('push').then(function () {
        $('results').focus();
        $('results').scrollIntoView({block: 'start'});
      });
    }
    $('prev').addEventListener('click', function () { page(-LIMIT); });
    $('next').addEventListener('click', function () { page(LIMIT); });
    /* Links inside the page: a professional's page, back to the search. */
    document.addEventListener('click', function (e) {
      if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
      var a = e.target.closest && e.target.closest('a[href]');
      if (!a || a.hasAttribute('download') || a.origin !== location.origin) return;
      var m = /^\/p\/([^/]+)$/.exec(a.pathname);
      if (m) {
        e.preventDefault();
        openRecord(decodeURIComponent(m[1]), 'push');
      } else if (a.id === 'back') {
        e.preventDefault();
        navigate(lastSearchURL);
      } else if (a.id === 'home') {
        e.preventDefault();
        navigate('/');
      }
    });
    /* "/" goes to the search box, as on many sites. */
    document.addEventListener('keydown', function (e) {
      var t = e.target;
      if (e.key === '/' && !/^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(t.tagName) && !$('search-view').hidden) {
        e.preventDefault();
        q.focus();
        q.select();
      }
    });
    /* The filters are open beside the results on a wide screen, folded
       above them on a phone. */
    $('filters-box').open = window.matchMedia('(min-width: 800px)').matches;
    window.addEventListener('popstate', route);
    loadStatus();
    route();
  }

  init();
})();
