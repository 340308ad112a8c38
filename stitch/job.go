package stitch

import (
	"context"
	"errors"
	"fmt"
	"path"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/ryomen-dev/ryomen/codec"
	"github.com/ryomen-dev/ryomen/nd"
	"github.com/ryomen-dev/ryomen/store"
	"github.com/ryomen-dev/ryomen/tile"
	"golang.org/x/sync/errgroup"
)

// Phase is one phase of an out-of-core stitch: Tasks independent tasks
// with stable IDs 0..Tasks-1, each needing about TaskBytes of memory. Run
// does task id and returns the bytes it read and wrote; a task whose
// result is already stored (a resumed run, or another shard that did it)
// does nothing and returns 0, 0. It has the shape of the engine's phases.
type Phase struct {
	Name      string
	Tasks     int64
	TaskBytes int64
	Run       func(ctx context.Context, id int64) (read, written int64, err error)
}

// Job is the out-of-core stitch. Its phases keep everything under Prefix
// of a store: the "tiles" phase runs the function on one tile per task
// and stores the tile's Dest labels and shared boxes (keys Prefix/t/I/dest
// and Prefix/t/I/shared, the second written last, so it marks the task
// done); the "solve" phase (one task) reads the shared boxes, solves the
// equivalences and stores the numbering (Prefix/solution). [Job.Labels]
// then reads the stitched labels, relabelling the stored Dest labels, so
// any engine can write them one chunk per task. Output equals [Map]'s
// byte for byte.
type Job struct {
	g      *geom
	src    nd.Reader
	fn     tile.AnyFunc
	opt    Options
	st     store.Store
	prefix string
}

// NewJob prepares an out-of-core stitch of fn over p (crops read from
// src) whose scratch lives under prefix of st.
func NewJob(p *tile.Plan, src nd.Reader, fn tile.AnyFunc, opt Options, st store.Store, prefix string) (*Job, error) {
	if err := opt.check(); err != nil {
		return nil, err
	}
	if !slices.Equal(src.Shape(), p.Shape()) {
		return nil, fmt.Errorf("stitch: source shape %v, the plan's is %v", src.Shape(), p.Shape())
	}
	if err := store.CheckKey(path.Join(prefix, "solution")); err != nil {
		return nil, fmt.Errorf("stitch: scratch prefix %q: %w", prefix, err)
	}
	g, err := newGeom(p, opt.Rule)
	if err != nil {
		return nil, err
	}
	return &Job{g: g, src: src, fn: fn, opt: opt, st: st, prefix: prefix}, nil
}

func (j *Job) key(i int, what string) string {
	return path.Join(j.prefix, "t", strconv.Itoa(i), what)
}

// Phases returns the tiles and solve phases, to run in that order.
func (j *Job) Phases() []Phase {
	p := j.g.p
	crop, _ := nd.CheckedSize(p.CropShape())
	return []Phase{
		{Name: "stitch-tiles", Tasks: int64(p.Len()), TaskBytes: int64(crop) * int64(j.src.DType().Size()+8+4+4+4), Run: j.runTile},
		{Name: "stitch-solve", Tasks: 1, TaskBytes: max(j.solveLimit(), 1<<20), Run: j.runSolve},
	}
}

// solveLimit is the memory the solve phase declares: the worst case
// (solveBytes), or Options.SolveBytes when that is set and smaller, in
// which case the solver is held to the face labels that fit it
// (faceLimit).
func (j *Job) solveLimit() int64 {
	worst := j.solveBytes()
	if j.opt.SolveBytes <= 0 || worst <= j.opt.SolveBytes {
		return worst
	}
	return j.opt.SolveBytes
}

// faceLimit is the most face labels the solver may hold (0: no limit):
// what SolveBytes leaves after the solver's window of shared boxes, at
// faceLabelBytes each.
func (j *Job) faceLimit() uint64 {
	if j.opt.SolveBytes <= 0 || j.solveBytes() <= j.opt.SolveBytes {
		return 0
	}
	return uint64(max(j.opt.SolveBytes-j.windowBytes(), 0) / faceLabelBytes)
}

// faceLabelBytes is what the solver holds per face label: its union-find
// element, its entry in the tile's face list and its final ID.
const faceLabelBytes = 20

// solveBytes bounds the solver's memory: the shared boxes of the tiles it
// keeps (from the tile it joins to its farthest neighbour, and the tiles
// it reads ahead) and 20 bytes
// per face label, of which a tile has at most one per voxel its region
// shares with other tiles (Touch: per voxel of its face planes).
func (j *Job) solveBytes() int64 {
	g := j.g
	var faces int64
	for i := range g.p.Len() {
		if g.rule == Touch {
			for _, k := range g.nbrs[i] {
				n, _ := g.shared(i, k).Size()
				faces += int64(n)
			}
		} else {
			faces += g.sharedVoxels(i)
		}
	}
	return j.windowBytes() + faceLabelBytes*faces
}

