import { GraphBuilder, KpuError, type Graph, type TensorRef } from "@kpu/ir";
import { instance, type NetworkOptions } from "./options.js";

/**
 * Convolutional networks as published in torchvision. Batch normalization is the conv's epilogue, as inference runs
 * it: y = conv(x) * scale + shift per channel (scale = gamma / sqrt(var + eps), shift = beta - mean * scale). The
 * model holds gamma and beta, 2 parameters per channel (the running statistics are buffers, not parameters), so the
 * two per-channel tensors are its weights.
 */

export interface CnnOptions extends Pick<NetworkOptions, "batch" | "dtype"> {
  /** Input height and width (default 224). */
  readonly image?: number | undefined;
  /** Classifier outputs (default 1000, ImageNet). */
  readonly classes?: number | undefined;
}

interface ConvSpec {
  readonly out: number;
  readonly kernel: number;
  readonly stride?: number;
  readonly groups?: number;
}

/** Conv (no bias, padding kernel/2) + batch norm; `name` is the torchvision module path of the conv. */
function convBn(b: GraphBuilder, x: TensorRef, c: ConvSpec, name: string, bn: string): TensorRef {
  const inC = x.shape[1]!;
  const groups = c.groups ?? 1;
  const pad = Math.floor(c.kernel / 2);
  const scale = b.weight(`${bn}.weight`, [c.out, 1, 1]);
  const shift = b.weight(`${bn}.bias`, [c.out, 1, 1]);
  return b.conv2d(x, b.weight(`${name}.weight`, [c.out, inC / groups, c.kernel, c.kernel]), {
    stride: [c.stride ?? 1, c.stride ?? 1],
    padding: [pad, pad, pad, pad],
    groups,
    epilogue: [
      { kind: "mul", tensor: scale.name },
      { kind: "add", tensor: shift.name },
    ],
    name,
  });
}

/** Global average pool, flatten, linear classifier. */
function classifier(b: GraphBuilder, x: TensorRef, classes: number, name: string): TensorRef {
  const features = x.shape[1]!;
  const flat = b.flatten(b.globalAvgPool(x, { name: "avgpool" }), 1, { name: "flatten" });
  const y = b.matmul(flat, b.weight(`${name}.weight`, [features, classes]), { name: `${name}.mm` });
  return b.biasAdd(y, b.weight(`${name}.bias`, [classes]), { name: `${name}.out` });
}

function start(options: CnnOptions, name: string): { b: GraphBuilder; x: TensorRef; classes: number } {
  const run = instance({ batch: options.batch, dtype: options.dtype });
  const image = options.image ?? 224;
  const classes = options.classes ?? 1000;
  for (const [flag, v] of [["--image", image], ["--classes", classes]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 1 << 16) {
      throw new KpuError("KPU_BAD_DIM", `${flag.slice(2)} = ${v} is not a positive integer up to 65536`, { where: flag, hint: `Give ${flag} as a whole number.` });
    }
  }
  const b = new GraphBuilder(name, run.dtype);
  return { b, x: b.input("pixels", [run.batch, 3, image, image]), classes };
}

/** A ResNet bottleneck: 1x1 reduce, 3x3 (with the stride: v1.5), 1x1 expand x4, plus the identity or a 1x1 projection. */
function bottleneck(b: GraphBuilder, x: TensorRef, width: number, stride: number, p: string): TensorRef {
  const out = 4 * width;
  let h = b.relu(convBn(b, x, { out: width, kernel: 1 }, `${p}.conv1`, `${p}.bn1`), { name: `${p}.relu1` });
  h = b.relu(convBn(b, h, { out: width, kernel: 3, stride }, `${p}.conv2`, `${p}.bn2`), { name: `${p}.relu2` });
  h = convBn(b, h, { out, kernel: 1 }, `${p}.conv3`, `${p}.bn3`);
  const identity = stride !== 1 || x.shape[1] !== out ? convBn(b, x, { out, kernel: 1, stride }, `${p}.downsample.0`, `${p}.downsample.1`) : x;
  return b.relu(b.add(h, identity, { name: `${p}.residual` }), { name: `${p}.relu3` });
}

