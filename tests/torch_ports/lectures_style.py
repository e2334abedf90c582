"""Tensor code in the style of the makemore lectures of "Neural Networks: Zero to Hero" (parts 1-5),
written for PyTorch: counting bigrams, the one-layer neural bigram, the Bengio MLP, BatchNorm and
activation statistics, backpropagation by hand, and the WaveNet-style hierarchy built from the
lectures' own Linear / BatchNorm1d / Tanh / Embedding / FlattenConsecutive / Sequential classes.
This project's own code, exercising the same torch API."""

import torch
import torch.nn.functional as F


def build_vocabulary(words):
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0
    return stoi, {i: s for s, i in stoi.items()}


def set_weights(tensors, arrays):
    """Overwrite tensors in place with numpy arrays (so two libraries can start from one set)."""
    with torch.no_grad():
        for t, a in zip(tensors, arrays):
            t.copy_(torch.from_numpy(a))


# ------------------------------------------------------------------------------------------------
# part 1: bigrams by counting, and as a one-layer network


def count_bigrams(words, stoi):
    V = len(stoi)
    N = torch.zeros((V, V), dtype=torch.int32)
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            N[stoi[ch1], stoi[ch2]] += 1
    P = (N + 1).float()
    P /= P.sum(1, keepdims=True)
    log_likelihood, n = 0.0, 0
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            log_likelihood += torch.log(P[stoi[ch1], stoi[ch2]])
            n += 1
    return N, P, -log_likelihood / n


def sample_from_table(P, itos, count, seed=2147483647):
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(count):
        out, ix = [], 0
        while True:
            ix = torch.multinomial(P[ix], num_samples=1, replacement=True, generator=g).item()
            if ix == 0:
                break
            out.append(itos[ix])
        names.append("".join(out))
    return names


def bigram_pairs(words, stoi):
    xs, ys = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs.append(stoi[ch1])
            ys.append(stoi[ch2])
    return torch.tensor(xs), torch.tensor(ys)


def train_neural_bigram(xs, ys, W, steps, lr=50.0):
    V, num = W.shape[0], xs.nelement()
    losses = []
    for _ in range(steps):
        xenc = F.one_hot(xs, num_classes=V).float()
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W**2).mean()
        losses.append(loss.item())
        W.grad = None
        loss.backward()
        W.data += -lr * W.grad
    return losses


# ------------------------------------------------------------------------------------------------
# part 2: the MLP


def build_dataset(words, stoi, block_size=3):
    X, Y = [], []
    for w in words:
        context = [0] * block_size
        for ch in w + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def train_mlp(X, Y, parameters, batches, lr_schedule):
    C, W1, b1, W2, b2 = parameters
    for p in parameters:
        p.requires_grad = True
    losses = []
    for step, batch in enumerate(batches):
        ix = torch.tensor(batch)
        emb = C[X[ix]]
        joined = torch.cat(torch.unbind(emb, 1), 1)
        assert torch.equal(joined, emb.view(emb.shape[0], -1))
        h = torch.tanh(emb.view(-1, W1.shape[0]) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = lr_schedule[step]
        for p in parameters:
            p.data += -lr * p.grad
        losses.append(loss.item())
    return losses


def learning_rate_candidates(count):
    lre = torch.linspace(-3, 0, count)
    return 10**lre


@torch.no_grad()
def split_loss(X, Y, parameters):
    C, W1, b1, W2, b2 = parameters
    emb = C[X]
    h = torch.tanh(emb.view(emb.shape[0], -1) @ W1 + b1)
    return F.cross_entropy(h @ W2 + b2, Y).item()


def sample_mlp(parameters, itos, count, block_size=3, seed=2147483647):
    C, W1, b1, W2, b2 = parameters
    g = torch.Generator().manual_seed(seed)
    names = []
    for _ in range(count):
        out, context = [], [0] * block_size
        while True:
            emb = C[torch.tensor([context])]
            h = torch.tanh(emb.view(1, -1) @ W1 + b1)
            probs = F.softmax(h @ W2 + b2, dim=1)
            ix = torch.multinomial(probs, num_samples=1, generator=g).item()
            context = context[1:] + [ix]
            if ix == 0:
                break
            out.append(itos[ix])
        names.append("".join(out))
    return names


# ------------------------------------------------------------------------------------------------
# parts 3 and 5: the lectures' own layers


class Linear:
    def __init__(self, fan_in, fan_out, bias=True):
        self.weight = torch.randn((fan_in, fan_out)) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        self.out = x @ self.weight
        if self.bias is not None:
            self.out += self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class BatchNorm1d:
    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x):
        if self.training:
            dim = 0 if x.ndim == 2 else (0, 1)
            xmean = x.mean(dim, keepdim=True)
            xvar = x.var(dim, keepdim=True)
        else:
            xmean, xvar = self.running_mean, self.running_var
        xhat = (x - xmean) / torch.sqrt(xvar + self.eps)
        self.out = self.gamma * xhat + self.beta
        if self.training:
            with torch.no_grad():
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * xmean
                self.running_var = (1 - self.momentum) * self.running_var + self.momentum * xvar
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


