//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeRefusesAnOversizedFixturesFileUnread: a fixtures file larger
// than serve reads (1 GiB) is refused from its size, at once, in a line
// naming the file and the limit: serve read the whole first GiB of it
// (about 2 GiB of memory and 9 s) only to refuse it.
func TestServeRefusesAnOversizedFixturesFileUnread(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.json")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk is spent on it.
	if err := f.Truncate(maxFixturesFile + 1); err != nil {
		f.Close()
		t.Skipf("no sparse file of 1 GiB here: %v", err)
	}
	f.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--store", "sqlite:x.db", "--fixtures", big)
	cmd.Dir = dir
	cmd.Env = commandEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if err == nil || !strings.Contains(stderr.String(), "big.json: larger than 1073741824 bytes") || strings.Count(stderr.String(), "\n") != 1 {
		t.Fatalf("serve --fixtures of a file over 1 GiB: %v, stderr %q; want one line refusing it", err, stderr.String())
	}
	maxRSS := peakRSS(t, cmd)
	if maxRSS > 256<<20 {
		t.Errorf("serve held %d MiB to refuse a fixtures file by its size; want it refused unread", maxRSS>>20)
	}
}

// TestExportFailsCleanly: an export to FILE that fails midway (no room:
// its files may not grow past 128 KiB, as on a full disk) says so and
// leaves nothing behind, neither FILE nor a part of it: it left its
// temporary FILE.tmp, half-written, on the disk that was full.
func TestExportFailsCleanly(t *testing.T) {
	dir := t.TempDir()
	importUsers(t, dir, "sqlite:s.db", 2000)
	out := t.TempDir()
	// The limit set in a shell that then becomes graphprofile, so that
	// only the export is held to it.
	cmd := exec.Command("/bin/sh", "-c", `ulimit -f 256 && exec "$0" "$@"`, binary, "export", "--store", "sqlite:s.db", filepath.Join(out, "export.json"))
	cmd.Dir = dir
	cmd.Env = commandEnv()
	stderr, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(stderr), "export: ") {
		t.Fatalf("export with no room for the file: %v, %q; want it refused", err, stderr)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("a failed export left %s", e.Name())
	}
}

// TestExportMemory: export writes user by user, holding one user's
// profile at a time, so its memory does not grow with the store: it held
// the whole store, decoded, then the whole file twice over (compact and
// indented), 5.6 times the file's size at its peak (2.3 GB for a 415 MB
// export), so a store big enough could not be exported at all.
func TestExportMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 20,000 users")
	}
	if raceEnabled {
		t.Skip("the race detector's memory is not the export's")
	}
	dir := t.TempDir()
	users := filepath.Join(dir, "users.jsonl")
	f, err := os.Create(users)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for i := range 20000 {
		fmt.Fprintf(w, `{"id":"11111111-2222-4333-8444-%012d","displayName":"User %d","userPrincipalName":"user%d@contoso.com","jobTitle":"Engineer",`+
			`"department":"Research and development","companyName":"Contoso","officeLocation":"18/2111","city":"Redmond","country":"US",`+
			`"streetAddress":"1 Microsoft Way","postalCode":"98052","businessPhones":["+1 425 555 0100"],"mobilePhone":"+1 425 555 0101"}`+"\n", i, i, i)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if r := runCLI(t, dir, nil, "users", "import", "--store", "sqlite:s.db", users); r.code != 0 {
		t.Fatalf("users import: exit %d, stderr %q", r.code, r.stderr)
	}
	exported := filepath.Join(dir, "export.json")
	cmd := exec.Command(binary, "export", "--store", "sqlite:s.db", exported)
	cmd.Dir = dir
	cmd.Env = commandEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("export: %v, %s", err, out)
	}
	info, err := os.Stat(exported)
	if err != nil {
		t.Fatal(err)
	}
	maxRSS := peakRSS(t, cmd)
	t.Logf("an export of %d MiB: peak RSS %d MiB", info.Size()>>20, maxRSS>>20)
	// The program's own (some 30 MiB) and a page of users, but not the
	// store: less than the file it wrote, with room to spare.
	if maxRSS > info.Size()+64<<20 {
		t.Errorf("export of %d MiB held %d MiB at its peak; want memory that does not grow with the store", info.Size()>>20, maxRSS>>20)
	}
}

// peakRSS returns the peak resident memory of cmd, a child that has ended,
// in bytes (skipping the test where the system does not tell). On Linux it
// is at least the test process's own peak: the child starts in the test's
// memory (os/exec's vfork) and exec records that memory's high-water mark
// as the child's. So a bound checked with it can fail falsely, never pass
// falsely, and a test holds nothing large when it starts the child.
func peakRSS(t *testing.T, cmd *exec.Cmd) int64 {
	t.Helper()
	usage, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Skip("no resource usage of a child here")
	}
	if runtime.GOOS == "darwin" {
		return int64(usage.Maxrss) // bytes on macOS
	}
	return int64(usage.Maxrss) * 1024 // KiB on Linux and the BSDs
}

