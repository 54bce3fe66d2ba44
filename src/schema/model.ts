// JSON Schemas of model configs (models/*.yaml), of what `rx train` writes beside the weights,
// of the metrics `rx evaluate` writes, and of the --json outputs of `rx model summary`, `rx train`
// and `rx evaluate`.

const str = { type: 'string' } as const;
const num = { type: 'number' } as const;
const int = { type: 'integer', minimum: 0 } as const;
const posInt = { type: 'integer', minimum: 1 } as const;
const fraction = { type: 'number', minimum: 0, maximum: 1 } as const;
/** Data-parallel replicas of a training run: the results depend on it, so it is a setting. */
const workers = { type: 'integer', minimum: 1, maximum: 16 } as const;

export const activations = ['relu', 'elu', 'selu', 'gelu', 'tanh', 'sigmoid', 'swish', 'linear'] as const;
export const norms = ['batch', 'layer', 'none'] as const;

const activation = { enum: activations } as const;

/** Training settings, in a model config's `training:` and (with width, augment_seed) params.yaml's `train:`. */
const trainingProperties = {
  epochs: { type: 'integer', minimum: 1, maximum: 10000 },
  batch_size: { type: 'integer', minimum: 1, maximum: 65536 },
  seed: int,
  optimizer: { enum: ['adam', 'sgd', 'rmsprop'] },
  learning_rate: { type: 'number', exclusiveMinimum: 0, maximum: 10 },
  momentum: fraction,
  lr_schedule: { enum: ['constant', 'cosine'] },
  label_smoothing: { type: 'number', minimum: 0, maximum: 0.5 },
  workers,
} as const;
const norm = { enum: norms } as const;
const pool = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { type: { enum: ['max', 'avg'] }, size: { type: 'integer', minimum: 2, maximum: 8 } },
} as const;

const convBlock = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'filters'],
  properties: {
    type: { enum: ['conv', 'separable', 'residual'] },
    filters: { type: 'integer', minimum: 1, maximum: 4096 },
    kernel: { type: 'integer', minimum: 1, maximum: 11 },
    stride: { type: 'integer', minimum: 1, maximum: 4 },
    padding: { enum: ['same', 'valid'] },
    activation,
    norm,
    repeat: { type: 'integer', minimum: 1, maximum: 16 },
    pool,
    dropout: { type: 'number', minimum: 0, maximum: 0.95 },
  },
} as const;

const denseBlock = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'units'],
  properties: {
    type: { const: 'dense' },
    units: { type: 'integer', minimum: 1, maximum: 65536 },
    activation,
    norm,
    repeat: { type: 'integer', minimum: 1, maximum: 16 },
    dropout: { type: 'number', minimum: 0, maximum: 0.95 },
  },
} as const;

const reshapeBlock = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: { type: { enum: ['flatten', 'global-avg-pool', 'global-max-pool'] } },
} as const;

export const modelConfigSchema = {
  $id: 'rx/model-config.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'blocks'],
  properties: {
    schema: { const: 'rx.model/1' },
    name: str,
    description: str,
    width: { type: 'number', exclusiveMinimum: 0, maximum: 16 },
    blocks: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['type'],
        properties: { type: { enum: ['conv', 'separable', 'residual', 'dense', 'flatten', 'global-avg-pool', 'global-max-pool'] } },
        allOf: [
          { if: { properties: { type: { enum: ['conv', 'separable', 'residual'] } } }, then: convBlock },
          { if: { properties: { type: { const: 'dense' } } }, then: denseBlock },
          { if: { properties: { type: { enum: ['flatten', 'global-avg-pool', 'global-max-pool'] } } }, then: reshapeBlock },
        ],
      },
    },
    training: {
      type: 'object',
      additionalProperties: false,
      properties: trainingProperties,
    },
  },
} as const;

/** params.yaml's `train:` section may override these training settings (and the width). */
const trainParamsBody = {
  type: 'object',
  additionalProperties: false,
  properties: { ...trainingProperties, width: { type: 'number', exclusiveMinimum: 0, maximum: 16 }, augment_seed: int },
} as const;

export const trainParamsSchema = { $id: 'rx/train-params.json', ...trainParamsBody } as const;

/** A params file as rx train reads it: other sections are the pipeline's business. */
export const trainParamsFileSchema = {
  $id: 'rx/train-params-file.json',
  type: ['object', 'null'],
  properties: { train: { ...trainParamsBody, type: ['object', 'null'] } },
} as const;

