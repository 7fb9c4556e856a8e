"""BERT's tokenizer as Hugging Face's transformers writes it (tokenization_bert.py: BasicTokenizer,
then WordpieceTokenizer), in plain Python over the standard library's unicodedata: the reference
distill's WordPieceTokenizer (C++, utf8proc) is checked against. Ids are the vocabulary file's
line indices, as the user's model reads them.

As a program: `bert_tokenizer_reference.py VOCAB.txt LOWERCASE(0|1)` reads a JSON list of texts
on standard input and writes a JSON list of id lists; `bert_tokenizer_reference.py --build-vocab
VOCAB.txt LOWERCASE WORDS` writes a BERT-shaped vocabulary for the texts on standard input."""
import json
import sys
import unicodedata


def load_vocab(path):
    with open(path, encoding="utf-8") as f:
        return {line.rstrip("\n"): i for i, line in enumerate(f)}


def _is_whitespace(char):
    if char in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(char) == "Zs"


def _is_control(char):
    if char in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char):
    cp = ord(char)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(char).startswith("P")


def _is_chinese_char(cp):
    return ((0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or (0x20000 <= cp <= 0x2A6DF)
            or (0x2A700 <= cp <= 0x2B73F) or (0x2B740 <= cp <= 0x2B81F)
            or (0x2B820 <= cp <= 0x2CEAF) or (0xF900 <= cp <= 0xFAFF)
            or (0x2F800 <= cp <= 0x2FA1F))


def basic_tokenize(text, lowercase):
    cleaned = []
    for char in text:
        cp = ord(char)
        if cp == 0 or cp == 0xFFFD or _is_control(char):
            continue
        cleaned.append(" " if _is_whitespace(char) else char)
    text = "".join(cleaned)
    text = "".join(" %s " % c if _is_chinese_char(ord(c)) else c for c in text)
    split_tokens = []
    for token in text.strip().split():
        if lowercase:
            token = token.lower()
            token = "".join(c for c in unicodedata.normalize("NFD", token)
                            if unicodedata.category(c) != "Mn")
        output, start_new_word = [], True
        for char in token:
            if _is_punctuation(char):
                output.append([char])
                start_new_word = True
            else:
                if start_new_word:
                    output.append([])
                start_new_word = False
                output[-1].append(char)
        split_tokens.extend("".join(x) for x in output)
    return " ".join(split_tokens).strip().split()


def wordpiece_tokenize(word, vocab, unk="[UNK]", max_chars=100):
    chars = list(word)
    if len(chars) > max_chars:
        return [unk]
    start, pieces = 0, []
    while start < len(chars):
        end, current = len(chars), None
        while start < end:
            piece = "".join(chars[start:end])
            if start > 0:
                piece = "##" + piece
            if piece in vocab:
                current = piece
                break
            end -= 1
        if current is None:
            return [unk]
        pieces.append(current)
        start = end
    return pieces


def encode(text, vocab, lowercase):
    return [vocab[p] for word in basic_tokenize(text, lowercase)
            for p in wordpiece_tokenize(word, vocab)]


def build_vocab(texts, lowercase, words):
    """BERT's layout ([PAD] 0, [unused*], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), then the
    `words` commonest words, the commonest prefixes and "##" suffixes, every character seen
    alone and as "##" continuation: greedy matching meets whole words, pieces and characters."""
    from collections import Counter
    counts = Counter(w for t in texts for w in basic_tokenize(t, lowercase))
    common = [w for w, _ in counts.most_common(words)]
    tokens = ["[PAD]"] + ["[unused%d]" % i for i in range(99)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokens += common
    tokens += sorted({w[:4] for w in common if len(w) > 5})
    tokens += sorted({"##" + w[-3:] for w in common if len(w) > 5})
    chars = sorted({c for w in counts for c in w})
    tokens += chars + ["##" + c for c in chars]
    seen, out = set(), []
    for t in tokens:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


if __name__ == "__main__":
    if sys.argv[1] == "--build-vocab":
        tokens = build_vocab(json.load(sys.stdin), sys.argv[3] == "1", int(sys.argv[4]))
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write("".join(t + "\n" for t in tokens))
        sys.exit(0)
    vocab = load_vocab(sys.argv[1])
    lowercase = sys.argv[2] == "1"
    texts = json.load(sys.stdin)
    json.dump([encode(t, vocab, lowercase) for t in texts], sys.stdout)
