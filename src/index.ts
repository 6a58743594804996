/// <reference types="@webgpu/types" preserve="true" />
// webgpu-vae: the public API. A runtime on a GPUDevice (yours, or one it acquires in the browser or
// in Node), the kernels as a backend on your GPUBuffers, the VAE (train, fit, encode, decode, sample,
// evaluate, save/load as safetensors, to and from PyTorch's layout), the CPU reference, the data
// helpers, checkpoint bytes to and from IndexedDB and URLs. The embedded MNIST is `webgpu-vae/mnist`.
// See docs/API.md.

// Devices and the runtime
export { acquireDevice, describeAdapter } from './gpu/device';
export type { AcquireOptions, AdapterSummary, GpuContext, SoftwareDriver } from './gpu/device';
export { Runtime, encodeDispatches } from './gpu/runtime';
export type { Dispatch, ExecutionProfile } from './gpu/runtime';
export type { BufferArg, BufferSlice, KernelDecl } from './gpu/kernel';
export { readFloats, storageBuffer, storageFrom } from './gpu/buffers';
export { createRuntime, runDispatches } from './runtime-api';
export type { VaeRuntime, CreateRuntimeOptions } from './runtime-api';
export { Tuner } from './tune/tuner';
export type { TunerOptions } from './tune/tuner';
export { adapterKey, browserImplementation, storageTuneStore } from './tune/cache';
export { indexedDbTuneStore, pageTuneStore } from './tune/idb-store';
export type { TuneStore } from './tune/cache';
export { describeTune, tuneTable } from './tune/report';
export type { ScheduleChooser, ScheduleRequest, TuneReport, TuneResult, CandidateTime } from './gpu/schedule';
export { MATMUL_CANDIDATES, matmulCandidates, TILED_SCHEDULES } from './kernels/matmul';

// Kernels as a backend: prepare once on your buffers, encode into your passes (or runDispatches)
export { prepareMatmul, matmulFlops, vec4Compatible, MATMUL, MATMUL_VEC4, MATMUL_VEC4_WIDE } from './kernels/matmul';
export type { MatmulShape, MatmulBuffers, PreparedOp } from './kernels/matmul';
export { prepareBiasGrad, BIAS_GRAD } from './kernels/bias-grad';
export { prepareReparameterize, REPARAMETERIZE } from './kernels/reparameterize';
export type { NoiseKey, PreparedReparam, ReparamBuffers } from './kernels/reparameterize';
export { prepareElbo, ELBO } from './kernels/elbo';
export type { ElboBuffers, ElboShape, Likelihood } from './kernels/elbo';
export { prepareScaleGrad, LIKELIHOOD_SCALE_GRAD } from './kernels/likelihood-scale-grad';
export type { ScaleGradBuffers, ScaleGradShape, PreparedScaleGrad } from './kernels/likelihood-scale-grad';
export { prepareAdam, resolveAdam, ADAM } from './kernels/adam';
export type { AdamBuffers, AdamConfig, AdamHyper, PreparedAdam } from './kernels/adam';
export { prepareIwae, IWAE } from './kernels/iwae';
export { prepareConcatLabel, CONCAT_LABEL } from './kernels/concat-label';
export type { ConcatLabelBuffers, ConcatLabelShape, PreparedConcatLabel } from './kernels/concat-label';
export { ACTIVATIONS } from './kernels/activation';
export type { Activation } from './kernels/activation';

// The VAE
export { GpuVae } from './vae/gpu-vae';
export type { GpuVaeOptions, LoadOptions } from './vae/gpu-vae';
export type { CallOptions, EvalOptions } from './eval/inputs';
export type { SampleOptions } from './eval/inference';
export { MAX_SAMPLES_PER_CALL } from './eval/inference';
export { GpuModel } from './model/gpu-model';
export type { ModelRunner } from './eval/runner';
export type { ObjectiveSpec } from './base/words';
export type { LossTotals } from './optim/readback';
export { CpuVae } from './model/cpu-vae';
export { DEFAULT_CONFIG, describeConfig, resolveConfig, MAX_CLASSES } from './model/config';
export type { Conditional } from './model/config';
export { ARCHITECTURES, convLayers, kerasLayers, presetConfig } from './model/presets';
export type { Architecture, PresetOptions } from './model/presets';
export { customLayer, LIKELIHOODS, learnsScale } from './base/words';
export type { Sigma } from './base/words';
export { bitsPerDim } from './eval/bits';
export type {
  LayerSpec, BuiltinLayerSpec, LinearSpec, Conv2dSpec, ConvTranspose2dSpec, ReshapeSpec, FlattenSpec, CustomLayerSpec, LayerFields, SizePair,
} from './base/words';
export { BUILTIN_OPS } from './ops/registry';
export type { OpRegistry } from './ops/registry';

