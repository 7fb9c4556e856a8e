#!/usr/bin/env python3
"""Every text student × {labels only, KD, KD + augmented transfer set}, over the seeds of a
`distill run --seeds N` on a text config (issue 14's table).

For each seed-<s> folder (its effective config.yaml, its teacher.pt and the soft-label cache of
its transfer set) and each student recipe below, this trains the student three ways from the
same config — on labels (`distill train --role student`), distilled from the seed's teacher on
the training texts alone (`distill.transfer_set.copies=0`), and distilled on the training texts
plus the config's augmented copies (the run's own soft labels, read from its cache) — then
quantizes each to the libtorch-free int8 runtime where the family has an int8 form
(`distill quantize`, which evaluates fp32 and int8 on the test split), or evaluates the fp32
model (`distill evaluate`). Every step is skipped when its output exists, so a stopped run
resumes. Then it reports, per student and method, test accuracy and macro-F1 (mean ± sd over
seeds), validation accuracy (the best epoch's, which training keeps), parameters and bytes, the
int8 form's accuracy, and the paired gain of each distillation method over labels. With
--speed it times each student's KD + transfer-set model of the first seed, fp32 and int8, with
`distill bench` (batch-1 latency and throughput; run it on an otherwise idle machine).

Usage: bench/text_students.py RUN_DIR [--student NAME ...] [--method NAME ...] [--seeds 0,1]
                              [--set KEY=VALUE ...] [--tag NAME] [--distill build/cli/distill]
                              [--threads N] [--speed] [--json OUT] [--markdown OUT]
"""
import argparse
import json
import pathlib
import subprocess
import sys

from paired_stats import mean_sd, paired

# The students and their recipes (config overrides on top of the seed's config; 'per_method'
# adds overrides for one method). Learning rates and widths were set on seed 0's validation split
# (docs/text.md); every training keeps its best validation epoch, so epochs are an upper bound.
STUDENTS = {
    'bag': {
        'description': "bag of embeddings + hashed bigrams, 64-d (the example's student)",
        'settings': [],
        # The best label recipe on validation trains longer (docs/text.md, bench/text_gap.py).
        'per_method': {'labels': ['student.train.epochs=10']},
        'int8': True,
    },
    'text_cnn': {
        'description': 'Kim CNN, 64-d embeddings, widths 3/4/5 x 100 filters',
        'settings': ['student.model.type=text_cnn', 'student.model.kernel_widths=[3, 4, 5]',
                     'student.model.filters=100', 'student.train.lr=0.002'],
        # On labels, 8 epochs beat 4 on seed 0's validation split (0.7318 against 0.7295; lr
        # 0.001: 0.7212; dropout 0.5: 0.7084).
        'per_method': {'labels': ['student.train.epochs=8']},
        'int8': True,
    },
    'bilstm': {
        'description': 'BiLSTM, 64-d embeddings, 128 units per direction, one layer',
        # Adam's learning rate chosen on seed 0's validation split, per method (fourteenth
        # session, `--tag` runs): 0.004 against 0.002 — labels 0.7263 / 0.7060, KD 0.7427 /
        # 0.7138, KD + transfer set 0.7690 / 0.7403 (also 0.001: 0.6878; 0.008: 0.7690, a tie —
        # the smaller kept).
        'settings': ['student.model.type=bilstm', 'student.model.hidden=[128]',
                     'student.model.layers=1', 'student.model.embedding_dim=64',
                     'student.train.lr=0.004'],
        # A transfer-set epoch is 5 passes over the training texts' worth of steps: one epoch,
        # more steps than the 4 epochs of the other methods.
        'per_method': {'kd_transfer': ['student.train.epochs=1']},
        'int8': True,
    },
    'transformer': {
        'description': 'tiny Transformer, 2 x 64, 2 heads, feed-forward 256',
        'settings': ['student.model.type=transformer', 'student.model.embedding_dim=64',
                     'student.model.layers=2', 'student.model.heads=2',
                     'student.model.feed_forward=256', 'student.model.pooling=cls',
                     'student.model.dropout=0.1', 'student.train.optimizer=adamw',
                     'student.train.lr=0.001', 'student.train.weight_decay=0.01',
                     'student.train.max_gradient_norm=1.0', 'quantize.enabled=false'],
        # A transfer-set epoch is 5 passes over the training texts' worth of steps (~5 minutes
        # on 2 cores): 2 epochs give it more steps than the 4 epochs of the other methods.
        # AdamW's learning rate chosen on seed 0's validation split per method (fourteenth
        # session, `--tag` runs), 0.002 against 0.001: labels 0.7553 / 0.7568 and KD 0.7614 /
        # 0.7688 keep 0.001; KD + transfer set 0.7709 / 0.7668 takes 0.002.
        'per_method': {'kd_transfer': ['student.train.epochs=2', 'student.train.lr=0.002']},
        'int8': False,
    },
}

