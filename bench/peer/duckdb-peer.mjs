// bench/peer/duckdb-peer.mjs — the DuckDB peer of `make bench` (issue 17).
//
// The same core job as hedui's, done the way an analyst would with DuckDB:
// read every extract of a job (its descriptor's delimiter, quote, header,
// skip, encoding; zstd read by DuckDB itself, GBK / GB18030 decoded by
// `zstd -dc | iconv` first, because DuckDB's own reader knows only UTF-8,
// UTF-16 and Latin-1 without its downloadable `encodings` extension),
// normalise and validate the ID of every row (trim set, ="...", full-width
// digits and X, 15-digit IDs widened, check character, birth date, province:
// SPEC §6 "IDs"), join the rows to the members of the applicant, roster and
// monitor lists, and aggregate per household: matched rows and the money
// each kind carries (balance, income, benefit, deposit, capital) in fen.
//
// Usage: node duckdb-peer.mjs JOB.INI OUT.json [THREADS]
// OUT.json: per source {rows, matched, amount_fen}; households with a match;
// a digest of the sorted per-household (rows, fen) pairs. bench/bench.py
// computes the same figures from hedui's summary.json and
// audit/matches.jsonl and checks that they agree.
import { DuckDBInstance } from '@duckdb/node-api';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [jobPath, outPath, threadsArg] = process.argv.slice(2);
if (!jobPath || !outPath) {
  console.error('usage: node duckdb-peer.mjs JOB.INI OUT.json [THREADS]');
  process.exit(2);
}
const root = path.dirname(path.resolve(jobPath));

