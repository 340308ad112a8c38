package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ryomen-dev/ryomen/dataset"
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
	Types    []string    `json:"axis_types"`
	Units    []string    `json:"units"`
	Channels []string    `json:"channels,omitempty"`
	Series   []string    `json:"series,omitempty"`
	Levels   []levelInfo `json:"levels"`
	Labels   []string    `json:"labels,omitempty"`
	Complete bool        `json:"complete"`
	Bytes    int64       `json:"bytes_on_disk"`
}

func newInfo() *cobra.Command {
	return &cobra.Command{
		Use:   "info PATH",
		Short: "Describe an image: format, shape, dtype, axes, levels, chunks, codecs, series, labels, size",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := openSource(cmd.Context(), args[0])
			if errors.Is(err, dataset.ErrIncomplete) {
				if g.json {
					return printJSON(map[string]any{"path": args[0], "format": "unfinished ryomen output", "complete": false})
				}
				fmt.Printf("%s\n  format: unfinished ryomen output (not readable as an image)\n  complete: false\n  %v\n", args[0], err)
				return nil
			}
			if err != nil {
				return err
			}
			defer src.Close()
			inf := describe(args[0], src.Image)
			if g.json {
				return printJSON(inf)
			}
			printInfo(inf)
			return nil
		},
	}
}

// describe gathers what info prints.
func describe(path string, im *dataset.Image) infoOut {
	inf := infoOut{Path: path, Format: im.Format, DType: im.DType().String(), Shape: im.Shape(), Complete: true,
		Labels: im.Labels, Channels: im.Channels, Series: im.Series}
	for _, a := range im.Axes {
		inf.Axes = append(inf.Axes, a.Name)
		inf.Types = append(inf.Types, string(a.Type))
		inf.Units = append(inf.Units, a.Unit)
	}
	for _, l := range im.Levels {
		inf.Levels = append(inf.Levels, levelInfo{Path: l.Path, Shape: l.Shape(), Chunks: l.Chunks, Shard: l.Shard,
			Codecs: l.Codecs, Scale: l.Scale, Translation: l.Translation})
	}
	if im.Local != "" {
		filepath.WalkDir(im.Local, func(_ string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				if fi, err := d.Info(); err == nil {
					inf.Bytes += fi.Size()
				}
			}
			return nil
		})
	}
	return inf
}

func printInfo(inf infoOut) {
	fmt.Printf("%s\n  format: %s\n  dtype:  %s\n  shape:  %v\n  axes:   %s (%s)\n", inf.Path, inf.Format, inf.DType, inf.Shape,
		strings.Join(inf.Axes, ","), strings.Join(inf.Types, ","))
	if u := strings.Join(inf.Units, ","); strings.Trim(u, ",") != "" {
		fmt.Printf("  units:  %s\n", u)
	}
	if len(inf.Channels) > 0 {
		fmt.Printf("  channels: %s\n", strings.Join(inf.Channels, ", "))
	}
	if len(inf.Series) > 1 {
		fmt.Printf("  series: %d in the file (open one with #series=N): %s\n", len(inf.Series), strings.Join(inf.Series, "; "))
	}
	for i, l := range inf.Levels {
		fmt.Printf("  level %d (%s): shape %v", i, l.Path, l.Shape)
		if l.Chunks != nil {
			fmt.Printf(" chunks %v", l.Chunks)
		}
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
}
