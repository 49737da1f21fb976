/* tools/bench-web's browser half: types each line of QUERIES into the page
 * at BASE, one key at a time, and times the last keydown to the paint of
 * the first card of that text's results. The paint is Element Timing's
 * renderTime of a card title (the page marks them elementtiming="card");
 * the cards say which text they answer (#cards[data-q]). The final
 * search request's Resource Timing splits the time: the wait before it is
 * sent (the debounce), its round trip (network and server), and the
 * render to paint. Prints percentiles; samples go to build/bench-web. */
'use strict';
const fs = require('fs');
const { chromium } = require('playwright-core');

const BASE = process.env.BASE;
const WARMUP = 3;
const lines = fs.readFileSync(process.env.QUERIES, 'utf8').split('\n')
  .map((l) => l.trim().replace(/\s+/g, ' ')).filter((l) => l.length > 0);

/* A small seeded generator: the same rhythm at every run. */
let seed = 12345;
function rand() {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
}

function pct(v, p) {
  const s = v.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  /* Paint time: Chromium reports no Element Timing for these cards here
     (the observer stays silent), so the time is taken after the frame
     that shows them: a requestAnimationFrame callback runs before that
     frame's paint, and a message posted from it is handled once the
     frame is done (the usual "after next paint"). */
  await page.addInitScript(() => {
    const b = window.__bench = { keys: [], paints: [] };
    document.addEventListener('keydown', (e) => b.keys.push(e.timeStamp), true);
    document.addEventListener('DOMContentLoaded', () => {
      const cards = document.getElementById('cards');
      new MutationObserver(() => {
        const q = cards.getAttribute('data-q');
        if (!cards.firstElementChild) return;
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => b.paints.push({ t: performance.now(), q });
          ch.port2.postMessage(0);
        });
      }).observe(cards, { attributes: true, attributeFilter: ['data-q'], childList: true });
    });
  });
  const samples = [];
  let none = 0;
  for (let i = 0; i < lines.length; i++) {
    const q = lines[i];
    await page.goto(BASE + '/');
    await page.waitForLoadState('networkidle');
    for (const ch of q) {
      await page.keyboard.type(ch);
      await page.waitForTimeout(100 + Math.floor(rand() * 80));
    }
    let r = null;
    try {
      await page.waitForFunction((want) => window.__bench.paints.some((p) => p.q === want), q, { timeout: 5000 });
      r = await page.evaluate((want) => {
        const b = window.__bench;
        const last = b.keys[b.keys.length - 1];
        const paint = b.paints.filter((p) => p.q === want && p.t >= last).map((p) => p.t);
        const req = performance.getEntriesByType('resource')
          .filter((e) => e.name.includes('/v1/search?') && !e.name.includes('facets=') &&
            new URL(e.name).searchParams.get('q') === want && e.startTime >= last)[0];
        return paint.length ? {
          total: Math.min(...paint) - last,
          wait: req ? req.startTime - last : NaN,
          fetch: req ? req.responseEnd - req.startTime : NaN,
          render: req ? Math.min(...paint) - req.responseEnd : NaN,
        } : null;
      }, q);
    } catch (e) {
      r = null;
    }
    if (!r) {
      none++;
      continue;
    }
    if (i >= WARMUP) samples.push(Object.assign({ q }, r));
  }
  await browser.close();
  const out = 'build/bench-web/samples.tsv';
  fs.writeFileSync(out, 'total_ms\twait_ms\tfetch_ms\trender_ms\tquery\n' + samples.map((s) =>
    [s.total, s.wait, s.fetch, s.render].map((x) => x.toFixed(1)).join('\t') + '\t' + s.q).join('\n') + '\n');
  const col = (k) => samples.map((s) => s[k]).filter((x) => !Number.isNaN(x));
  const f = (x) => x.toFixed(1).padStart(6);
  console.log(`${samples.length} typed queries timed (${WARMUP} more as warm-up; ${none} without a card)`);
  console.log('                       p50     p95     max   (ms)');
  for (const [k, name] of [['total', 'last key -> first card'], ['wait', '  wait (debounce)'],
    ['fetch', '  search round trip'], ['render', '  render to paint']]) {
    const v = col(k);
    if (v.length) console.log(`${name.padEnd(22)} ${f(pct(v, 50))}  ${f(pct(v, 95))}  ${f(Math.max(...v))}`);
  }
  console.log(`samples: ${out}`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