METHODS = {
    'labels': 'labels only',
    'kd': 'KD (training texts)',
    'kd_transfer': 'KD + transfer set',
}


def run(command):
    print('running:', ' '.join(command), file=sys.stderr, flush=True)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


def set_flags(settings):
    """`--set K=V` for each override."""
    return [flag for setting in settings for flag in ('--set', setting)]


def recipe(student, method):
    """The config overrides of one student trained one way."""
    spec = STUDENTS[student]
    return list(spec['settings']) + list(spec.get('per_method', {}).get(method, []))


def students_dir(args, seed_dir):
    """Where one seed's students go: students/, or students/TAG/ for a --tag run (a
    validation sweep's models never overwrite, nor stand in for, the table's)."""
    return seed_dir / 'students' / args.tag if args.tag else seed_dir / 'students'


def train(args, seed_dir, student, method, settings):
    """Trains one student one way (once); the path of its model file."""
    out_dir = students_dir(args, seed_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model = out_dir / f'{student}-{method}.pt'
    if model.with_suffix('.training.json').exists():
        return model
    config = seed_dir / 'config.yaml'
    common = ['-q', '-j', str(args.threads), '-c', str(config), '-o', str(model)]
    overrides = recipe(student, method) + settings
    if method == 'labels':
        command = [args.distill, 'train', '--role', 'student'] + common
    else:
        command = [args.distill, 'distill', '-t', str(seed_dir / 'teacher.pt')] + common
        overrides.append(f'distill.cache_dir={seed_dir / "soft-label-cache"}')
        if method == 'kd':
            overrides.append('distill.transfer_set.copies=0')
    run(command + set_flags(overrides))
    return model


def evaluate(args, seed_dir, student, model, settings):
    """Test figures of the fp32 model and, where the family has one, of its int8 form."""
    config = seed_dir / 'config.yaml'
    overrides = set_flags(STUDENTS[student]['settings'] + settings)
    common = ['-q', '-j', str(args.threads), '-c', str(config)]
    if STUDENTS[student]['int8']:
        record = model.with_suffix('.quantize.json')
        if not record.exists():
            run([args.distill, 'quantize'] + common + overrides +
                ['-m', str(model), '-o', str(model.with_suffix('.int8text')), '--json', str(record)])
        models = json.loads(record.read_text())['models']
        order = list(models)
        fp32, int8 = models[order[0]], models[order[1]]
    else:
        record = model.with_suffix('.evaluation.json')
        if not record.exists():
            run([args.distill, 'evaluate', '--no-speed'] + common + overrides +
                ['-m', str(model), '--json', str(record)])
        fp32, int8 = json.loads(record.read_text())['models']['model'], None
    training = json.loads(model.with_suffix('.training.json').read_text())
    row = {
        'accuracy': fp32['test']['accuracy'],
        'macro_f1': fp32['test']['macro_f1'],
        'validation_accuracy': training['best_validation_accuracy'],
        'best_epoch': training['best_epoch'],
        'train_seconds': sum(epoch['seconds'] for epoch in training['history']),
        'parameters': fp32['parameters'],
        'bytes': fp32['bytes'],
    }
    if int8 is not None:
        row.update({'int8_accuracy': int8['test']['accuracy'],
                    'int8_macro_f1': int8['test']['macro_f1'], 'int8_bytes': int8['bytes']})
    return row


def speeds(args, seed_dir, student, settings):
    """`distill bench` of the student's KD + transfer-set model, fp32 and int8: each file's speed
    figures (batch-1 latency, batch-256 throughput), in the order benched."""
    model = students_dir(args, seed_dir) / f'{student}-kd_transfer.pt'
    record = model.with_suffix('.bench.json')
    if not record.exists():
        files = [str(model)]
        if STUDENTS[student]['int8']:
            files.append(str(model.with_suffix('.int8text')))
        run([args.distill, 'bench', '-q', '-j', str(args.threads), '-c',
             str(seed_dir / 'config.yaml')] + set_flags(STUDENTS[student]['settings'] + settings) +
            ['--json', str(record)] + files)
    bench = json.loads(record.read_text())
    return [{'file': bench['models'][key]['file'], 'bytes': bench['models'][key]['bytes'],
             **bench['models'][key]['speed']} for key in bench['model_order']]


def speed_cells(entry):
    """fp32 and int8 file size, batch-1 latency and batch-256 throughput cells ('—' for a
    missing form)."""
    cells = [f"{s['bytes'] / 2**20:,.2f} MiB · {s['latency_us_batch1_median']:,.1f} µs · "
             f"{s['throughput_per_s']:,.0f}/s" for s in entry.get('speed', [])]
    return (cells + ['—', '—'])[:2] if cells else ['', '']


def markdown_table(summary):
    """The table of docs/text.md: one row per student and method, mean ± sd over the seeds."""
    lines = ['| student | method | parameters | test accuracy | macro-F1 | validation | int8 test '
             'accuracy | gain over labels, points (95 % CI) | − teacher, points | '
             'fp32 / int8: file · batch 1 · batch 256 |',
             '|---|---|---|---|---|---|---|---|---|---|']
    for key, entry in summary.items():
        student, method = ('teacher', '—') if key == 'teacher' else key.split('/')
        acc, f1, val = entry['accuracy'], entry['macro_f1'], entry['validation_accuracy']
        int8 = entry.get('int8_accuracy')
        gain = entry.get('gain_over_labels_points')
        fp32_speed, int8_speed = speed_cells(entry)
        lines.append(
            f"| {student} | {METHODS.get(method, method)} | {entry['parameters']:,} | "
            f"{acc['mean']:.4f} ± {acc['sd']:.4f} | {f1['mean']:.4f} | {val['mean']:.4f} | " +
            (f"{int8['mean']:.4f}" if int8 else '—') + ' | ' +
            (f"{gain['mean']:+.2f} ({gain['ci95'][0]:+.2f} … {gain['ci95'][1]:+.2f})"
             if gain else '') + ' | ' +
            (f"{entry['minus_teacher_points']['mean']:+.2f}" if 'minus_teacher_points' in entry
             else '') +
            (f' | {fp32_speed} / {int8_speed} |' if fp32_speed else ' | |'))
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('run_dir', type=pathlib.Path)
    parser.add_argument('--student', action='append', choices=sorted(STUDENTS),
                        help='students to run (repeatable; default: all)')
    parser.add_argument('--method', action='append', choices=sorted(METHODS),
                        help='methods to run (repeatable; default: all)')
    parser.add_argument('--seeds', help='comma-separated seeds (default: every seed-* folder)')
    parser.add_argument('--set', action='append', default=[], dest='settings',
                        help='extra config override for every student (repeatable)')
    parser.add_argument('--tag', help='write the models under students/TAG/ (a validation '
                        'sweep with --set: e.g. --tag lr0.004 --set student.train.lr=0.004)')
    parser.add_argument('--distill', default='build/cli/distill')
    parser.add_argument('--threads', type=int, default=0, help='compute threads (0: every core)')
    parser.add_argument('--speed', action='store_true',
                        help="time each student's KD + transfer-set model of the first seed")
    parser.add_argument('--json', type=pathlib.Path)
    parser.add_argument('--markdown', type=pathlib.Path,
                        help='also write the table as Markdown (docs/text.md)')
    args = parser.parse_args()
    students = args.student or list(STUDENTS)
    methods = args.method or list(METHODS)

    seed_dirs = sorted(args.run_dir.glob('seed-*'), key=lambda p: int(p.name.split('-')[1]))
    if args.seeds:
        wanted = {int(s) for s in args.seeds.split(',')}
        seed_dirs = [d for d in seed_dirs if int(d.name.split('-')[1]) in wanted]
    if not seed_dirs:
        sys.exit(f'text_students: no seed-* folders in {args.run_dir}')
    for seed_dir in seed_dirs:
        for name in ('config.yaml', 'teacher.pt', 'results.json'):
            if not (seed_dir / name).exists():
                sys.exit(f'text_students: {seed_dir / name} is missing; run `distill run --seeds N` '
                         'with a text config first')

    # Seed-major order: the first seed's whole table comes first.
    rows = {}
    for seed_dir in seed_dirs:
        seed = int(seed_dir.name.split('-')[1])
        teacher = json.loads((seed_dir / 'results.json').read_text())['models']['teacher']
        rows.setdefault('teacher', {})[seed] = {
            'accuracy': teacher['test']['accuracy'], 'macro_f1': teacher['test']['macro_f1'],
            'validation_accuracy': teacher['training']['best_validation_accuracy'],
            'parameters': teacher['parameters'], 'bytes': teacher['bytes']}
        for student in students:
            for method in methods:
                model = train(args, seed_dir, student, method, args.settings)
                row = evaluate(args, seed_dir, student, model, args.settings)
                rows.setdefault(f'{student}/{method}', {})[seed] = row
                print(f"seed {seed} {student:12s} {METHODS[method]:20s} test {row['accuracy']:.4f} "
                      f"macro-F1 {row['macro_f1']:.4f} validation {row['validation_accuracy']:.4f} "
                      f"(epoch {row['best_epoch']})" +
                      (f"  int8 {row['int8_accuracy']:.4f}" if 'int8_accuracy' in row else ''),
                      flush=True)

    summary = {}
    for key, per_seed in rows.items():
        entry = {'seeds': per_seed}
        for field in ('accuracy', 'macro_f1', 'validation_accuracy', 'int8_accuracy'):
            values = [r[field] for r in per_seed.values() if field in r]
            if values:
                m, sd = mean_sd(values)
                entry[field] = {'mean': m, 'sd': sd}
        first = next(iter(per_seed.values()))
        entry['parameters'], entry['bytes'] = first['parameters'], first['bytes']
        if 'int8_bytes' in first:
            entry['int8_bytes'] = first['int8_bytes']
        summary[key] = entry
    teacher = rows['teacher']
    for key, per_seed in rows.items():
        common = sorted(set(teacher) & set(per_seed))
        if key != 'teacher' and len(common) >= 2:
            summary[key]['minus_teacher_points'] = paired(
                [100 * (per_seed[s]['accuracy'] - teacher[s]['accuracy']) for s in common])
    for student in students:
        labels = rows.get(f'{student}/labels', {})
        for method in methods:
            if method == 'labels':
                continue
            distilled = rows.get(f'{student}/{method}', {})
            common = sorted(set(labels) & set(distilled))
            if len(common) >= 2:
                summary[f'{student}/{method}']['gain_over_labels_points'] = paired(
                    [100 * (distilled[s]['accuracy'] - labels[s]['accuracy']) for s in common])
        if args.speed:
            summary[f'{student}/kd_transfer']['speed'] = speeds(args, seed_dirs[0], student,
                                                                 args.settings)

    print(f"\n{'model':40s} {'params':>9s}  {'test acc':>15s}  {'macro F1':>8s}  "
          f"{'validation':>10s}  {'int8':>8s}  gain over labels (95 % CI)")
    for key, entry in summary.items():
        name = 'teacher' if key == 'teacher' else \
            f"{key.split('/')[0]}, {METHODS[key.split('/')[1]]}"
        acc = entry['accuracy']
        gain = entry.get('gain_over_labels_points')
        print(f"{name:40s} {entry['parameters']:9d}  {acc['mean']:.4f} ± {acc['sd']:.4f}  "
              f"{entry['macro_f1']['mean']:8.4f}  {entry['validation_accuracy']['mean']:10.4f}  " +
              (f"{entry['int8_accuracy']['mean']:8.4f}" if 'int8_accuracy' in entry else
               f"{'-':>8s}") +
              (f"  {gain['mean']:+.2f} ({gain['ci95'][0]:+.2f} … {gain['ci95'][1]:+.2f})"
               if gain else ''))
    if args.markdown:
        args.markdown.write_text(markdown_table(summary))
    if args.json:
        args.json.write_text(json.dumps({
            'run_dir': str(args.run_dir), 'extra_settings': args.settings, 'tag': args.tag,
            'students': {s: STUDENTS[s] for s in students}, 'methods': methods,
            'summary': summary}, indent=2) + '\n')


if __name__ == '__main__':
    main()