const layerRow = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'kind', 'block', 'output', 'params', 'flops'],
  properties: {
    name: str,
    kind: str,
    block: { type: ['integer', 'null'] },
    output: { type: 'array', items: { type: ['integer', 'null'] } },
    params: int,
    flops: int,
  },
} as const;

export const modelSummaryOutputSchema = {
  $id: 'rx/out/model-summary.json',
  type: 'object',
  additionalProperties: false,
  required: ['config', 'input', 'classes', 'layers', 'params', 'trainable_params', 'flops_per_sample', 'weight_bytes', 'backend'],
  properties: {
    config: str,
    input: { type: 'array', items: posInt },
    classes: posInt,
    layers: { type: 'array', items: layerRow },
    params: int,
    trainable_params: int,
    flops_per_sample: int,
    weight_bytes: int,
    backend: str,
    latency: {
      type: 'object',
      additionalProperties: false,
      required: ['per_sample_ms', 'batch', 'per_batch_ms', 'peak_tensor_bytes'],
      properties: { per_sample_ms: num, batch: posInt, per_batch_ms: num, peak_tensor_bytes: int },
    },
  },
} as const;

const curvePoint = {
  type: 'object',
  additionalProperties: false,
  required: ['epoch', 'train_loss', 'train_accuracy', 'learning_rate'],
  properties: {
    epoch: posInt,
    train_loss: num,
    train_accuracy: num,
    val_loss: num,
    val_accuracy: num,
    learning_rate: num,
  },
} as const;

/** What `rx train` writes as DIR/train.json (and prints under --json). */
export const trainRecordSchema = {
  $id: 'rx/train-record.json',
  type: 'object',
  additionalProperties: false,
  required: ['schema', 'model', 'data', 'augment', 'settings', 'backend', 'weights', 'params', 'curves'],
  properties: {
    schema: { const: 'rx.train/1' },
    model: { type: 'object', additionalProperties: false, required: ['path', 'hash'], properties: { path: str, hash: str } },
    data: { type: 'object', additionalProperties: false, required: ['path', 'hash', 'train', 'val'], properties: { path: str, hash: str, train: int, val: int } },
    augment: { type: ['object', 'null'], additionalProperties: false, required: ['path', 'hash'], properties: { path: str, hash: str } },
    settings: {
      type: 'object',
      additionalProperties: false,
      required: ['epochs', 'batch_size', 'seed', 'optimizer', 'learning_rate', 'lr_schedule', 'label_smoothing', 'width', 'augment_seed', 'workers'],
      properties: {
        epochs: posInt,
        batch_size: posInt,
        seed: int,
        optimizer: str,
        learning_rate: num,
        momentum: num,
        lr_schedule: str,
        label_smoothing: num,
        width: num,
        augment_seed: int,
        workers: posInt,
      },
    },
    backend: {
      type: 'object',
      additionalProperties: false,
      required: ['name', 'simd', 'threads', 'tfjs'],
      properties: { name: str, simd: { type: 'boolean' }, threads: posInt, tfjs: str },
    },
    weights: { type: 'string', pattern: '^sha256:[0-9a-f]{64}$' },
    params: int,
    curves: { type: 'array', items: curvePoint },
  },
} as const;

/** What `rx evaluate` writes (a metrics file: flat numbers first, tables after). */
const evaluationBody = {
  type: 'object',
  additionalProperties: false,
  required: ['split', 'samples', 'accuracy', 'loss', 'ece', 'per_class_accuracy', 'weights', 'backend'],
  properties: {
    split: str,
    samples: int,
    accuracy: num,
    loss: num,
    ece: num,
    train_accuracy: num,
    val_accuracy: num,
    generalisation_gap: num,
    per_class_accuracy: { type: 'object', additionalProperties: { type: ['number', 'null'] } },
    per_source_accuracy: { type: 'object', additionalProperties: num },
    weights: str,
    backend: str,
  },
} as const;

export const evaluationSchema = { $id: 'rx/evaluation.json', ...evaluationBody } as const;

export const evaluateOutputSchema = {
  $id: 'rx/out/evaluate.json',
  type: 'object',
  additionalProperties: false,
  required: ['metrics', 'confusion', 'classes', 'out'],
  properties: {
    metrics: evaluationBody,
    classes: { type: 'array', items: str },
    confusion: { type: 'array', items: { type: 'array', items: int } },
    out: str,
  },
} as const;
