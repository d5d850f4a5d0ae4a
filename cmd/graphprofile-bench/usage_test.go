package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestReportHelp: `graphprofile-bench report --help` prints the report's
// usage, under its own name, and succeeds, as --help of the load generator
// and of verify do.
func TestReportHelp(t *testing.T) {
	for _, arg := range []string{"--help", "-h"} {
		var out, errOut bytes.Buffer
		if err := runReport([]string{arg}, strings.NewReader(""), &out, &errOut); err != nil {
			t.Errorf("report %s: %v, want no error", arg, err)
		}
		if got := errOut.String(); !strings.Contains(got, "graphprofile-bench report") || !strings.Contains(got, "-title") {
			t.Errorf("report %s printed %q, want the usage of graphprofile-bench report with --title", arg, got)
		}
	}
	// A flag it does not know is still an error.
	var out, errOut bytes.Buffer
	if err := runReport([]string{"--bogus"}, strings.NewReader(""), &out, &errOut); err == nil {
		t.Error("report --bogus: no error")
	}
}
