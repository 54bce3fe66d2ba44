// Model configs: reading models/*.yaml, resolving the width multiplier and params overrides, and
// the pure shape plan of the architecture (layer by layer: output shape, parameter count, FLOPs).
// The plan is checked against the data's image shape before anything trains, so a block that does
// not fit is reported by number and kind; builder.ts turns the same plan into tfjs layers.
import { InvalidFileError, readInputFile, type FileProblem } from '../core/errors.js';
import { parseYamlLocated, schemaProblems, type Locate } from '../schema/validate.js';
import { modelConfigSchema, trainParamsSchema } from '../schema/model.js';

export type Activation = 'relu' | 'elu' | 'selu' | 'gelu' | 'tanh' | 'sigmoid' | 'swish' | 'linear';
export type Norm = 'batch' | 'layer' | 'none';

export interface ConvBlockConfig {
  type: 'conv' | 'separable' | 'residual';
  filters: number;
  kernel?: number;
  stride?: number;
  padding?: 'same' | 'valid';
  activation?: Activation;
  norm?: Norm;
  repeat?: number;
  pool?: { type: 'max' | 'avg'; size?: number };
  dropout?: number;
}
export interface DenseBlockConfig {
  type: 'dense';
  units: number;
  activation?: Activation;
  norm?: Norm;
  repeat?: number;
  dropout?: number;
}
export interface ReshapeBlockConfig {
  type: 'flatten' | 'global-avg-pool' | 'global-max-pool';
}
export type BlockConfig = ConvBlockConfig | DenseBlockConfig | ReshapeBlockConfig;

export interface TrainingSettings {
  epochs: number;
  batch_size: number;
  seed: number;
  optimizer: 'adam' | 'sgd' | 'rmsprop';
  learning_rate: number;
  momentum?: number;
  lr_schedule: 'constant' | 'cosine';
  label_smoothing: number;
  width: number;
  augment_seed: number;
  /** Data-parallel replicas (this thread and workers - 1 worker threads); part of a run's identity. */
  workers: number;
}

export interface ModelConfig {
  schema: 'rx.model/1';
  name?: string;
  description?: string;
  width?: number;
  blocks: BlockConfig[];
  training?: Partial<Omit<TrainingSettings, 'width' | 'augment_seed'>>;
}

export const defaultTraining: TrainingSettings = {
  epochs: 10,
  batch_size: 64,
  seed: 0,
  optimizer: 'adam',
  learning_rate: 0.001,
  lr_schedule: 'constant',
  label_smoothing: 0,
  width: 1,
  augment_seed: 0,
  workers: 1,
};

export interface LoadedModelConfig {
  file: string;
  text: string;
  config: ModelConfig;
  locate: Locate;
}

export function parseModelConfig(file: string, text: string): LoadedModelConfig {
  const { value, locate } = parseYamlLocated<ModelConfig>(file, text, modelConfigSchema);
  return { file, text, config: value, locate };
}

export async function loadModelConfig(file: string, displayName = file): Promise<LoadedModelConfig> {
  return parseModelConfig(displayName, await readInputFile(file, displayName));
}

/** The settings a run uses: built-in defaults < the config's `training:` < params.yaml's `train:`. */
export function resolveTraining(config: ModelConfig, overrides: Record<string, unknown> = {}, overridesFile = 'params.yaml'): TrainingSettings {
  const problems = schemaProblems(overridesFile, overrides, trainParamsSchema).map((p) => ({ ...p, field: `train.${p.field}` }));
  if (problems.length > 0) throw new InvalidFileError(problems);
  return { ...defaultTraining, ...(config.training ?? {}), ...(config.width !== undefined ? { width: config.width } : {}), ...overrides } as TrainingSettings;
}

// ---- the shape plan -------------------------------------------------------------------------

export type Shape = number[]; // without the batch dimension

export interface PlannedLayer {
  name: string;
  /** conv2d, separable2d, batchnorm, layernorm, activation, maxpool, avgpool, dropout, dense, flatten, gap, gmp, add */
  kind: string;
  /** index of the config block it comes from; null for the classifier head */
  block: number | null;
  output: Shape;
  params: number;
  trainable: number;
  flops: number;
  /** what builder.ts needs to make the layer */
  spec: Record<string, unknown>;
  /** names of the layers this one reads (default: the previous one) */
  inputs?: string[];
}

export interface ModelPlan {
  input: Shape;
  classes: number;
  layers: PlannedLayer[];
  params: number;
  trainable: number;
  flops: number;
}

/**
 * Without normalisation the activation runs inside the conv or dense layer itself (tfjs fuses
 * bias and activation into one kernel, forward and backward); with it, it must follow the norm.
 */
