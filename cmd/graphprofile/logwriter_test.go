package main

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer records each Write it gets.
type lockedBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.buf.Write(p)
}

func (b *lockedBuffer) contents() (string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String(), b.writes
}

func TestBatchingWriter(t *testing.T) {
	t.Run("lines wait at most the delay, together", func(t *testing.T) {
		var out lockedBuffer
		w := newBatchingWriter(&out, 20*time.Millisecond)
		defer w.Close()
		for i := range 100 {
			fmt.Fprintf(w, "line %d\n", i)
		}
		if got, writes := out.contents(); got != "" || writes != 0 {
			t.Fatalf("written before the delay: %d writes, %q", writes, got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, writes := out.contents()
			if got != "" {
				if writes != 1 || strings.Count(got, "\n") != 100 || !strings.HasPrefix(got, "line 0\n") || !strings.HasSuffix(got, "line 99\n") {
					t.Fatalf("%d writes of %q; want the 100 lines in order in one", writes, got)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("nothing written 5 s after the delay")
			}
			time.Sleep(time.Millisecond)
		}
		// The next line arms the delay again.
		fmt.Fprintln(w, "later")
		time.Sleep(200 * time.Millisecond)
		if got, writes := out.contents(); writes != 2 || !strings.HasSuffix(got, "line 99\nlater\n") {
			t.Errorf("after a second line: %d writes, %q", writes, got)
		}
	})
	t.Run("a full batch is written at once", func(t *testing.T) {
		var out lockedBuffer
		w := newBatchingWriter(&out, time.Hour)
		defer w.Close()
		line := strings.Repeat("x", 1023) + "\n"
		for range batchBytes / len(line) {
			_, _ = w.Write([]byte(line))
		}
		if got, writes := out.contents(); writes != 1 || len(got) != batchBytes {
			t.Errorf("%d writes of %d bytes; want one of %d", writes, len(got), batchBytes)
		}
	})
	t.Run("close writes what is left, then writes through", func(t *testing.T) {
		var out lockedBuffer
		w := newBatchingWriter(&out, time.Hour)
		fmt.Fprintln(w, "first")
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if got, _ := out.contents(); got != "first\n" {
			t.Fatalf("after Close: %q", got)
		}
		fmt.Fprintln(w, "after")
		if got, writes := out.contents(); got != "first\nafter\n" || writes != 2 {
			t.Errorf("a line after Close: %d writes, %q", writes, got)
		}
	})
	t.Run("concurrent lines stay whole", func(t *testing.T) {
		var out lockedBuffer
		w := newBatchingWriter(&out, time.Millisecond)
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 500 {
					fmt.Fprintf(w, "g%d-%d %s\n", g, i, strings.Repeat("y", 100))
				}
			})
		}
		wg.Wait()
		w.Close()
		got, _ := out.contents()
		lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
		if len(lines) != 8*500 {
			t.Fatalf("%d lines; want %d", len(lines), 8*500)
		}
		for _, l := range lines {
			if !strings.HasSuffix(l, " "+strings.Repeat("y", 100)) {
				t.Fatalf("a broken line: %q", l)
			}
		}
	})
}
