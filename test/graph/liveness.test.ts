// The memory plan from liveness (src/graph/liveness.ts), without a GPU: values that share a slot
// never live at the same time, values one op binds together never share, every buffer the ops ask
// for is planned, and the default model's plan is smaller than the chain plan it replaced.
import { describe, expect, it } from 'vitest';
import { buildVaeGraph } from '../../src/model/vae-graph';
import { needsGrad } from '../../src/graph/graph';
import { liveValues, packSlots } from '../../src/graph/liveness';
import { layoutBytes, planLayout } from '../../src/graph/memory-plan';
import { resolveConfig, type VaeConfigInput } from '../../src/model/config';

const configs: VaeConfigInput[] = [
  {},
  { encoderHidden: [40, 24], decoderHidden: [32], latent: 3, activation: 'tanh' },
  { encoderHidden: [], decoderHidden: [16, 16, 16], latent: 2 },
  { encoder: [{ kind: 'linear', width: 64, activation: 'relu' }, { kind: 'linear', width: 10 }], decoder: [{ kind: 'linear', width: 784, activation: 'sigmoid' }], latent: 5 },
];

describe('memory plan from liveness', () => {
  for (const input of configs) {
    it(`shares only between disjoint lifetimes: ${JSON.stringify(input)}`, () => {
      const g = buildVaeGraph(resolveConfig(input));
      const live = liveValues(g, 32, 3);
      const plan = packSlots(live);
      const bySlot = new Map<number, typeof live.values>();
      for (const v of live.values) {
        const s = plan.slotOf.get(v.key)!;
        expect(plan.slots[s], `${v.key} fits its slot`).toBeGreaterThanOrEqual(v.floats);
        if (!bySlot.has(s)) bySlot.set(s, []);
        bySlot.get(s)!.push(v);
      }
      for (const vs of bySlot.values()) {
        for (let i = 0; i < vs.length; i++) {
          for (let j = i + 1; j < vs.length; j++) {
            const [a, b] = [vs[i], vs[j]];
            expect(a.end < b.start || b.end < a.start, `${a.key} [${a.start}, ${a.end}] and ${b.key} [${b.start}, ${b.end}] share a slot`).toBe(true);
          }
        }
      }
      for (const group of live.conflicts) {
        const slots = group.map((k) => plan.slotOf.get(k));
        expect(new Set(slots).size, `one op's bind group ${group.join(', ')}`).toBe(group.length);
      }
      // Every activation, and every gradient a backward rule reads, has a buffer.
      for (const t of g.tensors) {
        expect(plan.slotOf.has(`act ${t.name}`), t.name).toBe(true);
        if (needsGrad(g, t.name)) expect(plan.slotOf.has(`grad ${t.name}`), `grad ${t.name}`).toBe(true);
      }
      // Tensors after the noise have rows = batch × samples.
      const z = live.values.find((v) => v.key === 'act z')!;
      expect(z.floats).toBe(32 * 3 * resolveConfig(input).latent);
    });
  }

  it('plans the default model (maxBatch 128) in fewer bytes than the chain plan', () => {
    const bytes = layoutBytes(planLayout(buildVaeGraph(resolveConfig({})), 128));
    // The ping-pong plan before: six activations (2428 floats per row) + two 784-wide gradient
    // buffers + grad stats (40) + dPre (400), × 128 rows; four 652,992-float arenas; ELBO outputs
    // 1,072 bytes and the L_k run buffer 1,024: 12,721,200 bytes.
    console.info(`default model plan: ${bytes} bytes (the chain plan: 12721200)`);
    expect(bytes).toBeLessThan(12721200);
  });
});