// TestUsersImportMemory: users import reads its file as it writes it, a
// line at a time, in the import's one transaction, so its memory does not
// grow with the file (only the ids and principal names it compares, a few
// dozen bytes a user): it held the whole file, decoded, before writing,
// 5.4 times the file's size at its peak (793 MiB for a file of 146 MiB on
// SQLite, 1.8 GiB on PostgreSQL; 268 MiB here). Read from standard input, a
// pipe, as '-' reads it. A repeat on the file's last line still imports
// nothing.
func TestUsersImportMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 50,000 users")
	}
	if raceEnabled {
		t.Skip("the race detector's memory is not the import's")
	}
	const n = 50000
	dir := t.TempDir()
	// Every property of the people directory, some 900 bytes a line,
	// written as made: the test holds no file in memory (see run).
	file := func(prefix string, lastRepeats bool) (path string, size int64) {
		path = filepath.Join(dir, prefix+".jsonl")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		w := bufio.NewWriter(f)
		for i := range n {
			id := fmt.Sprintf("%s-2222-4333-8444-%012d", prefix, i)
			if lastRepeats && i == n-1 {
				id = fmt.Sprintf("%s-2222-4333-8444-%012d", prefix, 0)
			}
			fmt.Fprintf(w, `{"id":%q,"displayName":"User Number %d of the Generated Directory","userPrincipalName":"user.%s.%d@contoso.example.test",`+
				`"mail":"user.%[3]s.%[4]d@contoso.example.test","mailNickname":"user.%[3]s.%[4]d","givenName":"Given%[2]d","surname":"Surname%[2]d",`+
				`"jobTitle":"Senior Principal Software Engineering Manager","accountEnabled":true,"businessPhones":["+1 425 555 0100"],`+
				`"mobilePhone":"+1 425 555 0101","officeLocation":"Building 18/2111","preferredLanguage":"en-US","usageLocation":"US",`+
				`"department":"Research and Development, Cloud and AI Group","companyName":"Contoso Worldwide Limited","employeeId":"E%08[2]d",`+
				`"employeeType":"Employee","employeeHireDate":"2019-03-01T00:00:00Z","city":"Redmond","state":"Washington","country":"United States",`+
				`"streetAddress":"One Microsoft Way, Building 18","postalCode":"98052-6399","faxNumber":"+1 425 555 0102"}`+"\n", id, i, prefix, i)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		fi, err := f.Stat()
		if err != nil {
			t.Fatal(err)
		}
		return path, fi.Size()
	}
	run := func(path string) (stdout, stderr string, err error, maxRSS int64) {
		t.Helper()
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, binary, "users", "import", "--tenant", testTenant, "-") // the default store, which serve opens below
		cmd.Dir = dir
		cmd.Env = commandEnv()
		cmd.Stdin = struct{ io.Reader }{f} // through a pipe: not seekable
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		// Linux counts in a child's peak the memory of the test process
		// that started it (the child shares it until exec): that is kept
		// small.
		debug.FreeOSMemory()
		err = cmd.Run()
		return out.String(), errOut.String(), err, peakRSS(t, cmd)
	}

	badFile, badSize := file("aaaaaaaa", true)
	_, stderr, err, maxRSS := run(badFile)
	want := fmt.Sprintf("line %d: id aaaaaaaa-2222-4333-8444-000000000000 is also on line 1", n)
	if err == nil || !strings.Contains(stderr, want) || !strings.Contains(stderr, "nothing imported") {
		t.Fatalf("import of a file whose last line repeats the first's id: %v, stderr %q; want it refused naming line %d", err, stderr, n)
	}
	t.Logf("a refused import of %d MiB: peak RSS %d MiB", badSize>>20, maxRSS>>20)

	goodFile, size := file("bbbbbbbb", false)
	stdout, stderr, err, maxRSS := run(goodFile)
	if err != nil || stdout != fmt.Sprintf("imported %d users into tenant %s\n", n, testTenant) {
		t.Fatalf("users import: %v, stdout %q, stderr %q", err, stdout, stderr)
	}
	t.Logf("an import of %d MiB: peak RSS %d MiB", size>>20, maxRSS>>20)
	// The program's own (some 30 MiB), SQLite's page cache (16 MiB), a
	// line, and the ids and names: not the file.
	if maxRSS > 128<<20 {
		t.Errorf("users import of %d MiB held %d MiB at its peak; want memory that does not grow with the file", size>>20, maxRSS>>20)
	}

	// The refused import wrote nothing of its 49,999 good lines.
	s := startServe(t, dir, listenFlag())
	app := mintToken(t, dir, nil, appArgs...)
	s.do(http.MethodGet, "/beta/users/bbbbbbbb-2222-4333-8444-000000049999", app, "", http.StatusOK)
	s.do(http.MethodGet, "/beta/users/aaaaaaaa-2222-4333-8444-000000000001", app, "", http.StatusNotFound)
}
