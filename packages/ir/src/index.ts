export { KpuError, isKpuError, formatKpuError, readErrorCode, sanitizeText } from "./errors.js";
export type { KpuErrorOptions } from "./errors.js";
export { ERROR_CATALOGUE, EXIT_CODES, errorCategory, isKpuErrorCode } from "./error-codes.js";
export type { KpuErrorCategory, KpuErrorCode, KpuErrorSpec } from "./error-codes.js";
export { DTYPES, dtypeBytes, isDType } from "./dtype.js";
export type { DType } from "./dtype.js";
export {
  ACTIVATIONS,
  BINARY_KINDS,
  OP_KINDS,
  UNARY_KINDS,
  consumerCounts,
  elementCount,
  hasEpilogue,
  isMatmulLike,
  stepTensors,
  tensorMap,
} from "./graph.js";
export type {
  Activation,
  BatchMatmulOp,
  BiasAddOp,
  BinaryKind,
  BinaryOp,
  ClipOp,
  ConcatOp,
  Conv2dOp,
  EpilogueStep,
  FlattenOp,
  FusedElementwiseOp,
  FusedMatmulOp,
  GatherOp,
  GlobalAvgPoolOp,
  Graph,
  LayerNormOp,
  MatmulOp,
  Op,
  OpKind,
  PadOp,
  PoolOp,
  ReduceOp,
  ReshapeOp,
  RmsNormOp,
  SliceOp,
  SoftmaxOp,
  Tensor,
  TransposeOp,
  UnaryKind,
  UnaryOp,
} from "./graph.js";
export { broadcastShapes, inferShape, windowOutput } from "./shapes.js";
export { GraphBuilder } from "./builder.js";
export type { ConvOptions, OpOptions, PoolOptions, TensorRef, WindowOptions } from "./builder.js";
export { MAX_TENSOR_ELEMENTS, validateGraph } from "./validate.js";
export { GRAPH_SCHEMA_VERSION, graphJsonSchema, graphToJson, parseGraphJson } from "./graph-json.js";
export { issuePath, issueRule } from "./zod-issues.js";
export type { GraphJson } from "./graph-json.js";
export { TILED_SCHEMA_VERSION, tileCount, tileExtent, tileGrid, tiledProgramToJson } from "./tile.js";
export type {
  ElementwiseFn,
  TileGrid,
  TileShape,
  TiledElementwise,
  TiledMatmul,
  TiledOp,
  TiledProgram,
} from "./tile.js";
export { LOOP_ORDERS, UOPS_SCHEMA_VERSION, formatUop, isLoopOrder, uopProgramToJson } from "./uops.js";
export type {
  EwiseUop,
  ExecUop,
  LoadUop,
  LoopOrder,
  MicroOp,
  MicroOpKind,
  Operand,
  StoreUop,
  UopProgram,
} from "./uops.js";
export { SCHEDULE_SCHEMA_VERSION, formatSchedOp, scheduleToJson } from "./schedule.js";
export type {
  Schedule,
  SchedEwise,
  SchedExecute,
  SchedLoad,
  SchedOp,
  SchedStore,
  ScheduleStats,
} from "./schedule.js";
export { BERT_BASE, EXAMPLES, bertLayerExample, mlpExample } from "./examples.js";
export type { ExampleName } from "./examples.js";
export { BYTE_SIZE_FORMS, formatByteSize, parseByteSize } from "./units.js";
export { NEST_ORDERS, forEachTileStep, isNestOrder, nestStepCount, orderDims, singleLevelNest, validateNest } from "./nest.js";
export type { LoopDim, NestLevel, NestOrder, TileNest } from "./nest.js";
export {
  DATAFLOWS,
  MAPPING_LEVELS,
  MAPPING_SCHEMA_VERSION,
  REPLACEMENT_POLICIES,
  STRATEGIES,
  STRATEGY_ORDER,
  mappingJsonSchema,
  mappingNest,
  mappingToJson,
  parseMapping,
  strategyMapping,
  tileSetBytes,
  validateMapping,
} from "./mapping.js";
export type { Dataflow, LevelMapping, Mapping, MappingFit, MappingLevelName, ReplacementPolicyName, Strategy } from "./mapping.js";
export { DSE_AXES, DSE_SCHEMA_VERSION, dseResultSchema, paretoFront, parseDseResult } from "./dse.js";
export type { DseAxis, DseLayer, DsePoint, DseResult } from "./dse.js";
