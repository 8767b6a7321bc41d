/**
 * The one list of kpu error codes. Each code appears once, with a title, a description of the mistake (the message
 * template the throw sites fill in), a default hint and a category; the CLI maps the category to its exit code.
 */
export type KpuErrorCategory = "input" | "environment" | "internal" | "check";

export interface KpuErrorSpec {
  /** A few words, for `kpu errors`. */
  readonly title: string;
  /** What the message says, with the parts a throw site fills in written as <placeholders>. */
  readonly description: string;
  /** Printed when the throw site gives no more precise hint. */
  readonly hint: string;
  readonly category: KpuErrorCategory;
}

/** The exit code of each category: 2 bad input, 4 the environment, 3 a bug in kpu, 1 a check that ran and failed. */
export const EXIT_CODES: Readonly<Record<KpuErrorCategory, number>> = { input: 2, environment: 4, internal: 3, check: 1 };

const input = (title: string, description: string, hint: string): KpuErrorSpec => ({ title, description, hint, category: "input" });
const environment = (title: string, description: string, hint: string): KpuErrorSpec => ({ title, description, hint, category: "environment" });
const internal = (title: string, description: string): KpuErrorSpec => ({
  title,
  description,
  hint: "This is a bug in kpu; please report it with the command line (KPU_DEBUG=1 prints the stack).",
  category: "internal",
});

const GENERAL = {
  KPU_USAGE: input("usage", "<flags or arguments that do not go together, are missing or are unknown>", "Run `kpu --help` or `kpu <command> --help` for the accepted flags."),
  KPU_BAD_FLAG: input("bad flag value", '"<value>" is not one of <choices> / is not <what the flag takes>', "Run `kpu <command> --help` for the accepted values."),
  KPU_BAD_DIM: input("bad dimension", "<dimension> = <value> is not a positive integer (or is above the limit)", "Give dimensions as whole numbers of elements, at least 1, e.g. --m 1024."),
  KPU_BAD_SIZE: input("bad size", '"<text>" is not a size / <bytes> is not a positive whole number of bytes', "Give sizes with a unit, e.g. 256KiB or 16MiB."),
  KPU_BAD_TILES: input("bad tiles", "tile <dim> = <value> is not a positive integer, or the tiles do not fit the budget", "Give tiles as Ti,Tj,Tk in elements, e.g. --tiles 64,64,96."),
  KPU_BAD_NEST: input("bad tile nest", "a tile nest level has a bad tile or loop order", "Each level's tile must be a positive integer that nests in the enclosing tile."),
  KPU_BAD_LOOP_ORDER: input("bad loop order", 'unknown loop order "<order>" or a bad block', "Use a loop order such as mnk, or --order blocked --block 4x4."),
  KPU_BAD_POLICY: input("bad policy", 'unknown eviction policy "<name>"', "Use one of the policies listed by the command's --help."),
  KPU_BAD_STRATEGY: input("bad strategy", 'unknown strategy "<name>"', "Use one of: ws, is, os."),
  KPU_BAD_NAME: input("bad name", "a name is empty or has characters other than letters, digits, _ . -", "Use a short name such as qkv."),
  KPU_BAD_SYNTAX: input("bad file syntax", "the file is not valid JSON, YAML or INI (<parser message>)", "Check the file for a syntax error."),
  KPU_SCHEMA: input("file does not match its format", "<field> <rule the value breaks>", "See the file format in the package's README."),
  KPU_SCHEMA_VERSION: input("unsupported schema version", "has schemaVersion <n>; this kpu reads version <m>", "Write the file again with this version of kpu."),
  KPU_NO_SUCH_FILE: input("no such file", "no such file", "Check the path."),
  KPU_BAD_OUTPUT: input("bad output path", "a part of the path is a file, the path is a folder, or it already exists", "Choose an output path whose folders are folders."),
  KPU_L3_SWEEP_LOCKED: input("sweep folder in use", "another sweep (process <pid>) is writing this folder", "Wait for it to finish, or use another --out folder."),
  KPU_TOO_LARGE: input("too large", "<work> is more than kpu keeps in memory or simulates", "Use a smaller problem or larger tiles."),
} as const satisfies Record<string, KpuErrorSpec>;