// Extending the model: op kinds of your own (a layer or an objective: its WGSL, CPU twin and
// backward), registered with BUILTIN_OPS.with(kind) and passed as { registry } to the model and to load
export { defineLayer, defineObjective, defineOp, checkSpecFields, OBJECTIVE_BUFFERS } from './graph/op';
export type {
  OpKind, LayerKind, ObjectiveKind, OpNode, GpuOpContext, CpuOpContext, PreparedGpuOp, OpBuffers, GradWrite, OwnedBuffer,
  TensorShape, ParamSpec, ParamRequest, Stage, ObjectiveContext, ObjectiveValue, ObjectiveInfo,
} from './graph/op';
export { packFields } from './gpu/runtime';
export type { UniformBlock } from './gpu/runtime';
export { composeShader } from './gpu/compose';
export type { ShaderLibrary } from './gpu/compose';
export { SHADER_LIBRARY } from './kernels/shader-lib';
export type { BindingDecl, BindingType, StorageBindingDecl, UniformBindingDecl, UniformField } from './gpu/kernel';
export { CpuBackend } from './train/cpu-backend';
export type { VaeConfig, VaeConfigInput } from './model/config';
export { decodeCheckpoint, encodeCheckpoint, CHECKPOINT_FORMAT } from './model/checkpoint';
export type { TrainingState } from './model/checkpoint';
export { decodeSafetensors, encodeSafetensors, CheckpointError } from './model/safetensors';
export {
  decodeModelFile, decodePytorchModel, encodePytorchModel, fromPytorchStateDict, pytorchLayout, pytorchTensorSpecs, toPytorchStateDict, PYTORCH_FORMAT,
} from './model/pytorch-layout';
export type { PytorchLayout, PytorchModel, PytorchTensorSpec } from './model/pytorch-layout';
export { train, epochOrder, stepsPerEpoch, TrainingStopped } from './train/trainer';
export type { StopReason } from './train/trainer';
export { lrAt, betaAt, checkSchedule, LR_SCHEDULES } from './optim/schedule';
export type { LrSchedule, ScheduleConfig } from './optim/schedule';
export { validationSplit, earlyStopState } from './train/early-stop';
export { activeUnits, ACTIVE_UNIT_THRESHOLD } from './cpu/active-units';
export { binarizeFixed } from './data/fixed-binarize';
export { IWAE_OBJECTIVE_OP, IWAE_DREG_OBJECTIVE_OP, IWAE_SAMPLER } from './ops/iwae';
export type { EpochMetrics, Progress, TrainOptions, TrainBackend } from './train/trainer';
export type { LossSample } from './optim/readback';

// Data
export type { Dataset } from './data/dataset';
export { binarize, subset, validateDataset } from './data/dataset';
export { datasetFromIdx, parseIdx } from './data/idx';

// Bytes in and out (checkpoints, data files)
export { loadFromUrl } from './io/fetch-bytes';
export type { LoadFromUrlOptions } from './io/fetch-bytes';
export { deleteFromIndexedDB, listInIndexedDB, loadFromIndexedDB, saveToIndexedDB } from './io/idb';
export type { IndexedDbOptions } from './io/idb';
// Any user's images (issue 23): the uint8 / float32 ImageSet, its float Dataset view, the pure readers.
export type { ImageSet, ImageShape, PixelType } from './data/image-set';
export { makeImageSet, fillBatch, takeImages, splitImages, splitIndices, toFloat32, validateImageSet, describeShape, DATA_SPLIT_SEED } from './data/image-set';
export { datasetView, fillRows, imageSetOf } from './data/dataset';
export { decodeNpyImages, decodeNpyLabels, encodeNpy, parseNpyHeader } from './data/npy';
export { decodeCifar, detectCifar, encodeCifar10 } from './data/cifar';
export { detectFormat } from './data/detect';
export type { DataFormat } from './data/detect';
export { readZipDirectory, readZipEntry, readZipEntryHead } from './data/zip';
export type { ZipEntry } from './data/zip';
export { memorySource } from './data/byte-source';
export type { ByteSource } from './data/byte-source';
export { MemoryBudget, MemoryCapError, defaultMaxMemory, parseByteSize } from './data/memory-cap';
export { layoutImages } from './data/image-folder';
export { jpegHeader, pngHeader } from './data/image-header';
export { tintDigits } from './data/tinted-digits';
