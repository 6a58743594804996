// The README table of scripts/tinted-compare.sh: per seed, test −ELBO in nats and bits per dimension
// for ours (metrics.json) and the PyTorch script (its --out JSON), the differences, and their means.
// Bits/dim as each reports it (final.testBitsPerDim: the logistic nats / (D ln 2), the Gaussian
// (nats / D + ln 256) / ln 2), else nats / (D ln 2) (Bernoulli); then the seeds' standard deviations. node scripts/tinted-table.mjs OUT DATA [flags given to both]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const [out, data, ...flags] = process.argv.slice(2);
const rows = [];
for (const seed of [0, 1, 2]) {
  const ours = JSON.parse(readFileSync(join(out, `ours-${seed}`, 'metrics.json'), 'utf8'));
  const torch = JSON.parse(readFileSync(join(out, `torch-${seed}.json`), 'utf8'));
  const { height, width, channels } = ours.dataShape;
  const dim = height * width * channels, bits = (f) => f.testBitsPerDim ?? f.testNegElbo / (dim * Math.LN2);
  rows.push({ seed, ours: ours.final.testNegElbo, torch: torch.final.testNegElbo, oursBits: bits(ours.final), torchBits: bits(torch.final), dim, shape: `${height}×${width}×${channels}` });
}
const f = (v, d = 2) => v.toFixed(d), signed = (v, d = 2) => `${v >= 0 ? '+' : ''}${f(v, d)}`;
const mean = (k) => rows.reduce((a, r) => a + r[k], 0) / rows.length;
// The seeds' sample standard deviation: how far single runs spread, beside the means' difference.
const sd = (k) => Math.sqrt(rows.reduce((a, r) => a + (r[k] - mean(k)) ** 2, 0) / (rows.length - 1));
for (const r of rows) { r.delta = r.ours - r.torch; r.deltaBits = r.oursBits - r.torchBits; }
console.log(`Data ${data} (${rows[0].shape}, D = ${rows[0].dim}); MLP, 10 epochs, batch 128, Adam 1e-3${flags.length ? `, ${flags.join(' ')}` : ''}; test −ELBO (one z per example).\n`);
console.log('| seed | ours nats | PyTorch nats | Δ nats | ours bits/dim | PyTorch bits/dim | Δ bits/dim |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.seed} | ${f(r.ours)} | ${f(r.torch)} | ${signed(r.ours - r.torch)} | ${f(r.oursBits, 4)} | ${f(r.torchBits, 4)} | ${signed(r.oursBits - r.torchBits, 4)} |`);
console.log(`| mean | ${f(mean('ours'))} | ${f(mean('torch'))} | ${signed(mean('ours') - mean('torch'))} | ${f(mean('oursBits'), 4)} | ${f(mean('torchBits'), 4)} | ${signed(mean('oursBits') - mean('torchBits'), 4)} |`);
console.log(`| sd | ${f(sd('ours'))} | ${f(sd('torch'))} | ${f(sd('delta'))} | ${f(sd('oursBits'), 4)} | ${f(sd('torchBits'), 4)} | ${f(sd('deltaBits'), 4)} |`);
