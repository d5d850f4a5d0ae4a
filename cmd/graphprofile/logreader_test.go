package main

import (
	"errors"
	"net/http"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/internal/logtest"
)

// breakingWriter is a process's standard error until it breaks: then every
// write fails, and os/exec closes the pipe's reading end, as a log reader
// that went away (a tee, a log shipper that crashed or restarted) leaves it.
type breakingWriter struct {
	logtest.Buffer
	broken atomic.Bool
}

func (w *breakingWriter) Write(p []byte) (int, error) {
	if w.broken.Load() {
		return 0, errors.New("the log reader is gone")
	}
	return w.Buffer.Write(p)
}

// TestServesOnWhenTheLogReaderIsGone: serve writes a line of the access
// log for every request; when whoever reads its standard error goes away,
// those lines are lost, but the server goes on serving. It was killed by
// SIGPIPE at the next line (Go's default for a write to a broken standard
// output or error): the next request, its answer and every request in
// flight lost with it, without the drain a shutdown gives them.
func TestServesOnWhenTheLogReaderIsGone(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("no SIGPIPE on Windows")
	}
	dir := t.TempDir()
	token := mintToken(t, dir, nil, delegatedArgs...)
	logs := &breakingWriter{}
	// Port 0: serve's own choice, which it logs; no other test can take it
	// between a choice here and serve's listen.
	cmd := exec.Command(binary, "serve", "--listen", "127.0.0.1:0")
	cmd.Dir, cmd.Env, cmd.Stderr = dir, commandEnv(), logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}) // closed once serve has exited, with waitErr
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), `msg="graphprofile serving"`); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("serve not serving after 10 s; stderr:\n%s", logs.String())
		}
	}

	m := regexp.MustCompile(`msg="graphprofile serving" url=http://(127\.0\.0\.1:[0-9]+)/beta`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("serve logged no address it serves on:\n%s", logs.String())
	}
	addr := m[1]
	logs.broken.Store(true)
	client := &http.Client{Timeout: 10 * time.Second}
	for i := range 5 {
		req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/beta/me/profile/positions", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			select {
			case <-done:
				t.Fatalf("request %d after the log reader went away: serve exited (%v)", i+1, waitErr)
			case <-time.After(time.Second):
			}
			t.Fatalf("request %d after the log reader went away: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("request %d after the log reader went away: %d, want 200", i+1, resp.StatusCode)
		}
	}
	select {
	case <-done:
		t.Fatalf("serve exited after its log reader went away: %v", waitErr)
	default:
	}
}
