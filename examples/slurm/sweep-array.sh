#!/bin/bash
# examples/sweep-small.yaml as a Slurm job array: 4 array tasks, each running one shard of the
# grid (berth reads SLURM_ARRAY_TASK_ID, _MIN and _COUNT; --shards must equal the array's size),
# all writing to one folder on the shared file system. Submit it, then the merge, which waits
# for every task to succeed:
#
#   jobid=$(sbatch --parsable examples/slurm/sweep-array.sh)
#   sbatch --dependency=afterok:$jobid --wrap 'node bin/berth.js merge out/sweep-small --out out/sweep-small'
#
# A task that fails can be resubmitted alone (sbatch --array=2 …): it reuses the cells it had
# finished. --array=1-4 works as well as 0-3.
#SBATCH --job-name=berth-sweep-small
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --mem=1G
#SBATCH --time=00:30:00
#SBATCH --output=berth-sweep-small-%A_%a.log
set -euo pipefail

cd "${SLURM_SUBMIT_DIR:-.}"
SWEEP=${SWEEP:-examples/sweep-small.yaml}
RESULTS=${RESULTS:-out/sweep-small}
node bin/berth.js sweep "$SWEEP" --shards 4 --workers "${SLURM_CPUS_PER_TASK:-2}" --out "$RESULTS" --quiet
