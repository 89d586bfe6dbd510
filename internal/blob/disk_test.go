package blob_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/blob/blobtest"
)

func TestDisk(t *testing.T) {
	blobtest.RunBucketTests(t, func(t *testing.T) blob.Bucket {
		d, err := blob.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	})
}

func TestValidateKey(t *testing.T) {
	for _, k := range []string{"a", "originals/1/2/abc.jpg", "a.b/c-d_e", "学校/照片.jpg"} {
		if err := blob.ValidateKey(k); err != nil {
			t.Errorf("ValidateKey(%q) = %v", k, err)
		}
	}
}

// The crash helper runs in a child process (this test binary re-executed):
// it stores "old" under the key, prints READY, then Puts a new object from
// a reader that prints MIDWAY after half the bytes and then hangs (mode
// "partial"), or Puts the new object completely and prints DONE (mode
// "complete"). The parent kills it with SIGKILL at that point.
const crashEnv = "XIAOXIANG_BLOB_CRASH_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(crashEnv); mode != "" {
		crashHelper(mode, os.Getenv("XIAOXIANG_BLOB_DIR"))
		return
	}
	os.Exit(m.Run())
}

type hangingReader struct {
	data []byte
	pos  int
}

func (r *hangingReader) Read(p []byte) (int, error) {
	if r.pos >= len(r.data)/2 {
		fmt.Println("MIDWAY")
		select {} // hang until killed
	}
	n := copy(p[:min(len(p), len(r.data)/2-r.pos)], r.data[r.pos:])
	r.pos += n
	return n, nil
}

func crashHelper(mode, dir string) {
	d, err := blob.NewDisk(dir)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := d.Put(ctx, "photos/p.jpg", strings.NewReader("old")); err != nil {
		panic(err)
	}
	fmt.Println("READY")
	data := bytes.Repeat([]byte("new-photo-bytes "), 1<<16) // 1 MiB
	switch mode {
	case "partial":
		d.Put(ctx, "photos/p.jpg", &hangingReader{data: data})
	case "complete":
		if err := d.Put(ctx, "photos/p.jpg", bytes.NewReader(data)); err != nil {
			panic(err)
		}
		fmt.Println("DONE")
		select {}
	}
}

// TestDiskCrashSafety kills a writer with SIGKILL in the middle of a Put and
// right after an acknowledged Put: the object is always either the old one
// or the whole new one, never a partial file.
func TestDiskCrashSafety(t *testing.T) {
	for _, tc := range []struct{ mode, wait, want string }{
		{"partial", "MIDWAY", "old"},
		{"complete", "DONE", "new"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), crashEnv+"="+tc.mode, "XIAOXIANG_BLOB_DIR="+dir)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 4)
			go func() {
				s := bufio.NewScanner(out)
				for s.Scan() {
					lines <- s.Text()
				}
				close(lines)
			}()
			deadline := time.After(20 * time.Second)
		wait:
			for {
				select {
				case l, ok := <-lines:
					if !ok {
						t.Fatal("helper exited early")
					}
					if l == tc.wait {
						break wait
					}
				case <-deadline:
					cmd.Process.Kill()
					t.Fatalf("helper never printed %s", tc.wait)
				}
			}
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			cmd.Wait()

			d, err := blob.NewDisk(dir)
			if err != nil {
				t.Fatal(err)
			}
			rc, err := d.Get(context.Background(), "photos/p.jpg")
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			switch tc.want {
			case "old":
				if string(got) != "old" {
					t.Fatalf("after a kill mid-Put the object has %d bytes, want the old object", len(got))
				}
			case "new":
				if len(got) != 1<<20 || !bytes.HasPrefix(got, []byte("new-photo-bytes")) {
					t.Fatalf("acknowledged Put lost: %d bytes", len(got))
				}
			}
			// Temporary files of the killed write are never listed.
			infos, err := d.List(context.Background(), "")
			if err != nil || len(infos) != 1 {
				t.Fatalf("List = %+v, %v; want only photos/p.jpg", infos, err)
			}
			if _, err := d.Stat(context.Background(), "photos/p.jpg"); errors.Is(err, blob.ErrNotFound) {
				t.Fatal("object vanished")
			}
		})
	}
}
