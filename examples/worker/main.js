// The page: starts the training worker, shows the progress it posts, lets the user stop it, draws
// the samples it sends at the end and keeps its checkpoint in IndexedDB. Nothing here touches WebGPU.
import { loadFromIndexedDB, saveToIndexedDB } from 'webgpu-vae';

const params = new URLSearchParams(location.search);
const settings = { epochs: Number(params.get('epochs') ?? 3), batch: 32, trainCount: Number(params.get('train') ?? 960), dataUrl: new URL('mnist.bin', document.baseURI).href };
const $ = (id) => document.getElementById(id);
const say = (text) => { $('status').textContent = text; };
// What arrived, for whoever watches the page (the example's test reads it).
const log = (window.__messages = []);

const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = async ({ data: msg }) => {
  log.push({ type: msg.type, step: msg.step, at: performance.now() });
  if (msg.type === 'ready') say(`training on ${msg.adapter}…`);
  else if (msg.type === 'progress') {
    $('bar').value = msg.step / msg.totalSteps;
    say(`step ${msg.step}/${msg.totalSteps} · loss ${Number.isFinite(msg.loss) ? msg.loss.toFixed(1) : '…'} nats · ${msg.stepsPerSecond.toFixed(1)} steps/s`);
  } else if (msg.type === 'epoch') say(`epoch ${msg.epoch}: test −ELBO ${msg.testNegElbo.toFixed(1)} nats`);
  else if (msg.type === 'done') await finish(msg);
  else if (msg.type === 'error') fail(msg.message);
};
worker.onerror = (e) => fail(e.message ?? 'the worker failed to start');

$('stop').onclick = () => worker.postMessage({ type: 'stop' });
$('stop').disabled = false;
worker.postMessage({ type: 'train', ...settings });

async function finish(msg) {
  draw(msg.samples);
  await saveToIndexedDB('worker-example', msg.checkpoint);
  const kept = await loadFromIndexedDB('worker-example');
  say(`${msg.stopped ? `stopped (${msg.stopped})` : 'done'} at step ${msg.step} · test −ELBO ${msg.testNegElbo.toFixed(1)} nats · checkpoint of ${kept.length} bytes kept in IndexedDB`);
  window.__result = { step: msg.step, stopped: msg.stopped, testNegElbo: msg.testNegElbo, checkpointBytes: kept.length };
  $('stop').disabled = true;
  document.body.dataset.state = 'done';
}

function fail(message) {
  say(`error: ${message}`);
  window.__result = { error: message };
  document.body.dataset.state = 'error';
}

// Eight samples from the prior, side by side.
function draw(images) {
  const ctx = $('samples').getContext('2d');
  const pixels = ctx.createImageData(224, 28);
  for (let i = 0; i < 8; i++) for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) {
    const v = Math.round(255 * images[i * 784 + y * 28 + x]);
    pixels.data.set([v, v, v, 255], 4 * (y * 224 + i * 28 + x));
  }
  ctx.putImageData(pixels, 0, 0);
}
