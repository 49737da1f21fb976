/* The web page in a real browser (Debian's Chromium, driven by
 * playwright-core), against rpps-server on a generated database; run by
 * tests/e2e_web.sh, which passes in the environment:
 *   BASE     the server's address (http://127.0.0.1:PORT)
 *   TARGET   JSON of one professional picked with sqlite3: id, last,
 *            first, word (a profession word q understands), dept, mss
 *   COMMON   a family name many people carry
 *   OUT      where screenshots go (build/web-e2e)
 *   CHROMIUM the browser's path
 * Checks, each counted: the page's headers and HTML (html-validate),
 * typing a name shows the right card, suggestions and the keyboard,
 * understood chips removed from the keyboard, a profession, a department
 * and a "near" filter, paging, the CSV read by Python's csv module, the
 * permalink, copying (the clipboard read back), the vCard parsed by
 * ical.js, a 360 px layout without horizontal scrolling, contrast and
 * labels; any console error, page error, failed request or HTTP error on
 * any page fails the run. Prints "RESULT <passed> <failed>" last. */
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { chromium } = require('playwright-core');
const { HtmlValidate } = require('html-validate');

const BASE = process.env.BASE;
const T = JSON.parse(process.env.TARGET);
const COMMON = process.env.COMMON;
const OUT = process.env.OUT || 'build/web-e2e';
fs.mkdirSync(OUT, { recursive: true });

let passed = 0;
let failed = 0;
function check(cond, what) {
  if (cond) passed++;
  else {
    failed++;
    console.log('FAIL: ' + what);
  }
}

/* Everything a page reports that is not right. Aborted fetches of the API
   are the page cancelling a stale request (by design); anything else
   failing, any 4xx/5xx answer, console error or page error is a fault. */
const problems = [];
function watch(page, label) {
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`${label}: console error: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`${label}: page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const err = r.failure() ? r.failure().errorText : '?';
    const cancelled = err === 'net::ERR_ABORTED' &&
      (r.resourceType() === 'fetch' || /[?&]format=(csv|vcard)/.test(r.url()));
    if (!cancelled) problems.push(`${label}: request failed: ${r.url()} ${err}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${label}: HTTP ${r.status()} ${r.url()}`);
  });
}

async function step(name, fn) {
  try {
    await fn();
  } catch (e) {
    failed++;
    console.log(`FAIL: ${name}: ${e && e.stack ? e.stack.split('\n').slice(0, 3).join(' | ') : e}`);
  }
}

function displayName(t) {
  return [t.title === 'DR' ? 'Dr' : null, t.first, t.last].filter(Boolean).join(' ');
}

const RULES = {
  /* The search box is an ARIA 1.2 combobox (an input with a listbox of
     suggestions): no native element does that. */
  'prefer-native-element': ['error', { exclude: ['combobox', 'listbox', 'option'] }],
};
const validator = new HtmlValidate({ extends: ['html-validate:recommended'], rules: RULES });
/* The DOM as the browser serialises it (page.content()) writes boolean
   attributes as hidden="" and the doctype in lower case: not our text. */
const domValidator = new HtmlValidate({
  extends: ['html-validate:recommended'],
  rules: Object.assign({}, RULES, {
    'attribute-boolean-style': 'off', 'attribute-empty-style': 'off', 'doctype-style': 'off',
  }),
});

async function validate(html, what, dom) {
  /* Playwright leaves style="" on the elements it has filled or clicked
     (the page sets no style attribute: the CSP would refuse it). */
  if (dom) html = html.replace(/ style=""/g, '');
  const report = await (dom ? domValidator : validator).validateString(html);
  const lines = html.split('\n');
  const msgs = report.valid ? [] : report.results.flatMap((r) => r.messages)
    .map((m) => `${m.line}:${m.column} ${m.ruleId} ${m.message} [${(lines[m.line - 1] || '').slice(Math.max(0, m.column - 80), m.column + 40)}]`);
  check(report.valid, `${what} is valid HTML: ${msgs.slice(0, 5).join('; ')}`);
}

async function cardIds(page) {
  return page.$$eval('#cards h3 a', (as) => as.map((a) => a.getAttribute('href')));
}

