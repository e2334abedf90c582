"""The trained Mini-BERT that ships in checkpoints/mini-bert: it loads in ours and in `transformers`
with the same logits, its held-out loss on the tests' subset is the one its model card states, the
fill-mask probes of the card give the card's answers, and the folder holds nothing but what it
should."""

import re
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu.data import load_corpus, split_corpus

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "checkpoints" / "mini-bert"
sys.path.insert(0, str(ROOT / "examples"))
from bert_common import baseline_metrics, heldout_batches, load_bert, mlm_metrics, unigram_baseline  # noqa: E402
from fill_mask import fill_mask  # noqa: E402

pytestmark = pytest.mark.skipif(not (FOLDER / "model.safetensors").is_file(), reason="no shipped checkpoint")
CARD = (FOLDER / "README.md").read_text(encoding="utf-8") if (FOLDER / "README.md").is_file() else ""
SUBSET_ROWS = 256  # the card's "tests' subset": the first 256 held-out rows


def card_number(label: str) -> float:
    match = re.search(re.escape(label) + r"[^|]*\|\s*\**([0-9.]+)", CARD)
    assert match, f"the model card has no row {label!r}"
    return float(match.group(1))


@pytest.fixture(scope="module")
def shipped():
    return load_bert(FOLDER)


def test_the_folder_is_what_transformers_reads_and_small():
    names = sorted(p.name for p in FOLDER.iterdir())
    assert names == ["README.md", "config.json", "loss.png", "model.safetensors", "vocab.txt"], names
    assert sum(p.stat().st_size for p in FOLDER.iterdir()) < 25 * 2**20


def test_ours_and_transformers_give_the_same_logits(shipped):
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    model, tokenizer = shipped
    hf_model = transformers.BertForMaskedLM.from_pretrained(FOLDER, attn_implementation="eager").eval()
    hf_tokenizer = transformers.BertTokenizer.from_pretrained(FOLDER)
    text = "good morrow , my lord . what [MASK] is it ?"
    ours_ids = tokenizer.encode(text).input_ids
    assert hf_tokenizer(text)["input_ids"] == ours_ids
    with tg.no_grad():
        ours = model(tg.Tensor(np.array([ours_ids]))).logits.numpy()
    with torch.no_grad():
        theirs = hf_model(torch.tensor([ours_ids])).logits.numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=2e-4)


def test_heldout_loss_on_the_tests_subset_matches_the_card(shipped):
    model, tokenizer = shipped
    train, heldout = split_corpus(load_corpus(ROOT / "data" / "shakespeare.txt"))
    batches = heldout_batches(tokenizer, heldout, 64, 64, max_rows=SUBSET_ROWS)
    loss = mlm_metrics(model, batches)["loss"]
    assert loss == pytest.approx(card_number("first 256 held-out rows"), abs=0.02)
    baseline = baseline_metrics(unigram_baseline(tokenizer, train), batches)["loss"]
    assert baseline - loss > 1.5  # far below the unigram baseline: the model uses context


def test_transformers_alone_reaches_the_cards_heldout_loss():
    """The same held-out subset scored by `transformers` only: its tokenizer turns the speeches into
    ids, and its model scores the masked rows (our masking, so that the masked tokens are the card's)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    hf_model = transformers.BertForMaskedLM.from_pretrained(FOLDER).eval()
    hf_tokenizer = transformers.BertTokenizer.from_pretrained(FOLDER)
    _, heldout = split_corpus(load_corpus(ROOT / "data" / "shakespeare.txt"))

    class HFTokenizer:  # the interface `heldout_batches` needs, answered by transformers' tokenizer
        cls_token_id, sep_token_id = hf_tokenizer.cls_token_id, hf_tokenizer.sep_token_id
        pad_token_id, mask_token_id = hf_tokenizer.pad_token_id, hf_tokenizer.mask_token_id
        vocab_size = hf_tokenizer.vocab_size
        special_token_ids = set(hf_tokenizer.all_special_ids)

        def tokenize(self, text):
            return hf_tokenizer.tokenize(text)

        def convert_tokens_to_ids(self, tokens):
            return hf_tokenizer.convert_tokens_to_ids(tokens)

    batches = heldout_batches(HFTokenizer(), heldout, 64, 64, max_rows=SUBSET_ROWS)
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in batches:
            output = hf_model(
                input_ids=torch.tensor(batch["input_ids"]),
                attention_mask=torch.tensor(batch["attention_mask"]),
                labels=torch.tensor(batch["labels"]),
            )
            tokens = int((batch["labels"] != -100).sum())
            total, count = total + float(output.loss) * tokens, count + tokens
    assert total / count == pytest.approx(card_number("first 256 held-out rows"), abs=0.02)


def test_fill_mask_probes_give_the_cards_answers(shipped):
    model, tokenizer = shipped
    probes = re.findall(r"^\| `(.+?\[MASK\].*?)` \| (.+?) \|", CARD, flags=re.M)
    assert len(probes) >= 4, "the model card lists its fill-mask probes"
    for text, answers in probes:
        expected = [a.strip().strip("`") for a in answers.split(",")]
        got = [token for token, _ in fill_mask(model, tokenizer, text, top_k=len(expected))[0]]
        assert got == expected, text
