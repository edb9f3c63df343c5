#!/usr/bin/env python3
"""Give a tempo-clock GAN run's critic the beat phase, mid-run: a new run that resumes where the old one
stands, as if it had been started with `musika train --critic-beat`.

Why: `--critic-beat` is fixed when a run starts (the critic reads two more input channels, the beat
phase: tracked by `musika label` in real crops, the generator's own clock in generated ones). A run
without it learns the tempo channel but places its beats on whole-latent-vector periods (2.5, 2 or 1.75
vectors per beat: 129, 161.5, 185 BPM); the beat critic is what pulls them between vectors. Starting over
costs hours, so this copies the run's newest checkpoint and widens the critic instead:

  critic first layer (out, latents + conditions, k) → (out, latents + conditions + 2, k), the two new
  input columns zero (the trainer's order: latents, conditions, beat sin/cos), so the critic's scores
  are unchanged at the first step; Adam's two moments for that weight widened with zeros too; the
  step counters, the generator, its EMA copy and everything else copied as they are;
  `criticClockChannels: 2` and the new name written into trainer.json and model/config.json.

The data must carry beats (`musika label` writes them for every file with a tempo, since 2026-12-05).
Then resume the new run with the usual command, e.g.

    python3 tools/add_critic_beat.py runs/techno11 runs/techno12 techno12
    musika train --data latents/techno --out runs/techno12 --steps 40000

Needs numpy. The old run is only read.
"""
import argparse
import json
import os
import shutil
import sys

import numpy as np

from safetensors_file import read_safetensors, write_safetensors

def widened(weight, extra):
    """(out, in, k) → (out, in + extra, k), the new input columns zero."""
    return np.concatenate([weight, np.zeros((weight.shape[0], extra, weight.shape[2]), dtype=weight.dtype)], axis=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('old_run', help='a `musika train` output folder of a --tempo-clock run (only read)')
    parser.add_argument('new_run', help='the new run folder (must not exist)')
    parser.add_argument('name', help="the new run's model name")
    args = parser.parse_args()

    latest = os.path.join(args.old_run, 'checkpoints', 'latest')
    if not os.path.isdir(latest):
        sys.exit(f'{args.old_run} has no checkpoints/latest: is it a `musika train` output folder?')
    if os.path.exists(args.new_run):
        sys.exit(f'{args.new_run} exists; name a new folder')
    state = json.load(open(os.path.join(latest, 'trainer.json')))
    gan = state['model']['gan']
    if not gan.get('clockChannels'):
        sys.exit(f'{args.old_run} has no beat clock (it was not started with --tempo-clock); the critic beat needs one')
    if gan.get('criticClockChannels'):
        sys.exit(f'{args.old_run} already shows its critic the beat phase')
    inputs = gan['latentChannels'] + gan.get('conditionChannels', 0)
    beat = 2  # TempoClock.beatChannelCount: sine and cosine of the beat phase

    # Checked on the old run before anything is written, so a refusal leaves no half-made new run.
    critic, meta = read_safetensors(os.path.join(latest, 'critic.safetensors'))
    if critic['first.weight'].shape[1] != inputs:
        sys.exit(f"critic's first layer reads {critic['first.weight'].shape[1]} channels, expected {inputs}")

    os.makedirs(os.path.join(args.new_run, 'checkpoints'))
    shutil.copytree(os.path.join(args.old_run, 'model'), os.path.join(args.new_run, 'model'))
    target = os.path.join(args.new_run, 'checkpoints', 'latest')
    shutil.copytree(os.path.realpath(latest), target)

    critic['first.weight'] = widened(critic['first.weight'], beat)
    write_safetensors(critic, os.path.join(target, 'critic.safetensors'), meta)
    optimizer, meta = read_safetensors(os.path.join(target, 'optimizer.safetensors'))
    for key in ('critic.exp_avg.first.weight', 'critic.exp_avg_sq.first.weight'):
        optimizer[key] = widened(optimizer[key], beat)
    write_safetensors(optimizer, os.path.join(target, 'optimizer.safetensors'), meta)

    for path in (os.path.join(target, 'trainer.json'), os.path.join(args.new_run, 'model', 'config.json')):
        config = json.load(open(path))
        model = config.get('model', config)
        model['gan']['criticClockChannels'] = beat
        model['name'] = args.name
        with open(path + '.tmp', 'w') as f:
            json.dump(config, f, indent=2)
        os.replace(path + '.tmp', path)
    print(f"{args.new_run}: step {state['step']} of {args.old_run}, critic first layer "
          f"{inputs} → {inputs + beat} input channels; resume it with `musika train --out {args.new_run} …`")


if __name__ == '__main__':
    main()
