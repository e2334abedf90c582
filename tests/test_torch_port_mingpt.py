"""A minGPT-style program (tests/torch_ports/mingpt_style.py: model, trainer, chargpt set-up) run on
torch and, with only its import lines changed, on tinygrad_edu."""

import numpy as np
import pytest
from torch_ports import load

torch = pytest.importorskip("torch")
import tinygrad_edu as tg  # noqa: E402

# torch says pin_memory does nothing without an accelerator; minGPT's trainer asks for it anyway
pytestmark = pytest.mark.filterwarnings("ignore:'pin_memory' argument")

TEXT = "first citizen: before we proceed any further, hear me speak. all: speak, speak. " * 3


def twins(block_size=8):
    ref_mod, our_mod = load("mingpt_style", "torch"), load("mingpt_style", "tinygrad_edu")
    models, datasets = [], []
    for mod in (ref_mod, our_mod):
        dataset = mod.CharDataset(TEXT, block_size)
        config = mod.GPT.get_default_config()
        config.vocab_size, config.block_size = dataset.get_vocab_size(), dataset.get_block_size()
        models.append(mod.GPT(config))
        datasets.append(dataset)
    ref, ours = models
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    return (ref_mod, our_mod), (ref, ours), datasets


def test_dataset_samples_are_identical():
    _, _, (ref_data, our_data) = twins()
    assert len(our_data) == len(ref_data)
    for i in (0, 5, len(ref_data) - 1):
        for ours, ref in zip(our_data[i], ref_data[i]):
            assert ours.dtype == tg.long and np.array_equal(ours.numpy(), ref.numpy())


def test_forward_backward_and_greedy_generation_match():
    _, (ref, ours), (ref_data, our_data) = twins()
    assert ours.n_params == ref.n_params
    x = np.stack([ref_data[i][0].numpy() for i in range(4)])
    y = np.stack([ref_data[i][1].numpy() for i in range(4)])
    ref_logits, ref_loss = ref(torch.from_numpy(x), torch.from_numpy(y))
    logits, loss = ours(tg.from_numpy(x), tg.from_numpy(y))
    np.testing.assert_allclose(logits.data, ref_logits.detach().numpy(), rtol=1e-4, atol=1e-5)
    ref_loss.backward()
    loss.backward()
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.grad.data, q.grad.numpy(), rtol=1e-3, atol=1e-6, err_msg=name)
    start = x[:1, :3]
    expected = ref.generate(torch.from_numpy(start), 15, do_sample=False).numpy()
    np.testing.assert_array_equal(ours.generate(tg.from_numpy(start), 15, do_sample=False).numpy(), expected)


def test_trainer_on_the_same_batches_gives_the_same_losses_and_weights():
    (ref_mod, our_mod), (ref, ours), (ref_data, our_data) = twins()
    order = [int(i) for i in np.random.default_rng(0).permutation(len(ref_data))[:16]]
    results = []
    for mod, model, dataset in ((ref_mod, ref, ref_data), (our_mod, ours, our_data)):
        config = mod.Trainer.get_default_config()
        config.max_iters, config.sampler, config.num_workers = 5, order, 0  # 2 batches a pass: restarts
        trainer = mod.Trainer(config, model, dataset)
        assert trainer.device == "cpu"
        trainer.run()
        results.append(trainer.losses)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4)
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-3, atol=1e-5, err_msg=name)


def test_endless_random_sampler_trainer_with_sampling_callback(tmp_path):
    (_, our_mod), (_, ours), (_, our_data) = twins()
    our_mod.set_seed(3)
    config = our_mod.Trainer.get_default_config()
    config.max_iters = 4  # num_workers=4 and pin_memory=True as minGPT's defaults: accepted
    trainer = our_mod.Trainer(config, ours, our_data)
    trainer.samples = []
    trainer.add_callback(our_mod.sample_callback(str(tmp_path / "model.pt"), "speak", every=1))
    trainer.run()
    assert len(trainer.losses) == 4 and all(np.isfinite(trainer.losses))
    assert len(trainer.samples) == 4 and all(s.startswith("speak") and len(s) == 17 for s in trainer.samples)
    assert set("".join(trainer.samples)) <= set(TEXT)
    reloaded = our_mod.GPT(ours_config(our_mod, our_data))  # the weights saved after the last step
    reloaded.load_state_dict(tg.load(tmp_path / "model.pt"))
    assert all(np.array_equal(a.data, b.data) for a, b in zip(reloaded.parameters(), ours.parameters()))


def ours_config(mod, dataset):
    config = mod.GPT.get_default_config()
    config.vocab_size, config.block_size = dataset.get_vocab_size(), dataset.get_block_size()
    return config


def test_optimizer_groups_split_the_same_way():
    _, (ref, ours), _ = twins()
    settings = load("mingpt_style", "tinygrad_edu").Trainer.get_default_config()
    groups = [[tuple(p.shape) for p in g["params"]] for g in ours.configure_optimizers(settings).param_groups]
    ref_groups = [
        [tuple(p.shape) for p in g["params"]] for g in ref.configure_optimizers(settings).param_groups
    ]
    assert groups == ref_groups and len(groups[0]) > 0 and len(groups[1]) > 0
