package logoutput

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer records every write, each as one element.
type lockedBuffer struct {
	mu     sync.Mutex
	writes []string
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes = append(b.writes, string(p))
	return len(p), nil
}

func (b *lockedBuffer) snapshot() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.writes...)
}

func TestLogOutput(t *testing.T) {
	t.Parallel()

	t.Run("gathered lines go out together after the delay", func(t *testing.T) {
		t.Parallel()
		out := &lockedBuffer{}
		// Long enough that a stall of the loaded machine between the
		// writes and the check below does not let the timer write first.
		o := New(out, 500*time.Millisecond)
		for _, line := range []string{"a\n", "b\n", "c\n"} {
			if n, err := o.Gathering().Write([]byte(line)); n != len(line) || err != nil {
				t.Fatalf("Write(%q) = %d, %v", line, n, err)
			}
		}
		if got := out.snapshot(); len(got) != 0 {
			t.Fatalf("written before the delay: %q", got)
		}
		deadline := time.Now().Add(5 * time.Second)
		for len(out.snapshot()) == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got, want := out.snapshot(), []string{"a\nb\nc\n"}; !slices.Equal(got, want) {
			t.Fatalf("writes = %q, want %q", got, want)
		}
		// A later line starts a new batch with its own delay.
		_, _ = o.Gathering().Write([]byte("d\n"))
		for len(out.snapshot()) == 1 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got, want := out.snapshot(), []string{"a\nb\nc\n", "d\n"}; !slices.Equal(got, want) {
			t.Fatalf("writes = %q, want %q", got, want)
		}
	})

	t.Run("an immediate line goes out at once, after the gathered ones", func(t *testing.T) {
		t.Parallel()
		out := &lockedBuffer{}
		o := New(out, time.Hour)
		_, _ = o.Gathering().Write([]byte("request 1\n"))
		_, _ = o.Gathering().Write([]byte("request 2\n"))
		_, _ = o.Immediate().Write([]byte("error\n"))
		if got, want := strings.Join(out.snapshot(), ""), "request 1\nrequest 2\nerror\n"; got != want {
			t.Fatalf("written %q, want %q", got, want)
		}
		// Two writes, the gathered lines' and the line's, and no more:
		// with nothing gathered, a line is one write, no empty one first.
		_, _ = o.Immediate().Write([]byte("warning\n"))
		if got, want := out.snapshot(), []string{"request 1\nrequest 2\n", "error\n", "warning\n"}; !slices.Equal(got, want) {
			t.Fatalf("writes %q, want %q", got, want)
		}
	})

	t.Run("a full batch goes out without waiting", func(t *testing.T) {
		t.Parallel()
		out := &lockedBuffer{}
		o := New(out, time.Hour)
		line := bytes.Repeat([]byte("x"), 1000)
		line[len(line)-1] = '\n'
		lines := accessLogBatch/len(line) + 1
		for range lines {
			_, _ = o.Gathering().Write(line)
		}
		got := out.snapshot()
		if len(got) != 1 || len(got[0]) != lines*len(line) {
			t.Fatalf("%d writes (first of %d bytes), want one of %d bytes", len(got), len(strings.Join(got[:min(len(got), 1)], "")), lines*len(line))
		}
	})

	t.Run("a batch filled exactly goes out without waiting", func(t *testing.T) {
		t.Parallel()
		out := &lockedBuffer{}
		o := New(out, time.Hour)
		line := bytes.Repeat([]byte("y"), 1024)
		line[len(line)-1] = '\n'
		for range accessLogBatch/len(line) - 1 {
			_, _ = o.Gathering().Write(line)
		}
		if got := out.snapshot(); len(got) != 0 {
			t.Fatalf("a line short of a batch: %d writes, want none yet", len(got))
		}
		_, _ = o.Gathering().Write(line)
		if got := out.snapshot(); len(got) != 1 || len(got[0]) != accessLogBatch {
			t.Fatalf("a batch of exactly %d bytes: %d writes, want one of them all", accessLogBatch, len(got))
		}
	})
	t.Run("later lines do not hold back the first", func(t *testing.T) {
		t.Parallel()
		out := &lockedBuffer{}
		// Lines come far more often than the delay: the first waits the
		// delay from when it came, not from the last line, or a server
		// answering without pause would never write its access log.
		const delay = 200 * time.Millisecond
		o := New(out, delay)
		deadline := time.Now().Add(10 * time.Second)
		for len(out.snapshot()) == 0 && time.Now().Before(deadline) {
			_, _ = o.Gathering().Write([]byte("request\n"))
			time.Sleep(delay / 40)
		}
		if len(out.snapshot()) == 0 {
			t.Fatalf("nothing written in 10 s of lines %v apart, with a delay of %v", delay/40, delay)
		}
		o.Close()
	})
	t.Run("Close writes what is gathered, and lines after it go out at once", func(t *testing.T) {
		t.Parallel()
		out := &lockedBuffer{}
		o := New(out, time.Hour)
		_, _ = o.Gathering().Write([]byte("last request\n"))
		o.Close()
		if got, want := out.snapshot(), []string{"last request\n"}; !slices.Equal(got, want) {
			t.Fatalf("after Close: %q, want %q", got, want)
		}
		_, _ = o.Gathering().Write([]byte("late\n"))
		if got, want := out.snapshot(), []string{"last request\n", "late\n"}; !slices.Equal(got, want) {
			t.Fatalf("after a late line: %q, want %q", got, want)
		}
	})

	t.Run("concurrent writers lose and reorder no line", func(t *testing.T) {
		t.Parallel()
		out := &lockedBuffer{}
		o := New(out, time.Millisecond)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for i := range 500 {
					line := []byte(strings.Repeat(string(rune('a'+w)), 1+i%7) + "\n")
					if i%50 == 0 {
						_, _ = o.Immediate().Write(line)
					} else {
						_, _ = o.Gathering().Write(line)
					}
				}
			})
		}
		wg.Wait()
		o.Close()
		all := strings.Join(out.snapshot(), "")
		perWriter := map[byte][]int{}
		for _, l := range strings.Split(strings.TrimSuffix(all, "\n"), "\n") {
			perWriter[l[0]] = append(perWriter[l[0]], len(l))
		}
		for w := range 8 {
			got := perWriter[byte('a'+w)]
			if len(got) != 500 {
				t.Fatalf("writer %d: %d lines, want 500", w, len(got))
			}
			for i, n := range got {
				if n != 1+i%7 {
					t.Fatalf("writer %d: line %d has %d bytes, want %d: lines out of order", w, i, n, 1+i%7)
				}
			}
		}
	})
}