const GRAPH = {
  KPU_IR_ARITY: input("wrong number of operands", "<op> has <n> inputs but needs <m>", "Give the op the inputs its kind takes."),
  KPU_IR_BAD_ATTR: input("bad op attribute", "<op>: <attribute> is <value>, which <rule it breaks>", "Fix the op's attribute in the model file."),
  KPU_IR_BAD_DTYPE: input("unknown dtype", 'dtype "<dtype>" is not supported', "Use fp32, fp16, bf16, int8, int32 or int64."),
  KPU_IR_BAD_EPILOGUE: input("bad epilogue", "epilogue step <kind> names the wrong input", "List the epilogue's tensors in input order."),
  KPU_IR_BAD_RANK: input("bad rank", "<tensor> has shape <shape>; <op> takes <layout>", "Reshape the operand to the layout the op takes."),
  KPU_IR_BAD_SHAPE: input("empty shape", "shape is empty", "Scalars are not supported; use [1]."),
  KPU_IR_CYCLE: input("cycle in the graph", "op is on a cycle", "Remove the cycle; the graph must be acyclic."),
  KPU_IR_DANGLING_TENSOR: input("dangling tensor", "tensor is never produced or never read", "Connect the tensor or remove it."),
  KPU_IR_DTYPE_MISMATCH: input("dtype mismatch", "operands or output have different dtypes", "Give an op's operands and output one dtype."),
  KPU_IR_DUPLICATE_OP: input("duplicate op", "two ops have id <id>", "Give every op a unique id."),
  KPU_IR_DUPLICATE_TENSOR: input("duplicate tensor", "two tensors are named <name>", "Give every tensor a unique name."),
  KPU_IR_MULTIPLE_PRODUCERS: input("tensor written twice", "<op> writes a tensor another op also writes", "Each tensor has at most one producer."),
  KPU_IR_SHAPE_MISMATCH: input("shape mismatch", "operand or output shapes do not agree", "Fix the shapes in the model file."),
  KPU_IR_UNSUPPORTED_OP: input("op not supported here", "<op>: this stage takes <kinds>, not <kind>", "Use the command that models this op (see the hint), or rewrite the op."),
  KPU_IR_UNKNOWN_TENSOR: input("unknown tensor", "refers to a tensor that is not declared", "Declare every tensor an op reads or writes."),
  KPU_IR_WRITES_INPUT: input("op writes a graph input", "<op> writes a graph input", "Write a new tensor instead."),
  KPU_RUN_INDEX_RANGE: input("index out of range", "<op>: index <i> is outside [-<size>, <size - 1>] of axis <a>", "Gather indices must name rows of the table; check the ops that compute them."),
} as const satisfies Record<string, KpuErrorSpec>;

const ONNX = {
  KPU_ONNX_CORRUPT: input("corrupt ONNX file", "<file> is not a readable ONNX model (<decoder message>)", "Check that the file is a complete .onnx model (re-export it, or re-download it if it was truncated)."),
  KPU_ONNX_OPSET: input("unsupported ONNX opset", "the model imports opset <n> of <domain>; kpu reads opsets <min> to <max>", "Convert the model to a supported opset (onnx.version_converter)."),
  KPU_ONNX_UNSUPPORTED_OP: input("ONNX operator not modelled", 'node "<name>" is a <op_type>, which kpu does not model', "Pass --allow-unsupported to keep going and report it as an unmodelled layer."),
  KPU_ONNX_DYNAMIC_DIM: input("dynamic dimension without a value", 'input "<name>" dimension <i> is "<dim_param>", and no value was given', "Give it with --batch or --seq (or the importer's dims option)."),
  KPU_ONNX_BAD_NODE: input("ONNX node kpu cannot read", 'node "<name>" (<op_type>): <what is wrong with an attribute or input>', "Export the model with constant folding on and shapes known (torch.onnx.export(do_constant_folding=True))."),
} as const satisfies Record<string, KpuErrorSpec>;

