package graphapi

import "github.com/graphprofile/graphprofile"

// Endpoint is one row of the endpoint table as the black-box tests see it.
type Endpoint struct {
	Pattern string
	Method  string
	Entity  *graphprofile.Type
}

// Endpoints returns the endpoint table, so that the tests of $metadata can
// hold the description to what is served.
func Endpoints() []Endpoint {
	rows := make([]Endpoint, len(endpoints))
	for i, e := range endpoints {
		rows[i] = Endpoint{Pattern: e.pattern.text, Method: e.method, Entity: e.entity}
	}
	return rows
}

// EncodingsHeld is how many items' JSON s remembers.
func EncodingsHeld(s *Server) int {
	n := 0
	for i := range s.encodings.shards {
		shard := &s.encodings.shards[i]
		shard.mu.Lock()
		n += len(shard.entries)
		shard.mu.Unlock()
	}
	return n
}

// The bounds on request heads and bodies, for the tests of them.
const (
	FreeHeadBytes     = freeHeadBytes
	HeadBudgetBytes   = headBudgetBytes
	FreeBodyBytes     = freeBodyBytes
	BodyBudgetBytes   = bodyBudgetBytes
	FreeAnswerBytes   = freeAnswerBytes
	AnswerBudgetBytes = answerBudgetBytes
)

// ScanUsersOnly makes s answer every users query by scanning the
// directory, as it did before it looked users up by id or principal name:
// what the differential test compares the lookups with.
func ScanUsersOnly(s *Server) { s.scanUsersOnly = true }
