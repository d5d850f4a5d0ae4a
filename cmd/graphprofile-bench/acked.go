package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// ackLog records the writes a server acknowledged, so that verify can
// check after a crash that every one of them is there: each position whose
// create was answered 201, and for each updated position the value of its
// last acknowledged update. Each connection has its own log (no lock is
// contended); the setup's is shared by its goroutines. A nil log records
// nothing.
type ackLog struct {
	mu      sync.Mutex
	creates []ackedCreate
	updates map[string]*lastUpdate
}

type ackedCreate struct {
	user int
	id   string
}

// lastUpdate is what one connection (or the setup) did last to a position.
// A connection's updates of a position follow each other, so only its last
// acknowledged one can be the position's final value; maybe keeps the
// values of attempts that got no acknowledgement, which the server may
// still have applied.
type lastUpdate struct {
	user  int
	value bool
	sent  time.Time // when the last acknowledged update was sent
	acked time.Time // when its answer was in; zero: none was acknowledged
	maybe []bool
}

func newAckLog() *ackLog { return &ackLog{updates: map[string]*lastUpdate{}} }

func (l *ackLog) created(user int, id string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.creates = append(l.creates, ackedCreate{user, id})
	l.mu.Unlock()
}

// updated records an update of id to isCurrent value, sent at sent and
// acknowledged now if ok.
func (l *ackLog) updated(user int, id string, value bool, sent time.Time, ok bool) {
	if l == nil {
		return
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.updates[id]
	if u == nil {
		u = &lastUpdate{user: user}
		l.updates[id] = u
	}
	if ok {
		u.value, u.sent, u.acked = value, sent, now
	} else if !slices.Contains(u.maybe, value) {
		u.maybe = append(u.maybe, value)
	}
}

// ackedPosition is one line of an --acked file: a position the server
// acknowledged and, if it was updated, the isCurrent values it may hold.
type ackedPosition struct {
	User      int    `json:"user"`
	ID        string `json:"id"`
	IsCurrent []bool `json:"isCurrent,omitempty"`
}

// ackedHeader is the first line of an --acked file: what verify needs to
// mint the users' tokens again.
type ackedHeader struct {
	Format string `json:"format"`
	Tenant string `json:"tenant"`
}

const ackedFormat = "graphprofile-bench acked 1"

// mergeAcked returns every position the logs saw acknowledged. An updated
// position may hold the value of any acknowledged update that no other
// acknowledged update was sent after (updates that overlapped in time may
// have been applied in either order), or of an unacknowledged attempt.
func mergeAcked(logs []*ackLog) []ackedPosition {
	var out []ackedPosition
	index := map[string]int{}
	for _, l := range logs {
		for _, c := range l.creates {
			if _, ok := index[c.id]; !ok {
				index[c.id] = len(out)
				out = append(out, ackedPosition{User: c.user, ID: c.id})
			}
		}
	}
	byID := map[string][]*lastUpdate{}
	var ids []string
	for _, l := range logs {
		for id, u := range l.updates {
			if byID[id] == nil {
				ids = append(ids, id)
			}
			byID[id] = append(byID[id], u)
		}
	}
	slices.Sort(ids)
	for _, id := range ids {
		updates := byID[id]
		var values []bool
		for _, u := range updates {
			if u.acked.IsZero() {
				continue
			}
			followed := false
			for _, v := range updates {
				if !v.acked.IsZero() && v.sent.After(u.acked) {
					followed = true
					break
				}
			}
			if !followed && !slices.Contains(values, u.value) {
				values = append(values, u.value)
			}
		}
		if len(values) == 0 {
			continue // nothing acknowledged: any value will do
		}
		for _, u := range updates {
			for _, v := range u.maybe {
				if !slices.Contains(values, v) {
					values = append(values, v)
				}
			}
		}
		slices.SortFunc(values, func(a, b bool) int {
			switch {
			case a == b:
				return 0
			case !a:
				return -1
			}
			return 1
		})
		i, ok := index[id]
		if !ok {
			i = len(out)
			index[id] = i
			out = append(out, ackedPosition{User: updates[0].user, ID: id})
		}
		out[i].IsCurrent = values
	}
	return out
}

// writeAcked writes an --acked file.
func writeAcked(path, tenant string, positions []ackedPosition) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	err = enc.Encode(ackedHeader{Format: ackedFormat, Tenant: tenant})
	for _, p := range positions {
		if err != nil {
			break
		}
		err = enc.Encode(p)
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// readAcked reads an --acked file.
func readAcked(r io.Reader) (ackedHeader, []ackedPosition, error) {
	var h ackedHeader
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	if !sc.Scan() {
		return h, nil, errors.Join(errors.New("an empty file: no header"), sc.Err())
	}
	if err := json.Unmarshal(sc.Bytes(), &h); err != nil || h.Format != ackedFormat {
		return h, nil, fmt.Errorf("not an --acked file of graphprofile-bench (first line %.80q)", sc.Text())
	}
	var positions []ackedPosition
	for line := 2; sc.Scan(); line++ {
		var p ackedPosition
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil || p.ID == "" || p.User < 0 {
			return h, nil, fmt.Errorf("line %d: not a position (%.80q)", line, sc.Text())
		}
		positions = append(positions, p)
	}
	return h, positions, sc.Err()
}

// verifyResult is what verify found, as --json prints it.
type verifyResult struct {
	Checked int `json:"checked"`
	Updated int `json:"updated"` // of them, positions with an acknowledged update
	Missing int `json:"missing"`
	Wrong   int `json:"wrong"`  // present, with a value no acknowledged update left
	Failed  int `json:"failed"` // requests that failed otherwise (status, transport)
}

func (v verifyResult) ok() bool { return v.Missing == 0 && v.Wrong == 0 && v.Failed == 0 }

// runVerify is `graphprofile-bench verify`: it reads back every position
// an --acked file lists, with its owner's token, and checks that it is
// there with an isCurrent the file allows.
func runVerify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("graphprofile-bench verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	acked := fs.String("acked", "", "the `file` a run's --acked wrote (required)")
	rawURL := fs.String("url", "", "the server's base `URL` (required)")
	keyFile := fs.String("key", "", "the server's development signing key `file`, to mint the users' tokens")
	store := fs.String("store", "", "the server's --store (sqlite:PATH): the key is PATH-devkey.pem; instead of --key")
	connections := fs.Int("c", 32, "concurrent connections")
	timeout := fs.Duration("timeout", 10*time.Second, "per-request timeout")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *acked == "" || *rawURL == "":
		return errors.New("--acked and --url are required")
	case *connections < 1:
		return errors.New("-c must be at least 1")
	}
	key, err := keyPath(*keyFile, *store)
	if err != nil {
		return err
	}
	if key == "" {
		return errors.New("--key (or --store) is required to mint tokens the server accepts")
	}
	newConn, err := dialer(*rawURL, "raw", *timeout)
	if err != nil {
		return err
	}
	f, err := os.Open(*acked)
	if err != nil {
		return err
	}
	header, positions, err := readAcked(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", *acked, err)
	}
	issuer, err := loadIssuer(key)
	if err != nil {
		return err
	}
	tokens := map[int]string{}
	for _, p := range positions {
		if _, ok := tokens[p.User]; !ok {
			u, err := benchUser(issuer, header.Tenant, p.User, "me")
			if err != nil {
				return err
			}
			tokens[p.User] = u.token
		}
	}
	res, problems := verify(positions, tokens, newConn, *connections)
	if *asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		fmt.Fprintf(stdout, "%d acknowledged positions checked (%d with an acknowledged update): %d missing, %d with a value no acknowledged update left, %d failed requests\n",
			res.Checked, res.Updated, res.Missing, res.Wrong, res.Failed)
	}
	if !res.ok() {
		for _, p := range problems {
			fmt.Fprintf(stderr, "  %s\n", p)
		}
		return errors.New("acknowledged writes are missing or wrong")
	}
	return nil
}

