package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ryomen-dev/ryomen/store"
)

// Claim takes the output for this run, or joins the run that holds it.
//
// An output with no key at all is taken with an atomic create of the run
// record, so of two runs started at once on one empty output exactly one
// proceeds. Anything already there counts as existing: without Resume or
// Overwrite the job stops with ErrExists. Resume, and other shards of one
// run, continue only when the record matches this run's exactly; the
// error (ErrPlanChanged) names the fields that differ. A complete output
// gives ErrComplete. Overwrite calls Clear first (refused for sharded
// jobs: each shard would delete the others' work). Temporary files that
// dead writers left in the output are removed.
func (j *Job) Claim(ctx context.Context) error {
	name := j.name()
	planKey := j.key("plan.json")
	if _, err := store.CleanTemp(ctx, j.Store, j.prefix()); err != nil {
		return err
	}
	// A few keys tell whether the output is empty and name what is there.
	keys, err := store.ListFirst(ctx, j.Store, j.prefix(), 8)
	if err != nil {
		return fmt.Errorf("engine: listing %s: %w", name, err)
	}
	if len(keys) > 0 && j.Overwrite {
		if err := j.clear(ctx); err != nil {
			return err
		}
		keys = nil
	}
	if len(keys) == 0 {
		err := store.PutNew(ctx, j.Store, planKey, j.Record)
		if err == nil {
			j.claimed = true
			return nil
		}
		if !errors.Is(err, store.ErrExists) {
			return fmt.Errorf("engine: claiming %s: %w", name, err)
		}
		// Another process created the record first: join it if it is
		// the same run.
	}
	old, err := j.Store.Get(ctx, planKey)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: %s is not empty (%s) and holds no unfinished ryomen run; refusing to replace it without overwrite",
			ErrExists, name, describeKeys(keys, j.prefix()))
	}
	if err != nil {
		return fmt.Errorf("engine: reading %s: %w", planKey, err)
	}
	done := j.Complete != nil && j.Complete(ctx)
	if !j.Resume && j.shards() <= 1 {
		what := "an unfinished ryomen run (resume it, or overwrite it to start again)"
		if done {
			what = "a complete output"
		}
		return fmt.Errorf("%w: %s holds %s; refusing to replace it without overwrite", ErrExists, name, what)
	}
	if diff := DiffRecords(old, j.Record); diff != "" {
		return fmt.Errorf("%w: %s was started by another run: %s", ErrPlanChanged, name, diff)
	}
	if done {
		return fmt.Errorf("%w: %s", ErrComplete, name)
	}
	j.claimed = true
	return nil
}

// clear runs Clear for Overwrite.
func (j *Job) clear(ctx context.Context) error {
	name := j.name()
	if j.shards() > 1 {
		return fmt.Errorf("engine: %s: overwrite cannot be combined with sharding (each shard would delete the others' work); empty the output first", name)
	}
	if j.Clear == nil {
		return fmt.Errorf("%w: %s: this output cannot be overwritten (no Clear); empty it first", ErrExists, name)
	}
	return j.Clear(ctx)
}

// IsPrivate reports whether key belongs to the bookkeeping of a run (of
// this output or of an output nested in it), which Clear may delete.
func IsPrivate(key string) bool { return strings.Contains("/"+key, "/.ryomen/") }

// RecordKey is the key of the run record.
func (j *Job) RecordKey() string { return j.key("plan.json") }

// Finish marks the output complete: once every task is done, and only
// when the run record is still this run's (another run that overwrote the
// output meanwhile would leave it mixed: ErrTakenOver), it makes every
// object durable, runs commit (which writes what marks the output
// complete) and makes that durable too.
func (j *Job) Finish(ctx context.Context, commit func(context.Context) error) error {
	cur, err := j.Store.Get(ctx, j.key("plan.json"))
	if err != nil || !bytes.Equal(cur, j.Record) {
		return fmt.Errorf("%w: %s: the run record changed or vanished while this run wrote (another run replaced the output?); its content is not trustworthy: overwrite it", ErrTakenOver, j.name())
	}
	start := time.Now()
	defer func() { j.counter().FlushNanos.Add(int64(time.Since(start))) }()
	if err := store.Flush(ctx, j.Store); err != nil {
		return err
	}
	if err := commit(ctx); err != nil {
		return err
	}
	return store.Flush(ctx, j.Store)
}

// describeKeys names a few of the keys found at an output (keys holds the
// first few of them), preferring metadata files.
func describeKeys(keys []string, prefix string) string {
	if len(keys) == 0 {
		return "it exists"
	}
	first := strings.TrimPrefix(keys[0], prefix)
	for _, k := range keys {
		switch k[strings.LastIndex(k, "/")+1:] {
		case "zarr.json", ".zarray", ".zgroup", ".zattrs":
			first = strings.TrimPrefix(k, prefix)
		default:
			continue
		}
		break
	}
	if len(keys) == 1 {
		return fmt.Sprintf("it holds %q", first)
	}
	return fmt.Sprintf("it holds %q and other files", first)
}

// DiffRecords names the top-level fields in which two JSON run records
// differ, "" when they are byte-equal. An "input" field holding
// {"location", "fingerprint"} is described as the input that moved or
// changed.
func DiffRecords(old, cur []byte) string {
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
	var sa, sb struct{ Location, Fingerprint string }
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
