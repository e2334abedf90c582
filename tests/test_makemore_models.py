"""models/bigram.py, models/mlp.py, models/mlp_bn.py: shapes, learning, the bigram equality, sampling,
checkpoints through the registry, and parity with a torch copy of the MLP."""

import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from models import MODELS, build_model
from models.bigram import BigramConfig, BigramCounts, BigramNN
from models.mlp import MLP, MLPConfig
from models.mlp_bn import MLPBN, MLPBNConfig
from tinygrad_edu.data import CharTokenizer, build_dataset, load_words

NAMES = Path(__file__).resolve().parent.parent / "data" / "names.txt"
sys.path.insert(0, str(NAMES.parent.parent / "examples"))

import training_common as training  # noqa: E402


@pytest.fixture(scope="module")
def small_data():
    words = load_words(NAMES)[:300]
    tokenizer = CharTokenizer.from_words(words)
    return words, tokenizer


def train(model, X, Y, steps, lr=0.1, batch_size=32, seed=0):
    optimizer = tg.optim.SGD(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(steps):
        rows = rng.integers(0, len(X), size=batch_size)
        _, loss = model(tg.Tensor(X[rows]), tg.Tensor(Y[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def test_bigram_counts_loss_is_the_mean_nll(small_data):
    words, tok = small_data
    X, Y = build_dataset(words, tok, 1)
    counts = BigramCounts(BigramConfig(tok.vocab_size, smoothing=1.0)).fit(X, Y)
    probs = counts.probs
    assert np.allclose(probs.sum(1), 1.0)
    assert counts.counts.data.sum() == len(Y)
    expected = -np.mean([np.log(probs[x, y]) for x, y in zip(X[:, 0], Y)])
    assert counts.loss(X, Y) == pytest.approx(expected)
    _, loss = counts(tg.Tensor(X), tg.Tensor(Y))  # forward gives the same loss through cross_entropy
    assert loss.item() == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("one_hot", [False, True])
def test_neural_bigram_converges_to_the_counts(small_data, one_hot):
    """Trained to convergence, softmax(W) is the count table: the same loss within 0.01."""
    words, tok = small_data
    X, Y = build_dataset(words, tok, 1)
    counts_loss = BigramCounts(BigramConfig(tok.vocab_size, smoothing=0.0)).fit(X, Y).loss(X, Y)
    model = BigramNN(BigramConfig(tok.vocab_size, one_hot=one_hot), generator=tg.Generator(0))
    optimizer = tg.optim.Adam(model.parameters(), lr=0.3)
    Xt, Yt = tg.Tensor(X), tg.Tensor(Y)
    first = None
    for _ in range(300):  # full batch
        _, loss = model(Xt, Yt)
        first = first or loss.item()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = training.mean_loss(model, X, Y)
    assert first > counts_loss + 1.0  # it really started far away
    assert abs(final - counts_loss) < 0.01


@pytest.mark.parametrize(
    "make",
    [
        lambda V: MLP(MLPConfig(V, 3, 10, 64), generator=tg.Generator(0)),
        lambda V: MLPBN(MLPBNConfig(V, 3, 10, 32, 3), generator=tg.Generator(0)),
        lambda V: MLPBN(MLPBNConfig(V, 3, 10, 32, 3, batchnorm=False), generator=tg.Generator(0)),
    ],
    ids=["mlp", "mlp_bn", "mlp_no_bn"],
)
def test_mlps_shapes_and_loss_falls(small_data, make):
    words, tok = small_data
    X, Y = build_dataset(words, tok, 3)
    model = make(tok.vocab_size)
    logits, loss = model(tg.Tensor(X[:7]))
    assert logits.shape == (7, tok.vocab_size) and loss is None
    initial = training.mean_loss(model, X, Y)
    assert initial == pytest.approx(np.log(tok.vocab_size), abs=0.35)  # scaled init: near uniform at start
    train(model, X, Y, steps=300)
    assert training.mean_loss(model, X, Y) < initial - 0.4


def test_mlp_rejects_wrong_context_length():
    model = MLP(MLPConfig(27, 3, 4, 8))
    with pytest.raises(ValueError, match="contexts of 3"):
        model(tg.zeros(2, 4, dtype=tg.int64))


def test_mlp_bn_uses_running_statistics_in_eval(small_data):
    words, tok = small_data
    X, Y = build_dataset(words, tok, 3)
    model = MLPBN(MLPBNConfig(tok.vocab_size, 3, 10, 16, 2), generator=tg.Generator(0))
    train(model, X, Y, steps=20)
    model.eval()
    one, _ = model(tg.Tensor(X[:1]))  # a single example works in eval (no batch statistics needed)
    many, _ = model(tg.Tensor(X[:50]))
    assert np.allclose(one.data[0], many.data[0], atol=1e-5)  # and does not depend on the batch
    assert {"layers.1.running_mean", "layers.1.running_var"} <= set(model.state_dict())


def test_mlp_bn_switch_removes_batchnorm_and_restores_biases():
    with_bn = MLPBN(MLPBNConfig(27, 3, 10, 16, 2))
    without = MLPBN(MLPBNConfig(27, 3, 10, 16, 2, batchnorm=False))
    assert any(isinstance(m, tg.nn.BatchNorm1d) for m in with_bn.modules())
    assert not any(isinstance(m, tg.nn.BatchNorm1d) for m in without.modules())
    assert without.layers[0].bias is not None and with_bn.layers[0].bias is None


def test_sampling_is_seeded_and_temperature_matters(small_data):
    words, tok = small_data
    X, Y = build_dataset(words, tok, 3)
    model = MLP(MLPConfig(tok.vocab_size, 3, 10, 64), generator=tg.Generator(0))
    train(model, X, Y, steps=200)
    a = model.sample(10, generator=tg.Generator(5))
    b = model.sample(10, generator=tg.Generator(5))
    assert a == b and all(0 not in ids for ids in a)
    cold = model.sample(30, temperature=0.05, generator=tg.Generator(1))
    assert len({tuple(ids) for ids in cold}) < len({tuple(ids) for ids in model.sample(30, temperature=2.0)})
    out = model.generate(tg.zeros(2, 1, dtype=tg.int64), 5, generator=tg.Generator(0))
    assert out.shape == (2, 6)
    with pytest.raises(ValueError, match="temperature"):
        model.sample(2, temperature=0.0)


@pytest.mark.parametrize("model_type", ["bigram", "bigram_counts", "mlp", "mlp_bn"])
def test_checkpoint_round_trip_through_the_registry(tmp_path, small_data, model_type):
    words, tok = small_data
    config_class, model_class = MODELS[model_type]
    config = config_class(vocab_size=tok.vocab_size)
    model = model_class(config)
    if model_type == "bigram_counts":
        model.fit(*build_dataset(words, tok, 1))
    path = training.save_checkpoint(
        tmp_path / "m.npz", model_type=model_type, config=config, model=model, tokenizer=tok
    )
    checkpoint = training.load_checkpoint(path)
    again = build_model(checkpoint["model_type"], checkpoint["config"])
    again.load_state_dict(checkpoint["state_dict"])
    assert training.tokenizer_from_dict(checkpoint["tokenizer"]).itos == tok.itos
    idx = tg.Tensor(build_dataset(words[:3], tok, config.block_size)[0])
    model.eval(), again.eval()
    assert np.array_equal(model(idx)[0].data, again(idx)[0].data)


def test_mlp_matches_torch_for_100_steps(small_data, torch):
    """The same weights and batches in torch and in ours: the same losses to 1e-5 for 100 SGD steps."""
    words, tok = small_data
    X, Y = build_dataset(words, tok, 3)
    ours = MLP(MLPConfig(tok.vocab_size, 3, 10, 200), generator=tg.Generator(3))

    class TorchMLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = torch.nn.Embedding(tok.vocab_size, 10)
            self.hidden = torch.nn.Linear(30, 200)
            self.output = torch.nn.Linear(200, tok.vocab_size)

        def forward(self, idx, targets):
            hidden = torch.tanh(self.hidden(self.wte(idx).view(len(idx), -1)))
            return torch.nn.functional.cross_entropy(self.output(hidden), targets)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: threads only add overhead on a loaded machine
    try:
        theirs = TorchMLP()
        theirs.load_state_dict({k: torch.from_numpy(v.data.copy()) for k, v in ours.state_dict().items()})
        our_opt = tg.optim.SGD(ours.parameters(), lr=0.1)
        their_opt = torch.optim.SGD(theirs.parameters(), lr=0.1)
        rng = np.random.default_rng(0)
        for step in range(100):
            rows = rng.integers(0, len(X), size=32)
            _, loss = ours(tg.Tensor(X[rows]), tg.Tensor(Y[rows]))
            our_opt.zero_grad()
            loss.backward()
            our_opt.step()
            their_loss = theirs(torch.from_numpy(X[rows]), torch.from_numpy(Y[rows]))
            their_opt.zero_grad()
            their_loss.backward()
            their_opt.step()
            assert abs(loss.item() - their_loss.item()) < 1e-5, (
                f"step {step}: {loss.item()} vs {their_loss.item()}"
            )
    finally:
        torch.set_num_threads(threads)
