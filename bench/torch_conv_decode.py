"""Decodes latents with the PyTorch peer's ConvVAE (../shared/peers/torch_vae.py) holding an aevb conv model's
parameters, mapped by the table in docs/convolutional.md. Called by bench/conv_torch_interop.ts.

  python3 torch_conv_decode.py PEER_DIR IN.safetensors OUT.f32

IN holds aevb's parameters by their layout names (encoder.0.weight, ...), a tensor `z` (n, Z) and metadata
hidden, latent, c1, c2; OUT receives the decoder's Bernoulli means sigmoid(logits), (n, 784) float32.
"""
import json, struct, sys
import numpy as np
import torch

peer_dir, source, target = sys.argv[1:4]
sys.path.insert(0, peer_dir)
from torch_vae import ConvVAE  # noqa: E402

with open(source, 'rb') as f:
    data = f.read()
header_length, = struct.unpack('<Q', data[:8])
header = json.loads(data[8:8 + header_length])
meta = header.pop('__metadata__', {})
body = 8 + header_length
tensors = {}
for name, t in header.items():
    assert t['dtype'] == 'F32', f'{source}: {name} is {t["dtype"]}, expected F32'
    start, end = t['data_offsets']
    tensors[name] = torch.from_numpy(np.frombuffer(data[body + start:body + end], dtype='<f4').reshape(t['shape']).copy())

H, Z, C1, C2 = (int(meta[k]) for k in ('hidden', 'latent', 'c1', 'c2'))
head_w, head_b = tensors['encoder.head.weight'], tensors['encoder.head.bias']  # (H, 2Z), [mu | logvar]
# aevb -> the peer's state_dict: convolutions as they are (PyTorch's layouts); dense weights (in, out) transposed
# to nn.Linear's (out, in); the head's columns split into mu and lv.
state = {
    'c1.weight': tensors['encoder.0.weight'], 'c1.bias': tensors['encoder.0.bias'],
    'c2.weight': tensors['encoder.1.weight'], 'c2.bias': tensors['encoder.1.bias'],
    'e1.weight': tensors['encoder.2.weight'].T, 'e1.bias': tensors['encoder.2.bias'],
    'mu.weight': head_w[:, :Z].T, 'mu.bias': head_b[:Z],
    'lv.weight': head_w[:, Z:].T, 'lv.bias': head_b[Z:],
    'd1.weight': tensors['decoder.0.weight'].T, 'd1.bias': tensors['decoder.0.bias'],
    'd2.weight': tensors['decoder.1.weight'].T, 'd2.bias': tensors['decoder.1.bias'],
    't1.weight': tensors['decoder.2.weight'], 't1.bias': tensors['decoder.2.bias'],
    't2.weight': tensors['decoder.out.weight'], 't2.bias': tensors['decoder.out.bias'],
}
model = ConvVAE(784, H, Z, 'relu', 0.0, C1, C2)
model.load_state_dict({k: v.contiguous() for k, v in state.items()}, strict=True)
model.eval()
with torch.no_grad():
    means = torch.sigmoid(model.decode(tensors['z']))
with open(target, 'wb') as f:
    f.write(means.numpy().astype('<f4').tobytes())
