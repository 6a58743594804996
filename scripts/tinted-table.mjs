// The README table of scripts/tinted-compare.sh: per seed, test −ELBO in nats and bits per dimension
// (nats / (D · ln 2), D = H·W·C) for ours (metrics.json) and the PyTorch script (its --out JSON), the
// differences, and their mean. node scripts/tinted-table.mjs OUT DATA [flags given to both]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, data, ...flags] = process.argv.slice(2);
const rows = [];
for (const seed of [0, 1, 2]) {
  const ours = JSON.parse(readFileSync(join(out, `ours-${seed}`, 'metrics.json'), 'utf8'));
  const torch = JSON.parse(readFileSync(join(out, `torch-${seed}.json`), 'utf8'));
  const { height, width, channels } = ours.dataShape;
  const dim = height * width * channels, bits = (nats) => nats / (dim * Math.LN2);
  rows.push({ seed, ours: ours.final.testNegElbo, torch: torch.final.testNegElbo, bits, dim, shape: `${height}×${width}×${channels}` });
}
const f = (v, d = 2) => v.toFixed(d);
console.log(`Data ${data} (${rows[0].shape}, D = ${rows[0].dim}); MLP, 10 epochs, batch 128, Adam 1e-3${flags.length ? `, ${flags.join(' ')}` : ''}; test −ELBO (one z per example).\n`);
console.log('| seed | ours nats | PyTorch nats | Δ nats | ours bits/dim | PyTorch bits/dim | Δ bits/dim |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
let dn = 0, db = 0;
for (const r of rows) {
  const d = r.ours - r.torch;
  dn += d / rows.length;
  db += (r.bits(r.ours) - r.bits(r.torch)) / rows.length;
  console.log(`| ${r.seed} | ${f(r.ours)} | ${f(r.torch)} | ${d >= 0 ? '+' : ''}${f(d)} | ${f(r.bits(r.ours), 4)} | ${f(r.bits(r.torch), 4)} | ${d >= 0 ? '+' : ''}${f(r.bits(r.ours) - r.bits(r.torch), 4)} |`);
}
const mo = rows.reduce((a, r) => a + r.ours, 0) / rows.length, mt = rows.reduce((a, r) => a + r.torch, 0) / rows.length;
console.log(`| mean | ${f(mo)} | ${f(mt)} | ${dn >= 0 ? '+' : ''}${f(dn)} | ${f(rows[0].bits(mo), 4)} | ${f(rows[0].bits(mt), 4)} | ${db >= 0 ? '+' : ''}${f(db, 4)} |`);
