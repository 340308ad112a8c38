package pyramid

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/ome"
	"github.com/ryomen-dev/ryomen/store"
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
	Method      string            `json:"method"`
	Codecs      []string          `json:"codecs,omitempty"`
	OME         string            `json:"ome"`
	Axes        []ome.Axis        `json:"axes"`
	Scale       []float64         `json:"scale,omitempty"`
	Translation []float64         `json:"translation,omitempty"`
	Name        string            `json:"name,omitempty"`
	Label       bool              `json:"label,omitempty"`
	Halo        []int             `json:"halo,omitempty"`
	OutDType    string            `json:"out_dtype,omitempty"`
	Params      map[string]string `json:"params,omitempty"`
}

// runFormat is the version of runRecord.
const runFormat = 2

func (o *Options) record(p *Plan) []byte {
	r := runRecord{Format: runFormat, Input: o.Source, DType: p.DType.String(), Shapes: p.Shapes, Factors: p.Factors,
		Chunks: p.Chunks, Shard: p.Shard, Group: p.Group, Method: o.Method, Codecs: codecNames(o.Codecs),
		OME: o.OMEVersion, Axes: omeAxes(o.Axes), Name: o.Name, Label: o.Label, Halo: o.Halo, Params: o.Params}
	for _, a := range o.Axes {
		r.Scale = append(r.Scale, a.PhysicalScale())
		r.Translation = append(r.Translation, a.Translation)
	}
	if r.OME == "" {
		r.OME = ome.V05
	}
	if o.OutDType.Valid() {
		r.OutDType = o.OutDType.String()
	}
	b, _ := json.MarshalIndent(r, "", " ")
	return append(b, '\n')
}

// outName names the output in errors: Options.Output, else the store's
// location and the path.
func (o *Options) outName() string {
	if o.Output != "" {
		return o.Output
	}
	loc, ok := store.Location(o.Store)
	if !ok {
		loc = fmt.Sprintf("%T", o.Store)
	}
	return store.Join(loc, o.Path)
}

// claim takes the output for this run, or joins the run that holds it.
//
// An output with no key at all is taken with an atomic create of the run
// record, so of two runs started at once on one empty output exactly one
// proceeds. Anything already there (any Zarr node, any file) counts as
// existing: without Resume or Overwrite the build stops. Resume, and other
// shards of one run, continue only when the record matches this run's
// exactly (input location and fingerprint, plan and options); the error
// names what differs. Overwrite clears the hierarchy first (see clear).
func claim(ctx context.Context, p *Plan, o *Options) ([]byte, error) {
	rec := o.record(p)
	name := o.outName()
	planKey := o.key("plan.json")
	if _, err := store.CleanTemp(ctx, o.Store, o.prefix()); err != nil {
		return nil, err
	}
	// A few keys tell whether the output is empty and name what is
	// there; only an overwrite needs them all.
	keys, err := store.ListFirst(ctx, o.Store, o.prefix(), 8)
	if err != nil {
		return nil, fmt.Errorf("pyramid: listing %s: %w", name, err)
	}
	if len(keys) > 0 && o.Overwrite {
		if err := o.clear(ctx); err != nil {
			return nil, err
		}
		keys = nil
	}
	if len(keys) == 0 {
		err := store.PutNew(ctx, o.Store, planKey, rec)
		if err == nil {
			return rec, nil
		}
		if !errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("pyramid: claiming %s: %w", name, err)
		}
		// Another process created the record first: join it if it is
		// the same run.
	}
	old, err := o.Store.Get(ctx, planKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s is not empty (%s) and holds no unfinished ryomen run; refusing to replace it without overwrite",
			ErrExists, name, describeKeys(keys, o.prefix()))
	}
	if err != nil {
		return nil, fmt.Errorf("pyramid: reading %s: %w", planKey, err)
	}
	done := complete(ctx, o)
	if !o.Resume && o.ShardCount <= 1 {
		what := "an unfinished ryomen run (resume it, or overwrite it to start again)"
		if done {
			what = "a complete image"
		}
		return nil, fmt.Errorf("%w: %s holds %s; refusing to replace it without overwrite", ErrExists, name, what)
	}
	if diff := diffRecords(old, rec); diff != "" {
		return nil, fmt.Errorf("%w: %s was started by another run: %s", ErrPlanChanged, name, diff)
	}
	if done {
		return nil, fmt.Errorf("%w: %s", ErrComplete, name)
	}
	return rec, nil
}

// complete reports whether the output group claims to be a finished image.
func complete(ctx context.Context, o *Options) bool {
	img, err := ome.Read(ctx, o.Store, o.Path)
	return err == nil && len(img.Multiscales) > 0
}

