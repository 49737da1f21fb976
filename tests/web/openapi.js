'use strict';
// The JSON API's contract (issue 16): every answer rpps-server gives,
// checked against docs/openapi.yaml by Stoplight Prism's response
// validator (@stoplight/prism-http): the status must be documented for the
// operation, the Content-Type one of the media types documented for that
// status, the body valid against that media type's schema, and the
// documented headers present and valid. tests/e2e_openapi.sh starts the
// servers and says what runs this.
//
// - Every endpoint, every parameter it documents (each value of an enum),
//   every error it documents: each case below is one request, with the
//   status and media type it must get. Then every (operation, status,
//   media type) the file documents must have been answered by some case,
//   and every parameter used: a documented answer no case reaches fails.
// - Bodies are checked strictly: every object schema that lists its
//   properties is read as if it said additionalProperties: false, so a
//   field the file does not name fails (the file itself leaves objects
//   open, so that clients tolerate fields added later).
// - The test must be able to fail: at the end, the answers recorded are
//   validated again against copies of the file made wrong on purpose (a
//   field's type, a status taken out, a media type renamed, a field made
//   required); each must be caught.
// Environment: BASE (the server with a database), BASE0 (one without a
// database, with --cors), SPEC (the file), DATA (JSON: ids, addresses and
// places from the generated database). Prints "ok"/"FAIL" per check and
// "RESULT <passed> <failed>".
const fs = require('fs');
const http = require('http');
const zlib = require('zlib');
const YAML = require('yaml');
const { getHttpOperationsFromSpec } = require('@stoplight/prism-http');
// Prism's own response check (what its proxy runs on every answer); not
// re-exported by the package's index, hence the path (package-lock.json
// pins the version).
const { validateOutput } = require('@stoplight/prism-http/dist/validator');

const BASE = process.env.BASE;
const BASE0 = process.env.BASE0;
const SPEC = process.env.SPEC || 'docs/openapi.yaml';
const DATA = JSON.parse(process.env.DATA || '{}');
const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) rpps-e2e';

let passed = 0;
let failed = 0;
function ok(name) {
  passed++;
  console.log(`ok   ${name}`);
}
function fail(name, why) {
  failed++;
  console.log(`FAIL ${name}: ${why}`);
}

// One request, nothing done for us: the raw status, headers (lower-case
// names) and body bytes, gunzip'd when the answer says gzip.
function request(base, { method = 'GET', path, headers = {}, body }) {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname, port: url.port, method, path, agent: false,
      headers: { 'User-Agent': 'rpps-e2e-openapi',
                 ...(body ? { 'Content-Length': body.length } : {}), ...headers },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let raw = Buffer.concat(chunks);
        const gz = res.headers['content-encoding'] === 'gzip';
        if (gz) raw = zlib.gunzipSync(raw);
        resolve({ status: res.statusCode, headers: res.headers, raw, gz,
                  text: raw.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    if (body) req.write(body);
    req.end();
  });
}