class Tanh:
    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


class Embedding:
    def __init__(self, num_embeddings, embedding_dim):
        self.weight = torch.randn((num_embeddings, embedding_dim))

    def __call__(self, IX):
        self.out = self.weight[IX]
        return self.out

    def parameters(self):
        return [self.weight]


class FlattenConsecutive:
    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        B, T, C = x.shape
        x = x.view(B, T // self.n, C * self.n)
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class Sequential:
    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


def wavenet(vocab_size, n_embd=6, n_hidden=16):
    torch.manual_seed(42)
    model = Sequential([
        Embedding(vocab_size, n_embd),
        FlattenConsecutive(2), Linear(n_embd * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        FlattenConsecutive(2), Linear(n_hidden * 2, n_hidden, bias=False), BatchNorm1d(n_hidden), Tanh(),
        Linear(n_hidden, vocab_size),
    ])  # fmt: skip
    with torch.no_grad():
        model.layers[-1].weight *= 0.1  # a less confident start
    for p in model.parameters():
        p.requires_grad = True
    return model


def train_layers(model, X, Y, batches, lr=0.1):
    """Training steps; returns the losses and, per step, the statistics the lectures plot."""
    losses, stats = [], []
    for batch in batches:
        ix = torch.tensor(batch)
        logits = model(X[ix])
        for layer in model.layers:
            layer.out.retain_grad()
        loss = F.cross_entropy(logits, Y[ix])
        for p in model.parameters():
            p.grad = None
        loss.backward()
        for p in model.parameters():
            p.data += -lr * p.grad
        losses.append(loss.item())
        tanh_outs = [layer.out for layer in model.layers if isinstance(layer, Tanh)]
        stats.append(
            [(t.mean().item(), t.std().item(), (t.abs() > 0.97).float().mean().item()) for t in tanh_outs]
        )
        stats[-1].append(
            tuple(layer.out.grad.std().item() for layer in model.layers if isinstance(layer, Tanh))
        )
    hy, hx = torch.histogram(tanh_outs[0], bins=10, density=True)
    return losses, stats, (hy, hx)


@torch.no_grad()
def evaluate_layers(model, X, Y):
    for layer in model.layers:
        layer.training = False
    loss = F.cross_entropy(model(X), Y).item()
    for layer in model.layers:
        layer.training = True
    return loss


# ------------------------------------------------------------------------------------------------
# part 4: backpropagation by hand through the MLP with BatchNorm


def manual_backprop(Xb, Yb, parameters):
    """The forward pass cut into small steps, autograd's gradients, and the same gradients derived by
    hand; returns {name: (by hand, autograd)}."""
    C, W1, b1, W2, b2, bngain, bnbias = parameters
    n = Xb.shape[0]
    emb = C[Xb]
    embcat = emb.view(emb.shape[0], -1)
    hprebn = embcat @ W1 + b1
    bnmeani = 1 / n * hprebn.sum(0, keepdim=True)
    bndiff = hprebn - bnmeani
    bndiff2 = bndiff**2
    bnvar = 1 / (n - 1) * (bndiff2).sum(0, keepdim=True)
    bnvar_inv = (bnvar + 1e-5) ** -0.5
    bnraw = bndiff * bnvar_inv
    hpreact = bngain * bnraw + bnbias
    h = torch.tanh(hpreact)
    logits = h @ W2 + b2
    logit_maxes = logits.max(1, keepdim=True).values
    norm_logits = logits - logit_maxes
    counts = norm_logits.exp()
    counts_sum = counts.sum(1, keepdims=True)
    counts_sum_inv = counts_sum**-1
    probs = counts * counts_sum_inv
    logprobs = probs.log()
    loss = -logprobs[range(n), Yb].mean()
    for p in parameters:
        p.grad = None
    intermediates = [logprobs, probs, counts, counts_sum, counts_sum_inv, norm_logits, logit_maxes, logits, h,
                     hpreact, bnraw, bnvar_inv, bnvar, bndiff2, bndiff, hprebn, bnmeani, embcat, emb]  # fmt: skip
    for t in intermediates:
        t.retain_grad()
    loss.backward()

    dlogprobs = torch.zeros_like(logprobs)
    dlogprobs[range(n), Yb] = -1.0 / n
    dprobs = (1.0 / probs) * dlogprobs
    dcounts_sum_inv = (counts * dprobs).sum(1, keepdim=True)
    dcounts = counts_sum_inv * dprobs
    dcounts_sum = (-(counts_sum**-2)) * dcounts_sum_inv
    dcounts += torch.ones_like(counts) * dcounts_sum
    dnorm_logits = counts * dcounts
    dlogits = dnorm_logits.clone()
    dlogit_maxes = (-dnorm_logits).sum(1, keepdim=True)
    dlogits += F.one_hot(logits.max(1).indices, num_classes=logits.shape[1]) * dlogit_maxes
    dh = dlogits @ W2.T
    dW2 = h.T @ dlogits
    db2 = dlogits.sum(0)
    dhpreact = (1.0 - h**2) * dh
    dbngain = (bnraw * dhpreact).sum(0, keepdim=True)
    dbnraw = bngain * dhpreact
    dbnbias = dhpreact.sum(0, keepdim=True)
    dbndiff = bnvar_inv * dbnraw
    dbnvar_inv = (bndiff * dbnraw).sum(0, keepdim=True)
    dbnvar = (-0.5 * (bnvar + 1e-5) ** -1.5) * dbnvar_inv
    dbndiff2 = (1.0 / (n - 1)) * torch.ones_like(bndiff2) * dbnvar
    dbndiff += (2 * bndiff) * dbndiff2
    dhprebn = dbndiff.clone()
    dbnmeani = (-dbndiff).sum(0)
    dhprebn += 1.0 / n * (torch.ones_like(hprebn) * dbnmeani)
    dembcat = dhprebn @ W1.T
    dW1 = embcat.T @ dhprebn
    db1 = dhprebn.sum(0)
    demb = dembcat.view(emb.shape)
    dC = torch.zeros_like(C)
    for k in range(Xb.shape[0]):
        for j in range(Xb.shape[1]):
            ix = Xb[k, j]
            dC[ix] += demb[k, j]
    # the short way: the gradient of cross_entropy with respect to the logits
    dlogits_fast = F.softmax(logits, 1)
    dlogits_fast[range(n), Yb] -= 1
    dlogits_fast /= n
    pairs = {
        "logprobs": (dlogprobs, logprobs.grad), "probs": (dprobs, probs.grad), "counts": (dcounts, counts.grad),
        "logits": (dlogits, logits.grad), "logits_fast": (dlogits_fast, logits.grad), "h": (dh, h.grad),
        "W2": (dW2, W2.grad), "b2": (db2, b2.grad), "bngain": (dbngain, bngain.grad),
        "bnbias": (dbnbias, bnbias.grad), "hprebn": (dhprebn, hprebn.grad), "W1": (dW1, W1.grad),
        "b1": (db1, b1.grad), "emb": (demb, emb.grad), "C": (dC, C.grad),
    }  # fmt: skip
    return loss, pairs


def compare(pairs):
    """{name: (exact, approximate, maxdiff)} as the lecture's cmp prints it."""
    report = {}
    for name, (dt, t_grad) in pairs.items():
        exact = torch.all(dt == t_grad).item()
        approximate = torch.allclose(dt, t_grad, rtol=1e-4, atol=1e-6)
        report[name] = (exact, approximate, (dt - t_grad).abs().max().item())
    return report
