// The markdown tables of the issue-14 comparison from the runs scripts/iwae-table.sh left in DIR:
// means over the seeds that finished and every seed, ours and PyTorch's, and Burda et al.'s ordering
// (IWAE-trained: lower −L_50, higher −ELBO than ELBO-trained) checked per seed.
//   node scripts/iwae-table-md.mjs /work/exp14 > table.md
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir || !existsSync(dir)) {
  console.error(`usage: node scripts/iwae-table-md.mjs DIR (the folder iwae-table.sh ran into); got ${dir ?? 'nothing'}`);
  process.exit(2);
}
const SEEDS = [0, 1, 2], BINS = ['raw', 'bin'], OBJS = ['elbo', 'iwae'];
const BIN_NAME = { raw: 'none (grey levels)', bin: 'dynamic; test fixed (seed 0)' };
const OBJ_NAME = { elbo: 'ELBO', iwae: 'IWAE k = 5' };

/** One run's final figures, or undefined if it did not finish. */
function run(impl, obj, bin, seed) {
  const name = `${impl}-${obj}-${bin}-s${seed}`;
  const file = impl === 'ours' ? join(dir, name, 'metrics.json') : join(dir, `${name}.json`);
  if (!existsSync(file)) return undefined;
  const m = JSON.parse(readFileSync(file, 'utf8'));
  if (!m.final || m.final.testNegLk === undefined) return undefined;
  const wantTest = bin === 'bin' ? 'fixed (seed 0)' : 'none';
  if (m.final.testBinarization !== wantTest) throw new Error(`${file}: test binarization ${m.final.testBinarization}, expected ${wantTest}`);
  if (m.final.k !== 50) throw new Error(`${file}: k = ${m.final.k}, expected 50`);
  const seconds = m.epochs.reduce((t, e) => t + e.seconds, 0);
  return { lk: m.final.testNegLk, elbo: m.final.testNegElbo, au: m.final.activeUnits, seconds };
}

const f2 = (x) => (x === undefined ? '–' : x.toFixed(2));
const sgn = (x) => (x === undefined ? '–' : `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`);
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : undefined);
const runs = {};
for (const impl of ['ours', 'torch']) for (const obj of OBJS) for (const bin of BINS) for (const s of SEEDS) runs[`${impl}-${obj}-${bin}-${s}`] = run(impl, obj, bin, s);
const get = (impl, obj, bin, s) => runs[`${impl}-${obj}-${bin}-${s}`];

const out = [];
out.push('Means over the seeds that finished (seeds listed); Δ = ours − PyTorch over the seeds both finished.', '');
out.push('| binarization | trained on | seeds ours / PyTorch | −L_50 ours | −L_50 PyTorch | Δ | −ELBO ours | −ELBO PyTorch | Δ | active units ours / PyTorch |');
out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---|');
for (const bin of BINS) for (const obj of OBJS) {
  const seeds = (impl) => SEEDS.filter((s) => get(impl, obj, bin, s));
  const both = seeds('ours').filter((s) => get('torch', obj, bin, s));
  const m = (impl, key, ss = seeds(impl)) => mean(ss.map((s) => get(impl, obj, bin, s)[key]));
  const d = (key) => (both.length ? m('ours', key, both) - m('torch', key, both) : undefined);
  const au = (impl) => seeds(impl).map((s) => get(impl, obj, bin, s).au).join(', ') || '–';
  out.push(`| ${BIN_NAME[bin]} | ${OBJ_NAME[obj]} | ${seeds('ours').join(',') || '–'} / ${seeds('torch').join(',') || '–'} | ${f2(m('ours', 'lk'))} | ${f2(m('torch', 'lk'))} | ${sgn(d('lk'))} | ${f2(m('ours', 'elbo'))} | ${f2(m('torch', 'elbo'))} | ${sgn(d('elbo'))} | ${au('ours')} / ${au('torch')} |`);
}
out.push('', 'Every run (test set, nats per digit; active units of 20; training time in minutes, the 10 epochs without evaluation, on the loaded machine):', '');
out.push('| binarization | trained on | seed | −L_50 ours | −ELBO ours | AU ours | min ours | −L_50 PyTorch | −ELBO PyTorch | AU PyTorch | min PyTorch |');
out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const bin of BINS) for (const obj of OBJS) for (const s of SEEDS) {
  const o = get('ours', obj, bin, s), t = get('torch', obj, bin, s);
  if (!o && !t) continue;
  const min = (r) => (r ? (r.seconds / 60).toFixed(1) : '–');
  out.push(`| ${BIN_NAME[bin]} | ${OBJ_NAME[obj]} | ${s} | ${f2(o?.lk)} | ${f2(o?.elbo)} | ${o?.au ?? '–'} | ${min(o)} | ${f2(t?.lk)} | ${f2(t?.elbo)} | ${t?.au ?? '–'} | ${min(t)} |`);
}
out.push('', "Burda et al.'s ordering per seed: IWAE-trained minus ELBO-trained (want Δ−L_50 < 0 and Δ−ELBO > 0):", '');
out.push('| binarization | seed | ours Δ−L_50 | ours Δ−ELBO | ours holds | PyTorch Δ−L_50 | PyTorch Δ−ELBO | PyTorch holds |');
out.push('|---|---:|---:|---:|---|---:|---:|---|');
for (const bin of BINS) for (const s of SEEDS) {
  const cell = (impl) => {
    const e = get(impl, 'elbo', bin, s), i = get(impl, 'iwae', bin, s);
    if (!e || !i) return ['–', '–', 'not finished'];
    const dl = i.lk - e.lk, de = i.elbo - e.elbo;
    const fails = [dl >= 0 && '−L_50', de <= 0 && '−ELBO'].filter(Boolean);
    return [sgn(dl), sgn(de), fails.length ? `**no** (${fails.join(', ')})` : 'yes'];
  };
  const o = cell('ours'), t = cell('torch');
  if (o[2] === 'not finished' && t[2] === 'not finished') continue;
  out.push(`| ${BIN_NAME[bin]} | ${s} | ${o.join(' | ')} | ${t.join(' | ')} |`);
}
console.log(out.join('\n'));
