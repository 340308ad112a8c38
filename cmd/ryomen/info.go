package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/zarr"
)

type levelInfo struct {
	Path        string    `json:"path"`
	Shape       []int     `json:"shape"`
	Chunks      []int     `json:"chunks"`
	Shard       []int     `json:"shard,omitempty"`
	Codecs      []string  `json:"codecs,omitempty"`
	Scale       []float64 `json:"scale,omitempty"`
	Translation []float64 `json:"translation,omitempty"`
}

type infoOut struct {
	Path     string      `json:"path"`
	Format   string      `json:"format"`
	DType    string      `json:"dtype"`
	Shape    []int       `json:"shape"`
	Axes     []string    `json:"axes"`
	Units    []string    `json:"units"`
	Levels   []levelInfo `json:"levels"`
	Labels   []string    `json:"labels,omitempty"`
	Complete bool        `json:"complete"`
	Bytes    int64       `json:"bytes_on_disk"`
}

func newInfo() *cobra.Command {
	return &cobra.Command{
		Use:   "info PATH",
		Short: "Describe an image: format, shape, dtype, chunks, codecs, levels, axes, size",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			src, err := openSource(ctx, args[0])
			if errors.Is(err, errIncomplete) {
				if g.json {
					return printJSON(map[string]any{"path": args[0], "format": "unfinished ryomen output", "complete": false})
				}
				fmt.Printf("%s\n  format: unfinished ryomen output (not readable as an image)\n  complete: false\n  %v\n", args[0], err)
				return nil
			}
			if err != nil {
				return err
			}
			inf := infoOut{Path: args[0], Format: src.format, DType: src.r.DType().String(), Shape: src.r.Shape(), Complete: true}
			for _, a := range src.axes {
				inf.Axes = append(inf.Axes, a.Name)
				inf.Units = append(inf.Units, a.Unit)
			}
			root, inner := splitPath(args[0])
			var st store.Store = store.NewFile(root)
			if strings.Contains(args[0], "://") {
				if st, err = store.Open(ctx, args[0]); err != nil {
					return err
				}
				inner = ""
			}
			if src.img != nil {
				for _, d := range src.img.Multiscales[0].Datasets {
					li := levelInfo{Path: d.Path}
					for _, t := range d.CoordinateTransformations {
						switch t.Type {
						case "scale":
							li.Scale = t.Scale
						case "translation":
							li.Translation = t.Translation
						}
					}
					if a, err := zarr.Open(ctx, st, joinKey(inner, d.Path)); err == nil {
						fillLevel(&li, a)
					}
					inf.Levels = append(inf.Levels, li)
				}
				if lim, err := readLabels(ctx, st, inner); err == nil {
					inf.Labels = lim
				}
			} else if src.zarr != nil {
				li := levelInfo{Path: inner}
				fillLevel(&li, src.zarr)
				inf.Levels = append(inf.Levels, li)
			}
			if _, err := os.Stat(filepath.Join(args[0], ".ryomen", "plan.json")); err == nil && src.img == nil {
				inf.Complete = false
			}
			filepath.WalkDir(args[0], func(_ string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					if fi, err := d.Info(); err == nil {
						inf.Bytes += fi.Size()
					}
				}
				return nil
			})
			if g.json {
				return printJSON(inf)
			}
			fmt.Printf("%s\n  format: %s\n  dtype:  %s\n  shape:  %v\n  axes:   %s\n", inf.Path, inf.Format, inf.DType, inf.Shape, strings.Join(inf.Axes, ","))
			if u := strings.Join(inf.Units, ","); strings.Trim(u, ",") != "" {
				fmt.Printf("  units:  %s\n", u)
			}
			for i, l := range inf.Levels {
				fmt.Printf("  level %d (%s): shape %v chunks %v", i, l.Path, l.Shape, l.Chunks)
				if l.Shard != nil {
					fmt.Printf(" shard %v", l.Shard)
				}
				if len(l.Codecs) > 0 {
					fmt.Printf(" codecs %s", strings.Join(l.Codecs, ","))
				}
				if l.Scale != nil {
					fmt.Printf(" scale %v translation %v", l.Scale, l.Translation)
				}
				fmt.Println()
			}
			if len(inf.Labels) > 0 {
				fmt.Printf("  labels: %s\n", strings.Join(inf.Labels, ","))
			}
			fmt.Printf("  size on disk: %.1f MiB\n", float64(inf.Bytes)/(1<<20))
			return nil
		},
	}
}

func fillLevel(li *levelInfo, a *zarr.Array) {
	m := a.Meta()
	li.Shape, li.Chunks, li.Shard = m.Shape, m.Chunks, m.Shard
	for _, c := range m.Codecs {
		li.Codecs = append(li.Codecs, c.Name())
	}
	if m.Compressor != nil {
		li.Codecs = append(li.Codecs, m.Compressor.Name())
	}
}
