package pyramid

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/engine"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/zarr"
)

// Source identifies the input of a build in the output's run record, so
// that a resumed or sharded run can tell whether it reads the same data as
// the run that started the output.
type Source struct {
	// Location is the input's canonical location ("file:///abs/in.zarr",
	// "s3://host/bucket/in.zarr", "synth:128x128x128?seed=1").
	Location string `json:"location"`
	// Fingerprint digests what is cheap to know about the input's content
	// (see store.Fingerprint); "" when nothing is known.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// runRecord is stored at .ryomen/plan.json: everything that decides the
// bytes of the output. A resumed run, or another shard of the same run,
// must match it exactly.
type runRecord struct {
	Format      int               `json:"ryomen_run"`
	Input       Source            `json:"input"`
	DType       string            `json:"dtype"`
	Shapes      [][]int           `json:"shapes"`
	Factors     [][]int           `json:"factors"`
	Chunks      []int             `json:"chunks"`
	Shard       []int             `json:"shard,omitempty"`
	Group       int               `json:"group"`
	Fused       bool              `json:"fused,omitempty"`
	Method      string            `json:"method"`
	Codecs      []string          `json:"codecs,omitempty"`
	OME         string            `json:"ome"`
	Axes        []ome.Axis        `json:"axes"`
	Scale       []float64         `json:"scale,omitempty"`
	Translation []float64         `json:"translation,omitempty"`
	Name        string            `json:"name,omitempty"`
	Label       bool              `json:"label,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
}

// runFormat is the version of runRecord.
const runFormat = 3

func (o *Options) record(p *Plan) []byte {
	r := runRecord{Format: runFormat, Input: o.Source, DType: p.DType.String(), Shapes: p.Shapes, Factors: p.Factors,
		Chunks: p.Chunks, Shard: p.Shard, Group: p.Group, Fused: p.Fused, Method: o.Method, Codecs: codecNames(o.Codecs),
		OME: o.OMEVersion, Axes: omeAxes(o.Axes), Name: o.Name, Label: o.Label, Params: o.Params}
	for _, a := range o.Axes {
		r.Scale = append(r.Scale, a.PhysicalScale())
		r.Translation = append(r.Translation, a.Translation)
	}
	if r.OME == "" {
		r.OME = ome.V05
	}
	b, _ := json.MarshalIndent(r, "", " ")
	return append(b, '\n')
}

// clear deletes an existing output for Overwrite (engine.Job.Clear), in
// an order that never leaves something that looks complete: first the
// group metadata that marks it a finished image, then the run record and
// task markers (so a resume cannot take the remains for a run of its own),
// then the metadata of every array (so no reader opens an array whose
// chunks are going), and the chunks last. Only what a Zarr hierarchy owns
// is deleted: a key that no array or group explains (a user's file) stops
// the overwrite before anything is deleted, with its name in the error.
func (o *Options) clear(ctx context.Context) error {
	name := o.Output
	if name == "" {
		name = o.Path
	}
	// Bookkeeping of this output's runs and of the runs that wrote its
	// members (labels built into it, say) is ryomen's own.
	err := zarr.Clear(ctx, o.Store, o.Path, zarr.ClearOptions{
		Private:      engine.IsPrivate,
		PrivateFirst: strings.TrimPrefix(path.Join(o.Path, ".ryomen", "plan.json"), "/"),
	})
	if errors.Is(err, zarr.ErrForeign) {
		return fmt.Errorf("%w: %s: %v: move them away or choose another output", ErrForeign, name, err)
	}
	if err != nil {
		return fmt.Errorf("pyramid: clearing %s: %w", name, err)
	}
	return nil
}

// codecNames describes a codec chain with its parameters, so a resumed run
// with other compression is refused.
func codecNames(cs []codec.Codec) []string {
	var n []string
	for _, c := range cs {
		n = append(n, fmt.Sprintf("%s%+v", c.Name(), c))
	}
	return n
}
