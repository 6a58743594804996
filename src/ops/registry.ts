// The op kinds a model's layer list and objective may name. The built-in set has the linear, conv,
// transposed-conv, reshape and flatten layers, the objectives ELBO, IWAE and IWAE with DReG
// (src/ops/iwae.ts), the reparameterization as the default sampler and a conditional model's label join; `with()` gives a registry with
// more kinds (a model made with it can use them), so a new op kind is its own module plus a
// registration, and nothing else changes.
import type { LayerKind, ObjectiveKind, OpRegistry } from '../graph/op';
import { REPARAMETERIZE_OP } from './reparameterize';
import { LINEAR } from './linear';
import { ELBO_OBJECTIVE } from './elbo';
import { CONV2D_LAYER, CONV_TRANSPOSE2D_LAYER } from './conv2d';
import { FLATTEN_LAYER, RESHAPE_LAYER } from './reshape';
import { IWAE_DREG_OBJECTIVE_OP, IWAE_OBJECTIVE_OP } from './iwae';
import { CONCAT_LABEL_OP } from './concat-label';

export type { OpRegistry } from '../graph/op';

const DEFAULT_SAMPLER: OpRegistry['sampler'] = { kind: REPARAMETERIZE_OP as OpRegistry['sampler']['kind'], attrs: (m) => ({ latent: m.latent }) };

function isObjectiveKind(k: LayerKind<unknown> | ObjectiveKind<unknown>): k is ObjectiveKind<unknown> {
  return 'parts' in k;
}

function makeRegistry(layers: ReadonlyMap<string, LayerKind<unknown>>, objectives: ReadonlyMap<string, ObjectiveKind<unknown>>): OpRegistry {
  return {
    layerNames: [...layers.keys()],
    sampler: DEFAULT_SAMPLER,
    labelJoin: CONCAT_LABEL_OP,
    objectiveNames: [...objectives.keys()],
    layer(kind, where) {
      const k = layers.get(kind);
      if (!k) throw new Error(`${where}: unknown layer kind ${JSON.stringify(kind)}; expected one of ${[...layers.keys()].join(', ')}`);
      return k;
    },
    objective(name) {
      const k = objectives.get(name);
      if (!k) throw new Error(`config: unknown objective ${JSON.stringify(name)}; expected one of ${[...objectives.keys()].join(', ')}`);
      return k;
    },
    with(...kinds) {
      const l = new Map(layers), o = new Map(objectives);
      for (const k of kinds) {
        if (isObjectiveKind(k)) o.set(k.name, k);
        else l.set(k.name, k);
      }
      return makeRegistry(l, o);
    },
  };
}

const asLayer = <A>(k: LayerKind<A>) => k as LayerKind<unknown>;
const asObjective = <A>(k: ObjectiveKind<A>) => k as ObjectiveKind<unknown>;

export const BUILTIN_OPS: OpRegistry = makeRegistry(
  new Map([asLayer(LINEAR), asLayer(CONV2D_LAYER), asLayer(CONV_TRANSPOSE2D_LAYER), asLayer(RESHAPE_LAYER), asLayer(FLATTEN_LAYER)].map((k) => [k.name, k] as const)),
  new Map([ELBO_OBJECTIVE, IWAE_OBJECTIVE_OP, IWAE_DREG_OBJECTIVE_OP].map((k) => [k.name, asObjective(k)])),
);