/**
 * ResNet-50 (He et al. 2016, "Deep Residual Learning for Image Recognition", Table 1) as torchvision's `resnet50`
 * (v1.5: the stride of a downsampling block is on its 3x3 conv): 25,557,032 parameters, 4.09 GMACs at 224x224.
 */
export function resnet50(options: CnnOptions = {}): Graph {
  const { b, x, classes } = start(options, "resnet50");
  let h = b.relu(convBn(b, x, { out: 64, kernel: 7, stride: 2 }, "conv1", "bn1"), { name: "relu" });
  h = b.maxPool(h, [3, 3], { stride: [2, 2], padding: [1, 1, 1, 1], name: "maxpool" });
  const stages = [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2],
  ] as const;
  stages.forEach(([width, blocks, stride], s) => {
    for (let i = 0; i < blocks; i++) h = bottleneck(b, h, width, i === 0 ? stride : 1, `layer${s + 1}.${i}`);
  });
  b.output(classifier(b, h, classes, "fc"));
  return b.build();
}

const relu6 = (b: GraphBuilder, x: TensorRef, name: string): TensorRef => b.clip(x, 0, 6, { name });

/** An inverted residual: 1x1 expand (when t > 1), 3x3 depthwise, 1x1 linear projection, residual when shapes agree. */
function invertedResidual(b: GraphBuilder, x: TensorRef, t: number, out: number, stride: number, p: string): TensorRef {
  const inC = x.shape[1]!;
  const hidden = inC * t;
  let h = x;
  let i = 0;
  const conv = (c: ConvSpec, act: boolean): void => {
    h = convBn(b, h, c, `${p}.conv.${i}.0`, `${p}.conv.${i}.1`);
    if (act) h = relu6(b, h, `${p}.conv.${i}.2`);
    i++;
  };
  if (t !== 1) conv({ out: hidden, kernel: 1 }, true);
  conv({ out: hidden, kernel: 3, stride, groups: hidden }, true);
  h = convBn(b, h, { out, kernel: 1 }, `${p}.conv.${i}`, `${p}.conv.${i + 1}`);
  return stride === 1 && inC === out ? b.add(x, h, { name: `${p}.residual` }) : h;
}

/**
 * MobileNetV2 (Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks", Table 2) as torchvision's
 * `mobilenet_v2` (width 1.0; ReLU6 is clip(0, 6); dropout is the identity at inference): 3,504,872 parameters,
 * 0.30 GMACs at 224x224.
 */
export function mobilenetV2(options: CnnOptions = {}): Graph {
  const { b, x, classes } = start(options, "mobilenet_v2");
  let h = relu6(b, convBn(b, x, { out: 32, kernel: 3, stride: 2 }, "features.0.0", "features.0.1"), "features.0.2");
  // (expansion t, output channels c, repeats n, first stride s), the paper's Table 2.
  const settings = [
    [1, 16, 1, 1],
    [6, 24, 2, 2],
    [6, 32, 3, 2],
    [6, 64, 4, 2],
    [6, 96, 3, 1],
    [6, 160, 3, 2],
    [6, 320, 1, 1],
  ] as const;
  let feature = 1;
  for (const [t, c, n, s] of settings) {
    for (let i = 0; i < n; i++) h = invertedResidual(b, h, t, c, i === 0 ? s : 1, `features.${feature++}`);
  }
  h = relu6(b, convBn(b, h, { out: 1280, kernel: 1 }, `features.${feature}.0`, `features.${feature}.1`), `features.${feature}.2`);
  b.output(classifier(b, h, classes, "classifier.1"));
  return b.build();
}
