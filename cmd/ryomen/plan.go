package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/pyramid"
)

// planListLimit is the largest plan whose tasks are listed without --tasks.
const planListLimit = 1000

type planTask struct {
	Phase int    `json:"phase"`
	ID    int64  `json:"id"`
	Shard int    `json:"shard"`
	In    string `json:"in"`
	Out   string `json:"out"`
}

type planPhase struct {
	Phase int   `json:"phase"`
	First int   `json:"first_level"`
	Level int   `json:"last_level"`
	Grid  []int `json:"grid"`
	Tasks int64 `json:"tasks"`
}

func newPlan() *cobra.Command {
	var f pyrFlags
	var shards int
	var all, summary bool
	c := &cobra.Command{
		Use:   "plan IN",
		Short: "Print the deterministic task plan of 'ryomen pyramid' and how it splits over --shards processes",
		Long: `Print the deterministic task plan of 'ryomen pyramid' for IN: the level
shapes and factors, the memory one task needs, the memory the build keeps
for tracking finished tasks, how many tasks run at once within --memory, and
the number of tasks of each phase.

Tasks are listed one per line (with --json: in the "tasks" array) when the
plan has at most 1000 tasks, or always with --tasks; --summary never lists
them. The listing is streamed as tasks are computed from their IDs, so even a
plan of millions of tasks is printed in constant memory.`,
		Args: cobra.ExactArgs(1),
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
			if all && summary {
				return usagef("--tasks and --summary exclude each other")
			}
			p, err := pyramid.NewPlanAuto(src.r.DType(), src.r.Shape(), o.Factors, o.Chunks, o.Shard, o.Group, o.Memory)
			if err != nil {
				return err
			}
			workers, err := pyramid.BudgetShards(p, o.Memory, o.Workers, shards)
			if err != nil {
				return err
			}
			list := all || (!summary && p.NumTasks() <= planListLimit)
			w := bufio.NewWriterSize(os.Stdout, 64<<10)
			if g.json {
				err = planJSON(w, p, workers, shards, list)
			} else {
				err = planText(w, p, workers, shards, list)
			}
			if err == nil {
				err = w.Flush()
			}
			// Peak memory for whoever measures it (the tests do), off stdout
			// so the plan stays byte-for-byte deterministic.
			slog.Debug("plan", "tasks", p.NumTasks(), "peak_rss_bytes", peakRSS())
			return err
		},
	}
	f.register(c)
	c.Flags().IntVar(&shards, "shards", 1, "number of shard processes to split the plan over")
	c.Flags().BoolVar(&all, "tasks", false, "list every task, however many")
	c.Flags().BoolVar(&summary, "summary", false, "print only the phase counts, never the tasks")
	return c
}

// planText prints the plan for people; tasks are written as they are
// enumerated.
func planText(w *bufio.Writer, p *pyramid.Plan, workers, shards int, list bool) error {
	fmt.Fprintf(w, "levels: %v\nfactors: %v\nestimated memory per task: %d MiB, concurrent tasks: %d\n", p.Shapes, p.Factors, p.TaskBytes()>>20, workers)
	fmt.Fprintf(w, "task tracking: %d KiB per process, total tasks: %d\n", p.TrackingBytes(shards)>>10, p.NumTasks())
	for i := range p.Phases {
		ph := &p.Phases[i]
		fmt.Fprintf(w, "phase: levels %d-%d: %d tasks (grid %v)\n", ph.First, ph.Level, ph.NumTasks(), ph.Grid)
	}
	if !list {
		_, err := fmt.Fprintf(w, "(%d tasks not listed; use --tasks to list them)\n", p.NumTasks())
		return err
	}
	for i := range p.Phases {
		for t := range p.Phases[i].ShardTasks(0, 1) {
			if _, err := fmt.Fprintf(w, "  phase %d task %d shard %d/%d: in %s -> out %s\n", t.Phase, t.ID, t.ID%int64(shards), shards, t.In, t.Out); err != nil {
				return err
			}
		}
	}
	return nil
}

// planJSON writes one JSON object; the "tasks" array, when listed, is
// streamed element by element.
func planJSON(w *bufio.Writer, p *pyramid.Plan, workers, shards int, list bool) error {
	var phases []planPhase
	for i := range p.Phases {
		ph := &p.Phases[i]
		phases = append(phases, planPhase{Phase: ph.Index, First: ph.First, Level: ph.Level, Grid: ph.Grid, Tasks: ph.NumTasks()})
	}
	head := []struct {
		k string
		v any
	}{
		{"levels", p.Shapes}, {"factors", p.Factors}, {"task_bytes", p.TaskBytes()},
		{"tracking_bytes", p.TrackingBytes(shards)}, {"workers", workers}, {"shards", shards},
		{"num_tasks", p.NumTasks()}, {"phases", phases},
	}
	w.WriteString("{\n")
	for _, h := range head {
		if err := jsonField(w, h.k, h.v, "  "); err != nil {
			return err
		}
		w.WriteString(",\n")
	}
	if list {
		w.WriteString(`  "tasks": [`)
		sep := "\n    "
		for i := range p.Phases {
			for t := range p.Phases[i].ShardTasks(0, 1) {
				pt := planTask{Phase: t.Phase, ID: t.ID, Shard: int(t.ID % int64(shards)), In: t.In.String(), Out: t.Out.String()}
				w.WriteString(sep)
				if err := jsonValue(w, pt, "    "); err != nil {
					return err
				}
				sep = ",\n    "
			}
		}
		w.WriteString("\n  ],\n")
	}
	if err := jsonField(w, "tasks_listed", list, "  "); err != nil {
		return err
	}
	_, err := w.WriteString("\n}\n")
	return err
}

func jsonField(w io.Writer, k string, v any, indent string) error {
	if _, err := fmt.Fprintf(w, "%s%q: ", indent, k); err != nil {
		return err
	}
	return jsonValue(w, v, indent)
}

func jsonValue(w io.Writer, v any, indent string) error {
	b, err := json.MarshalIndent(v, indent, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}
