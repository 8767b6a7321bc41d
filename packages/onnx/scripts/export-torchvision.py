# Exports a torchvision model (untrained weights: no download) to ONNX with Debian's python3-torchvision and
# python3-onnx, and prints the float-initializer element count that python's onnx library reads from the file.
#   /usr/bin/python3 scripts/export-torchvision.py resnet50 [dynamic|nofold] [out-dir]
import sys, torch, torchvision, onnx
torch.set_num_threads(1)
name = sys.argv[1]
DIR = sys.argv[3] if len(sys.argv) > 3 else "/tmp/onnx-models"
m = getattr(torchvision.models, name)(weights=None).eval()
x = torch.randn(1, 3, 224, 224)
kw = {}
if len(sys.argv) > 2 and sys.argv[2] == "dynamic":
    kw = dict(input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch_size"}, "logits": {0: "batch_size"}})
    out = f"{DIR}/{name}-dynamic.onnx"
elif len(sys.argv) > 2 and sys.argv[2] == "nofold":
    kw = dict(do_constant_folding=False, training=torch.onnx.TrainingMode.PRESERVE)
    out = f"{DIR}/{name}-nofold.onnx"
else:
    out = f"{DIR}/{name}.onnx"
torch.onnx.export(m, x, out, opset_version=14, **kw)
params = sum(p.numel() for p in m.parameters())
model = onnx.load(out, load_external_data=False)
init = sum(int(__import__("numpy").prod(t.dims)) for t in model.graph.initializer if t.data_type in (1, 10, 11, 16))
print(name, sys.argv[2:] , "torch params", params, "float initializer elements", init, "nodes", len(model.graph.node), "ops", sorted(set(n.op_type for n in model.graph.node)))