// windowBytes is the part of solveBytes that does not depend on the
// labels: the shared boxes of the tiles the solver keeps and reads ahead.
func (j *Job) windowBytes() int64 {
	g := j.g
	var most, window int64
	for i := range g.p.Len() {
		var sh int64
		for _, k := range g.nbrs[i] {
			n, _ := g.shared(i, k).Size()
			sh += int64(n)
		}
		most = max(most, sh)
		if len(g.nbrs[i]) > 0 {
			window = max(window, int64(g.nbrs[i][len(g.nbrs[i])-1]-i+1))
		}
	}
	return 4 * most * (window + prefetch)
}

// sharedVoxels counts the voxels of tile i's region that another tile's
// region covers: the region less the product of the per-axis intervals
// that only tile i's crop covers.
func (g *geom) sharedVoxels(i int) int64 {
	b := g.boxes(i).region
	lo, hi := slices.Clone(b.Min), slices.Clone(b.Max)
	for _, k := range g.nbrs[i] {
		o := g.boxes(k).region
		for d := range lo {
			if o.Min[d] == b.Min[d] && o.Max[d] == b.Max[d] {
				continue // same crop position on this axis
			}
			if o.Max[d] > b.Min[d] && o.Min[d] <= b.Min[d] {
				lo[d] = max(lo[d], o.Max[d])
			}
			if o.Min[d] < b.Max[d] && o.Max[d] >= b.Max[d] {
				hi[d] = min(hi[d], o.Min[d])
			}
		}
	}
	all, _ := b.Size()
	core := int64(1)
	for d := range lo {
		core *= int64(max(hi[d]-lo[d], 0))
	}
	return int64(all) - core
}

// runTile computes and stores tile id's record, unless it is stored.
func (j *Job) runTile(ctx context.Context, id int64) (int64, int64, error) {
	i := int(id)
	if ok, err := j.exists(ctx, j.key(i, "shared")); ok || err != nil {
		return 0, 0, err
	}
	var dest, sh []byte
	border, value := j.g.p.Border()
	err := j.g.batch(ctx, j.src, j.fn, i, i+1, border, value, func(k int, y nd.Any) error {
		var err error
		dest, sh, err = j.g.encodeRecord(k, y)
		return err
	})
	if err != nil {
		return 0, 0, err
	}
	crop, _ := nd.CheckedSize(j.g.p.CropShape())
	read := int64(crop * j.src.DType().Size())
	if err := j.put(ctx, j.key(i, "dest"), dest); err != nil {
		return read, 0, fmt.Errorf("stitch: storing tile %d: %w", i, err)
	}
	if err := j.put(ctx, j.key(i, "shared"), sh); err != nil {
		return read, int64(len(dest)), fmt.Errorf("stitch: storing tile %d: %w", i, err)
	}
	return read, int64(len(dest) + len(sh)), nil
}

// Scratch values are zstd frames (labels compress tenfold and more),
// decoded with the largest size the plan allows for the key.
var scratchCodec = codec.Zstd{Level: 1}

func (j *Job) put(ctx context.Context, key string, b []byte) error {
	z, err := scratchCodec.Encode(nil, b)
	if err != nil {
		return err
	}
	return j.st.Put(ctx, key, z)
}

func (j *Job) get(ctx context.Context, key string, limit int) ([]byte, error) {
	z, err := j.st.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	b, err := scratchCodec.Decode(nil, z, limit)
	if err != nil {
		return nil, fmt.Errorf("stitch: %s: %w", key, err)
	}
	return b, nil
}

// sharedLimit is the size of tile i's encoded record.
func (j *Job) sharedLimit(i int) int {
	n := len(recordMagic) + 12
	for _, v := range j.g.sharedSizes(i) {
		n += 4 + 4*v
	}
	return n
}

// sharedSizes returns the voxel counts of tile i's shared boxes.
func (g *geom) sharedSizes(i int) []int {
	s := make([]int, len(g.nbrs[i]))
	for x, k := range g.nbrs[i] {
		s[x], _ = g.shared(i, k).Size()
	}
	return s
}

func (j *Job) exists(ctx context.Context, key string) (bool, error) {
	_, err := j.st.GetRange(ctx, key, 0, 1)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, fmt.Errorf("stitch: %s: %w", key, err)
}

