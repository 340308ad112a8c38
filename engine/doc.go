// Package engine runs jobs larger than memory as deterministic plans of
// small tasks: the one out-of-core engine under pyramids, tiled processing,
// labelling and stitching.
//
// A [Job] writes one output (a location in a [store.Store]). It runs
// phases in order; a [Phase] is a number of tasks with stable IDs
// 0..Tasks-1 and a function that runs task id. Tasks are never listed:
// the engine enumerates IDs lazily, so a phase of billions of tasks costs
// O(1) memory besides the set of finished ones (1 bit per task, counted in
// the budget).
//
// Bookkeeping lives under Path/.ryomen/ in the output store:
//
//	.ryomen/plan.json                    the run record (Job.Record)
//	.ryomen/tasks/<phase>/b<bucket>/<id> one marker per finished task
//
// with bucket = id mod B, B chosen so that no bucket holds more than 4096
// markers; a resumed run lists one bucket at a time.
//
// The life of a job: [Job.Claim] takes the output (an atomic create of the
// run record on an empty output, so of two runs started at once exactly
// one proceeds; a resume or another shard of the same run joins only when
// its record is byte-equal, and the error names what differs); [Job.Run]
// runs phases, skipping tasks with markers and leaving one for every task
// it finishes; [Job.Finish] checks that the record is still this run's,
// makes the output durable, commits it (the caller writes whatever marks
// it complete) and makes that durable too.
//
// Sharding: with ShardCount N, process i first runs the tasks of a phase
// with ID mod N = i, then takes over every task of the phase that still
// has no marker, highest IDs first, so no process ever waits for another
// and any one of them can finish the whole job (see Job.Run). Tasks must
// therefore be deterministic and idempotent: a task run twice writes the
// same bytes over the same keys.
//
// Memory: Job.Memory is the budget for task data. Each phase runs as many
// tasks at once as fit: (Memory - bookkeeping) / Phase.TaskBytes, capped
// by Workers. [Job.Check] refuses up front a phase of which not even one
// task fits, or whose finished-task set alone exceeds the budget (with no
// budget, that set is capped at 1 GiB), so a hostile shape fails at once
// instead of exhausting memory later.
//
// Progress is counted in one [progress.Counter] (tasks, bytes, rate, ETA);
// the command line draws it.
package engine