const HARDWARE = {
  KPU_MAPPING_DOES_NOT_FIT: input("mapping does not fit", "the mapping needs more of a level, the grid or the array than the hardware has", "Use smaller tiles, fewer buffers, or larger hardware."),
  KPU_HW_BANKS: input("bad bank count", "banks do not split evenly over the compute tiles", "Give a bank count that is a multiple of the compute tiles."),
  KPU_HW_BUFFER_TOO_SMALL: input("buffer too small", "a memory level cannot hold the tiles it must stage", "Use smaller tiles, fewer buffers or hardware with larger levels."),
  KPU_HW_CLOCK: input("bad clock", "a clock does not divide the common timebase", "Use clocks with a common timebase."),
  KPU_HW_UNKNOWN_PRESET: input("unknown hardware preset", '"<name>" is not a hardware preset', "Use a preset name listed by `kpu hw --help`, or a path to a hardware file."),
  KPU_L3_BAD_GRID: input("bad KPU tile grid", "grid <rows|cols> = <n> must be 1 to <dim>", "Give the KPU tile grid as ROWSxCOLS, e.g. 4x4."),
  KPU_L3_BAD_RESUME: input("cannot resume", "the output directory holds a different sweep or other columns", "Use a fresh --out directory."),
  KPU_MEM_OOM: input("out of SRAM", "cannot allocate <bytes> B", "Give a larger --sram or smaller tiles."),
  KPU_MEM_SRAM_TOO_SMALL: input("SRAM too small", "SRAM is below the minimum working set", "Give a larger --sram or smaller tiles."),
  KPU_SCALESIM_CFG_MISSING: input("SCALE-Sim config incomplete", "section or key <name> is missing", "Add the section or key SCALE-Sim requires."),
  KPU_SCALESIM_CFG_VALUE: input("bad SCALE-Sim config value", '"<value>" is not <what the key takes>', "Fix the value in the SCALE-Sim config."),
  KPU_SCALESIM_TOPOLOGY: input("bad SCALE-Sim topology", "a topology row is malformed", "Write the topology as SCALE-Sim's CSV format."),
  KPU_SCALESIM_USER_BANDWIDTH: input("USER bandwidth not modelled", "InterfaceBandwidth USER is not modelled", "Set `InterfaceBandwidth: CALC`."),
} as const satisfies Record<string, KpuErrorSpec>;

const MODEL = {
  KPU_HF_CONFIG: input("bad Hugging Face config", "<file>: <field> <rule the value breaks>", "Fix the field in config.json; @kpu/models' README lists the fields each architecture reads."),
  KPU_HF_UNSUPPORTED_ARCH: input("architecture not modelled", '<file>: model_type "<type>" is not one kpu builds', "Use a config of a modelled architecture: llama, mistral, qwen2, gpt2, bert, roberta or vit."),
  KPU_MODEL_FORMAT: input("unrecognised model file", "<file> is not a kpu.graph, a Hugging Face config.json, a SCALE-Sim topology CSV or an ONNX file", "Pass a .json graph or config, a .csv topology, a .onnx file, or --example NAME."),
} as const satisfies Record<string, KpuErrorSpec>;

const DSE = {
  KPU_DSE_SPACE: input("bad design space", "<field>: an empty or inverted range, a parameter kpu does not model, an unknown objective", "See the space file format in the @kpu/dse README."),
  KPU_DSE_NO_FIT: input("model fits no point", "the model fits none of the <n> points of the space (<reasons>)", "Widen the space: larger on-chip levels, or fewer or smaller arrays; the infeasible points and their reasons are in the output folder."),
} as const satisfies Record<string, KpuErrorSpec>;

const CPU = {
  KPU_CPU_BAD_HOST_CONFIG: input("impossible host config", "<field>: the host model is impossible", "Fix the value in the host config file."),
  KPU_CPU_ILLEGAL_SCHEDULE: input("illegal CPU schedule", "the rule set gives an illegal schedule for this host", "The host config may be impossible for this rule set; check --host-config."),
  KPU_CPU_UNKNOWN_VARIANT: input("unknown variant", 'unknown variant "<name>"', "Pass e.g. --variants host-rules,openblas."),
} as const satisfies Record<string, KpuErrorSpec>;

