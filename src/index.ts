export { DilemmaError, ErrorCode, isDilemmaError } from './errors.js';
export {
  Game,
  GAME_IDS,
  MATRIX_PRESETS,
  makeGame,
  type GameId,
  type GameInfo,
  type GameParamsById,
  type GameSpec,
  type IpdParams,
  type MatrixParams,
  type MatrixPreset,
  type PublicGoodsParams,
  type CoinParams,
} from './games.js';
export { Env, makeEnv, type EnvOptions, type StepResult } from './env.js';
export { policies } from './policy-factories.js';
export { onnx, inspectOnnx, onnxRuntimeLibrary, type OnnxPolicyOptions, type OnnxTensorInfo } from './onnx-runtime.js';
export {
  Policy,
  scripted,
  STRATEGIES,
  type PolicySpec,
  type StrategyName,
  type StrategyParams,
} from './policies.js';
export { rollout, meanReturns, actionRate, type RolloutOptions, type Trajectory } from './rollout.js';
export { tournament, type Standing, type TournamentOptions, type TournamentResult } from './tournament.js';
export {
  credit,
  type AdvantageAlignmentForm,
  type AdvantageAlignmentOptions,
  type DiscountedReturnsOptions,
  type GaeOptions,
  type LeaveOneOutOptions,
  type ShapeOptions,
  type SumOfRewardsOptions,
  type WhitenOptions,
} from './credit.js';
export {
  loss,
  type LogSoftmaxOptions,
  type LossNormalize,
  type LossObjective,
  type LossShape,
  type PolicyGradientOptions,
  type PolicyGradientResult,
} from './loss.js';
export {
  train,
  Trainer,
  exportModelOnnx,
  modelPolicy,
  loadPolicy,
  readCheckpoint,
  trainConfigSchema,
  ALGORITHMS,
  type Algorithm,
  type IterationMetrics,
  type ModelSpec,
  type ResolvedTrainConfig,
  type TrainConfig,
  type TrainerState,
  type TrainOptions,
  type TrainResult,
} from './train.js';
export { evaluate, type Evaluation, type EvaluateOptions, type MatchResult } from './evaluate.js';
export { engineInfo, setThreads, type BackendStatus, type EngineInfo } from './info.js';
export { formatTable } from './format.js';
export {
  mlpPolicy,
  gruPolicy,
  mlpForward,
  gruForward,
  BATCH_DIM,
  ACTIVATIONS,
  GRU_WEIGHT_NAMES,
  type MlpPolicyOptions,
  type GruPolicyOptions,
  type MlpPolicy,
  type MlpWeights,
  type GruWeights,
  type PolicyModel,
  type TensorSpec,
  type Activation,
} from './onnx/index.js';
export {
  modelLayout,
  toWriterWeights,
  fromWriterWeights,
  MODEL_KINDS,
  type ModelKind,
  type ModelLayout,
  type ModelLayoutOptions,
  type TensorLayout,
} from './models.js';
