package main

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// createBody is the body of every create: a copy of
// testdata/seed/create-request.json (the Graph docs' Create workPosition
// example), kept beside this file because go:embed cannot reach ../../.
//
//go:embed create-request.json
var createBody []byte

var updateBodies = [2][]byte{[]byte(`{"isCurrent":true}`), []byte(`{"isCurrent":false}`)}

// op is one kind of request.
type op int

const (
	opCreate op = iota
	opUpdate
	opGet
	opList
	opProfile
	numOps
)

var opNames = [numOps]string{"create", "update", "get", "list", "profile"}

func (o op) String() string { return opNames[o] }

var workloads = []string{"create", "update", "get", "list", "mixed", "lopsided", "profile"}

// mix returns the op of a workload for a uniform draw r in [0, 100).
// mixed: 35% get, 35% list, 20% update, 10% create. lopsided's ops depend
// on the connection, not on a draw (see runner.next).
func mix(workload string, r int) op {
	switch workload {
	case "create":
		return opCreate
	case "update":
		return opUpdate
	case "get":
		return opGet
	case "list":
		return opList
	case "profile":
		return opProfile
	}
	switch {
	case r < 35:
		return opGet
	case r < 70:
		return opList
	case r < 90:
		return opUpdate
	default:
		return opCreate
	}
}

// needsPositions says whether the workload reads or changes existing
// positions of every user, which the setup then creates. (lopsided's
// setup fills one user of its own instead, profile's every collection.)
func needsPositions(workload string) bool {
	return workload != "create" && workload != "lopsided" && workload != "profile"
}

// user is one signed-in user of the run.
type user struct {
	index           int // the user's number: its oid and upn derive from it (benchUser)
	oid, upn, token string
	profile         string   // the user's profile: /beta/me/profile or /beta/users/{upn}/profile
	prefix          string   // path prefix of the user's positions: the profile's path + /positions
	ids             []string // positions made by the setup; read-only during the run
}

// Markers of the body shapes the checks look for; the ceiling's canned
// bodies carry them too (see bench/ceiling).
var (
	contextPrefix = []byte(`{"@odata.context":`)
	idKey         = []byte(`"id":"`)
	valueKey      = []byte(`"value":[`)
	// Every position in a list has exactly one createdDateTime.
	itemMarker = []byte(`"createdDateTime":`)
)

const guidLen = 36

// checkEntity checks a single position's answer: status, an OData context
// first, an object, and for get and update the expected id. It returns the
// position's id (the first "id" after the context: graphprofile writes the
// position's id before its nested createdBy ids).
func checkEntity(o op, status int, body []byte, wantID string) (string, error) {
	want := http.StatusOK
	if o == opCreate {
		want = http.StatusCreated
	}
	if status != want {
		return "", fmt.Errorf("%s: status %d, want %d: %s", o, status, want, snippet(body))
	}
	if !bytes.HasPrefix(body, contextPrefix) || body[len(body)-1] != '}' {
		return "", fmt.Errorf("%s: not a JSON object with @odata.context first: %s", o, snippet(body))
	}
	i := bytes.Index(body, idKey)
	if i < 0 || len(body) < i+len(idKey)+guidLen+1 || body[i+len(idKey)+guidLen] != '"' {
		return "", fmt.Errorf("%s: no position id in the answer: %s", o, snippet(body))
	}
	id := body[i+len(idKey) : i+len(idKey)+guidLen]
	if wantID != "" && string(id) != wantID {
		return "", fmt.Errorf("%s: answer is position %s, want %s: %s", o, id, wantID, snippet(body))
	}
	return string(id), nil
}

// checkList checks a list's answer: status, the context and a value array,
// and at least minItems positions.
func checkList(status int, body []byte, minItems int) error {
	if status != http.StatusOK {
		return fmt.Errorf("list: status %d, want 200: %s", status, snippet(body))
	}
	if !bytes.HasPrefix(body, contextPrefix) || !bytes.HasSuffix(body, []byte("]}")) || !bytes.Contains(body, valueKey) {
		return fmt.Errorf("list: not {\"@odata.context\":…,\"value\":[…]}: %s", snippet(body))
	}
	if n := bytes.Count(body, itemMarker); n < minItems {
		return fmt.Errorf("list: %d positions, want at least %d: %s", n, minItems, snippet(body))
	}
	return nil
}

// checkPage checks a list answer as checkList does, and that it holds
// exactly n items: a page of $top=n.
func checkPage(status int, body []byte, n int) error {
	if err := checkList(status, body, n); err != nil {
		return err
	}
	if got := bytes.Count(body, itemMarker); got != n {
		return fmt.Errorf("list: %d positions, want a page of %d: %s", got, n, snippet(body))
	}
	return nil
}

// snippet shortens a body for an error message.
func snippet(b []byte) string {
	const max = 300
	if len(b) > max {
		return fmt.Sprintf("%q… (%d bytes)", b[:max], len(b))
	}
	return fmt.Sprintf("%q", b)
}

// runner performs the ops of one workload against one target.
type runner struct {
	workload string
	users    []*user
	minItems int // what a list must hold at least; profile: each collection exactly
	// heavy is lopsided's user with many positions, whose pages the
	// listing connections read; the creates go to users.
	heavy *user
}

// next returns the op a connection does next.
func (r *runner) next(w *worker) op {
	if r.workload == "lopsided" {
		if w.writer {
			return opCreate
		}
		return opList
	}
	return mix(r.workload, w.rng.IntN(100))
}

// perform does one op for a random user and checks the answer; it returns
// the answer's size. Writes the server acknowledged go to w.acked.
func (r *runner) perform(c doer, w *worker, o op) (int, error) {
	u := r.users[w.rng.IntN(len(r.users))]
	switch o {
	case opCreate:
		status, body, err := c.do(http.MethodPost, u.prefix, u.token, createBody)
		if err != nil {
			return 0, fmt.Errorf("create: %w", err)
		}
		id, err := checkEntity(o, status, body, "")
		if err == nil {
			w.acked.created(u.index, id)
		}
		return len(body), err
	case opUpdate, opGet:
		if len(u.ids) == 0 {
			return 0, errors.New("no positions to address; the setup made none")
		}
		id := u.ids[w.rng.IntN(len(u.ids))]
		if o == opGet {
			status, body, err := c.do(http.MethodGet, u.prefix+"/"+id, u.token, nil)
			if err != nil {
				return 0, fmt.Errorf("get: %w", err)
			}
			_, err = checkEntity(o, status, body, id)
			return len(body), err
		}
		w.toggle = !w.toggle
		value := w.toggle
		b := updateBodies[0]
		if !value {
			b = updateBodies[1]
		}
		sent := time.Now()
		status, body, err := c.do(http.MethodPatch, u.prefix+"/"+id, u.token, b)
		if err != nil {
			w.acked.updated(u.index, id, value, sent, false)
			return 0, fmt.Errorf("update: %w", err)
		}
		_, err = checkEntity(o, status, body, id)
		w.acked.updated(u.index, id, value, sent, err == nil)
		return len(body), err
	case opProfile:
		status, body, err := c.do(http.MethodGet, u.profile, u.token, nil)
		if err != nil {
			return 0, fmt.Errorf("profile: %w", err)
		}
		return len(body), checkProfile(status, body, r.minItems)
	default:
		if r.heavy != nil {
			return r.listPage(c, w)
		}
		status, body, err := c.do(http.MethodGet, u.prefix, u.token, nil)
		if err != nil {
			return 0, fmt.Errorf("list: %w", err)
		}
		return len(body), checkList(status, body, r.minItems)
	}
}