/* Waits until the results on screen answer the URL's query: the cards
   say which search they answer (a loaded machine may still show the
   previous one when the URL has changed; waitForLoadState('networkidle')
   returns at once once the page has loaded, so it cannot tell). */
async function settled(page) {
  await page.waitForFunction(() => document.getElementById('cards').getAttribute('data-for') ===
    new URLSearchParams(location.search).toString(), null, { timeout: 10000 });
}

/* Types text into the search box a key at a time and waits until the
   cards answer that text, not a prefix of it that a pause between two
   keys (a loaded machine) sent on its way. */
async function typeQuery(page, text, delay) {
  await page.locator('#q').pressSequentially(text, { delay });
  await page.waitForFunction((t) => document.getElementById('cards').getAttribute('data-q') === t,
    text, { timeout: 5000 });
}

/* Waits until the facets count the search the URL says (they come a
   moment after the results). */
async function facetsReady(page) {
  await page.waitForFunction(() => document.getElementById('facets').getAttribute('data-for') ===
    location.search.replace(/^\?/, ''), null, { timeout: 5000 });
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'fr-FR' });
  await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: BASE });
  const page = await ctx.newPage();
  watch(page, 'desktop');

  await step('page and headers', async () => {
    const resp = await page.goto(BASE + '/');
    const h = resp.headers();
    check(/default-src 'self'/.test(h['content-security-policy'] || ''), 'CSP default-src self');
    check(/frame-ancestors 'none'/.test(h['content-security-policy'] || ''), 'CSP frame-ancestors none');
    check(h['x-content-type-options'] === 'nosniff', 'nosniff');
    check(h['referrer-policy'] === 'no-referrer', 'no-referrer');
    check(await page.evaluate(() => document.activeElement && document.activeElement.id === 'q'),
      'the search box has the focus on load');
    check((await page.title()).includes('Annuaire'), 'title');
    await page.waitForFunction(() => document.getElementById('extract').textContent.length > 0);
    const extract = await page.textContent('#extract');
    check(/\d\d\/\d\d\/\d{4}/.test(extract), `extract date shown: ${extract}`);
    const status = await (await fetch(BASE + '/v1/status')).json();
    check(await page.isVisible('#stale') === !!status.stale, 'stale warning as /v1/status says');
    check((await page.textContent('footer')).includes('Licence Ouverte 2.0'), 'licence attribution');
    const html = await (await fetch(BASE + '/', { headers: { 'User-Agent': 'Mozilla/5.0', Accept: 'text/html' } })).text();
    await validate(html, 'the page as served');
  });

  await step('type a name, see the card', async () => {
    await typeQuery(page, `${T.last} ${T.first}`, 40);
    await page.waitForSelector('#suggestions li[role=option]', { timeout: 5000 });
    check(await page.getAttribute('#q', 'aria-expanded') === 'true', 'suggestions open (aria-expanded)');
    await page.waitForSelector(`#cards h3 a[href="/p/${T.id}"]`, { timeout: 5000 });
    const card = page.locator('#cards li.card', { has: page.locator(`a[href="/p/${T.id}"]`) });
    check((await card.textContent()).includes(T.mss), 'the card shows the MSSanté address');
    check(await card.locator(`a[href="mailto:${T.mss}"]`).count() === 1, 'the card has a mailto link');
    check(new URL(page.url()).searchParams.get('q') === `${T.last} ${T.first}`, 'the URL holds q');
    /* Arrows move through the suggestions; Escape closes them. */
    await page.keyboard.press('ArrowDown');
    check(await page.getAttribute('#q', 'aria-activedescendant') === 'sugg-0', 'ArrowDown selects the first suggestion');
    check(await page.getAttribute('#sugg-0', 'aria-selected') === 'true', 'aria-selected on it');
    await page.keyboard.press('ArrowDown');
    const n = await page.locator('#suggestions li').count();
    check(await page.getAttribute('#q', 'aria-activedescendant') === (n > 1 ? 'sugg-1' : 'sugg-0'), 'ArrowDown again');
    await page.keyboard.press('Escape');
    check(await page.isHidden('#suggestions'), 'Escape closes the suggestions');
    await page.screenshot({ path: path.join(OUT, 'search.png') });
    await validate(await page.content(), 'the page with results', true);
  });

  await step('understood chips, removed from the keyboard', async () => {
    await page.fill('#q', '');
    await typeQuery(page, `${T.word} ${T.last} ${T.dept}`, 20);
    await page.waitForSelector('#chips:not([hidden]) .chip', { timeout: 5000 });
    await page.waitForSelector(`#cards h3 a[href="/p/${T.id}"]`, { timeout: 5000 });
    const chips = await page.$$eval('#chips .chip', (bs) => bs.map((b) => b.textContent));
    check(chips.some((c) => c.startsWith('Profession')), `a profession chip: ${chips}`);
    check(chips.some((c) => c.startsWith('Lieu') && c.includes(T.dept)), `a place chip: ${chips}`);
    /* Tab from the box reaches the chips; Enter on the place chip drops
       the department from the search. */
    let onChip = false;
    for (let i = 0; i < 8 && !onChip; i++) {
      await page.keyboard.press('Tab');
      onChip = await page.evaluate(() => {
        const a = document.activeElement;
        return !!a && a.classList.contains('chip') && a.textContent.startsWith('Lieu');
      });
    }
    check(onChip, 'Tab reaches the place chip');
    await page.keyboard.press('Enter');
    await page.waitForFunction((d) => !new URL(location.href).searchParams.get('q').split(' ').includes(d), T.dept);
    await page.waitForFunction(() => ![...document.querySelectorAll('#chips .chip')].some((c) => c.textContent.startsWith('Lieu')));
    check(await page.inputValue('#q') === `${T.word} ${T.last}`, 'the chip took its word out of the box');
    await page.waitForSelector(`#cards h3 a[href="/p/${T.id}"]`);
  });

  await step('a word being typed stays a name, the town it spells offered', async () => {
    await page.fill('#q', '');
    await typeQuery(page, 'amelie blan', 20);
    const alt = await page.waitForSelector('#chips .chip.alt', { timeout: 5000 });
    const label = await alt.textContent();
    check(label.includes('Blan (81) ?'), `the town offered: ${label}`);
    await alt.click();
    await page.waitForFunction(() => [...document.querySelectorAll('#chips .chip:not(.alt)')]
      .some((c) => c.textContent.startsWith('Lieu') && c.textContent.includes('Blan (81)')));
    check(await page.inputValue('#q') === 'amelie blan ', 'the word completed in the box');
  });

  let profCode = null;
  await step('filters: a profession, a department, near a town', async () => {
    await page.fill('#q', COMMON);
    await page.keyboard.press('Enter');
    await page.waitForFunction((c) => new URL(location.href).searchParams.get('q') === c, COMMON);
    await settled(page);
    await facetsReady(page);
    const first = page.locator('#facets fieldset[data-key=profession] li').first();
    const label = (await first.locator('label').textContent()).replace(/\(.*\)$/, '').trim();
    await first.locator('input').check();
    await page.waitForFunction(() => new URL(location.href).searchParams.get('profession'));
    profCode = new URL(page.url()).searchParams.get('profession');
    await page.waitForFunction((l) => {
      const p = [...document.querySelectorAll('#cards .prof')];
      return p.length && p.every((x) => x.textContent.startsWith(l));
    }, label, { timeout: 5000 });
    check(true, 'every card is of the checked profession');
    check(await page.isChecked(`#f-profession-${profCode}`), 'its box stays checked');
    /* A place filter: the first department facet. */
    await facetsReady(page);
    const dept = page.locator('#facets fieldset[data-key=dept] li').first();
    const code = (await dept.locator('input').getAttribute('id')).replace('f-dept-', '');
    await dept.locator('input').check();
    await page.waitForFunction((c) => new URL(location.href).searchParams.get('dept') === c, code);
    const pc = code.startsWith('2A') || code.startsWith('2B') ? '20' : code;
    await settled(page);
    const outside = await page.$$eval('#cards .acts', (as, p) => as.map((a) => a.innerText)
      .filter((t) => !new RegExp('(^|\\n)' + p + '\\d{' + (5 - p.length) + '} ').test(t)), pc);
    const ncards = await page.locator('#cards .card').count();
    check(ncards > 0 && outside.length === 0,
      `every card (${ncards}) has an activity in department ${code}: ${JSON.stringify(outside.slice(0, 2))}`);
    const chips = await page.$$eval('#chips .chip', (bs) => bs.map((b) => b.textContent));
    check(chips.some((c) => c.startsWith('Profession')) && chips.some((c) => c.startsWith('Département')),
      `filters shown as chips: ${chips}`);
    await page.screenshot({ path: path.join(OUT, 'filters.png') });
    /* Near: the first card's postal code, 20 km. */
    const postcode = await page.$eval('#cards .acts', (a) => /(^|\n)(\d{5}) /.exec(a.innerText)[2]);
    await page.fill('#near', postcode);
    await page.selectOption('#radius', '20');
    await page.click('#near-form button');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('near'));
    await settled(page);
    /* Each card has an activity within the radius (its others may be
       farther: every activity shows its distance). */
    const kms = await page.$$eval('#cards .card', (cs) => cs.map((c) => Math.min(...[...c.querySelectorAll('.km')]
      .map((x) => parseFloat(x.textContent.replace('(', '').replace(',', '.'))))));
    check(kms.length > 0 && kms.every((k) => k <= 20), `each card within 20 km: ${kms}`);
    /* Its chip takes it away. */
    await page.click('#chips .chip:has-text("Près de")');
    await page.waitForFunction(() => !new URL(location.href).searchParams.get('near'));
    check(await page.inputValue('#near') === '', 'the near chip cleared the field');
  });

  await step('paging and the CSV', async () => {
    await page.goto(BASE + '/?q=' + encodeURIComponent(COMMON));
    await settled(page);
    const before = await cardIds(page);
    check(before.length === 20, `a full first page: ${before.length}`);
    await page.click('#next');
    await page.waitForFunction(() => new URL(location.href).searchParams.get('offset') === '20');
    await page.waitForFunction((b) => {
      const a = document.querySelector('#cards h3 a');
      return a && a.getAttribute('href') !== b;
    }, before[0]);
    const after = await cardIds(page);
    check(after.every((id) => !before.includes(id)), 'page 2 shares no card with page 1');
    check((await page.textContent('#status')).includes('21 à'), 'the status says 21 to ...');
    await page.goBack();
    await page.waitForFunction(() => !new URL(location.href).searchParams.get('offset'));
    await page.waitForFunction((b) => document.querySelector('#cards h3 a').getAttribute('href') === b, before[0]);
    check(true, 'Back returns to page 1');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
    const file = path.join(OUT, 'results.csv');
    await dl.saveAs(file);
    const raw = fs.readFileSync(file);
    check(raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf, 'the CSV starts with a BOM');
    /* Read by a real CSV reader: Python's csv module, as a spreadsheet
       would (';', UTF-8 with its BOM). */
    const py = spawnSync('python3', ['-c', `
import csv, json, sys
with open(sys.argv[1], newline='', encoding='utf-8-sig') as f:
    rows = list(csv.reader(f, delimiter=';', strict=True))
print(json.dumps(rows))`, file], { encoding: 'utf8' });
    check(py.status === 0, `python csv read it: ${py.stderr}`);
    const rows = JSON.parse(py.stdout || '[]');
    check(rows.length > 1 && rows[0][0] === 'Identifiant' && rows[0].length === 18, `CSV header: ${rows[0]}`);
    check(rows.every((r) => r.length === rows[0].length), 'every CSV row has every column');
    const api = await (await fetch(BASE + '/v1/search?q=' + encodeURIComponent(COMMON) + '&limit=100')).json();
    const ids = new Set(rows.slice(1).map((r) => r[0]));
    const want = new Set(api.results.map((r) => r.rpps || r.adeli));
    check(ids.size === want.size && [...want].every((x) => ids.has(x)), `the CSV holds the same ${want.size} people as the JSON`);
    const acts = api.results.reduce((n, r) => n + Math.max(1, r.activities.length), 0);
    check(rows.length - 1 === acts, `one CSV row per professional and activity: ${rows.length - 1} vs ${acts}`);
  });

  await step('permalink, copy, vCard', async () => {
    const rec = await ctx.newPage();
    watch(rec, 'record');
    await rec.goto(BASE + '/p/' + T.id);
    await rec.waitForSelector('#record h1#rec-name');
    check((await rec.textContent('#rec-name')) === displayName(T), `the record's name: ${await rec.textContent('#rec-name')}`);
    check(await rec.evaluate(() => document.activeElement && document.activeElement.id === 'rec-name'), 'focus on the name');
    check((await rec.title()).includes(T.last), 'the title names the professional');
    check(await rec.isHidden('#search-view'), 'the search is hidden');
    await rec.screenshot({ path: path.join(OUT, 'record.png') });
    await validate(await rec.content(), 'the record page', true);
    /* Copy the MSSanté address: the clipboard holds it, the button says so. */
    const btn = rec.locator(`#record .mss button[aria-label$="${T.mss}"]`);
    await btn.click();
    await rec.waitForFunction((l) => {
      const b = [...document.querySelectorAll('#record .mss button')].find((x) => x.getAttribute('aria-label').endsWith(l));
      return b && b.textContent.startsWith('Copié');
    }, T.mss);
    check(await rec.evaluate(() => navigator.clipboard.readText()) === T.mss, 'the clipboard holds the address');
    check((await rec.textContent('#toast')).includes(T.mss) && await rec.isVisible('#toast.show'), 'a visible "copied" message');
    await rec.click('.actions button.copy');
    await rec.waitForFunction(() => document.querySelector('.actions button.copy').textContent.startsWith('Copié'));
    check(await rec.evaluate(() => navigator.clipboard.readText()) === `${BASE}/p/${T.id}`, 'the permalink copied');
    /* The vCard: downloaded, parsed by ical.js. */
    const [dl] = await Promise.all([rec.waitForEvent('download'), rec.click('#vcard')]);
    check(/\.vcf$/.test(dl.suggestedFilename()), `a .vcf file: ${dl.suggestedFilename()}`);
    const file = path.join(OUT, 'card.vcf');
    await dl.saveAs(file);
    const ICAL = (await import('ical.js')).default;
    const text = fs.readFileSync(file, 'utf8');
    const vc = new ICAL.Component(ICAL.parse(text));
    check(vc.name === 'vcard', 'ical.js reads a vcard');
    check(vc.getFirstPropertyValue('version') === '4.0', 'VERSION 4.0');
    check(vc.getFirstPropertyValue('fn') === displayName(T), `FN: ${vc.getFirstPropertyValue('fn')}`);
    const n = vc.getFirstPropertyValue('n');
    check(Array.isArray(n) && n[0] === T.last && n[1] === T.first, `N: ${JSON.stringify(n)}`);
    const emails = vc.getAllProperties('email').map((p) => p.getFirstValue());
    check(emails.includes(T.mss), `EMAIL holds the address: ${emails}`);
    const tels = vc.getAllProperties('tel').map((p) => p.getFirstValue());
    check(tels.length > 0 && tels.every((t) => /^tel:\+\d{9,14}$/.test(t) || !t.startsWith('tel:')), `TEL: ${tels}`);
    check(vc.getAllProperties('adr').length > 0, 'ADR');
    check(String(vc.getFirstPropertyValue('uid')).endsWith(T.id), 'UID holds the id');
    check(/\r\n/.test(text) && text.split('\r\n').every((l) => Buffer.byteLength(l) <= 75), 'CRLF lines of 75 octets at most');
    await rec.close();
  });

  await step('keyboard alone: suggestion, record, copy, back', async () => {
    const kb = await ctx.newPage();
    watch(kb, 'keyboard');
    await kb.goto(BASE + '/');
    /* "/" goes to the search box wherever the focus is. */
    await kb.evaluate(() => document.activeElement.blur());
    await kb.keyboard.press('/');
    check(await kb.evaluate(() => document.activeElement.id === 'q'), '"/" focuses the search box');
    await kb.keyboard.type(T.last, { delay: 30 });
    await kb.waitForSelector('#suggestions li[role=option]');
    await kb.keyboard.press('ArrowDown');
    const id = await kb.evaluate(() => document.getElementById('sugg-0').textContent);
    await kb.keyboard.press('Enter');
    await kb.waitForSelector('#record h1#rec-name');
    check(/^\/p\/\w+$/.test(new URL(kb.url()).pathname), `Enter opened a record: ${kb.url()} (${id})`);
    check(await kb.evaluate(() => document.activeElement.id === 'rec-name'), 'focus moved to its name');
    let onCopy = false;
    for (let i = 0; i < 10 && !onCopy; i++) {
      await kb.keyboard.press('Tab');
      onCopy = await kb.evaluate(() => {
        const a = document.activeElement;
        return !!a && a.closest('.mss') !== null && a.classList.contains('copy');
      });
    }
    if (await kb.locator('#record .mss .copy').count()) {
      check(onCopy, 'Tab reaches the copy button');
      const addr = await kb.evaluate(() => document.activeElement.closest('li').querySelector('.addr').textContent);
      await kb.keyboard.press('Enter');
      await kb.waitForFunction(() => document.activeElement.textContent.startsWith('Copié'));
      check(await kb.evaluate(() => navigator.clipboard.readText()) === addr, 'Enter copied the address');
    }
    await kb.goBack();
    await kb.waitForSelector('#search-view:not([hidden])');
    const back = await kb.inputValue('#q');
    check(back === T.last, `Back returns to the search as typed: "${back}" at ${kb.url()}`);
    await kb.close();
  });

  await step('360 px wide, no horizontal scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const m = await phone.newPage();
    watch(m, 'phone');
    for (const [url, shot] of [[`/?q=${encodeURIComponent(COMMON)}`, 'phone-search.png'], [`/p/${T.id}`, 'phone-record.png']]) {
      await m.goto(BASE + url);
      await m.waitForSelector(shot === 'phone-search.png' ? '#cards .card' : '#rec-name');
      await m.waitForLoadState('networkidle');
      const w = await m.evaluate(() => ({
        doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, view: window.innerWidth,
        wide: [...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
          .map((e) => e.tagName + '.' + e.className).slice(0, 5),
      }));
      check(w.view === 360 && w.doc <= 360 && w.body <= 360, `${url} fits 360 px: ${JSON.stringify(w)}`);
      await m.screenshot({ path: path.join(OUT, shot), fullPage: true });
    }
    await phone.close();
  });

  await step('labels and contrast (WCAG 2.1 AA basics)', async () => {
    await page.goto(BASE + '/?q=' + encodeURIComponent(COMMON));
    await page.waitForSelector('#facets input');
    const unlabelled = await page.$$eval('input, select, textarea', (els) => els
      .filter((e) => e.type !== 'hidden' && !e.classList.contains('offscreen'))
      .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
      .map((e) => e.id || e.outerHTML.slice(0, 60)));
    check(unlabelled.length === 0, `every control has a label: ${unlabelled}`);
    const low = await page.evaluate(() => {
      function rgb(s) { const m = s.match(/[\d.]+/g).map(Number); return { c: m.slice(0, 3), a: m.length > 3 ? m[3] : 1 }; }
      function lum(c) {
        const v = c.map((x) => { x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
        return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
      }
      function bg(e) {
        for (; e; e = e.parentElement) {
          const b = rgb(getComputedStyle(e).backgroundColor);
          if (b.a > 0.5) return b.c;
        }
        return [255, 255, 255];
      }
      const bad = [];
      for (const e of document.querySelectorAll('body *')) {
        if (!e.offsetParent || ![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
        const s = getComputedStyle(e);
        if (parseFloat(s.opacity) < 1) continue;
        const f = lum(rgb(s.color).c), b = lum(bg(e));
        const ratio = (Math.max(f, b) + 0.05) / (Math.min(f, b) + 0.05);
        const large = parseFloat(s.fontSize) >= 24 || (parseFloat(s.fontSize) >= 18.66 && parseInt(s.fontWeight, 10) >= 700);
        if (ratio < (large ? 3 : 4.5) && !e.closest('[disabled]')) bad.push(`${e.tagName}.${e.className} ${ratio.toFixed(2)}`);
      }
      return bad;
    });
    check(low.length === 0, `text contrast at least 4.5:1: ${low.slice(0, 5)}`);
  });

  check(problems.length === 0, `no console error or failed request:\n  ${problems.join('\n  ')}`);
  await browser.close();
  console.log(`screenshots in ${OUT}`);
  console.log(`RESULT ${passed} ${failed}`);
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log('FAIL: ' + (e && e.stack));
  console.log(`RESULT ${passed} ${failed + 1}`);
  process.exit(1);
});
