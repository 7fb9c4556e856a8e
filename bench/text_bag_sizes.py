#!/usr/bin/env python3
"""The bag-of-embeddings student's size against its accuracy, on labels and distilled, over the
seeds of a `distill run --seeds N` on a text config: where distillation helps a linear student
and where a larger table on labels alone does better (docs/text.md, "How big a bag").

For each (embedding width, bigram buckets) below it runs `bench/text_students.py` for the bag on
labels and on KD + the augmented transfer set (models under students/<tag>/, the example's own
size under students/, every step skipped when its output exists), then reports per size the
parameters, the int8 file, test and validation accuracy (mean ± sd over seeds), the paired gain
of the distilled student over the label-trained one of the same size, and the share of the
teacher–student gap that gain closes.

Usage: bench/text_bag_sizes.py RUN_DIR [--seeds 0,1,2] [--distill build/cli/distill]
                               [--threads N] [--json OUT] [--markdown OUT]
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile


# (embedding width, bigram buckets, tag of the models' folder; None: the table's own students/).
SIZES = [
    (16, 100000, 'b100000_d16'),
    (64, 20000, None),  # examples/text.yaml's student
    (32, 100000, 'b100000_d32'),
    (64, 75000, 'b75000'),  # about the largest whose int8 file stays under the teacher's file
    (64, 100000, 'b100000'),
]


def run_sizes(args):
    """text_students.py's summary for each size (its JSON)."""
    summaries = []
    here = pathlib.Path(__file__).resolve().parent
    for width, buckets, tag in SIZES:
        with tempfile.NamedTemporaryFile(suffix='.json') as out:
            command = [sys.executable, str(here / 'text_students.py'), str(args.run_dir),
                       '--student', 'bag', '--method', 'labels', '--method', 'kd_transfer',
                       '--distill', args.distill, '--threads', str(args.threads),
                       '--set', f'student.model.embedding_dim={width}',
                       '--set', f'student.model.bigram_buckets={buckets}', '--json', out.name]
            if args.seeds:
                command += ['--seeds', args.seeds]
            if tag:
                command += ['--tag', tag]
            print('running:', ' '.join(command), file=sys.stderr, flush=True)
            if subprocess.run(command, stdout=subprocess.DEVNULL).returncode != 0:
                sys.exit(f'text_bag_sizes: the {width}-d x {buckets}-bucket bag failed in '
                         'text_students.py (its message is above)')
            summaries.append(((width, buckets, tag), json.loads(pathlib.Path(out.name).read_text())))
    return summaries


def size_row(width, buckets, tag, summary):
    """One size's figures from text_students.py's summary: accuracies, the paired gain of the
    distilled student over the label-trained one (text_students.py's own) and the share of the
    teacher–student gap it closes."""
    s = summary['summary']
    teacher, labels, distilled = s['teacher'], s['bag/labels'], s['bag/kd_transfer']
    row = {
        'embedding_dim': width, 'bigram_buckets': buckets, 'tag': tag,
        'seeds': sorted(labels['seeds']),
        'parameters': labels['parameters'], 'bytes': labels['bytes'],
        'int8_bytes': labels.get('int8_bytes'),
        'teacher_accuracy': teacher['accuracy'], 'teacher_validation': teacher['validation_accuracy'],
        'labels': {k: labels[k] for k in ('accuracy', 'macro_f1', 'validation_accuracy')},
        'distilled': {k: distilled[k] for k in ('accuracy', 'macro_f1', 'validation_accuracy')},
        'teacher_minus_labels_points':
            100 * (teacher['accuracy']['mean'] - labels['accuracy']['mean']),
    }
    if 'gain_over_labels_points' in distilled:  # two seeds or more
        row['gain_points'] = distilled['gain_over_labels_points']
        row['share_of_gap'] = row['gain_points']['mean'] / row['teacher_minus_labels_points']
    return row


def markdown_table(rows):
    lines = ['| bag | parameters | int8 file | on labels: test (validation) | distilled: test '
             '(validation) | gain, points (95 % CI) | teacher − labels | share of the gap |',
             '|---|---|---|---|---|---|---|---|']
    for r in rows:
        lab, dis = r['labels'], r['distilled']
        gain = r.get('gain_points')
        lines.append(
            f"| {r['embedding_dim']}-d × {r['bigram_buckets']:,} buckets | {r['parameters']:,} | "
            f"{r['int8_bytes'] / 2**20:.2f} MiB | {lab['accuracy']['mean']:.4f} ± "
            f"{lab['accuracy']['sd']:.4f} ({lab['validation_accuracy']['mean']:.4f}) | "
            f"{dis['accuracy']['mean']:.4f} ± {dis['accuracy']['sd']:.4f} "
            f"({dis['validation_accuracy']['mean']:.4f}) | " +
            (f"{gain['mean']:+.2f} ({gain['ci95'][0]:+.2f} … {gain['ci95'][1]:+.2f})"
             if gain else '—') +
            f" | {r['teacher_minus_labels_points']:.2f} | " +
            (f"{100 * r['share_of_gap']:.0f} %" if 'share_of_gap' in r else '—') + ' |')
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('run_dir', type=pathlib.Path)
    parser.add_argument('--seeds', help='comma-separated seeds (default: every seed-* folder)')
    parser.add_argument('--distill', default='build/cli/distill')
    parser.add_argument('--threads', type=int, default=0, help='compute threads (0: every core)')
    parser.add_argument('--json', type=pathlib.Path)
    parser.add_argument('--markdown', type=pathlib.Path)
    args = parser.parse_args()
    rows = [size_row(w, b, t, summary) for (w, b, t), summary in run_sizes(args)]
    table = markdown_table(rows)
    print(table)
    if args.markdown:
        args.markdown.write_text(table)
    if args.json:
        args.json.write_text(json.dumps({'run_dir': str(args.run_dir), 'sizes': rows},
                                        indent=2) + '\n')


if __name__ == '__main__':
    main()
