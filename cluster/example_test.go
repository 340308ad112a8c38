package cluster_test

import (
	"fmt"
	"strings"

	"github.com/ryomen-dev/ryomen/cluster"
)

// The header of a Slurm array of 16 shards, 4 at a time, each with a
// 4 GiB budget.
func ExampleJob_Slurm() {
	j := cluster.Job{Name: "pyr", Command: "pyramid", Args: []string{"in.zarr", "out.ome.zarr"},
		Global: []string{"--memory=4GiB"}, Shards: 16, Parallel: 4, CPUs: 2, Request: cluster.Request(4 << 30),
		Binary: "/opt/bin/ryomen", Logs: "/scratch/logs"}
	for _, l := range strings.Split(string(j.Slurm()), "\n")[:5] {
		fmt.Println(l)
	}
	// Output:
	// #!/bin/bash
	// #SBATCH --job-name=pyr
	// #SBATCH --array=0-15%4
	// #SBATCH --cpus-per-task=2
	// #SBATCH --mem=5120M
}