function fusedActivation(norm: Norm | undefined, activation: Activation | undefined): Activation {
  return (norm ?? 'none') === 'none' ? (activation ?? 'relu') : 'linear';
}

function convOut(size: number, kernel: number, stride: number, padding: 'same' | 'valid'): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - kernel) / stride) + 1;
}

export function scaled(n: number, width: number): number {
  return Math.max(1, Math.round(n * width));
}

function product(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Plans the network for images of `input` = [height, width, channels] and `classes` outputs.
 * Problems name the block (1-based as a person counts in the YAML) and its field, with the line
 * when `locate` is given.
 */
export function planModel(config: ModelConfig, input: Shape, classes: number, width = config.width ?? 1, file = 'model config', locate?: Locate): ModelPlan {
  const layers: PlannedLayer[] = [];
  const problems: FileProblem[] = [];
  let shape: Shape = [...input];
  let last = 'input';
  const push = (layer: Omit<PlannedLayer, 'trainable'> & { trainable?: number }) => {
    layers.push({ trainable: layer.params, ...layer });
    shape = layer.output;
    last = layer.name;
  };
  const fail = (index: number, field: string, message: string) => {
    const at = locate?.(['blocks', index, ...(field ? [field] : [])]) ?? locate?.(['blocks', index]);
    problems.push({ file, line: at?.line, column: at?.column, field: `blocks[${index}]${field ? '.' + field : ''}`, message });
  };
  const addNorm = (block: number, name: string, norm: Norm | undefined) => {
    const c = shape[shape.length - 1];
    if (norm === 'batch') push({ name: `${name}_bn`, kind: 'batchnorm', block, output: shape, params: 4 * c, trainable: 2 * c, flops: 2 * product(shape), spec: {} });
    else if (norm === 'layer') push({ name: `${name}_ln`, kind: 'layernorm', block, output: shape, params: 2 * c, flops: 5 * product(shape), spec: {} });
  };
  const addActivation = (block: number, name: string, activation: Activation | undefined) => {
    if (activation && activation !== 'linear') push({ name: `${name}_act`, kind: 'activation', block, output: shape, params: 0, flops: product(shape), spec: { activation } });
  };

  for (let i = 0; i < config.blocks.length && problems.length === 0; i++) {
    const b = config.blocks[i];
    const label = `block ${i + 1} (${b.type})`;
    const base = `b${i + 1}`;
    if (b.type === 'flatten' || b.type === 'global-avg-pool' || b.type === 'global-max-pool') {
      if (shape.length !== 3) {
        fail(i, 'type', `${label} needs a spatial input (height, width, channels) but gets a flat vector of ${shape[0]}`);
        break;
      }
      if (b.type === 'flatten') push({ name: `${base}_flatten`, kind: 'flatten', block: i, output: [product(shape)], params: 0, flops: 0, spec: {} });
      else push({ name: `${base}_${b.type === 'global-avg-pool' ? 'gap' : 'gmp'}`, kind: b.type === 'global-avg-pool' ? 'gap' : 'gmp', block: i, output: [shape[2]], params: 0, flops: product(shape), spec: {} });
      continue;
    }
    if (b.type === 'dense') {
      if (shape.length !== 1) {
        fail(i, 'type', `${label} needs a flat input but gets ${shape.join('x')}: put a flatten or global-avg-pool block before it`);
        break;
      }
      const units = scaled(b.units, width);
      for (let r = 0; r < (b.repeat ?? 1); r++) {
        const name = `${base}_dense${r + 1}`;
        const fanIn = shape[0];
        const act = fusedActivation(b.norm, b.activation);
        push({ name, kind: 'dense', block: i, output: [units], params: fanIn * units + units, flops: 2 * fanIn * units + (act === 'linear' ? 0 : units), spec: { units, activation: act } });
        addNorm(i, name, b.norm);
        if (act === 'linear') addActivation(i, name, b.activation ?? 'relu');
        if (b.dropout) push({ name: `${name}_dropout`, kind: 'dropout', block: i, output: shape, params: 0, flops: 0, spec: { rate: b.dropout } });
      }
      continue;
    }
    // conv, separable, residual
    const c = b as ConvBlockConfig;
    if (shape.length !== 3) {
      fail(i, 'type', `${label} needs a spatial input (height, width, channels) but gets a flat vector of ${shape[0]}: convolution blocks must come before flatten/dense`);
      break;
    }
    const filters = scaled(c.filters, width);
    const kernel = c.kernel ?? 3;
    const padding = c.type === 'residual' ? 'same' : (c.padding ?? 'same');
    if (c.type === 'residual' && c.padding === 'valid') {
      fail(i, 'padding', `${label}: a residual block keeps its spatial size, so its padding must be same`);
      break;
    }
    for (let r = 0; r < (c.repeat ?? 1) && problems.length === 0; r++) {
      const stride = r === 0 ? (c.stride ?? 1) : 1;
      const [h, w, cin] = shape;
      const ho = convOut(h, kernel, stride, padding);
      const wo = convOut(w, kernel, stride, padding);
      if (ho < 1 || wo < 1) {
        fail(i, 'kernel', `${label}: a ${kernel}x${kernel} kernel (stride ${stride}, padding ${padding}) does not fit the ${h}x${w} input it gets; the output would be ${ho}x${wo}`);
        break;
      }
      const name = `${base}_${c.type}${r + 1}`;
      const useBias = (c.norm ?? 'none') !== 'batch';
      const bias = useBias ? filters : 0;
      const act = fusedActivation(c.norm, c.activation);
      const actFlops = act === 'linear' ? 0 : ho * wo * filters;
      if (c.type === 'conv') {
        push({ name, kind: 'conv2d', block: i, output: [ho, wo, filters], params: kernel * kernel * cin * filters + bias, flops: 2 * kernel * kernel * cin * filters * ho * wo + actFlops, spec: { filters, kernel, stride, padding, useBias, activation: act } });
        addNorm(i, name, c.norm);
        if (act === 'linear') addActivation(i, name, c.activation ?? 'relu');
      } else if (c.type === 'separable') {
        push({
          name,
          kind: 'separable2d',
          block: i,
          output: [ho, wo, filters],
          params: kernel * kernel * cin + cin * filters + bias,
          flops: 2 * (kernel * kernel * cin + cin * filters) * ho * wo + actFlops,
          spec: { filters, kernel, stride, padding, useBias, activation: act },
        });
        addNorm(i, name, c.norm);
        if (act === 'linear') addActivation(i, name, c.activation ?? 'relu');
      } else {
        const entry = last;
        const entryShape = shape;
        push({ name: `${name}a`, kind: 'conv2d', block: i, output: [ho, wo, filters], params: kernel * kernel * cin * filters + bias, flops: 2 * kernel * kernel * cin * filters * ho * wo, spec: { filters, kernel, stride, padding: 'same', useBias } });
        addNorm(i, `${name}a`, c.norm);
        addActivation(i, `${name}a`, c.activation ?? 'relu');
        push({ name: `${name}b`, kind: 'conv2d', block: i, output: [ho, wo, filters], params: kernel * kernel * filters * filters + bias, flops: 2 * kernel * kernel * filters * filters * ho * wo, spec: { filters, kernel, stride: 1, padding: 'same', useBias } });
        addNorm(i, `${name}b`, c.norm);
        const mainBranch = last;
        let skip = entry;
        if (entryShape[2] !== filters || stride !== 1) {
          push({ name: `${name}_proj`, kind: 'conv2d', block: i, output: [ho, wo, filters], params: cin * filters + filters, flops: 2 * cin * filters * ho * wo, spec: { filters, kernel: 1, stride, padding: 'same', useBias: true }, inputs: [entry] });
          skip = `${name}_proj`;
        }
        push({ name: `${name}_add`, kind: 'add', block: i, output: [ho, wo, filters], params: 0, flops: ho * wo * filters, spec: {}, inputs: [mainBranch, skip] });
        addActivation(i, `${name}_add`, c.activation ?? 'relu');
      }
    }
    if (problems.length) break;
    if (c.pool) {
      const size = c.pool.size ?? 2;
      const [h, w, ch] = shape;
      const ho = Math.floor(h / size);
      const wo = Math.floor(w / size);
      if (ho < 1 || wo < 1) {
        fail(i, 'pool', `${label}: ${size}x${size} pooling does not fit the ${h}x${w} feature map it gets`);
        break;
      }
      push({ name: `${base}_${c.pool.type}pool`, kind: `${c.pool.type}pool`, block: i, output: [ho, wo, ch], params: 0, flops: h * w * ch, spec: { size } });
    }
    if (c.dropout) push({ name: `${base}_dropout`, kind: 'dropout', block: i, output: shape, params: 0, flops: 0, spec: { rate: c.dropout } });
  }
  if (problems.length > 0) throw new InvalidFileError(problems);
  if (shape.length === 3) push({ name: 'head_flatten', kind: 'flatten', block: null, output: [product(shape)], params: 0, flops: 0, spec: {} });
  push({ name: 'head_logits', kind: 'dense', block: null, output: [classes], params: shape[0] * classes + classes, flops: 2 * shape[0] * classes, spec: { units: classes } });
  return {
    input: [...input],
    classes,
    layers,
    params: layers.reduce((a, l) => a + l.params, 0),
    trainable: layers.reduce((a, l) => a + l.trainable, 0),
    flops: layers.reduce((a, l) => a + l.flops, 0),
  };
}
