"""A makemore-style program (tests/torch_ports/makemore_style.py: six model kinds, the padded-word
dataset, the endless loader, sampling, evaluation) run on torch and, with only its import lines
changed, on tinygrad_edu."""

from pathlib import Path

import numpy as np
import pytest
from torch_ports import load

torch = pytest.importorskip("torch")
import tinygrad_edu as tg  # noqa: E402

WORDS = Path(__file__).parents[1].joinpath("data", "names.txt").read_text().split()[:120]
KINDS = ["bigram", "mlp", "rnn", "gru", "bow", "transformer"]


class FixedBatches:
    """The same list of (X, Y) numpy batches, served as each library's tensors."""

    def __init__(self, library, batches):
        self.library, self.batches, self.steps, self.position = library, batches, len(batches), 0

    def next(self):
        x, y = self.batches[self.position % len(self.batches)]
        self.position += 1
        return self.library.from_numpy(x), self.library.from_numpy(y)


@pytest.fixture(scope="module")
def programs():
    return load("makemore_style", "torch"), load("makemore_style", "tinygrad_edu")


def datasets(mod):
    chars = sorted(set("".join(WORDS)))
    return mod.CharDataset(WORDS, chars, max(len(w) for w in WORDS))


def twins(programs, kind):
    ref_mod, our_mod = programs
    ref_data, our_data = datasets(ref_mod), datasets(our_mod)
    vocab, block = ref_data.get_vocab_size(), ref_data.get_output_length()
    ref = ref_mod.build(kind, ref_mod.default_config(vocab, block))
    ours = our_mod.build(kind, our_mod.default_config(vocab, block))
    state = {k: v.detach().numpy() for k, v in ref.state_dict().items()}
    if kind == "bigram":
        state["logits"] = np.random.default_rng(0).standard_normal(state["logits"].shape).astype(np.float32)
        ref.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    ours.load_state_dict(state)
    return ref, ours, ref_data, our_data


def numpy_batch(dataset, indices):
    xs, ys = zip(*(dataset[i] for i in indices))
    return np.stack([x.numpy() for x in xs]), np.stack([y.numpy() for y in ys])


def test_padded_word_samples_are_identical(programs):
    ref_data, our_data = datasets(programs[0]), datasets(programs[1])
    for i in (0, 7, 119):
        for ours, ref in zip(our_data[i], ref_data[i]):
            np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert our_data.decode(our_data[7][1][: len(WORDS[7])].tolist()) == WORDS[7]


@pytest.mark.parametrize("kind", KINDS)
def test_model_matches_torch(programs, kind):
    ref_mod, our_mod = programs
    ref, ours, ref_data, _ = twins(programs, kind)
    x, y = numpy_batch(ref_data, range(6))
    ref_logits, ref_loss = ref(torch.from_numpy(x), torch.from_numpy(y))
    logits, loss = ours(tg.from_numpy(x), tg.from_numpy(y))
    np.testing.assert_allclose(logits.data, ref_logits.detach().numpy(), rtol=1e-4, atol=1e-5)
    ref_loss.backward()
    loss.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name)
    # greedy decoding, token for token
    expected = ref_mod.generate(ref, torch.zeros(2, 1, dtype=torch.long), 8, do_sample=False).numpy()
    got = our_mod.generate(ours, tg.zeros(2, 1, dtype=tg.long), 8, do_sample=False).numpy()
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("kind", ["mlp", "gru", "transformer"])
def test_training_steps_match_torch(programs, kind, tmp_path):
    ref_mod, our_mod = programs
    ref, ours, ref_data, _ = twins(programs, kind)
    order = np.random.default_rng(1).permutation(len(WORDS))
    batches = [numpy_batch(ref_data, order[i : i + 8]) for i in range(0, 32, 8)]
    (tmp_path / "torch").mkdir()
    (tmp_path / "ours").mkdir()
    ref_losses = ref_mod.train(ref, FixedBatches(torch, batches), str(tmp_path / "torch"))
    losses = our_mod.train(ours, FixedBatches(tg, batches), str(tmp_path / "ours"))
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4)
    vocab, block = ref_data.get_vocab_size(), ref_data.get_output_length()
    reloaded = our_mod.build(kind, our_mod.default_config(vocab, block))
    reloaded.load_state_dict(tg.load(tmp_path / "ours" / "model.pt"))
    for (name, p), (_, q) in zip(reloaded.named_parameters(), ref.named_parameters()):
        ours_value, ref_value = p.data, q.detach().numpy()
        if name.endswith("c_attn.bias"):
            # the key bias shifts every score of a row equally, so softmax ignores it: its gradient
            # is zero up to rounding, and AdamW turns that rounding noise into full-size steps
            keep = np.r_[0:16, 32:48]
            ours_value, ref_value = ours_value[keep], ref_value[keep]
        np.testing.assert_allclose(ours_value, ref_value, rtol=1e-3, atol=1e-5, err_msg=name)


def test_evaluate_under_inference_mode_matches_on_one_batch(programs):
    ref_mod, our_mod = programs
    ref, ours, ref_data, our_data = twins(programs, "bow")
    expected = ref_mod.evaluate(ref, ref_data, batch_size=len(WORDS))
    assert our_mod.evaluate(ours, our_data, batch_size=len(WORDS)) == pytest.approx(expected, rel=1e-5)
    assert ours.training  # evaluate switches back to training mode
    assert all(p.grad is None for p in ours.parameters())


def test_endless_loader_sampling_and_dataset_split(programs, tmp_path):
    _, our_mod = programs
    tg.manual_seed(0)
    train_set, test_set = our_mod.create_datasets(WORDS)
    assert len(train_set) + len(test_set) == len(WORDS) and len(test_set) == 24
    assert not set(train_set.words) & set(w for w in test_set.words if WORDS.count(w) == 1)
    loader = our_mod.InfiniteDataLoader(train_set, batch_size=32, pin_memory=True, num_workers=4)
    batches = [loader.next() for _ in range(5)]  # 160 rows from 96 words: drawn with replacement
    assert all(x.shape == (32, train_set.get_output_length()) and x.dtype == tg.long for x, _ in batches)
    model = our_mod.build(
        "gru", our_mod.default_config(train_set.get_vocab_size(), train_set.get_output_length())
    )
    loader.steps = 3
    losses = our_mod.train(model, loader, str(tmp_path))
    assert len(losses) == 3 and all(np.isfinite(losses))
    words = our_mod.sample_words(model, train_set, num=4, top_k=5)
    assert len(words) == 4 and all(set(w) <= set(train_set.chars) for w in words)


def test_tensorboard_import_names_the_missing_module():
    with pytest.raises(ImportError, match="tinygrad_edu.utils.tensorboard"):
        from tinygrad_edu.utils.tensorboard import SummaryWriter  # noqa: F401
