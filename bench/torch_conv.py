"""The PyTorch peer's ConvVAE (../shared/peers/torch_vae.py) holding an aevb conv model's parameters, mapped by
the table in docs/convolutional.md. Called by bench/conv_torch_interop.ts and bench/conv_torch_step.ts.

  python3 torch_conv.py decode PEER_DIR IN.safetensors OUT.f32
      IN: aevb's parameters by their layout names, `z` (n, Z); OUT: sigmoid(decode(z)), (n, 784) float32.
  python3 torch_conv.py step PEER_DIR IN.safetensors OUT.safetensors
      IN: the parameters, `x` (B, 784) and `eps` (B, Z); OUT: ∂loss/∂θ under aevb's names and layouts and `elbo`
      (1), for loss = −mean ELBO (Bernoulli, analytic KL) with aevb's soft bound on the encoder's log σ²,
      15·tanh(raw/15) (docs/conventions.md), so the two compute the same function.
IN's metadata: hidden, latent, c1, c2.
"""
import json, struct, sys
import numpy as np
import torch
import torch.nn.functional as F

mode, peer_dir, source, target = sys.argv[1:5]
sys.path.insert(0, peer_dir)
from torch_vae import ConvVAE  # noqa: E402


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    length, = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + length])
    meta = header.pop('__metadata__', {})
    tensors = {}
    for name, t in header.items():
        assert t['dtype'] == 'F32', f'{path}: {name} is {t["dtype"]}, expected F32'
        start, end = t['data_offsets']
        raw = np.frombuffer(data[8 + length + start:8 + length + end], dtype='<f4')
        tensors[name] = torch.from_numpy(raw.reshape(t['shape']).copy())
    return tensors, meta


def write_safetensors(path, tensors):
    header, offset, chunks = {}, 0, []
    for name, t in tensors.items():
        b = t.detach().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(t.shape), 'data_offsets': [offset, offset + len(b)]}
        offset += len(b)
        chunks.append(b)
    text = json.dumps(header).encode()
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(chunks))


# The peer's name, aevb's tensor, and whether aevb's tensor is the transpose (dense weights: (in, out) vs (out, in)).
PLAIN = [('c1', 'encoder.0', False), ('c2', 'encoder.1', False), ('e1', 'encoder.2', True),
         ('d1', 'decoder.0', True), ('d2', 'decoder.1', True), ('t1', 'decoder.2', False), ('t2', 'decoder.out', False)]


def state_dict(t, Z):
    """aevb's tensors -> the peer's state_dict; the head's columns [mu | logvar] split into mu and lv."""
    state = {}
    for peer, ours, transposed in PLAIN:
        state[f'{peer}.weight'] = t[f'{ours}.weight'].T if transposed else t[f'{ours}.weight']
        state[f'{peer}.bias'] = t[f'{ours}.bias']
    w, b = t['encoder.head.weight'], t['encoder.head.bias']
    state.update({'mu.weight': w[:, :Z].T, 'mu.bias': b[:Z], 'lv.weight': w[:, Z:].T, 'lv.bias': b[Z:]})
    return {k: v.contiguous() for k, v in state.items()}


def aevb_gradients(model):
    """The peer's parameter gradients under aevb's names and layouts (the inverse of state_dict)."""
    g = {name: p.grad for name, p in model.named_parameters()}
    out = {}
    for peer, ours, transposed in PLAIN:
        out[f'{ours}.weight'] = g[f'{peer}.weight'].T if transposed else g[f'{peer}.weight']
        out[f'{ours}.bias'] = g[f'{peer}.bias']
    out['encoder.head.weight'] = torch.cat([g['mu.weight'].T, g['lv.weight'].T], 1)
    out['encoder.head.bias'] = torch.cat([g['mu.bias'], g['lv.bias']])
    return out


tensors, meta = read_safetensors(source)
H, Z, C1, C2 = (int(meta[k]) for k in ('hidden', 'latent', 'c1', 'c2'))
model = ConvVAE(784, H, Z, 'relu', 0.0, C1, C2)
model.load_state_dict(state_dict(tensors, Z), strict=True)
if mode == 'decode':
    with torch.no_grad():
        means = torch.sigmoid(model.decode(tensors['z']))
    with open(target, 'wb') as f:
        f.write(means.numpy().astype('<f4').tobytes())
elif mode == 'step':
    x, eps = tensors['x'], tensors['eps']
    mu, raw = model.encode(x)
    lv = 15 * torch.tanh(raw / 15)
    z = mu + torch.exp(0.5 * lv) * eps
    rec = -F.binary_cross_entropy_with_logits(model.decode(z), x, reduction='none').sum(1)
    kl = 0.5 * (mu.pow(2) + lv.exp() - 1 - lv).sum(1)
    elbo = (rec - kl).mean()
    (-elbo).backward()
    write_safetensors(target, {**aevb_gradients(model), 'elbo': elbo.detach().reshape(1)})
else:
    sys.exit(f'torch_conv.py: mode must be decode or step, got {mode}')
