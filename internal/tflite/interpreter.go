package tflite

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
)

// kernel is one prepared operation. Kernels are immutable after Parse; all
// mutable state lives in the Interpreter.
type kernel interface {
	run(it *Interpreter)
	// cost estimates the work of one run (multiply-adds or element visits).
	cost() int64
}

// ranged is a kernel (or part of one) whose work splits into independent
// index ranges [lo, hi) run on different goroutines; worker numbers a range
// and selects its scratch buffer.
type ranged interface {
	runRange(it *Interpreter, worker, lo, hi int)
}

// Options tune an interpreter.
type Options struct {
	// Threads is the number of goroutines an Invoke may use; <= 0 means
	// runtime.GOMAXPROCS(0).
	Threads int
}

// Interpreter runs a Model. It owns the activation memory (allocated once);
// weights are shared with the Model. An Interpreter is not safe for
// concurrent use; use a Pool or one Interpreter per goroutine.
type Interpreter struct {
	m        *Model
	arena    []float32
	data     [][]float32 // per tensor: constant data or a slice of arena
	scratch  [][]float32 // per worker
	iscratch [][]int     // per worker
	threads  int
	wg       sync.WaitGroup
	pending  atomic.Int32 // ranges handed to workers and not finished yet
	panicV   atomic.Value
}

// NewInterpreter returns an interpreter using runtime.GOMAXPROCS(0) threads.
func (m *Model) NewInterpreter() *Interpreter { return m.NewInterpreterOpts(Options{}) }

// NewInterpreterOpts returns an interpreter with the given options.
func (m *Model) NewInterpreterOpts(o Options) *Interpreter {
	n := o.Threads
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if n > 64 {
		n = 64
	}
	it := &Interpreter{m: m, threads: n}
	it.arena = make([]float32, m.arena)
	it.data = make([][]float32, len(m.tensors))
	for i := range m.tensors {
		t := &m.tensors[i]
		switch {
		case t.f32 != nil:
			it.data[i] = t.f32
		case !t.konst && t.first != unusedTensor:
			it.data[i] = it.arena[t.off : t.off+t.n : t.off+t.n]
		}
	}
	// One scratch buffer per range an operator may be split into.
	parts := n * partsPerThread
	if n == 1 {
		parts = 1
	}
	it.iscratch = make([][]int, parts)
	for w := range it.iscratch {
		it.iscratch[w] = make([]int, m.iscratch)
	}
	it.scratch = make([][]float32, parts)
	for w := range it.scratch {
		it.scratch[w] = make([]float32, m.scratch)
	}
	return it
}

// Threads reports the number of goroutines the interpreter uses.
func (it *Interpreter) Threads() int { return it.threads }

// Input returns the writable buffer of input i (NHWC, batch 1). It stays
// valid for the life of the interpreter. It panics if i is out of range,
// like a slice index.
func (it *Interpreter) Input(i int) []float32 { return it.data[it.m.inputs[i]] }

// Output returns output i of the last Invoke; it is overwritten by the next
// Invoke. It panics if i is out of range, like a slice index.
func (it *Interpreter) Output(i int) []float32 { return it.data[it.m.outputs[i]] }

// Invoke runs the model on the current inputs.
func (it *Interpreter) Invoke() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("tflite: invoke: internal error: %v", r)
		}
	}()
	for _, k := range it.m.kernels {
		k.run(it)
		if v := it.panicV.Load(); v != nil {
			it.panicV = atomic.Value{}
			return fmt.Errorf("tflite: invoke: internal error: %v", v)
		}
	}
	return nil
}

// minWork is the least work (about a microsecond per 1000 units: one unit
// per element of an element-wise op, per 8 multiply-adds of a convolution)
// worth handing to another goroutine; waking one costs several microseconds.
const minWork = 32768

