package photo

import (
	"runtime"
	"sync"
)

// parallelRows splits [0, n) into contiguous chunks, one per CPU, and runs fn on each.
func parallelRows(n int, fn func(y0, y1 int)) {
	workers := min(runtime.GOMAXPROCS(0), 4)
	if n < 64 || workers < 2 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + workers - 1) / workers
	for y0 := 0; y0 < n; y0 += chunk {
		wg.Add(1)
		go func(y0, y1 int) {
			defer wg.Done()
			fn(y0, y1)
		}(y0, min(n, y0+chunk))
	}
	wg.Wait()
}