// clear deletes an existing output for Overwrite, in an order that never
// leaves something that looks complete: first the group metadata that
// marks it a finished image, then the run record and task markers (so a
// resume cannot take the remains for a run of its own), then the metadata
// of every array (so no reader opens an array whose chunks are going), and
// the chunks last. Only what a Zarr hierarchy owns is deleted: a key that
// no array or group explains (a user's file) stops the overwrite before
// anything is deleted, with its name in the error.
func (o *Options) clear(ctx context.Context) error {
	name := o.outName()
	if o.ShardCount > 1 {
		return fmt.Errorf("pyramid: %s: overwrite cannot be combined with sharding (each shard would delete the others' work); empty the output first", name)
	}
	// Bookkeeping of this output's runs and of the runs that wrote its
	// members (labels built into it, say) is ryomen's own.
	err := zarr.Clear(ctx, o.Store, o.Path, zarr.ClearOptions{
		Private:      func(k string) bool { return strings.Contains("/"+k, "/.ryomen/") },
		PrivateFirst: o.key("plan.json"),
	})
	if errors.Is(err, zarr.ErrForeign) {
		return fmt.Errorf("%w: %s: %v: move them away or choose another output", ErrForeign, name, err)
	}
	if err != nil {
		return fmt.Errorf("pyramid: clearing %s: %w", name, err)
	}
	return nil
}

// finish marks the output complete: once every task is done, and only
// when the run record is still this run's (another run that overwrote the
// output meanwhile would leave it mixed), it makes every chunk durable,
// writes the OME metadata and makes that durable too.
func finish(ctx context.Context, o *Options, rec []byte, img ome.Image, pr *Progress) error {
	name := o.outName()
	cur, err := o.Store.Get(ctx, o.key("plan.json"))
	if err != nil || !bytes.Equal(cur, rec) {
		return fmt.Errorf("%w: %s: the run record changed or vanished while this run wrote (another run replaced the output?); its content is not trustworthy: overwrite it", ErrTakenOver, name)
	}
	start := time.Now()
	defer func() { pr.FlushNanos.Add(int64(time.Since(start))) }()
	if err := store.Flush(ctx, o.Store); err != nil {
		return err
	}
	if err := ome.Write(ctx, o.Store, o.Path, img); err != nil {
		return err
	}
	return store.Flush(ctx, o.Store)
}

// describeKeys names a few of the keys found at an output (keys holds the
// first few of them).
func describeKeys(keys []string, prefix string) string {
	if len(keys) == 0 {
		return "it exists"
	}
	first := strings.TrimPrefix(keys[0], prefix)
	for _, k := range keys {
		if zarr.IsMetadataKey(k) {
			first = strings.TrimPrefix(k, prefix)
			break
		}
	}
	if len(keys) == 1 {
		return fmt.Sprintf("it holds %q", first)
	}
	return fmt.Sprintf("it holds %q and other files", first)
}

// diffRecords names the fields in which two run records differ, "" when
// they are the same run.
func diffRecords(old, cur []byte) string {
	if bytes.Equal(old, cur) {
		return ""
	}
	var a, b map[string]json.RawMessage
	if json.Unmarshal(old, &a) != nil || json.Unmarshal(cur, &b) != nil {
		return "its run record is unreadable or of an older ryomen"
	}
	var diffs []string
	for _, k := range sortedKeys(a, b) {
		va, vb := compact(a[k]), compact(b[k])
		if va == vb {
			continue
		}
		if k == "input" {
			diffs = append(diffs, inputDiff(a[k], b[k]))
			continue
		}
		diffs = append(diffs, fmt.Sprintf("%s was %s, now %s", k, short(va), short(vb)))
	}
	if len(diffs) == 0 {
		return "its run record differs"
	}
	return strings.Join(diffs, "; ")
}

func inputDiff(a, b json.RawMessage) string {
	var sa, sb Source
	json.Unmarshal(a, &sa)
	json.Unmarshal(b, &sb)
	if sa.Location != sb.Location {
		return fmt.Sprintf("input was %s, now %s", short(sa.Location), short(sb.Location))
	}
	return fmt.Sprintf("input %s changed since (its metadata or data fingerprint differs: was %s, now %s)", short(sa.Location), short(sa.Fingerprint), short(sb.Fingerprint))
}

func sortedKeys(ms ...map[string]json.RawMessage) []string {
	var ks []string
	for _, m := range ms {
		for k := range m {
			if !slices.Contains(ks, k) {
				ks = append(ks, k)
			}
		}
	}
	slices.Sort(ks)
	return ks
}

func compact(m json.RawMessage) string {
	if m == nil {
		return "(none)"
	}
	var b bytes.Buffer
	if json.Compact(&b, m) != nil {
		return string(m)
	}
	return b.String()
}

func short(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
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
