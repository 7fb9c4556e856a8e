#!/usr/bin/env python3
"""How much of the teacher-student gap the distilled text student closes, over the seeds of a
`distill run --seeds N` on a text config, measured against the *best* label-trained student.

A run's own baseline trains on labels with the distilled student's recipe; the best recipe for
labels alone may differ (more epochs, the best validation epoch kept). For every seed-<s> folder
this trains the student on labels with `--label-setting` overrides (chosen on validation
beforehand; default 10 epochs) from the seed's own effective config.yaml, then reports per seed
and paired over seeds: teacher, same-recipe baseline, best label-trained student, distilled and
int8 test accuracy; the distilled student's gain over the best label-trained one (paired t test,
95 % interval) and the share of the gap closed, (distilled - labels) / (teacher - labels).

Usage: bench/text_gap.py RUN_DIR [--distill build/cli/distill] [--label-setting K=V ...]
                         [--threads N] [--json OUT]
"""
import argparse
import json
import pathlib
import subprocess
import sys

from paired_stats import mean_sd, paired


def train_best_label_student(distill, seed_dir, settings, threads):
    """Trains (once) the student on labels with `settings` from the seed's effective config; its
    training record and its test accuracy from `distill evaluate`."""
    out = seed_dir / 'student_best_labels.pt'
    record = out.with_suffix('.training.json')
    config = seed_dir / 'config.yaml'
    if not record.exists():
        command = [distill, 'train', '-q', '-j', str(threads), '--role', 'student', '-c', str(config),
                   '-o', str(out)]
        for setting in settings:
            command += ['--set', setting]
        print('running:', ' '.join(command), file=sys.stderr)
        subprocess.run(command, check=True)
    evaluation = seed_dir / 'student_best_labels.evaluation.json'
    if not evaluation.exists():
        subprocess.run([distill, 'evaluate', '-q', '-j', str(threads), '--no-speed', '-c', str(config),
                        '-m', str(out),
                        '--json', str(evaluation)], check=True, stdout=subprocess.DEVNULL)
    test = json.loads(evaluation.read_text())['models']['model']['test']['accuracy']
    return json.loads(record.read_text()), test


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('run_dir', type=pathlib.Path)
    parser.add_argument('--distill', default='build/cli/distill')
    parser.add_argument('--label-setting', action='append', default=None,
                        help='config override for the best label-trained student (repeatable)')
    parser.add_argument('--threads', type=int, default=0, help='compute threads (0: every core)')
    parser.add_argument('--json', type=pathlib.Path)
    args = parser.parse_args()
    settings = args.label_setting or ['student.train.epochs=10']

    rows = []
    for seed_dir in sorted(args.run_dir.glob('seed-*'), key=lambda p: int(p.name.split('-')[1])):
        results = json.loads((seed_dir / 'results.json').read_text())
        models = results['models']
        training, labels_test = train_best_label_student(args.distill, seed_dir, settings,
                                                         args.threads)
        row = {
            'seed': results['seed'],
            'teacher': models['teacher']['test']['accuracy'],
            'baseline_same_recipe': models['student_baseline']['test']['accuracy'],
            'best_labels': labels_test,
            'best_labels_validation': training['best_validation_accuracy'],
            'best_labels_epoch': training['best_epoch'],
            'distilled': models['student_distilled']['test']['accuracy'],
            'distilled_validation': models['student_distilled']['training']['best_validation_accuracy'],
            'teacher_validation': models['teacher']['training']['best_validation_accuracy'],
            'int8': models['student_int8']['test']['accuracy'],
        }
        row['gain_points'] = 100 * (row['distilled'] - row['best_labels'])
        row['gap_closed'] = (row['distilled'] - row['best_labels']) / (row['teacher'] - row['best_labels'])
        rows.append(row)
        print(f"seed {row['seed']}: teacher {row['teacher']:.4f}  same-recipe baseline "
              f"{row['baseline_same_recipe']:.4f}  best on labels {row['best_labels']:.4f} "
              f"(validation {row['best_labels_validation']:.4f}, epoch {row['best_labels_epoch']})  "
              f"distilled {row['distilled']:.4f}  int8 {row['int8']:.4f}  gain "
              f"{row['gain_points']:+.2f} points, {100 * row['gap_closed']:.0f} % of the gap")
    if len(rows) < 2:
        sys.exit('text_gap: need at least two seed-* folders with results.json')

    gain = paired([r['gain_points'] for r in rows])
    mean_gain, (low, high), t = gain['mean'], gain['ci95'], gain['t']
    n = len(rows)
    summary = {name: mean_sd([r[name] for r in rows])
               for name in ('teacher', 'baseline_same_recipe', 'best_labels', 'distilled', 'int8')}
    gap = summary['teacher'][0] - summary['best_labels'][0]
    closed = (summary['distilled'][0] - summary['best_labels'][0]) / gap
    print()
    for name, (m, sd) in summary.items():
        print(f'{name:22s} {m:.4f} ± {sd:.4f}')
    print(f'distilled - best on labels: {mean_gain:+.2f} points (95 % CI {low:+.2f} … '
          f'{high:+.2f}, t = {t:.2f}, {n - 1} degrees of freedom); '
          f'{100 * closed:.0f} % of the mean gap ({100 * gap:.2f} points)')
    if args.json:
        args.json.write_text(json.dumps({
            'run_dir': str(args.run_dir), 'label_settings': settings, 'seeds': rows,
            'mean_sd': {k: {'mean': v[0], 'sd': v[1]} for k, v in summary.items()},
            'gain_points': gain,
            'gap_closed_of_mean_gap': closed}, indent=2) + '\n')


if __name__ == '__main__':
    main()