// runSolve solves the equivalences from the stored shared boxes.
func (j *Job) runSolve(ctx context.Context, _ int64) (int64, int64, error) {
	key := path.Join(j.prefix, "solution")
	if ok, err := j.exists(ctx, key); ok || err != nil {
		return 0, 0, err
	}
	src := &storeRecords{j: j, ahead: prefetch, cache: map[int]*fetch{}}
	s, err := j.g.solve(ctx, src, j.opt.IoU, j.faceLimit())
	read := src.bytesRead()
	if err != nil {
		return read, 0, err
	}
	if j.opt.DType != nd.Invalid {
		if _, err := j.opt.outDType(s.objects); err != nil {
			return read, 0, err
		}
	}
	b := s.encode()
	if err := j.put(ctx, key, b); err != nil {
		return read, 0, fmt.Errorf("stitch: storing the solution: %w", err)
	}
	return read, int64(len(b)), nil
}

// storeRecords loads records from the store, keeping those the solver
// still needs (tiles from the one it works on to its farthest neighbour)
// and fetching the next ahead tiles in the background, so that reading
// and decoding overlap the joins.
type storeRecords struct {
	j       *Job
	nocache bool
	ahead   int
	mu      sync.Mutex
	cache   map[int]*fetch
	read    int64
	wg      sync.WaitGroup // background fetches
}

// fetch is one record being loaded or loaded.
type fetch struct {
	done chan struct{}
	r    *record
	err  error
}

// prefetch is the number of tiles the solver reads ahead.
const prefetch = 4

func (s *storeRecords) load(ctx context.Context, i int) (*record, error) {
	if s.nocache {
		return s.fetch(ctx, i)
	}
	f := s.start(ctx, i)
	for k := i + 1; k <= i+s.ahead && k < s.j.g.p.Len(); k++ {
		s.start(ctx, k)
	}
	select {
	case <-f.done:
		return f.r, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// start returns tile i's fetch, starting it if nobody has.
func (s *storeRecords) start(ctx context.Context, i int) *fetch {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f, ok := s.cache[i]; ok {
		return f
	}
	f := &fetch{done: make(chan struct{})}
	s.cache[i] = f
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f.r, f.err = s.fetch(ctx, i)
		close(f.done)
	}()
	return f
}

// bytesRead waits for the background fetches and returns the bytes read.
func (s *storeRecords) bytesRead() int64 {
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.read
}

func (s *storeRecords) fetch(ctx context.Context, i int) (*record, error) {
	key := s.j.key(i, "shared")
	b, err := s.j.get(ctx, key, s.j.sharedLimit(i))
	if err != nil {
		return nil, fmt.Errorf("stitch: tile %d's record (has the tiles phase run?): %w", i, err)
	}
	crop, _ := nd.CheckedSize(s.j.g.p.OutCropShape())
	r, err := decodeShared(b, s.j.g.sharedSizes(i), crop)
	if err != nil {
		return nil, fmt.Errorf("stitch: %s: %w", key, err)
	}
	s.mu.Lock()
	s.read += int64(len(b))
	s.mu.Unlock()
	return r, nil
}

func (s *storeRecords) done(i int) {
	s.mu.Lock()
	for k := range s.cache {
		if k < i {
			delete(s.cache, k)
		}
	}
	s.mu.Unlock()
}

func (s *storeRecords) dest(ctx context.Context, i int) ([]uint32, error) {
	key := s.j.key(i, "dest")
	n, _ := s.j.g.boxes(i).dest.Size()
	b, err := s.j.get(ctx, key, 4*n)
	if err != nil {
		return nil, fmt.Errorf("stitch: tile %d's labels: %w", i, err)
	}
	d := decoder{b: b}
	v := d.words(n)
	if d.err != nil || d.off != len(b) {
		return nil, fmt.Errorf("stitch: %s: %d bytes for %d labels", key, len(b), n)
	}
	return v, nil
}

// Run runs both phases in this process on up to workers goroutines (0:
// GOMAXPROCS): first the tiles with ID mod shards == shard, then every
// tile no process has stored yet (so shards never wait for each other and
// a resumed run redoes only what is missing), then the solve. Tasks are
// deterministic and their results atomic, so a task done twice by two
// shards stores the same bytes.
func (j *Job) Run(ctx context.Context, workers, shard, shards int) error {
	if shards <= 0 {
		shards = 1
	}
	if shard < 0 || shard >= shards {
		return fmt.Errorf("stitch: shard %d of %d", shard, shards)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ph := j.Phases()
	n := ph[0].Tasks
	order := make([]int64, 0, n)
	for id := int64(shard); id < n; id += int64(shards) {
		order = append(order, id)
	}
	for id := range n {
		if id%int64(shards) != int64(shard) {
			order = append(order, id)
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, id := range order {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			_, _, err := ph[0].Run(gctx, id)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, _, err := ph[1].Run(ctx, 0)
	return err
}
