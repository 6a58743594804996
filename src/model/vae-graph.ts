// A config's op graph: its layer lists (the MLP shorthand expanded), its objective spec (the ELBO
// when it names none) and its shared words, built with a registry (the built-in kinds by default).
import { imageChannels, modelLayers, type VaeConfig } from './config';
import { buildGraph, type Graph, type GraphSpec } from '../graph/graph';
import type { ObjectiveContext, ObjectiveKind } from '../graph/op';
import { BUILTIN_OPS, type OpRegistry } from '../ops/registry';

/** The words of a config its objective is given (the data's channels from its image shape). */
export function objectiveContext(c: VaeConfig): ObjectiveContext {
  return { inputDim: c.inputDim, latent: c.latent, likelihood: c.likelihood, sigma: c.sigma, channels: imageChannels(c), beta: c.beta };
}

export function graphSpec(c: VaeConfig): GraphSpec {
  const { encoder, decoder } = modelLayers(c);
  return { ...objectiveContext(c), encoder, decoder, objective: c.objective ?? { kind: 'elbo' } };
}

export function buildVaeGraph(c: VaeConfig, registry: OpRegistry = BUILTIN_OPS): Graph {
  return buildGraph(graphSpec(c), registry);
}

/** The config's objective kind and the attributes its op parses from the spec (no graph built). */
export function parseObjective(c: VaeConfig, registry: OpRegistry = BUILTIN_OPS): { kind: ObjectiveKind; attrs: unknown } {
  const spec = c.objective ?? { kind: 'elbo' };
  const kind = registry.objective(spec.kind);
  return { kind, attrs: kind.parse(spec, objectiveContext(c)) };
}
