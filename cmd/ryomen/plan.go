package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/pyramid"
)

type planTask struct {
	Phase int    `json:"phase"`
	ID    int    `json:"id"`
	Shard int    `json:"shard"`
	In    string `json:"in"`
	Out   string `json:"out"`
}

func newPlan() *cobra.Command {
	var f pyrFlags
	var shards int
	c := &cobra.Command{
		Use:   "plan IN",
		Short: "Print the deterministic task plan of 'ryomen pyramid' and how it splits over --shards processes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := openSource(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			o, err := f.options(src)
			if err != nil {
				return err
			}
			if shards < 1 {
				return usagef("--shards must be >= 1")
			}
			p, err := pyramid.NewPlanGroup(src.r.DType(), src.r.Shape(), o.Factors, o.Chunks, o.Shard, o.Group)
			if err != nil {
				return err
			}
			workers, err := pyramid.Budget(p, o.Memory, o.Workers)
			if err != nil {
				return err
			}
			var tasks []planTask
			for _, ph := range p.Phases {
				for _, t := range ph.Tasks {
					tasks = append(tasks, planTask{Phase: t.Phase, ID: t.ID, Shard: t.ID % shards, In: t.In.String(), Out: t.Out.String()})
				}
			}
			if g.json {
				return printJSON(map[string]any{"levels": p.Shapes, "factors": p.Factors, "task_bytes": p.TaskBytes(), "workers": workers, "tasks": tasks})
			}
			fmt.Printf("levels: %v\nfactors: %v\nestimated memory per task: %d MiB, concurrent tasks: %d\n", p.Shapes, p.Factors, p.TaskBytes()>>20, workers)
			for _, ph := range p.Phases {
				fmt.Printf("phase: levels %d-%d: %d tasks\n", ph.First, ph.Level, len(ph.Tasks))
			}
			for _, t := range tasks {
				fmt.Printf("  phase %d task %d shard %d/%d: in %s -> out %s\n", t.Phase, t.ID, t.Shard, shards, t.In, t.Out)
			}
			return nil
		},
	}
	f.register(c)
	c.Flags().IntVar(&shards, "shards", 1, "number of shard processes to split the plan over")
	return c
}
