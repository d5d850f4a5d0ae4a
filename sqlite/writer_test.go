package sqlite

import (
	"database/sql"
	"errors"
	"slices"
	"strings"
	"testing"
)

// TestBatchFailureUndoesOnlyItsWrite: in one commit of many writes, a write
// that fails leaves no trace and is told its own error, every other write
// is committed, acknowledged and has its after run, in commit order, once;
// the writes fail by their own refusal and by breaking a constraint.
func TestBatchFailureUndoesOnlyItsWrite(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE batch_test (k TEXT PRIMARY KEY) STRICT`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	errRefused := errors.New("refused after its insert")

	tests := []struct {
		name   string
		keys   []string
		refuse map[int]bool // by index in keys: inserts, then fails
		want   []string     // the keys committed, in order
		failed []int        // the indexes told an error
	}{
		{"none fails", []string{"a1", "a2", "a3"}, nil, []string{"a1", "a2", "a3"}, nil},
		{"the middle one refuses", []string{"b1", "b2", "b3"}, map[int]bool{1: true}, []string{"b1", "b3"}, []int{1}},
		{"the first refuses", []string{"c1", "c2"}, map[int]bool{0: true}, []string{"c2"}, []int{0}},
		{"the last refuses", []string{"d1", "d2"}, map[int]bool{1: true}, []string{"d1"}, []int{1}},
		{"a duplicate breaks the key", []string{"e1", "e1", "e2"}, nil, []string{"e1", "e2"}, []int{1}},
		{"all refuse", []string{"f1", "f2"}, map[int]bool{0: true, 1: true}, nil, []int{0, 1}},
		{"one write", []string{"g1"}, nil, []string{"g1"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var afters []string
			batch := make([]*writeRequest, len(tc.keys))
			for i, k := range tc.keys {
				batch[i] = &writeRequest{
					ctx:  ctx,
					done: make(chan error, 1),
					fn: func(tx *sql.Tx) error {
						if _, err := tx.ExecContext(ctx, `INSERT INTO batch_test (k) VALUES (?)`, k); err != nil {
							return err
						}
						if tc.refuse[i] {
							return errRefused
						}
						return nil
					},
					after: func() { afters = append(afters, k) },
				}
			}
			if n := s.commitSome(batch); n != len(batch) {
				t.Fatalf("commitSome ran %d writes, want %d", n, len(batch))
			}
			var failed []int
			for i, req := range batch {
				select {
				case err := <-req.done:
					if err != nil {
						failed = append(failed, i)
						if tc.refuse[i] && !errors.Is(err, errRefused) {
							t.Errorf("write %d: %v, want its own error", i, err)
						}
					}
				default:
					t.Fatalf("write %d was not told its outcome", i)
				}
				if len(req.done) != 0 {
					t.Errorf("write %d was told twice", i)
				}
			}
			if !slices.Equal(failed, tc.failed) {
				t.Errorf("writes told an error: %v, want %v", failed, tc.failed)
			}
			if !slices.Equal(afters, tc.want) {
				t.Errorf("afters ran for %v, want %v", afters, tc.want)
			}
			committed := query[string](t, s, `SELECT coalesce(group_concat(k, ' '), '') FROM
				(SELECT k FROM batch_test WHERE substr(k, 1, 1) = ? ORDER BY k)`, tc.keys[0][:1])
			stored := strings.Fields(committed)
			if !slices.Equal(stored, tc.want) {
				t.Errorf("committed %v, want %v", stored, tc.want)
			}
		})
	}
}