const ENVIRONMENT = {
  KPU_READ_FAILED: environment("could not read a file", "could not read the file (<errno code>)", "Check the file's permissions."),
  KPU_WRITE_FAILED: environment("could not write a file", "could not write the file (<errno code>)", "Check that the directory exists, is writable and has space."),
  KPU_CPU_COMPILE_FAILED: environment("C compile failed", "the generated C does not compile or link: <compiler output>", "Check that the compiler supports -fopenmp and OpenMP (libgomp) is installed."),
  KPU_CPU_NO_COMPILER: environment("no C compiler", "no C compiler found", "Install one (Debian: apt-get install gcc) or set CC to a compiler's path."),
  KPU_CPU_RUN_FAILED: environment("benchmark binary failed", "the compiled probe failed: <reason>", "Check that the machine can run the compiled binary."),
} as const satisfies Record<string, KpuErrorSpec>;

const INTERNAL = {
  KPU_INTERNAL: internal("unexpected error", "<the exception's message>"),
  KPU_SIM_DEADLOCK: internal("simulation deadlock", "the simulation stopped with tasks unstarted"),
  KPU_HIERARCHY_FULL: internal("no tile to evict", "a level has no tile it may evict"),
  KPU_EXEC_BAD_SCHEDULE: internal("schedule does not match the program", "the executed schedule does not match its program"),
  KPU_EXEC_MISSING_INPUT: internal("missing input data", 'no data for input "<name>"'),
  KPU_MEM_BAD_BUFFER: internal("bad buffer", "a buffer has no size or ends before it starts"),
  KPU_MEM_BAD_FREE: internal("bad free", "no live allocation starts at <addr>"),
  KPU_MEM_BAD_UOPS: internal("bad micro-op stream", "the micro-ops are not the output of lowering"),
} as const satisfies Record<string, KpuErrorSpec>;

const QUEUE = {
  KPU_QUEUE_BAD_URL: input("bad Redis URL", '"<url>" is not a redis:// or rediss:// URL', "Give the Redis server as redis://host:port (redis://:password@host:port with a password)."),
  KPU_QUEUE_UNREACHABLE: environment("Redis unreachable", "cannot reach Redis at <url> (<reason>)", "Start redis-server there, or check the host, port and firewall."),
  KPU_QUEUE_AUTH: input("Redis refused the password", "Redis at <url> refused the connection's password (<reply>)", "Put the server's requirepass in the URL: redis://:PASSWORD@host:port."),
  KPU_QUEUE_VERSION: input("job of another kpu version", "job <id> was made by kpu <version>; this is kpu <version>", "Run a worker of the job's version, or clean the queue (kpu queue clean) and resubmit."),
  KPU_QUEUE_BAD_PAYLOAD: input("bad job payload", "job <id> of kind <kind> has a payload that does not validate: <issue>", "Submit jobs with kpu's producers (--queue); clean the queue of hand-made jobs (kpu queue clean)."),
  KPU_QUEUE_BAD_RESULT: input("bad job result", "job <id> returned a result that does not validate: <issue>", "Clean the queue (kpu queue clean) and resubmit; a worker of another build wrote it."),
} as const satisfies Record<string, KpuErrorSpec>;

const CHECK = {
  KPU_CHECK_FAILED: { title: "check failed", description: "a verification ran and found a mismatch", hint: "Read the report above: which output or invariant failed.", category: "check" },
} as const satisfies Record<string, KpuErrorSpec>;

/** Every kpu error code with its title, description, default hint and category. */
export const ERROR_CATALOGUE = { ...GENERAL, ...GRAPH, ...MODEL, ...ONNX, ...HARDWARE, ...DSE, ...CPU, ...ENVIRONMENT, ...INTERNAL, ...QUEUE, ...CHECK } as const satisfies Record<string, KpuErrorSpec>;

/** A code in the catalogue; `new KpuError` takes only these. */
export type KpuErrorCode = keyof typeof ERROR_CATALOGUE;

/** True for a code in the catalogue. */
export function isKpuErrorCode(code: string): code is KpuErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, code);
}

/** The category of a code; codes not in the catalogue (another kpu version) count as internal. */
export function errorCategory(code: string): KpuErrorCategory {
  return isKpuErrorCode(code) ? ERROR_CATALOGUE[code].category : "internal";
}
