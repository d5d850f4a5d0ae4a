package graphapi

import "testing"

// TestDefaultTimeoutsAreSet: a Server whose Timeouts are zero (as serve's
// is) bounds every phase of a connection, as issue 7 asks (ReadHeader,
// Read, Idle; Write too): none is zero, net/http's "no limit". The timeouts
// themselves are TestSlowClientsAreCutOff's and TestReadAndIdleTimeouts'.
func TestDefaultTimeoutsAreSet(t *testing.T) {
	got := (&Server{}).timeouts()
	if got != DefaultTimeouts() {
		t.Errorf("a Server without Timeouts has %+v, want DefaultTimeouts() %+v", got, DefaultTimeouts())
	}
	for name, d := range map[string]int64{"ReadHeader": int64(got.ReadHeader), "Read": int64(got.Read), "Write": int64(got.Write), "Idle": int64(got.Idle)} {
		if d <= 0 {
			t.Errorf("the default %s timeout is %d: no limit", name, d)
		}
	}
}
