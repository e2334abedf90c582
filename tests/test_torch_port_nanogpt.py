"""A nanoGPT-style program (tests/torch_ports/nanogpt_style.py) run on torch and, with only its import
lines changed, on tinygrad_edu: the same weights and batches give the same logits, loss, gradients,
optimizer steps, greedy decoding and resumed training."""

import numpy as np
import pytest
from torch_ports import load

torch = pytest.importorskip("torch")

CONFIGS = {"flash": dict(flash=True), "masked buffer": dict(flash=False, bias=False)}


def twins(**overrides):
    """The same GPT built on both libraries, ours holding torch's initial weights."""
    ref_mod, our_mod = load("nanogpt_style", "torch"), load("nanogpt_style", "tinygrad_edu")
    ref = ref_mod.GPT(ref_mod.Config(**overrides))
    ours = our_mod.GPT(our_mod.Config(**overrides))
    ours.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})
    return ref_mod, our_mod, ref, ours


def batch(seed=0, vocab=11, shape=(3, 12)):
    rng = np.random.default_rng(seed)
    return rng.integers(0, vocab, shape), rng.integers(0, vocab, shape)


@pytest.mark.parametrize("variant", CONFIGS)
def test_logits_loss_and_gradients_match(variant):
    ref_mod, our_mod, ref, ours = twins(**CONFIGS[variant])
    x, y = batch()
    y[0, :3] = -1  # ignored targets
    ref_logits, ref_loss = ref(torch.from_numpy(x), torch.from_numpy(y))
    import tinygrad_edu as tg

    logits, loss = ours(tg.from_numpy(x), tg.from_numpy(y))
    np.testing.assert_allclose(logits.data, ref_logits.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(loss.item(), ref_loss.item(), rtol=1e-5)
    ref_loss.backward()
    loss.backward()
    ref_grads = {n: p.grad.numpy() for n, p in ref.named_parameters()}
    grads = {n: p.grad.data for n, p in ours.named_parameters()}
    assert sorted(grads) == sorted(ref_grads)
    for name in grads:
        np.testing.assert_allclose(grads[name], ref_grads[name], rtol=1e-3, atol=1e-6, err_msg=name)
    # inference forward: only the last position, time dimension kept by the list index
    assert ours(tg.from_numpy(x))[0].shape == (3, 1, 11)


def test_model_surgery_and_bookkeeping():
    ref_mod, our_mod, ref, ours = twins(flash=False)
    assert ours.get_num_params() == ref.get_num_params()
    assert ours.estimate_mfu(4, 0.5) == pytest.approx(ref.estimate_mfu(4, 0.5))
    ref.crop_block_size(8)
    ours.crop_block_size(8)
    assert ours.transformer.wpe.weight.shape == (8, 16) and ours.transformer.h[0].attn.bias.shape == (
        1,
        1,
        8,
        8,
    )
    assert sorted(ours.state_dict()) == sorted(ref.state_dict())
    x, _ = batch(shape=(2, 8))
    import tinygrad_edu as tg

    np.testing.assert_allclose(
        ours(tg.from_numpy(x))[0].data, ref(torch.from_numpy(x))[0].detach().numpy(), rtol=1e-4, atol=1e-5
    )


def test_optimizer_groups_and_steps_match():
    # without biases: the key bias's gradient is zero up to rounding, and Adam would magnify that noise
    ref_mod, our_mod, ref, ours = twins(bias=False)
    ref_opt = ref.configure_optimizers(0.1, 1e-2, (0.9, 0.95), "cpu")
    opt = ours.configure_optimizers(0.1, 1e-2, (0.9, 0.95), "cpu")
    assert [len(g["params"]) for g in opt.param_groups] == [len(g["params"]) for g in ref_opt.param_groups]
    import tinygrad_edu as tg

    for seed in range(3):
        x, y = batch(seed)
        for model, optimizer, lib in ((ref, ref_opt, torch), (ours, opt, tg)):
            _, loss = model(lib.from_numpy(x), lib.from_numpy(y))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    for (name, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_top_k_one_decodes_greedily_and_identically():
    ref_mod, our_mod, ref, ours = twins(flash=False)
    ref.eval()
    ours.eval()
    start = np.array([[1, 2, 3]])
    import tinygrad_edu as tg

    # top_k=1 masks every logit but the largest in place, so sampling can only pick the argmax
    expected = ref.generate(torch.from_numpy(start), 20, top_k=1).numpy()
    got = ours.generate(tg.from_numpy(start), 20, top_k=1).numpy()
    np.testing.assert_array_equal(got, expected)
    assert got.shape == (1, 23)  # past the block size of 16: the context is cropped


def test_sampling_with_top_k_is_reproducible_and_stays_in_the_top_k():
    import tinygrad_edu as tg

    _, _, ref, ours = twins()
    start = tg.tensor([[0]], dtype=tg.long)
    tg.manual_seed(7)
    first = ours.generate(start, 12, temperature=0.8, top_k=3)
    tg.manual_seed(7)
    assert tg.equal(first, ours.generate(start, 12, temperature=0.8, top_k=3))
    logits, _ = ours(first[:, :1])
    allowed = set(logits[0, -1].topk(3).indices.tolist())
    assert first[0, 1].item() in allowed


def test_training_loop_and_resume_match_torch(tmp_path):
    import tinygrad_edu as tg

    data = np.random.default_rng(3).integers(0, 11, 400).astype(np.uint16)
    ref_mod, our_mod, ref, ours = twins(bias=False)
    model_args = dict(n_layer=2, n_head=2, n_embd=16, block_size=16, bias=False, vocab_size=11)
    logs = {}
    for name, mod, model in (("torch", ref_mod, ref), ("ours", our_mod, ours)):
        (tmp_path / name).mkdir()
        run = mod.Run(data, str(tmp_path / name))
        optimizer = model.configure_optimizers(0.1, run.learning_rate, (0.9, 0.95), run.device_type)
        run.train(model, optimizer, 3)
        run.save(model, optimizer, model_args)
        resumed = mod.Run(data, str(tmp_path / name))
        model2, optimizer2 = resumed.resume()
        resumed.train(model2, optimizer2, 3)
        logs[name] = run.log + resumed.log
    assert logs["ours"] == logs["torch"]  # every printed loss, to 4 decimals
    # the checkpoint is our own format: plain numpy arrays and JSON, loadable without pickle
    checkpoint = tg.load(tmp_path / "ours" / "ckpt.pt")
    assert checkpoint["iter_num"] == 3 and isinstance(checkpoint["model_args"], dict)
    assert np.load(tmp_path / "ours" / "ckpt.pt", allow_pickle=False) is not None


def test_float16_scaler_and_cuda_settings_fall_back_quietly():
    import tinygrad_edu as tg

    our_mod = load("nanogpt_style", "tinygrad_edu")
    with pytest.warns(UserWarning, match="GradScaler is enabled"):
        run = our_mod.Run(np.zeros(50, np.uint16), ".", dtype="float16")
    assert run.scaler.is_enabled() is False and tg.backends.cuda.matmul.allow_tf32 is True
    with pytest.raises(TypeError, match="bfloat16 is not supported"):
        tg.zeros(2, dtype=tg.bfloat16)
    with pytest.raises(RuntimeError, match="CPU only"):
        our_mod.Run(np.zeros(50, np.uint16), ".", device="cuda").get_batch()