// maxProblems is how many problems verify shows.
const maxProblems = 10

// verify reads every position back over connections connections.
func verify(positions []ackedPosition, tokens map[int]string, newConn func() doer, connections int) (verifyResult, []string) {
	var (
		mu       sync.Mutex
		res      verifyResult
		problems []string
		wg       sync.WaitGroup
	)
	jobs := make(chan ackedPosition)
	for range connections {
		wg.Go(func() {
			c := newConn()
			defer c.close()
			for p := range jobs {
				kind, problem := verifyOne(c, p, tokens[p.User])
				mu.Lock()
				res.Checked++
				if len(p.IsCurrent) > 0 {
					res.Updated++
				}
				switch kind {
				case "missing":
					res.Missing++
				case "wrong":
					res.Wrong++
				case "failed":
					res.Failed++
				}
				if problem != "" && len(problems) < maxProblems {
					problems = append(problems, problem)
				}
				mu.Unlock()
			}
		})
	}
	for _, p := range positions {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	return res, problems
}

// verifyOne reads one position: "" if it is as acknowledged, or the kind
// of problem (missing, wrong, failed) and a description.
func verifyOne(c doer, p ackedPosition, token string) (kind, problem string) {
	status, body, err := c.do(http.MethodGet, "/beta/me/profile/positions/"+p.ID, token, nil)
	switch {
	case err != nil:
		return "failed", fmt.Sprintf("position %s of user %d: %v", p.ID, p.User, err)
	case status == http.StatusNotFound:
		return "missing", fmt.Sprintf("position %s of user %d: 404, its create was acknowledged: %s", p.ID, p.User, snippet(body))
	case status != http.StatusOK:
		return "failed", fmt.Sprintf("position %s of user %d: status %d: %s", p.ID, p.User, status, snippet(body))
	}
	var got struct {
		ID        string `json:"id"`
		IsCurrent *bool  `json:"isCurrent"`
	}
	if err := json.Unmarshal(body, &got); err != nil || !strings.EqualFold(got.ID, p.ID) {
		return "failed", fmt.Sprintf("position %s of user %d: not the position: %s", p.ID, p.User, snippet(body))
	}
	if len(p.IsCurrent) > 0 && (got.IsCurrent == nil || !slices.Contains(p.IsCurrent, *got.IsCurrent)) {
		return "wrong", fmt.Sprintf("position %s of user %d: isCurrent %v, the last acknowledged update set %v", p.ID, p.User, fmtBoolPtr(got.IsCurrent), p.IsCurrent)
	}
	return "", ""
}

func fmtBoolPtr(b *bool) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprint(*b)
}