function parseIni(text) {
  const out = {};
  let sec = null;
  for (let line of text.split('\n')) {
    line = line.replace(/\r$/, '');
    if (/^\s*[;#]/.test(line) || !line.trim()) continue;
    const m = line.match(/^\s*\[(.+)\]\s*$/);
    if (m) { sec = m[1]; out[sec] = out[sec] || {}; continue; }
    const i = line.indexOf('=');
    if (i < 0 || !sec) continue;
    out[sec][line.slice(0, i).trim()] = line.slice(i + 1).trim();
  }
  return out;
}

const job = parseIni(fs.readFileSync(jobPath, 'utf8'));
const asOf = job.job.as_of;

function globFiles(pattern) {
  const dir = path.join(root, path.dirname(pattern));
  const re = new RegExp('^' + path.basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*').replace(/\?/g, '.') + '$');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => re.test(f)).sort().map((f) => path.join(dir, f));
}

const DELIM = { comma: ',', pipe: '|', tab: '\t', semicolon: ';' };
const AMOUNT = { deposit: 'balance', income: 'income', pension: 'benefit', fund: 'deposit', business: 'capital' };
const sq = (s) => "'" + String(s).replace(/'/g, "''") + "'";
const qi = (s) => '"' + String(s).replace(/"/g, '""') + '"';

function format(fmtRel) {
  const f = parseIni(fs.readFileSync(path.join(root, fmtRel), 'utf8'));
  return { fmt: f.format, cols: f.columns || {}, units: f.units || {} };
}

// GBK / GB18030 files decoded to UTF-8 temporary files, NCPU at a time
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hedui-peer-'));
async function decodeAll(files, enc) {
  const out = files.map((f, i) => path.join(tmp, `${enc}-${i}-${path.basename(f)}.csv`));
  let next = 0;
  const nproc = Math.max(1, os.cpus().length);
  async function worker() {
    while (next < files.length) {
      const i = next++;
      const cat = files[i].endsWith('.zst') ? `zstd -dcq -- '${files[i]}'` : `cat -- '${files[i]}'`;
      await new Promise((res, rej) => {
        const p = spawn('sh', ['-c', `${cat} | iconv -c -f ${enc === 'gbk' ? 'GBK' : 'GB18030'} -t UTF-8 > '${out[i]}'`],
          { stdio: 'inherit' });
        p.on('exit', (c) => (c === 0 ? res() : rej(new Error(`decoding ${files[i]} failed`))));
      });
    }
  }
  await Promise.all(Array.from({ length: nproc }, worker));
  return out;
}

// read_csv over a set of files with the descriptor's dialect; rows that do not
// have the descriptor's field count are left out (hedui quarantines them)
async function relation(files, d) {
  const enc = (d.fmt.encoding || 'utf-8').toLowerCase();
  let list = files;
  let comp = "compression='zstd'";
  if (enc !== 'utf-8') { list = await decodeAll(files, enc); comp = "compression='none'"; }
  else if (!files.every((f) => f.endsWith('.zst'))) comp = "compression='auto'";
  const header = (d.fmt.header || 'yes') === 'yes';
  const quote = d.fmt.quote === 'none' ? "''" : sq(d.fmt.quote || '"');
  const opts = [`[${list.map(sq).join(',')}]`, comp, `delim=${sq(DELIM[d.fmt.delimiter] || d.fmt.delimiter)}`,
    `quote=${quote}`, `escape=${quote}`, `header=${header}`, `skip=${Number(d.fmt.skip || 0)}`,
    'all_varchar=true', 'strict_mode=false', 'ignore_errors=true', 'null_padding=false', 'parallel=true'];
  if (!header) {
    const n = Number(d.fmt.fields);
    const cols = Array.from({ length: n }, (_, i) => `${sq('column' + i)}: 'VARCHAR'`).join(', ');
    opts.push('auto_detect=false', `columns={${cols}}`);
  }
  return `read_csv(${opts.join(', ')})`;
}

function col(d, field) {
  const c = d.cols[field];
  if (!c) return 'NULL';
  return c.startsWith('#') ? qi('column' + (Number(c.slice(1)) - 1)) : qi(c);
}

function amountCell(d, field) {
  return field && d.cols[field] ? `nullif(trimset(${col(d, field)}), '')` : 'NULL';
}

function amountExpr(d, field) {
  if (!field || !d.cols[field]) return 'NULL::BIGINT';
  const unit = d.units[field] || 'yuan';
  const c = col(d, field);
  return unit === 'fen' ? `fen_fen(${c})` : unit === 'wan' ? `wan_fen(${c})` : `yuan_fen(${c})`;
}

// the ID in stages, each a column of the stage before (a macro used twice
// inside another is expanded twice: the check character would be worked
// out a dozen times per row)
function staged(inner) {
  return `select *, case when idok(i) then i else NULL end as id from (select *, id18(m) as i from (${inner}))`;
}

const inst = await DuckDBInstance.create(':memory:', threadsArg ? { threads: String(threadsArg) } : {});
const con = await inst.connect();
const run = (q) => con.run(q);
const rows = async (q) => (await con.runAndReadAll(q)).getRowObjectsJson();

await run(`
create macro trimset(s) as trim(s, ' ' || chr(9) || chr(13) || chr(160) || chr(8203) || chr(65279) || chr(12288));
create macro unwrap(s) as (case when trimset(s) like '="%"' then trimset(substr(trimset(s), 3, length(trimset(s)) - 3)) else trimset(s) end);
create macro idmap(s) as translate(unwrap(s), '０１２３４５６７８９Ｘｘx', '0123456789XXX');
create macro idcheck(b) as substr('10X98765432', 1 + (list_sum(list_transform(range(17),
  i -> (ascii(substr(b, i + 1, 1)) - 48) * [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2][i + 1])) % 11)::INT, 1);
create macro id18(m) as (case
  when regexp_full_match(m, '[0-9]{15}') then
    substr(m, 1, 6) || (case when substr(m, 13, 3) >= '996' then '18' else '19' end) || substr(m, 7, 9)
    || idcheck(substr(m, 1, 6) || (case when substr(m, 13, 3) >= '996' then '18' else '19' end) || substr(m, 7, 9))
  when regexp_full_match(m, '[0-9]{17}[0-9X]') and idcheck(substr(m, 1, 17)) = substr(m, 18, 1) then m
  else NULL end);
create macro idok(i) as (i is not null
  and try_strptime(substr(i, 7, 8), '%Y%m%d') is not null
  and substr(i, 7, 4)::INT >= 1800
  and try_strptime(substr(i, 7, 8), '%Y%m%d') <= DATE ${sq(asOf)}
  and substr(i, 1, 2)::INT in (11,12,13,14,15,21,22,23,31,32,33,34,35,36,37,41,42,43,44,45,46,50,51,52,53,54,61,62,63,64,65,71,81,82,83));
create macro norm_id(s) as (case when idok(id18(idmap(s))) then id18(idmap(s)) else NULL end);
create macro sgn(s) as (case when trimset(s) like '-%' then -1 else 1 end);
create macro yuan_fen(s) as (case when regexp_full_match(trimset(s), '[+-]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\\.[0-9]{1,2})?')
  then sgn(s) * (replace(regexp_extract(trimset(s), '[0-9,]+'), ',', '')::BIGINT * 100
                 + coalesce(rpad(nullif(regexp_extract(trimset(s), '\\.([0-9]+)', 1), ''), 2, '0')::BIGINT, 0))
  else NULL end);
create macro fen_fen(s) as (case when regexp_full_match(trimset(s), '[+-]?[0-9]+') then trimset(s)::BIGINT else NULL end);
create macro wan_fen(s) as (case when regexp_full_match(trimset(s), '[0-9]+(\\.[0-9]{1,6})?')
  then regexp_extract(trimset(s), '[0-9]+')::BIGINT * 1000000
       + coalesce(rpad(nullif(regexp_extract(trimset(s), '\\.([0-9]+)', 1), ''), 6, '0')::BIGINT, 0)
  else NULL end);
`);

// members: every applicant, roster and monitor row with a valid ID, keyed by
// county and application (an application in two lists is one household:
// the first list's, docs/decisions.md "Populations are loaded in order")
const lists = [['applicant', 'applicants', 'applicants_format'], ['recipient', 'roster', 'roster_format'],
  ['monitored', 'monitor', 'monitor_format']];
const parts = [];
for (const [, key, fkey] of lists) {
  if (!job.job[key]) continue;
  const files = globFiles(job.job[key]);
  if (!files.length) continue;
  const d = format(job.job[fkey]);
  parts.push(`select distinct id, household from (${staged(`select idmap(${col(d, 'id_number')}) as m,
    trimset(${col(d, 'county_code')}) || '/' || trimset(${col(d, 'application_id')}) as household
    from ${await relation(files, d)}`)}) where id is not null`);
}
await run(`create table members as ${parts.join(' union ')}`);

const result = { engine: 'duckdb', version: (await rows('select version() as v'))[0].v, sources: {} };
const perSource = [];
for (const [sec, s] of Object.entries(job)) {
  const m = sec.match(/^source "(.+)"$/);
  if (!m) continue;
  const name = m[1];
  const d = format(s.format);
  const files = globFiles(s.files);
  const rel = await relation(files, d);
  await run(`create table src_${perSource.length} as select id, fen, amount_text, source from (${staged(
    `select idmap(${col(d, 'id_number')}) as m, ${amountExpr(d, AMOUNT[d.fmt.kind])} as fen,
           ${amountCell(d, AMOUNT[d.fmt.kind])} as amount_text, ${sq(name)} as source from ${rel}`)})`);
  perSource.push(name);
}
// a row whose amount is there but not an amount is left out, as hedui quarantines it
await run(`create table allrows as select id, fen, source, (amount_text is null or fen is not null) as ok from (${
  perSource.map((_, i) => `select * from src_${i}`).join(' union all ')})`);
await run(`create table matched as select r.source, r.fen, m.household
  from allrows r join members m on r.id = m.id where r.ok`);
for (const r of await rows(`select source, count(*) as rows, count(id) as valid from allrows group by source`))
  result.sources[r.source] = { rows: Number(r.rows), rows_id_valid: Number(r.valid), matched: 0, amount_fen: 0 };
for (const r of await rows(`select r.source, count(*) as matched, coalesce(sum(r.fen), 0) as fen from allrows r
    where r.ok and r.id in (select id from members) group by r.source`)) {
  result.sources[r.source].matched = Number(r.matched);
  result.sources[r.source].amount_fen = Number(r.fen);
}
const hh = await rows(`select household, count(*) as n, coalesce(sum(fen), 0) as fen from matched group by household`);
const pairs = hh.map((r) => `${r.n}:${r.fen}`).sort();
result.households_matched = hh.length;
if (process.env.PEER_PAIRS) fs.writeFileSync(process.env.PEER_PAIRS, hh.map((r) => `${r.household} ${r.n}:${r.fen}`).sort().join("\n") + "\n");
result.household_pairs_sha256 = createHash('sha256').update(pairs.join('\n')).digest('hex');
fs.writeFileSync(outPath, JSON.stringify(result, null, 1) + '\n');
fs.rmSync(tmp, { recursive: true, force: true });