// parallel runs r over [0, n) split into up to it.threads ranges of at least
// grain items, on the shared worker goroutines plus the caller. work is the
// estimated work of the whole range (see minWork).
func (it *Interpreter) parallel(r ranged, n, grain int, work int64) {
	if grain < 1 {
		grain = 1
	}
	// Two ranges per thread: a caller whose helper is slow to start (a busy
	// machine) takes the queued ranges itself.
	parts := it.threads * partsPerThread
	if it.threads == 1 {
		parts = 1
	}
	if maxParts := (n + grain - 1) / grain; parts > maxParts {
		parts = maxParts
	}
	if maxParts := work / minWork; int64(parts) > maxParts {
		parts = int(max(maxParts, 1))
	}
	parts = min(parts, len(it.scratch), len(it.iscratch))
	if parts <= 1 {
		if n > 0 {
			r.runRange(it, 0, 0, n)
		}
		return
	}
	ensureWorkers(max(it.threads-1, runtime.GOMAXPROCS(0)-1))
	step := (n + parts - 1) / parts
	it.wg.Add(parts - 1)
	it.pending.Add(int32(parts - 1))
	for w := 1; w < parts; w++ {
		lo, hi := w*step, (w+1)*step
		if hi > n {
			hi = n
		}
		if lo > hi {
			lo = hi
		}
		workCh <- task{r: r, it: it, worker: w, lo: lo, hi: hi}
	}
	hi := step
	if hi > n {
		hi = n
	}
	r.runRange(it, 0, 0, hi)
	// While our ranges are pending, run queued ranges (ours or another
	// interpreter's) instead of idling; otherwise poll briefly before
	// parking, which would cost a scheduler wake-up.
	for i := 0; i < spinPolls && it.pending.Load() > 0; i++ {
		select {
		case t := <-workCh:
			runTask(t)
			i = 0
		default:
			runtime.Gosched()
		}
	}
	it.wg.Wait()
}

// partsPerThread is how many ranges an operator is split into per thread.
const partsPerThread = 2

// spinPolls bounds the polling of parallel and of idle workers (each poll
// yields the processor, so waiting goroutines still run).
const spinPolls = 200

type task struct {
	r              ranged
	it             *Interpreter
	worker, lo, hi int
}

var (
	workCh     = make(chan task, 256)
	workMu     sync.Mutex
	numWorkers int
)

// ensureWorkers makes sure at least n shared worker goroutines exist. The
// workers are shared by all interpreters of the process and never exit
// (an idle worker is a parked goroutine).
func ensureWorkers(n int) {
	workMu.Lock()
	for numWorkers < n {
		numWorkers++
		go workerLoop()
	}
	workMu.Unlock()
}

func workerLoop() {
	for {
		var t task
		got := false
		// Operators of one Invoke come microseconds apart: poll a little
		// before blocking so the next range starts without a wake-up.
		for i := 0; i < spinPolls && !got; i++ {
			select {
			case t = <-workCh:
				got = true
			default:
				runtime.Gosched()
			}
		}
		if !got {
			t = <-workCh
		}
		runTask(t)
	}
}

func runTask(t task) {
	defer func() {
		if r := recover(); r != nil {
			t.it.panicV.Store(fmt.Sprint(r))
		}
		t.it.pending.Add(-1)
		t.it.wg.Done()
	}()
	if t.lo < t.hi {
		t.r.runRange(t.it, t.worker, t.lo, t.hi)
	}
}

// Pool is a set of reusable interpreters of one model, safe for concurrent
// use. Get blocks while all n interpreters are in use.
type Pool struct {
	m    *Model
	ch   chan *Interpreter
	opts Options
}

// NewPool returns a pool of n interpreters (n <= 0 means 1), each using
// runtime.GOMAXPROCS(0) threads. Interpreters are created lazily.
func NewPool(m *Model, n int) *Pool { return NewPoolOpts(m, n, Options{}) }

// NewPoolOpts is NewPool with interpreter options.
func NewPoolOpts(m *Model, n int, o Options) *Pool {
	if n <= 0 {
		n = 1
	}
	p := &Pool{m: m, ch: make(chan *Interpreter, n)}
	for i := 0; i < n; i++ {
		p.ch <- nil // a token; the interpreter is built on first Get
	}
	p.opts = o
	return p
}

// Get takes an interpreter from the pool, waiting if none is free.
func (p *Pool) Get() *Interpreter {
	it := <-p.ch
	if it == nil {
		it = p.m.NewInterpreterOpts(p.opts)
	}
	return it
}

// Put returns an interpreter obtained from Get.
func (p *Pool) Put(it *Interpreter) {
	if it == nil || it.m != p.m {
		panic("tflite: Pool.Put of an interpreter not from this pool")
	}
	select {
	case p.ch <- it:
	default:
		panic("tflite: Pool.Put called more often than Get")
	}
}