const mediaOf = (h) => (h['content-type'] || '').split(';')[0].trim().toLowerCase();
const qs = (o) => Object.entries(o).map(([k, v]) =>
  `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

// Every object schema that names its properties, closed: a field the file
// does not document fails. In place.
function closeObjects(s) {
  if (Array.isArray(s)) return s.forEach(closeObjects);
  if (!s || typeof s !== 'object') return;
  if (s.properties && s.additionalProperties === undefined) s.additionalProperties = false;
  Object.values(s).forEach(closeObjects);
}

// The operations of a document as Prism reads them, by operationId.
async function operationsOf(doc) {
  const copy = structuredClone(doc);
  closeObjects(copy.components);
  closeObjects(copy.paths);
  const ops = await getHttpOperationsFromSpec(copy);
  const byId = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const p = ops.find((o) => o.path === path && o.method === method);
      if (!p) throw new Error(`Prism did not read ${method} ${path}`);
      byId[op.operationId] = p;
    }
  }
  return byId;
}

// Prism's verdict on one answer: a list of messages, empty when valid.
function violations(op, el) {
  const r = validateOutput({ resource: op, element: el });
  if (r._tag === 'Right') return [];
  return r.left.map((e) => `${(e.path || []).join('.')}${e.path ? ': ' : ''}${e.message}`);
}

function resolve(doc, x) {
  while (x && x.$ref) {
    x = x.$ref.slice(2).split('/').reduce((o, k) => o[k.replace(/~1/g, '/')], doc);
  }
  return x;
}

const SECURITY_HEADERS = ['content-security-policy', 'x-content-type-options',
                          'referrer-policy', 'x-frame-options'];

async function main() {
  const doc = YAML.parse(fs.readFileSync(SPEC, 'utf8'));
  const ops = await operationsOf(doc);
  const seen = new Set();      // "operationId status media"
  const used = {};             // operationId -> Set of "name" and "name=value"
  const recorded = [];         // [operationId, element] for the self-check
  const etags = {};            // case name -> ETag, for the 304 cases

  // Runs one case: the request, its expected status and media type ('-'
  // for none), then Prism's check, then the case's own check.
  async function run(c) {
    const name = c.name || `${c.method || 'GET'} ${c.path.length > 120 ? c.path.slice(0, 100) + '...' : c.path}` +
      `${c.headers ? ' ' + JSON.stringify(c.headers) : ''}${c.base === BASE0 ? ' (no database)' : ''}`;
    let res;
    try {
      res = await request(c.base || BASE, c);
    } catch (e) {
      return fail(name, `request failed: ${e.message}`);
    }
    const media = res.status === 304 ? '-' : mediaOf(res.headers) || '-';
    const errs = [];
    if (res.status !== c.status) errs.push(`status ${res.status}, expected ${c.status} (${res.text.slice(0, 200)})`);
    if (c.type && media !== c.type) errs.push(`media type ${media}, expected ${c.type}`);
    if (c.gzip !== undefined && res.gz !== c.gzip) errs.push(`gzip ${res.gz}, expected ${c.gzip}`);
    if (c.op) {
      seen.add(`${c.op} ${res.status} ${media}`);
      // A parameter counts as used by an answer that took it.
      const u = used[c.op] || (used[c.op] = new Set());
      const query = c.path.includes('?') ? c.path.slice(c.path.indexOf('?') + 1) : '';
      for (const [k, v] of res.status < 400 ? new URLSearchParams(query) : []) {
        u.add(k);
        for (const one of v.split(',')) u.add(`${k}=${one}`);
      }
      let body = res.status === 304 ? undefined : res.text;
      if (media === 'application/json') {
        try {
          body = JSON.parse(res.text);
        } catch (e) {
          errs.push(`not JSON: ${e.message}`);
        }
      }
      const el = { statusCode: res.status, headers: res.headers, body };
      recorded.push([c.op, el]);
      for (const v of violations(ops[c.op], el)) errs.push(`contract: ${v}`);
      if (!c.mhd) {
        for (const h of SECURITY_HEADERS) if (!res.headers[h]) errs.push(`no ${h}`);
      }
    }
    if (c.check) {
      try {
        const why = c.check(res);
        if (why) errs.push(why);
      } catch (e) {
        errs.push(`check: ${e.message}`);
      }
    }
    if (c.keep) etags[c.keep] = res.headers.etag;
    if (errs.length) fail(name, errs.join('; '));
    else ok(`${name} -> ${res.status} ${media}`);
  }

  const D = DATA;
  const page = await request(BASE, { path: '/', headers: { 'User-Agent': BROWSER } });
  const version = (f) => (page.text.match(new RegExp(`/static/${f.replace('.', '\\.')}\\?v=([0-9a-f]{16})`)) || [])[1];
  const many = Array.from({ length: 33 }, (_, i) => `x${i}=1`).join('&');
  const long = (n) => 'a'.repeat(n);
  const tooLarge = [
    { status: 413, type: 'application/json', method: 'GET', body: Buffer.alloc(2000, 97),
      headers: { 'Content-Type': 'text/plain' }, suffix: ' body 2000 B' },
    { status: 414, type: 'application/json', q: `q=${long(5000)}`, suffix: ' URL 5 KB' },
    { status: 431, type: 'application/json', headers: { 'X-Big': long(9000) }, suffix: ' header 9 KB' },
  ];
  // 413, 414 and 431 for an operation's path (with q as its query).
  const large = (op, path) => tooLarge.map((t) => ({
    op, name: `${op} ${t.status}${t.suffix}`, status: t.status, type: t.type,
    path: t.q ? `${path}${path.includes('?') ? '&' : '?'}${t.q}` : path,
    headers: t.headers, body: t.body,
  }));
  const json = 'application/json';
  const dom = D.mss.split('@')[1]; // a mailbox domain of the file
  const text = 'text/plain';
  const curl = { 'User-Agent': 'curl/8.5.0' };
  const isErr = (st) => (r) => {
    const e = JSON.parse(r.text).error;
    return e.status === st ? null : `error.status ${e.status}`;
  };
  const pretty = (r) => (r.text.includes('\n  "') ? null : 'not indented');
  const compact = (r) => (r.text.includes('\n') ? 'indented' : null);
  const etagIs = (re) => (r) => (re.test(r.headers.etag || '') ? null : `ETag ${r.headers.etag}`);
  const retry = (r) => (r.headers['retry-after'] ? null : 'no Retry-After');
  const varyHas = (v) => (r) => ((r.headers.vary || '').includes(v) ? null : `Vary ${r.headers.vary}`);
  const textErr = (st) => (r) => (r.text.startsWith(`erreur ${st} : `) ? null : `text ${r.text.slice(0, 60)}`);

  const S = 'searchProfessionals';
  const search = [
    { path: '/v1/search?q=martin', status: 200, type: json, keep: 'search', check: compact },
    { path: '/v1/search?q=martin&pretty=1', status: 200, type: json, check: pretty },
    { path: '/v1/search?q=martin&pretty=0', status: 200, type: json, check: compact },
    { path: `/v1/search?${qs({ name: D.last, given: D.first })}`, status: 200, type: json,
      check: (r) => (JSON.parse(r.text).total >= 1 ? null : 'nobody') },
    { path: '/v1/search?profession=10&specialty=SM54&mode=L&mode=S,B', status: 200, type: json },
    { path: `/v1/search?profession=${encodeURIComponent('Médecin')}&dept=${D.dept},2A,2b,974`, status: 200, type: json },
    { path: `/v1/search?${qs({ city: D.city, postcode: D.postcode.slice(0, 2), has_mss: 'true' })}`, status: 200, type: json },
    { path: '/v1/search?q=martin&has_mss=false&limit=100&offset=1', status: 200, type: json },
    { path: `/v1/search?${qs({ q: 'dentiste', near: D.postcode, radius_km: '50' })}`, status: 200, type: json },
    { path: '/v1/search?near=48.8566,2.3522&radius_km=12.5&profession=60', status: 200, type: json },
    { path: '/v1/search?q=martin&facets=profession,specialty,dept,mode,has_mss', status: 200, type: json,
      check: (r) => (Object.keys(JSON.parse(r.text).facets).length === 6 ? null : 'facets') },
    { path: `/v1/search?${qs({ q: `dr cardiologue libéral à ${D.city} martin` })}`, status: 200, type: json,
      check: (r) => (JSON.parse(r.text).understood ? null : 'no understood') },
    { path: '/v1/search?q=kardiologue+martin', status: 200, type: json },
    { path: '/v1/search?q=infirmier+finistere', status: 200, type: json },
    { path: '/v1/search?q=dentiste+75014', status: 200, type: json },
    { path: `/v1/search?${qs({ structure: 'centre', street: 'rue', siret: D.siret, finess: D.finess, mssante: dom })}`,
      status: 200, type: json },
    { path: `/v1/search?${qs({ q: `${D.siret.slice(0, 3)} ${D.siret.slice(3)}` })}`, status: 200, type: json,
      check: (r) => (JSON.parse(r.text).understood.siret === D.siret ? null : 'siret not read') },
    { path: `/v1/search?${qs({ q: D.finess })}`, status: 200, type: json,
      check: (r) => (JSON.parse(r.text).understood.finess === D.finess ? null : 'finess not read') },
    { path: `/v1/search?${qs({ q: `clinique ch chu centre hospitalier ${D.mss.split('@')[0]}@` })}`, status: 200, type: json },
    { path: '/v1/search?q=1+rue+de+la+gare', status: 200, type: json },
    { path: '/v1/search?q=martin&format=json', status: 200, type: json },
    { path: '/v1/search?q=martin&format=csv', status: 200, type: 'text/csv', keep: 'csv',
      check: (r) => (r.text.startsWith('\ufeffIdentifiant;Type;') &&
        /attachment; filename="rpps-recherche.csv"/.test(r.headers['content-disposition'] || '') &&
        /-csv"$/.test(r.headers.etag) ? null : 'CSV head, disposition or ETag') },
    { path: '/v1/search?q=martin&format=text', status: 200, type: text },
    { path: '/v1/search?q=martin', headers: { Accept: 'text/csv' }, status: 200, type: 'text/csv', check: varyHas('Accept') },
    { path: '/v1/search?q=martin', headers: { Accept: 'text/plain, application/json;q=0.5' }, status: 200, type: text },
    { path: '/v1/search?q=martin', headers: { Accept: '*/*' }, status: 200, type: json },
    { path: '/v1/search?q=martin', headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true,
      check: varyHas('Accept-Encoding') },
    { path: '/v1/search?q=martin&format=csv', headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: 'text/csv', gzip: true },
    { name: `${S} 304`, path: '/v1/search?q=martin', headers: () => ({ 'If-None-Match': etags.search }), status: 304 },
    { name: `${S} 304 csv`, path: '/v1/search?q=martin&format=csv', headers: () => ({ 'If-None-Match': etags.csv }), status: 304 },
    // Each bad value the reference lists.
    ...['limit=0', 'limit=101', 'limit=x', 'offset=-1', 'q=martin&offset=9990&limit=20', 'mode=X', 'mode=L,X',
      'dept=3A', 'dept=2A1', 'dept=7', 'postcode=abc', 'postcode=123456', 'has_mss=maybe',
      'q=martin&facets=bogus', 'profession=pas+une+profession', 'specialty=pas+une+specialite',
      'near=nullepartville', 'near=90000&radius_km=0', 'near=90000&radius_km=201', 'q=martin&radius_km=5',
      'q=a+b+c+d+e+f+g+h+i+j+k+l+m', 'q=martin+dupont+durand+petit+moreau+simon+laurent+michel+garcia',
      'q=martin&bogus=1', 'q=martin&q=dupont', 'q=martin&limit=5&limit=6', 'q=martin&format=json&format=csv',
      'q=martin&format=vcard', 'q=%FF', `name=${long(257)}`, `q=martin&${many}`, '', 'city=%20',
      'q=martin&pretty=1&pretty=1'].map((q) => ({ path: `/v1/search?${q}`, status: 400, type: json, check: isErr(400) })),
    { path: '/v1/search?q=martin&limit=0&format=text', status: 400, type: text, check: textErr(400) },
    { path: '/v1/search?q=martin&limit=0&format=csv', status: 400, type: json },
    ...large(S, '/v1/search?q=martin'),
    { base: BASE0, path: '/v1/search?q=martin', status: 503, type: json, check: retry },
    { base: BASE0, path: '/v1/search?q=martin&format=text', status: 503, type: text, check: textErr(503) },
  ].map((c) => ({ op: S, ...c }));

  const P = 'getPage';
  const root = [
    { path: '/', headers: { 'User-Agent': BROWSER }, status: 200, type: 'text/html', keep: 'page',
      check: (r) => (/^"[0-9a-f]{16}"$/.test(r.headers.etag) && r.text.includes('<html') ? null : 'page or its ETag') },
    { path: '/?q=martin&limit=0', headers: { 'User-Agent': BROWSER }, status: 200, type: 'text/html' },
    { path: '/', headers: curl, status: 200, type: text, check: (r) => (r.headers.etag ? 'ETag on the usage note' : null) },
    { path: '/?q=martin', headers: curl, status: 200, type: text, check: varyHas('User-Agent') },
    { path: '/?q=martin', headers: { 'User-Agent': BROWSER, Accept: 'text/plain' }, status: 200, type: text },
    { path: '/?q=martin', headers: { ...curl, Accept: 'text/html' }, status: 200, type: 'text/html' },
    { path: `/?${qs({ q: 'martin', name: D.last, given: D.first, profession: '60', specialty: 'SM54', mode: 'L',
      city: D.city, postcode: D.postcode, dept: D.dept, has_mss: 'true', near: D.postcode, radius_km: '20',
      limit: '5', offset: '0', facets: 'profession,specialty,dept,mode,has_mss', pretty: '0' })}`,
      headers: curl, status: 200, type: text },
    { path: '/?mode=S,B', headers: curl, status: 200, type: text },
    { path: '/?q=martin&format=csv', status: 200, type: 'text/csv' },
    { path: '/?q=martin&format=json&pretty=1', status: 200, type: json, check: pretty },
    { path: '/?q=martin&format=text', headers: { 'User-Agent': BROWSER }, status: 200, type: text },
    { path: '/?q=martin', headers: { ...curl, 'Accept-Encoding': 'gzip' }, status: 200, type: text },
    { name: `${P} 304`, path: '/', headers: () => ({ 'User-Agent': BROWSER, 'If-None-Match': etags.page }), status: 304 },
    { path: '/?q=martin&limit=0', headers: curl, status: 400, type: text, check: textErr(400) },
    { path: '/?q=martin&format=vcard', headers: curl, status: 400, type: json, check: isErr(400) },
    { path: `/?${many}`, headers: { 'User-Agent': BROWSER }, status: 400, type: json },
    ...large(P, '/'),
    { base: BASE0, path: '/?q=martin', headers: curl, status: 503, type: text, check: textErr(503) },
    { base: BASE0, path: '/?q=martin&format=csv', headers: curl, status: 503, type: json, check: retry },
  ].map((c) => ({ op: P, ...c }));

  const L = 'getPermalink';
  const permalink = [
    { path: `/p/${D.rpps}`, headers: { 'User-Agent': BROWSER }, status: 200, type: 'text/html', keep: 'plink' },
    { path: `/p/${D.rpps}`, headers: curl, status: 200, type: text, keep: 'plinktext',
      check: (r) => (r.text.includes(D.rpps) ? null : 'no id') },
    { path: `/p/${D.adeli}?format=vcard`, status: 200, type: 'text/vcard',
      check: (r) => (r.text.startsWith('BEGIN:VCARD\r\nVERSION:4.0') ? null : 'not a vCard') },
    { path: `/p/${D.rpps}?format=json&pretty=0`, status: 200, type: json, check: compact },
    { path: `/p/${D.national}?format=json&pretty=1`, status: 200, type: json, check: pretty },
    { path: `/p/${D.rpps}?format=text`, headers: { 'User-Agent': BROWSER }, status: 200, type: text },
    { path: `/p/${D.rpps}`, headers: { ...curl, Accept: 'text/html' }, status: 200, type: 'text/html' },
    { name: `${L} 304`, path: `/p/${D.rpps}`, headers: () => ({ 'User-Agent': BROWSER, 'If-None-Match': etags.plink }), status: 304 },
    { name: `${L} 304 text`, path: `/p/${D.rpps}`, headers: () => ({ ...curl, 'If-None-Match': etags.plinktext }), status: 304 },
    { path: `/p/${D.rpps}?foo=1`, headers: curl, status: 400, type: text, check: textErr(400) },
    { path: `/p/${D.rpps}?format=csv`, headers: curl, status: 400, type: json },
    { path: '/p/99999999999', headers: curl, status: 404, type: text, check: textErr(404) },
    { path: '/p/99999999999?format=json', headers: curl, status: 404, type: json, check: isErr(404) },
    { path: '/p/99999999999?format=vcard', status: 404, type: json },
    ...large(L, `/p/${D.rpps}`),
    { base: BASE0, path: `/p/${D.rpps}`, headers: curl, status: 503, type: text },
    { base: BASE0, path: `/p/${D.rpps}?format=vcard`, status: 503, type: json, check: retry },
  ].map((c) => ({ op: L, ...c }));

  const F = 'getPageFile';
  const files = [
    { path: '/static/style.css', status: 200, type: 'text/css', keep: 'css',
      check: (r) => (r.headers['cache-control'] === 'no-cache' ? null : r.headers['cache-control']) },
    { path: `/static/app.js?v=${version('app.js')}`, status: 200, type: 'text/javascript',
      check: (r) => (/immutable/.test(r.headers['cache-control']) ? null : `Cache-Control ${r.headers['cache-control']}`) },
    { path: '/static/favicon.svg?v=0000000000000000', status: 200, type: 'image/svg+xml' },
    { path: '/static/app.js', headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: 'text/javascript', gzip: true },
    { name: `${F} 304`, path: '/static/style.css', headers: () => ({ 'If-None-Match': etags.css }), status: 304 },
    { path: '/static/nope.js', status: 404, type: json, check: isErr(404) },
    { path: '/static/index.html', status: 404, type: json },
    { path: `/static/style.css?${many}`, status: 400, type: json },
    ...large(F, '/static/style.css'),
  ].map((c) => ({ op: F, ...c }));

  const G = 'suggestNames';
  const suggest = [
    { path: '/v1/suggest?q=ma', status: 200, type: json, keep: 'suggest',
      check: (r) => (JSON.parse(r.text).suggestions.length === 10 ? null : 'not 10') },
    { path: `/v1/suggest?${qs({ q: `${D.last} ${D.first.slice(0, 2)}`, limit: '100', pretty: '1' })}`, status: 200, type: json, check: pretty },
    { path: '/v1/suggest?q=ma&pretty=0', headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true },
    { name: `${G} 304`, path: '/v1/suggest?q=ma', headers: () => ({ 'If-None-Match': etags.suggest }), status: 304 },
    ...['', 'q=', 'q=a+b+c', 'q=ma&limit=0', 'q=ma&limit=101', 'q=ma&format=csv', 'q=ma&near=paris', 'q=%FF',
      `q=ma&${many}`].map((q) => ({ path: `/v1/suggest?${q}`, status: 400, type: json, check: isErr(400) })),
    ...large(G, '/v1/suggest?q=ma'),
    { base: BASE0, path: '/v1/suggest?q=ma', status: 503, type: json, check: retry },
  ].map((c) => ({ op: G, ...c }));

  const R = 'getPractitioner';
  const record = [
    { path: `/v1/practitioners/${D.rpps}`, status: 200, type: json, keep: 'record',
      check: (r) => (JSON.parse(r.text).rpps === D.rpps ? null : 'not the one') },
    { path: `/v1/practitioners/${D.national}?pretty=1`, status: 200, type: json, check: pretty },
    { path: `/v1/practitioners/${D.adeli.toLowerCase()}`, status: 200, type: json,
      check: (r) => (JSON.parse(r.text).adeli === D.adeli ? null : 'not the one') },
    { path: `/v1/practitioners/${D.rpps}?format=json&pretty=0`, status: 200, type: json, check: compact },
    { path: `/v1/practitioners/${D.rpps}?format=vcard`, status: 200, type: 'text/vcard', keep: 'vcard',
      check: (r) => (/^attachment; filename=".+\.vcf"$/.test(r.headers['content-disposition'] || '') &&
        /-vcard"$/.test(r.headers.etag) ? null : 'disposition or ETag') },
    { path: `/v1/practitioners/${D.rpps}?format=text`, status: 200, type: text },
    { path: `/v1/practitioners/${D.rpps}`, headers: { Accept: 'text/vcard' }, status: 200, type: 'text/vcard' },
    { path: `/v1/practitioners/${D.rpps}`, headers: { Accept: 'text/x-vcard' }, status: 200, type: 'text/vcard' },
    { path: `/v1/practitioners/${D.rpps}`, headers: { Accept: 'text/plain' }, status: 200, type: text },
    { path: `/v1/practitioners/${D.rpps}`, headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true },
    { name: `${R} 304`, path: `/v1/practitioners/${D.rpps}`, headers: () => ({ 'If-None-Match': etags.record }), status: 304 },
    { name: `${R} 304 vcard`, path: `/v1/practitioners/${D.rpps}?format=vcard`, headers: () => ({ 'If-None-Match': etags.vcard }), status: 304 },
    ...['?foo=1', '?format=csv', '?format=json&format=text', '?pretty=1&pretty=0'].map((q) =>
      ({ path: `/v1/practitioners/${D.rpps}${q}`, status: 400, type: json, check: isErr(400) })),
    { path: `/v1/practitioners/${long(33)}`, status: 400, type: json },
    { path: `/v1/practitioners/${D.rpps}?format=text&foo=1`, status: 400, type: text, check: textErr(400) },
    { path: '/v1/practitioners/99999999999', status: 404, type: json, check: isErr(404) },
    { path: '/v1/practitioners/', status: 404, type: json },
    { path: '/v1/practitioners/99999999999?format=text', status: 404, type: text, check: textErr(404) },
    { path: '/v1/practitioners/99999999999?format=vcard', status: 404, type: json },
    ...large(R, `/v1/practitioners/${D.rpps}`),
    { base: BASE0, path: `/v1/practitioners/${D.rpps}`, status: 503, type: json, check: retry },
    { base: BASE0, path: `/v1/practitioners/${D.rpps}?format=text`, status: 503, type: text, check: textErr(503) },
  ].map((c) => ({ op: R, ...c }));

  const M = 'getMailbox';
  const mailbox = [
    { path: `/v1/mssante/${D.mss}`, status: 200, type: json, keep: 'mss',
      check: (r) => (JSON.parse(r.text).professional ? null : 'no owner') },
    { path: `/v1/mssante/${D.mss.toUpperCase()}?pretty=1`, status: 200, type: json, check: pretty },
    { path: `/v1/mssante/${D.mssOrg}`, status: 200, type: json,
      check: (r) => (JSON.parse(r.text).professional === null ? null : 'an owner') },
    { path: `/v1/mssante/${D.mss}?pretty=0`, headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true },
    { name: `${M} 304`, path: `/v1/mssante/${D.mss}`, headers: () => ({ 'If-None-Match': etags.mss }), status: 304 },
    { path: `/v1/mssante/${D.mss}?foo=1`, status: 400, type: json, check: isErr(400) },
    { path: `/v1/mssante/${long(321)}`, status: 400, type: json },
    { path: '/v1/mssante/nobody@nowhere.mssante.fr', status: 404, type: json, check: isErr(404) },
    { path: '/v1/mssante/', status: 404, type: json },
    ...large(M, `/v1/mssante/${D.mss}`),
    { base: BASE0, path: `/v1/mssante/${D.mss}`, status: 503, type: json, check: retry },
  ].map((c) => ({ op: M, ...c }));

  // A removed professional and mailbox (tests/e2e_openapi.sh imports a
  // next day over the first): 410 with the last known record.
  record.push(...[
    { path: `/v1/practitioners/${D.gone}`, status: 410, type: json,
      check: (r) => (JSON.parse(r.text).removed === true ? null : 'not removed') },
    { path: `/v1/practitioners/${D.gone}?format=text`, status: 410, type: text },
  ].map((c) => ({ op: R, ...c })));
  mailbox.push(...[
    { path: `/v1/mssante/${D.goneMss}`, status: 410, type: json,
      check: (r) => (JSON.parse(r.text).last_seen ? null : 'no last_seen') },
  ].map((c) => ({ op: M, ...c })));

  // The changes, in their three routes and formats.
  const first = JSON.parse((await request(BASE, { path: '/v1/changes?limit=2' })).text);
  const cur = first.next_cursor;
  const changes = [];
  for (const [op, path, media] of [['listChanges', '/v1/changes', json],
                                   ['listChangesCsv', '/v1/changes.csv', 'text/csv'],
                                   ['listChangesAtom', '/v1/changes.atom', 'application/atom+xml']]) {
    const sep = '?';
    changes.push(...[
      { path, status: 200, type: media, keep: op },
      { path: `${path}${sep}${qs({ since: '2026-08-27', limit: '5', cursor: cur })}`, status: 200, type: media },
      ...['professional', 'activity', 'mailbox'].map((k) => ({ path: `${path}${sep}kind=${k}`, status: 200, type: media })),
      ...['added', 'removed', 'changed'].map((k) => ({ path: `${path}${sep}change=${k}`, status: 200, type: media })),
      { path: `${path}${sep}${qs({ profession: '10', dept: D.dept, postcode: D.postcode })}`, status: 200, type: media },
      { path, headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: media, gzip: true },
      { name: `${op} 304`, path, headers: () => ({ 'If-None-Match': etags[op] }), status: 304 },
      ...['since=2026-02-30', 'kind=doctor', 'change=moved', 'limit=0', 'limit=1001', 'cursor=zz',
        'dept=1234', 'foo=1', `${many}`].map((q) => ({ path: `${path}${sep}${q}`, status: 400, type: json, check: isErr(400) })),
      ...large(op, path),
      { base: BASE0, path, status: 503, type: json, check: retry },
    ].map((c) => ({ op, ...c })));
  }
  changes.push(...[
    { path: '/v1/changes?format=json&pretty=1', status: 200, type: json, check: pretty },
    { path: '/v1/changes?pretty=0', status: 200, type: json, check: compact },
    { path: '/v1/changes?format=csv', status: 200, type: 'text/csv' },
    { path: '/v1/changes?format=atom', status: 200, type: 'application/atom+xml' },
    { path: '/v1/changes?format=xml', status: 400, type: json, check: isErr(400) },
    { path: '/v1/changes.csv?format=csv', status: 400, type: json, check: isErr(400) },
  ].map((c) => ({ op: 'listChanges', ...c })));
  const SS = 'searchStructures';
  const structures = [
    { path: `/v1/structures?${qs({ siret: D.siret })}`, status: 200, type: json, keep: SS,
      check: (r) => (JSON.parse(r.text).results[0].id === D.structure ? null : 'not the one') },
    { path: `/v1/structures?${qs({ q: D.finess, limit: '100', offset: '0', pretty: '1' })}`, status: 200, type: json,
      check: (r) => (JSON.parse(r.text).results.some((x) => x.mailboxes.length > 0) ? null : 'no ORG mailbox') },
    { path: `/v1/structures?${qs({ structure: 'centre', street: 'rue', postcode: D.postcode.slice(0, 2),
      city: D.city, dept: D.dept, finess: D.finess })}`, status: 200, type: json },
    { path: '/v1/structures?q=cabinet&pretty=0', headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true },
    { name: `${SS} 304`, path: `/v1/structures?${qs({ siret: D.siret })}`, headers: () => ({ 'If-None-Match': etags[SS] }), status: 304 },
    ...['', 'foo=1', 'q=', 'q=chu&structure=chu', 'siret=1', 'finess=x', 'postcode=abc', 'q=chu&limit=0',
      'q=chu&offset=10000'].map((q) => ({ path: `/v1/structures?${q}`, status: 400, type: json, check: isErr(400) })),
    ...large(SS, '/v1/structures?q=chu'),
    { base: BASE0, path: '/v1/structures?q=chu', status: 503, type: json, check: retry },
  ].map((c) => ({ op: SS, ...c }));
  const S1 = 'getStructure';
  const structure = [
    { path: `/v1/structures/${D.structure}`, status: 200, type: json, keep: S1,
      check: (r) => (JSON.parse(r.text).practitioners.results.length > 0 ? null : 'nobody') },
    { path: `/v1/structures/${D.siret}?limit=1&offset=0&pretty=1`, status: 200, type: json, check: pretty },
    { path: `/v1/structures/${D.finess}?pretty=0`, headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true },
    { name: `${S1} 304`, path: `/v1/structures/${D.structure}`, headers: () => ({ 'If-None-Match': etags[S1] }), status: 304 },
    { path: `/v1/structures/${D.structure}?foo=1`, status: 400, type: json, check: isErr(400) },
    { path: `/v1/structures/${long(33)}`, status: 400, type: json },
    { path: '/v1/structures/F000000000', status: 404, type: json, check: isErr(404) },
    ...large(S1, `/v1/structures/${D.structure}`),
    { base: BASE0, path: `/v1/structures/${D.structure}`, status: 503, type: json, check: retry },
  ].map((c) => ({ op: S1, ...c }));

  const lists = [];
  for (const [op, path, key] of [['listProfessions', '/v1/professions', 'professions'],
                                 ['listSpecialties', '/v1/specialties', 'specialties']]) {
    lists.push(...[
      { path, status: 200, type: json, keep: op,
        check: (r) => (JSON.parse(r.text)[key].length > 5 ? null : 'few codes') },
      { path: `${path}?pretty=1`, status: 200, type: json, check: pretty },
      { path: `${path}?pretty=0`, headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true },
      { name: `${op} 304`, path, headers: () => ({ 'If-None-Match': etags[op] }), status: 304 },
      { path: `${path}?foo=1`, status: 400, type: json, check: isErr(400) },
      { path: `${path}?pretty=1&pretty=1`, status: 400, type: json },
      ...large(op, path),
      { base: BASE0, path, status: 503, type: json, check: retry },
    ].map((c) => ({ op, ...c })));
  }

  const T = 'getStatus';
  const status = [
    { path: '/v1/status', status: 200, type: json,
      check: (r) => (r.headers.etag ? 'an ETag' : JSON.parse(r.text).extracts.length >= 2 ? null : 'extracts') },
    { path: '/v1/status?pretty=1', status: 200, type: json, check: pretty },
    { path: '/v1/status?pretty=0', headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: json, gzip: true },
    { path: '/v1/status?foo=1', status: 400, type: json, check: isErr(400) },
    ...large(T, '/v1/status'),
    { base: BASE0, path: '/v1/status', status: 503, type: json, check: retry },
  ].map((c) => ({ op: T, ...c }));

  const H = 'getHealth';
  const health = [
    { path: '/healthz', status: 200, type: json, check: (r) => (JSON.parse(r.text).database === true ? null : 'database') },
    { path: '/healthz?pretty=1', status: 200, type: json, check: pretty },
    { path: '/healthz?pretty=0&probe=1', status: 200, type: json },
    { base: BASE0, path: '/healthz', status: 200, type: json,
      check: (r) => (JSON.parse(r.text).database === false ? null : 'database') },
    { path: `/healthz?${many}`, status: 400, type: json, check: isErr(400) },
    ...large(H, '/healthz'),
  ].map((c) => ({ op: H, ...c }));

  const RZ = 'getReadiness';
  const ready = [
    { path: '/readyz', status: 200, type: json,
      check: (r) => (JSON.parse(r.text).status === 'ready' ? null : 'status') },
    { path: '/readyz?pretty=1', status: 200, type: json, check: pretty },
    { path: '/readyz?pretty=0&probe=1', status: 200, type: json },
    { base: BASE0, path: '/readyz', status: 503, type: json,
      check: (r) => (JSON.parse(r.text).status === 'unavailable' ? retry(r) : 'status') },
    { path: `/readyz?${many}`, status: 400, type: json, check: isErr(400) },
    ...large(RZ, '/readyz'),
  ].map((c) => ({ op: RZ, ...c }));

  const X = 'getMetrics';
  const metrics = [
    { path: '/metrics', status: 200, type: text,
      check: (r) => (/^rpps_database_loaded 1$/m.test(r.text) && /version=0\.0\.4/.test(r.headers['content-type'])
        ? null : 'exposition') },
    { path: '/metrics', headers: { 'Accept-Encoding': 'gzip' }, status: 200, type: text, gzip: true,
      check: (r) => (/^rpps_build_info\{/m.test(r.text) ? null : 'body') },
    { base: BASE0, path: '/metrics', status: 200, type: text,
      check: (r) => (/^rpps_database_loaded 0$/m.test(r.text) ? null : 'rpps_database_loaded') },
    { path: `/metrics?${many}`, status: 400, type: json, check: isErr(400) },
    ...large(X, '/metrics'),
  ].map((c) => ({ op: X, ...c }));

  // libmicrohttpd's own refusals (the spec's 414 and 431 describe them):
  // documented statuses, an HTML page, no Content-Type.
  const mhd = [
    { op: S, mhd: true, name: `${S} 414 URL 200 KB (libmicrohttpd's)`, path: `/v1/search?q=${long(200000)}`, status: 414 },
    { op: H, mhd: true, name: `${H} 431 header 200 KB (libmicrohttpd's)`, path: '/healthz',
      headers: { 'X-Big': long(200000) }, status: 431 },
  ].map((c) => ({ ...c, check: (r) => (!r.headers['content-type'] && /<html>/.test(r.text) ? null : 'not its HTML page') }));

  for (const c of [...search, ...root, ...permalink, ...files, ...suggest, ...record, ...mailbox, ...structures, ...structure,
                   ...changes, ...lists, ...status, ...health, ...ready, ...metrics]) {
    if (typeof c.headers === 'function') c.headers = c.headers();
    await run(c);
  }
  // libmicrohttpd's answers are not the spec's media types: they count as
  // reached (the file describes them) but Prism's media-type check on them
  // is left out.
  for (const c of mhd) {
    const res = await request(BASE, c).catch((e) => ({ error: e }));
    if (res.error) {
      fail(c.name, res.error.message);
      continue;
    }
    const why = res.status !== c.status ? `status ${res.status}` : c.check(res);
    if (why) fail(c.name, why);
    else ok(`${c.name} -> ${res.status}`);
  }

  // HEAD: as GET, without the body.
  for (const path of ['/v1/search?q=martin', `/v1/practitioners/${D.rpps}?format=vcard`, '/healthz', '/metrics', '/']) {
    const g = await request(BASE, { path });
    const h = await request(BASE, { method: 'HEAD', path });
    const why = h.status !== g.status ? `status ${h.status}`
      : h.headers['content-type'] !== g.headers['content-type'] ? `type ${h.headers['content-type']}`
      : h.raw.length ? 'a body' : null;
    if (why) fail(`HEAD ${path}`, why);
    else ok(`HEAD ${path} -> ${h.status}, as GET without body`);
  }
  // Other methods: 405 with Allow and the JSON error (the spec's Error);
  // OPTIONS is a CORS preflight where the server has --cors (BASE0).
  const errorOp = { ...ops.getStatus, responses: ops.getStatus.responses.filter((r) => r.code === '400').map((r) => ({ ...r, code: '405' })) };
  for (const [method, path] of [['POST', '/v1/search?q=martin'], ['DELETE', '/v1/practitioners/1'], ['PUT', '/'], ['OPTIONS', '/healthz']]) {
    const r = await request(BASE, { method, path });
    let v = r.status !== 405 ? [`status ${r.status}`] : r.headers.allow !== 'GET, HEAD' ? [`Allow ${r.headers.allow}`] : [];
    if (!v.length) v = violations(errorOp, { statusCode: 405, headers: r.headers, body: JSON.parse(r.text) });
    if (v.length) fail(`${method} ${path}`, v.join('; '));
    else ok(`${method} ${path} -> 405, Allow: GET, HEAD, the JSON error`);
  }
  {
    const r = await request(BASE0, { method: 'OPTIONS', path: '/v1/search', headers: { Origin: 'https://app.example' } });
    if (r.status === 204 && r.headers['access-control-allow-origin'] === 'https://app.example' &&
        /GET/.test(r.headers['access-control-allow-methods'] || '')) ok('OPTIONS with --cors -> 204 preflight');
    else fail('OPTIONS with --cors', `status ${r.status}, ${JSON.stringify(r.headers)}`);
  }

  // Every documented answer reached, every parameter (and enum value) used.
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const op of Object.values(item)) {
      const missing = [];
      for (const [code, r0] of Object.entries(op.responses)) {
        const r = resolve(doc, r0);
        for (const media of r.content ? Object.keys(r.content) : ['-']) {
          if (!seen.has(`${op.operationId} ${code} ${media}`)) missing.push(`${code} ${media}`);
        }
      }
      for (const p0 of op.parameters || []) {
        const p = resolve(doc, p0);
        if (p.in !== 'query') continue;
        const u = used[op.operationId] || new Set();
        if (!u.has(p.name)) missing.push(`parameter ${p.name}`);
        const en = p.schema.enum || (p.schema.items && p.schema.items.enum) || [];
        for (const v of en) if (!u.has(`${p.name}=${v}`)) missing.push(`${p.name}=${v}`);
      }
      if (missing.length) fail(`coverage ${op.operationId} (${path})`, `documented, never answered or used: ${missing.join(', ')}`);
      else ok(`coverage ${op.operationId}: every documented status, media type and parameter`);
    }
  }

  // The validator reads the file: each wrong copy must fail some answer.
  const wrong = [
    ['SearchResult.total a string', (d) => { d.components.schemas.SearchResult.properties.total.type = 'string'; }],
    ['no 304 on /v1/professions', (d) => { delete d.paths['/v1/professions'].get.responses['304']; }],
    ['text/csv renamed', (d) => {
      const c = d.components.responses.SearchAnswer.content;
      c['text/tab-separated-values'] = c['text/csv'];
      delete c['text/csv'];
    }],
    ['Professional.nickname required', (d) => { d.components.schemas.Professional.required.push('nickname'); }],
    ['no 400 on /v1/status', (d) => { delete d.paths['/v1/status'].get.responses['400']; }],
  ];
  for (const [what, change] of wrong) {
    const d = structuredClone(doc);
    change(d);
    const bad = await operationsOf(d);
    const caught = recorded.filter(([op, el]) => violations(bad[op], el).length).length;
    if (caught) ok(`a wrong spec is caught (${what}): ${caught} answers fail it`);
    else fail(`a wrong spec is caught (${what})`, 'no answer fails it');
  }
}

main().catch((e) => fail('openapi.js', e.stack)).finally(() => {
  console.log(`RESULT ${passed} ${failed}`);
  process.exitCode = failed ? 1 : 0;
});
