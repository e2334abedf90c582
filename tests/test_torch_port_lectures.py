"""Tensor code in the style of the makemore lectures (tests/torch_ports/lectures_style.py) run on
torch and, with only its import lines changed, on tinygrad_edu, from the same starting numbers."""

from pathlib import Path

import numpy as np
import pytest
from torch_ports import load

torch = pytest.importorskip("torch")
import tinygrad_edu as tg  # noqa: E402

WORDS = Path(__file__).parents[1].joinpath("data", "names.txt").read_text().split()[:200]


@pytest.fixture(scope="module")
def programs():
    return load("lectures_style", "torch"), load("lectures_style", "tinygrad_edu")


def arrays(*shapes, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape) * scale).astype(np.float32) for shape in shapes]


def leaves(library, values):
    return [library.tensor(v, requires_grad=True) for v in values]


def test_bigram_counts_and_likelihood(programs):
    (ref_mod, our_mod), stoi = programs, programs[0].build_vocabulary(WORDS)[0]
    ref_N, ref_P, ref_nll = ref_mod.count_bigrams(WORDS, stoi)
    N, P, nll = our_mod.count_bigrams(WORDS, stoi)
    assert N.dtype == tg.int32 and P.dtype == tg.float
    np.testing.assert_array_equal(N.numpy(), ref_N.numpy())
    np.testing.assert_allclose(P.numpy(), ref_P.numpy(), rtol=1e-6)
    assert nll.item() == pytest.approx(ref_nll.item(), rel=1e-5)
    assert f"{nll:.4f}" == f"{ref_nll:.4f}"
    # sampling: reproducible with a seeded Generator (torch's own stream differs: its generator is not numpy's)
    itos = our_mod.build_vocabulary(WORDS)[1]
    first = our_mod.sample_from_table(P, itos, 5)
    assert first == our_mod.sample_from_table(P, itos, 5) and all(set(n) <= set(stoi) for n in first)


def test_neural_bigram_gradient_descent(programs):
    ref_mod, our_mod = programs
    stoi = ref_mod.build_vocabulary(WORDS)[0]
    (W0,) = arrays((len(stoi), len(stoi)))
    results = []
    for mod, lib in ((ref_mod, torch), (our_mod, tg)):
        xs, ys = mod.bigram_pairs(WORDS[:50], stoi)
        W = lib.tensor(W0, requires_grad=True)
        results.append((mod.train_neural_bigram(xs, ys, W, steps=5), W.detach().numpy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    np.testing.assert_allclose(results[1][1], results[0][1], rtol=1e-4, atol=1e-5)


def test_mlp_training_evaluation_and_sampling(programs):
    ref_mod, our_mod = programs
    stoi, itos = ref_mod.build_vocabulary(WORDS)
    V = len(stoi)
    initial = arrays((V, 10), (30, 64), (64,), (64, V), (V,), scale=0.3)
    order = np.random.default_rng(1).permutation(600)
    batches = [order[i : i + 32].tolist() for i in range(0, 160, 32)]
    results = []
    for mod, lib in ((ref_mod, torch), (our_mod, tg)):
        X, Y = mod.build_dataset(WORDS, stoi)
        params = [lib.tensor(a) for a in initial]
        lrs = mod.learning_rate_candidates(5)
        losses = mod.train_mlp(X, Y, params, batches, [0.1, 0.1, 0.1, 0.01, 0.01])
        results.append((losses, mod.split_loss(X, Y, params), lrs.numpy()))
    np.testing.assert_allclose(results[1][0], results[0][0], rtol=1e-5)
    assert results[1][1] == pytest.approx(results[0][1], rel=1e-5)
    np.testing.assert_allclose(results[1][2], results[0][2], rtol=1e-6)
    params = [tg.tensor(a) for a in initial]
    names = our_mod.sample_mlp(params, itos, 4)
    assert names == our_mod.sample_mlp(params, itos, 4) and len(names) == 4


def test_wavenet_layers_training_statistics_and_evaluation(programs):
    ref_mod, our_mod = programs
    stoi = ref_mod.build_vocabulary(WORDS)[0]
    ref_model, model = ref_mod.wavenet(len(stoi)), our_mod.wavenet(len(stoi))
    our_mod.set_weights(model.parameters(), [p.detach().numpy() for p in ref_model.parameters()])
    order = np.random.default_rng(2).permutation(500)
    batches = [order[i : i + 32].tolist() for i in range(0, 96, 32)]
    results = []
    for mod, net in ((ref_mod, ref_model), (our_mod, model)):
        X, Y = mod.build_dataset(WORDS, stoi, block_size=8)
        losses, stats, (hy, hx) = mod.train_layers(net, X, Y, batches)
        results.append(
            (
                losses,
                stats,
                hy.detach().numpy(),
                hx.detach().numpy(),
                mod.evaluate_layers(net, X[:200], Y[:200]),
            )
        )
    (ref_losses, ref_stats, ref_hy, ref_hx, ref_eval), (losses, stats, hy, hx, evaluation) = results
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for step, ref_step in zip(stats, ref_stats):
        np.testing.assert_allclose(np.array(step, dtype=object).tolist()[-1], ref_step[-1], rtol=1e-3)
        np.testing.assert_allclose(step[:-1], ref_step[:-1], rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(hx, ref_hx, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hy, ref_hy, rtol=1e-4)
    assert evaluation == pytest.approx(ref_eval, rel=1e-5)
    np.testing.assert_allclose(
        model.layers[3].running_var.numpy(), ref_model.layers[3].running_var.numpy(), rtol=1e-4
    )


def test_backprop_by_hand_agrees_with_autograd_on_both(programs):
    ref_mod, our_mod = programs
    initial = arrays((27, 10), (30, 64), (64,), (64, 27), (27,), (1, 64), (1, 64), seed=3, scale=0.3)
    initial[5] += 1.0  # bngain near one
    rng = np.random.default_rng(4)
    Xb, Yb = rng.integers(0, 27, (5, 3)), rng.integers(0, 27, 5)  # each dC[ix] += ... scans memory once
    ref_loss, ref_pairs = ref_mod.manual_backprop(
        torch.from_numpy(Xb), torch.from_numpy(Yb), leaves(torch, initial)
    )
    loss, pairs = our_mod.manual_backprop(tg.from_numpy(Xb), tg.from_numpy(Yb), leaves(tg, initial))
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5)
    report = our_mod.compare(pairs)
    assert all(approximate for _, approximate, _ in report.values()), report
    for name in pairs:
        np.testing.assert_allclose(
            pairs[name][0].detach().numpy(),
            ref_pairs[name][0].detach().numpy(),
            rtol=1e-3,
            atol=1e-6,
            err_msg=name,
        )


def test_only_import_lines_differ():
    from torch_ports import changed_lines

    for name in ("lectures_style", "makemore_style", "mingpt_style", "nanogpt_style"):
        changes = changed_lines(name)
        assert changes, name
        assert all(a.lstrip().startswith(("import torch", "from torch")) for a, _ in changes), changes
        assert all("tinygrad_edu" in b and "torch" not in b.replace("as torch", "") for _, b in changes), (
            changes
        )
